#!/usr/bin/env bash
# Runs the product on the embedded local sandbox (no AWS account needed): moto for IAM/STS, the sm-ssh sandbox
# for SSM, a demo SageMaker role and user role, then `sm-ssh setup check` (fails), `setup apply`, `setup check` (passes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node scripts/demo.mjs "$@"
