"""The jupyter-server-proxy entry of `sm-ssh serve`, the bridge the JupyterLab panel talks to.

pyproject.toml registers ``setup_sm_ssh`` under ``jupyter_serverproxy_servers``; jupyter-server-proxy calls it at
server start and, on the first request to ``<base_url>/sm-ssh/``, starts the command on a unix socket in a private
temporary directory (only the Jupyter user can connect) and proxies to it with Jupyter's authentication in front.

Which Node and which CLI (first found wins; ``_cli.py``, shared with the Python client):

- Node: ``SM_SSH_NODE``, then ``node`` on PATH, then ``/opt/conda/bin/node`` (SageMaker Distribution's conda Node);
  it must be Node.js 20 or newer.
- CLI: ``SM_SSH_CLI``, then the CLI bundled in this package (``sm_ssh/sm-ssh.mjs``, built by ``npm run build``),
  then, in an editable install from the repository, ``sdk/dist/cli/main.js``.

When one is missing, setup logs a warning and the command becomes this module's stand-in server, which answers every
request on the socket with 503 and a JSON error saying what is missing and how to fix it (the panel shows it), and
prints the same to the Jupyter server's log. Setup never raises: a broken install must not stop Jupyter.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from ._cli import (
    BUNDLED_CLI,
    CONDA_NODE,
    DEV_CLI,
    MIN_NODE_MAJOR,
    PACKAGE_DIR,
    Unavailable,
    check_node_version,
    find_cli,
    find_node,
)

NAME = "sm-ssh"
# Node's start plus loading the AWS SDK on a busy host; jupyter-server-proxy's default is 5 s
READY_TIMEOUT_S = 30

log = logging.getLogger(__name__)

__all__ = [
    "BUNDLED_CLI",
    "CONDA_NODE",
    "DEV_CLI",
    "MIN_NODE_MAJOR",
    "PACKAGE_DIR",
    "Unavailable",
    "check_node_version",
    "find_cli",
    "find_node",
    "serve_command",
    "setup_sm_ssh",
]


def unavailable_command(problem: Unavailable) -> list[str]:
    """The stand-in server that answers with the problem (503) on the socket jupyter-server-proxy gives it."""
    return [
        sys.executable,
        "-m",
        "sagemaker_ssh_jupyterlab.serverproxy",
        "--unavailable",
        problem.error,
        "--hint",
        problem.hint,
        "--socket",
        "{unix_socket}",
    ]


def serve_command(env: dict[str, str] | None = None) -> list[str]:
    """[node, cli, serve, --socket, {unix_socket}], or the stand-in's command with the reason."""
    try:
        node = find_node(env)
        check_node_version(node)
        cli = find_cli(env)
    except Unavailable as problem:
        log.warning(
            "sagemaker_ssh_jupyterlab: sm-ssh serve cannot start: %s (%s); /%s/ will answer 503 with this",
            problem.error,
            problem.hint,
            NAME,
        )
        return unavailable_command(problem)
    return [node, cli, "serve", "--socket", "{unix_socket}"]


def setup_sm_ssh() -> dict:
    """jupyter-server-proxy's configuration of the `sm-ssh` server process."""
    try:
        command = serve_command()
    except Exception as error:  # noqa: BLE001 -- never stop the Jupyter server because of us
        log.warning("sagemaker_ssh_jupyterlab: unexpected error while locating sm-ssh: %r", error)
        command = unavailable_command(
            Unavailable(f"sm-ssh could not be located: {error!r}", "report this with the Jupyter server log")
        )
    return {
        "command": command,
        "unix_socket": True,
        "timeout": READY_TIMEOUT_S,
        "absolute_url": False,
        "new_browser_tab": False,
        "launcher_entry": {"enabled": False},
    }


def _serve_unavailable(socket_path: str, error: str, hint: str) -> None:
    """Answers every request with 503 and `{error, hint, code}` (the bridge's error shape) until stopped."""
    import http.server
    import socketserver

    body = json.dumps({"error": f"sm-ssh serve cannot start: {error}", "hint": hint, "code": "failed"}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

        def address_string(self) -> str:  # unix sockets have no client address
            return "unix-socket"

        def log_message(self, format: str, *args) -> None:
            pass

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    sys.stderr.write(f"sm-ssh serve cannot start: {error}\n  hint: {hint}\n")
    sys.stderr.flush()
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    with Server(socket_path, Handler) as server:
        os.chmod(socket_path, 0o600)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sagemaker_ssh_jupyterlab.serverproxy")
    parser.add_argument("--unavailable", help="serve this error (503) instead of sm-ssh")
    parser.add_argument("--hint", default="")
    parser.add_argument("--socket", help="unix socket to listen on")
    args = parser.parse_args(argv)
    if args.unavailable and args.socket:
        _serve_unavailable(args.socket, args.unavailable, args.hint)
        return 0
    # without arguments: say what jupyter-server-proxy would run
    print(json.dumps(setup_sm_ssh(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
