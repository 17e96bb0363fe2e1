"""Where the sm-ssh command line is on this machine: the Node.js that runs it and the CLI script itself.

Shared by the jupyter-server-proxy entry (``serverproxy.py``, which starts ``sm-ssh serve``) and the Python client
(``client.py``, which runs ``sm-ssh … --json``), so that both find the same Node and the same CLI:

- Node: ``SM_SSH_NODE``, then ``node`` on PATH, then ``/opt/conda/bin/node`` (SageMaker Distribution's conda Node);
  it must be Node.js 20 or newer.
- CLI: ``SM_SSH_CLI``, then the CLI bundled in this package (``sm_ssh/sm-ssh.mjs``, built by ``npm run build``),
  then, in an editable install from the repository, ``sdk/dist/cli/main.js``. For the client ``SM_SSH_CLI`` may
  also name an executable that is not (a link to) a JavaScript file: it is then run as is, without Node.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

MIN_NODE_MAJOR = 20
CONDA_NODE = "/opt/conda/bin/node"
PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_CLI = PACKAGE_DIR / "sm_ssh" / "sm-ssh.mjs"
# an editable install from the repository: the package dir sits beside sdk/
DEV_CLI = PACKAGE_DIR.parent / "sdk" / "dist" / "cli" / "main.js"
# what Node runs; anything else named by SM_SSH_CLI is an executable of its own
SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")


class Unavailable(Exception):
    """Why sm-ssh cannot run here, and what fixes it."""

    def __init__(self, error: str, hint: str):
        super().__init__(error)
        self.error = error
        self.hint = hint


def find_node(env: Mapping[str, str] | None = None) -> str:
    """The Node.js executable: SM_SSH_NODE, PATH, Studio's conda Node."""
    env = os.environ if env is None else env
    configured = env.get("SM_SSH_NODE")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise Unavailable(
                f"SM_SSH_NODE={configured} is not an executable file",
                "point SM_SSH_NODE at a Node.js >= 20 binary, or unset it to use node from PATH",
            )
        return configured
    found = shutil.which("node", path=env.get("PATH"))
    if found:
        return found
    if os.access(CONDA_NODE, os.X_OK):
        return CONDA_NODE
    raise Unavailable(
        "Node.js was not found (SM_SSH_NODE unset, no node on PATH, no /opt/conda/bin/node)",
        "install Node.js >= 20 on the Jupyter host (e.g. `conda install -c conda-forge nodejs=20`) "
        "or set SM_SSH_NODE to its path, then restart the Jupyter server",
    )


def check_node_version(node: str) -> str:
    """The version of `node` (e.g. v20.19.6), if it is at least MIN_NODE_MAJOR."""
    try:
        result = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(
            f"{node} --version failed: {error}",
            "point SM_SSH_NODE at a working Node.js >= 20 binary",
        ) from error
    version = result.stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if not match:
        raise Unavailable(
            f"{node} --version printed {version or result.stderr.strip()!r}, not a Node.js version",
            "point SM_SSH_NODE at a Node.js >= 20 binary",
        )
    if int(match.group(1)) < MIN_NODE_MAJOR:
        raise Unavailable(
            f"{node} is Node.js {version}; sm-ssh needs Node.js {MIN_NODE_MAJOR} or newer",
            "install Node.js >= 20 (SageMaker Distribution 2.x and later ship it in /opt/conda/bin) "
            "or set SM_SSH_NODE to a newer one, then restart the Jupyter server",
        )
    return version


def find_cli(env: Mapping[str, str] | None = None) -> str:
    """The sm-ssh CLI script: SM_SSH_CLI, the bundled one, the repository's build (editable installs)."""
    env = os.environ if env is None else env
    configured = env.get("SM_SSH_CLI")
    if configured:
        if not os.path.isfile(configured):
            raise Unavailable(
                f"SM_SSH_CLI={configured} does not exist",
                "point SM_SSH_CLI at sm-ssh's main.js (or sm-ssh.mjs), or unset it to use the bundled CLI",
            )
        return configured
    for candidate in (BUNDLED_CLI, DEV_CLI):
        if candidate.is_file():
            return str(candidate)
    raise Unavailable(
        f"the bundled sm-ssh CLI is missing ({BUNDLED_CLI})",
        "reinstall sagemaker_ssh_jupyterlab from a wheel, or in a checkout run `npm run build` "
        "(or set SM_SSH_CLI to sm-ssh's main.js)",
    )


def cli_command(env: Mapping[str, str] | None = None) -> list[str]:
    """The argv prefix that runs sm-ssh: ``[node, script]``, or ``[executable]`` for a non-JavaScript SM_SSH_CLI."""
    cli = find_cli(env)
    # an installed `sm-ssh` is usually a link to main.js: run that with the Node found here, not its #! line's
    if not os.path.realpath(cli).endswith(SCRIPT_SUFFIXES):
        if not os.access(cli, os.X_OK):
            raise Unavailable(
                f"SM_SSH_CLI={cli} is neither a .js/.mjs file nor executable",
                "point SM_SSH_CLI at sm-ssh's main.js, sm-ssh.mjs or an installed sm-ssh executable",
            )
        return [cli]
    node = find_node(env)
    check_node_version(node)
    return [node, cli]
