#!/usr/bin/env bash
# Installs what a fresh machine lacks for this project, idempotently: Debian packages, npm dependencies,
# the Python venv (.venv/) with the pinned PyPI packages, and the SDK build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

# Debian packages (scripts/apt-packages.txt, one per line).
missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/apt-packages.txt
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies of the workspaces (root extension, sdk, ui-tests), exactly as locked; redone only when the
# lock file's content changed (timestamps change on every npm install and checkout).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat node_modules/.sm-ssh-lock.sha256 2>/dev/null)" != "$lock_sum" ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.sm-ssh-lock.sha256
fi

# Python venv with the pinned test harness and extension build tools.
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]]; then
  log "python venv .venv/ from requirements-dev.txt"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > .venv/.requirements.sha256
fi

log "build the SDK (sdk/dist)"
npm run --silent build -w sdk
log "ready: node $(node --version), $(.venv/bin/python --version), moto $(.venv/bin/python -c 'import moto; print(moto.__version__)')"
