#!/usr/bin/env bash
# Galata (Playwright) UI tests of the JupyterLab extension against a real
# `jupyter lab` from .venv and Debian's Chromium.
#
# Assumes scripts/bootstrap.sh ran: npm workspaces, .venv (requirements-dev.txt)
# and the extension installed editable into .venv with its jupyter-server-proxy
# entry. Rebuilds the extension (lib, labextension, the CLI bundle), checks that
# JupyterLab and jupyter-server-proxy see it, runs ui-tests/ against
# `scripts/lab.mjs --galata` (the sandbox + JupyterLab). Extra arguments go
# to `playwright test` (e.g. `scripts/test-ui.sh -g activation`).
#
# Env: SM_SSH_UI_PORT  Jupyter server port (default 8888, or a free port
#                      when 8888 is taken and the variable is unset)
#      SM_SSH_CHROMIUM browser binary (default /usr/bin/chromium)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXT_NAME="sagemaker-ssh-jupyterlab"
PY_NAME="sagemaker_ssh_jupyterlab"
CHROMIUM="${SM_SSH_CHROMIUM:-/usr/bin/chromium}"

die() { echo "test-ui: $*" >&2; exit 1; }
step() { echo "==> $*"; }

# Preconditions: fail, never skip.
[[ -x "$CHROMIUM" ]] || die "$CHROMIUM not found: run \`apt-get install -y chromium\` (see scripts/apt-packages.txt)"
[[ -x "$VENV/bin/jupyter" ]] || die "$VENV/bin/jupyter not found: create .venv and \`.venv/bin/pip install -r requirements-dev.txt\`"
[[ -d "$ROOT/node_modules/@jupyterlab/galata" ]] || die "node modules missing: run \`npm install\` in $ROOT"

export PATH="$VENV/bin:$PATH"
# Playwright must use the system Chromium; never fetch one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# CI mode: no reuse of a server already on the port, no HTML report server.
export CI="${CI:-1}"

cd "$ROOT"

step "build the extension (npm run build)"
npm run build

step "check that $PY_NAME is installed into .venv (scripts/bootstrap.sh does it)"
installed_dir="$(python -I -c "import $PY_NAME, os; print(os.path.dirname(os.path.abspath($PY_NAME.__file__)))" 2>/dev/null || true)"
[[ "$installed_dir" == "$ROOT/$PY_NAME" ]] \
  || die "$PY_NAME is not installed editable from $ROOT into .venv (found: ${installed_dir:-none}): run \`bash scripts/bootstrap.sh\`"
link="$(python -c 'import sys; print(sys.prefix)')/share/jupyter/labextensions/$EXT_NAME"
[[ "$(readlink -f "$link" 2>/dev/null || true)" == "$ROOT/$PY_NAME/labextension" ]] \
  || die "$link does not link to the build: run \`bash scripts/bootstrap.sh\` (jupyter labextension develop)"
python -I -m "$PY_NAME.serverproxy" | grep -q '"serve"' \
  || die "the jupyter-server-proxy entry cannot start sm-ssh serve: $(python -I -m "$PY_NAME.serverproxy" | tr -d '\n')"

step "check jupyter labextension list"
list="$(jupyter labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
if ! grep -Eq "$EXT_NAME.*enabled.*OK" <<<"$list"; then
  echo "$list" >&2
  die "$EXT_NAME is not listed as enabled OK by \`jupyter labextension list\`"
fi
grep -E "$EXT_NAME" <<<"$list"
server_list="$(jupyter server extension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
if ! grep -Eq "jupyter_server_proxy.*enabled" <<<"$server_list"; then
  echo "$server_list" >&2
  die "jupyter_server_proxy is not an enabled server extension in .venv (requirements-dev.txt installs it)"
fi

if [[ -z "${SM_SSH_UI_PORT:-}" ]]; then
  SM_SSH_UI_PORT="$(python - <<'PY'
import socket
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
if free(8888):
    print(8888)
else:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
PY
)"
fi
export SM_SSH_UI_PORT

step "Galata tests (port $SM_SSH_UI_PORT, $CHROMIUM)"
cd "$ROOT/ui-tests"
if ! npx --no-install playwright test --reporter=list "$@"; then
  die "UI tests FAILED (traces in ui-tests/test-results/)"
fi
echo "test-ui: OK"
