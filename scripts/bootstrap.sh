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

log "build the SDK (sdk/dist)"
npm run --silent build -w sdk
log "ready: node $(node --version), $(.venv/bin/python --version), moto $(.venv/bin/python -c 'import moto; print(moto.__version__)')"
