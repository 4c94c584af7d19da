#!/usr/bin/env bash
# One CloudFormation (SAM) template for pipelines: `chalice package` merged with
# infra/resources.json, checked with cfn-lint. Usage: scripts/package.sh [STAGE] [OUTDIR]
# (defaults: dev, build/package-STAGE). Writes OUTDIR/sam.json, OUTDIR/deployment.zip and
# OUTDIR/parameters.json (every parameter's value: infra/stages/STAGE.json, then the template's
# defaults), for `aws cloudformation deploy --parameter-overrides file://OUTDIR/parameters.json`.
# See docs/deploy.md for `aws cloudformation package` / `deploy` with the result.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-${STAGE:-dev}}"
OUTDIR="${2:-build/package-$STAGE}"
VENV_BIN="${VENV_BIN:-.venv/bin}"
if [ ! -f "infra/stages/$STAGE.json" ]; then
  echo "no stage settings infra/stages/$STAGE.json" >&2
  exit 2
fi
"$VENV_BIN/python" scripts/supported_python.py
# The stage's scoping parameters, and no sandbox routes from the shell (LOCAL_BLUEPRINTS).
"$VENV_BIN/python" scripts/deploy_bridge.py --stage "$STAGE" --check package
rm -rf "$OUTDIR"
"$VENV_BIN/chalice" package --stage "$STAGE" --merge-template infra/resources.json "$OUTDIR"
# Compiled modules for the functions' runtime, so a cold start does not compile its imports
# (docs/deploy-package.md).
"$VENV_BIN/python" scripts/compile_bytecode.py "$OUTDIR"
# Every template parameter, read from infra/stages/STAGE.json as make deploy reads it.
"$VENV_BIN/python" scripts/deploy_bridge.py --stage "$STAGE" --check package \
  --write-parameters "$OUTDIR/parameters.json"
"$VENV_BIN/cfn-lint" "$OUTDIR/sam.json"
echo "$OUTDIR/sam.json passes cfn-lint"
