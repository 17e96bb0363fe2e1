#!/usr/bin/env bash
# The product on the embedded local sandbox (no AWS account needed), after bootstrap (which also builds the
# extension and installs it into .venv).
#
#   npm run demo       JupyterLab with the sagemaker-ssh extension on the sandbox: moto, the sm-ssh sandbox and its
#                      demo fleet (real sshd hosts), a Studio-like execution role with one setup item missing; prints
#                      the URL to open (scripts/lab.mjs; extra arguments go to it, e.g. --port 9999)
#   npm run demo:cli   the CLI tour instead: `sm-ssh setup check` (fails), `setup apply`, `setup check` (passes), then
#                      list, exec by name, the other user refused, cp, OpenSSH by name (scripts/demo.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [[ "${1:-}" == "--cli" ]]; then
  shift
  exec node scripts/demo.mjs "$@"
fi
exec node scripts/lab.mjs "$@"
