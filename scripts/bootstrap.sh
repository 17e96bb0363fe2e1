#!/usr/bin/env bash
# Installs what a fresh machine lacks for this project, idempotently: Debian packages, npm dependencies,
# the Python venv (.venv/) with the pinned PyPI packages, the SDK build, and the JupyterLab extension built and
# installed editable into .venv (with the bundled CLI and the jupyter-server-proxy entry). Safe to run again.
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

# The independent third-party client of the SSM data channel that sdk/test/third-party-client.test.ts and the
# benchmark run against the sandbox: aws-ssm-bridge (crates.io, MIT), pinned by the Cargo.lock of our small probe
# around it. Built with the machine's Rust (rustup; Debian's rustc is far older than the crate's minimum), once per
# content of the probe's sources and lock file, into .cache/ (about 5 minutes on 2 cores the first time).
probe_src=sdk/test/third-party/ssm-bridge-probe
probe_out=.cache/ssm-bridge-probe
probe_sum=$(cat "$probe_src/Cargo.toml" "$probe_src/Cargo.lock" "$probe_src"/src/*.rs | sha256sum | cut -d' ' -f1)
if [[ ! -x $probe_out/bin/ssm-bridge-probe || "$(cat $probe_out/bin/.sources.sha256 2>/dev/null)" != "$probe_sum" ]]; then
  cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
  rust_min=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' "$probe_src/Cargo.toml")
  rust_have=$("$cargo" --version 2>/dev/null | awk '{print $2}' || true)
  if [[ -z "$rust_have" || "$(printf '%s\n%s\n' "$rust_min" "$rust_have" | sort -V | head -1)" != "$rust_min" ]]; then
    echo "bootstrap: building the third-party SSM client (aws-ssm-bridge) needs Rust/cargo >= $rust_min, found '${rust_have:-no cargo}'." >&2
    echo "  Install a current toolchain with rustup (Debian's cargo/rustc packages are too old for it), then run this again." >&2
    exit 2
  fi
  log "build the third-party SSM client aws-ssm-bridge ($probe_src, cargo $rust_have)"
  started=$SECONDS
  CARGO_TARGET_DIR=$ROOT/$probe_out/target "$cargo" build --release --locked --quiet --manifest-path "$probe_src/Cargo.toml"
  install -D -m 755 "$probe_out/target/release/ssm-bridge-probe" "$probe_out/bin/ssm-bridge-probe"
  echo "$probe_sum" > "$probe_out/bin/.sources.sha256"
  log "built in $((SECONDS - started)) s"
fi

# The builds below run only when their sources changed since their last build here (content hashes in
# .cache/build-stamps/), so a second bootstrap is quick.
# runs a command, showing its output only when it fails
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "bootstrap: failed: $*" >&2
    return 1
  fi
}
sources_sum() { find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1; }
lab_sum=$(sources_sum src style schema package.json package-lock.json tsconfig.json)
lab_stamp=.cache/build-stamps/labextension.sha256
cli_sum=$(sources_sum sdk/src sdk/package.json package-lock.json scripts/build-cli-bundle.mjs)
cli_stamp=.cache/build-stamps/cli-bundle.sha256
mkdir -p .cache/build-stamps

# The SDK (sdk/dist), rebuilt when its sources or build config changed since its last build here.
sdk_sum=$(sources_sum sdk/src sdk/scripts sdk/package.json sdk/tsconfig.json sdk/tsconfig.build.json package-lock.json)
sdk_stamp=.cache/build-stamps/sdk.sha256
if [[ ! -f sdk/dist/index.js || ! -f sdk/dist/cli/main.js || "$(cat $sdk_stamp 2>/dev/null)" != "$sdk_sum" ]]; then
  log "build the SDK (sdk/dist)"
  npm run --silent build -w sdk
  echo "$sdk_sum" > "$sdk_stamp"
fi

# The JupyterLab extension (lib/, the labextension) and the sm-ssh CLI bundled into the Python package
# (sagemaker_ssh_jupyterlab/sm_ssh/sm-ssh.mjs).
if [[ ! -f sagemaker_ssh_jupyterlab/labextension/static/style.js || "$(cat $lab_stamp 2>/dev/null)" != "$lab_sum" ]]; then
  log "build the extension and the CLI bundle (npm run build)"
  quiet env PATH="$ROOT/.venv/bin:$PATH" npm run --silent build
  echo "$lab_sum" > "$lab_stamp"
  echo "$cli_sum" > "$cli_stamp"
elif [[ ! -f sagemaker_ssh_jupyterlab/sm_ssh/sm-ssh.mjs || "$(cat $cli_stamp 2>/dev/null)" != "$cli_sum" ]]; then
  log "bundle the CLI into the Python package (npm run build:cli-bundle)"
  npm run --silent build:cli-bundle
  echo "$cli_sum" > "$cli_stamp"
fi

# ... installed into .venv, editable (so the build above is what Jupyter serves), with its jupyter-server-proxy
# entry point (`sm-ssh serve` at /sm-ssh/): reinstalled when pyproject.toml changed, the labextension linked.
py_sum=$(sha256sum pyproject.toml | cut -d' ' -f1)
ext_link="$ROOT/.venv/share/jupyter/labextensions/sagemaker-ssh-jupyterlab"
installed=$(.venv/bin/python -I -c '
import os
from importlib.metadata import entry_points
import sagemaker_ssh_jupyterlab as p
found = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == "sm-ssh"]
print(os.path.dirname(os.path.abspath(p.__file__)) if found else "no entry point")
' 2>/dev/null || true)
if [[ "$installed" != "$ROOT/sagemaker_ssh_jupyterlab" || "$(cat .venv/.extension.sha256 2>/dev/null)" != "$py_sum" ]]; then
  log "pip install -e . (the extension, editable, into .venv)"
  # pip writes (and, uninstalling the previous install, deletes) the labextension's files in .venv's share dir: not
  # through the develop link below into the build itself, where a stray install.json would also break wheel builds
  [[ -L $ext_link ]] && rm "$ext_link"
  # the build above is done, so the hatch hook has nothing to do (and must not run `npm install`); --no-deps keeps
  # .venv exactly as requirements-dev.txt pins it (it has jupyterlab and jupyter-server-proxy)
  HATCH_JUPYTER_BUILDER_SKIP_NPM=1 .venv/bin/pip install --quiet --disable-pip-version-check --no-build-isolation \
    --no-deps -e .
  echo "$py_sum" > .venv/.extension.sha256
fi
if [[ "$(readlink -f "$ext_link" 2>/dev/null || true)" != "$ROOT/sagemaker_ssh_jupyterlab/labextension" ]]; then
  # an editable wheel copies the labextension; a link makes rebuilds live
  log "jupyter labextension develop (link the labextension into .venv)"
  quiet .venv/bin/jupyter labextension develop "$ROOT" --overwrite
fi

serve=$(.venv/bin/python -m sagemaker_ssh_jupyterlab.serverproxy | .venv/bin/python -c 'import json, sys; print(" ".join(json.load(sys.stdin)["command"]))')
log "ready: node $(node --version), $(.venv/bin/python --version), moto $(.venv/bin/python -c 'import moto; print(moto.__version__)'), the extension in .venv (/sm-ssh/ runs: ${serve//$ROOT\//})"
