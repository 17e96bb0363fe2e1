#!/usr/bin/env bash
# Runs every test of the project on this machine: lint and type checks, the SDK's unit and integration tests
# (moto + the sandbox), the Python client's unittest, the extension's jest tests and the Galata UI tests on a real
# JupyterLab with Debian's Chromium. Installs what is missing first (scripts/bootstrap.sh). Ends with "N passed, N
# failed", which counts every one of them.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/bootstrap.sh || exit $?
export PATH="$ROOT/.venv/bin:$PATH"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
failed_steps=()

run() {
  local name=$1
  shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  local started=$SECONDS
  if "$@"; then
    echo "--- $name: ok ($((SECONDS - started)) s)"
  else
    echo "--- $name: FAILED ($((SECONDS - started)) s)"
    failed_steps+=("$name")
  fi
}

# --expose-gc: the memory test collects garbage before it samples.
# --forceExit: a failing test may leave a listener or a session open, and that must fail the run, not hang it (a
# passing run exits by itself: checked with --runInBand --detectOpenHandles).
jest_sdk() {
  (cd sdk && node --expose-gc --experimental-vm-modules ../node_modules/jest/bin/jest.js --ci --forceExit --json --outputFile="$results/jest-sdk.json" "$@")
}

run "SDK lint (eslint, prettier)" npm run --silent lint -w sdk
run "SDK type check" npm run --silent typecheck -w sdk
run "Python lint (ruff check, ruff format --check)" bash -c '.venv/bin/ruff check && .venv/bin/ruff format --check'
run "extension lint (eslint, prettier, stylelint)" npm run --silent lint:check
run "SDK tests (unit + integration on moto and the sandbox)" jest_sdk
run "Python client unit tests (unittest)" .venv/bin/python scripts/test-python.py "$results/python-unittest.json"
run "extension unit tests (jest)" npx jest --ci --json --outputFile="$results/jest-extension.json"
run "extension UI tests (Galata, JupyterLab, Chromium)" env PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" bash scripts/test-ui.sh --reporter=list,json
# A short smoke of the benchmark (figures are not judged here; a broken benchmark fails the run).
run "benchmark smoke (npm run bench, small sizes)" env BENCH_MB=8 BENCH_PACED_MB=0.25 BENCH_FLAT_MB=16 BENCH_ROUNDS=50 BENCH_WARMUP=100 BENCH_INSTANCES=1000 BENCH_PROMPT_ROUNDS=1 BENCH_COPY_MB=1 BENCH_COPY_WAYS=1,8 npm run --silent bench -w sdk

node scripts/test-summary.mjs "$results"
summary_status=$?
if ((${#failed_steps[@]})); then
  echo "failed steps: ${failed_steps[*]}"
  exit 1
fi
exit $summary_status
