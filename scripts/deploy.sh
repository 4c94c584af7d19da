#!/usr/bin/env bash
# Deploy one stage into the AWS account of the current credentials (AWS_PROFILE / AWS_REGION):
# the supporting resources stack from infra/resources.json, then `chalice deploy`, then the
# stream's failure handling. Usage: scripts/deploy.sh [STAGE]   (default: dev)
# See docs/deploy.md. `make deploy STAGE=prod` runs this after creating .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-${STAGE:-dev}}"
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" scripts/supported_python.py
exec "$PYTHON" scripts/deploy_bridge.py --stage "$STAGE"
