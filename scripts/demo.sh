#!/usr/bin/env bash
# The main job on the built-in synthetic demo corpus with the rule engine: offline, no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=${RADPROMPT_DEMO_OUT:-out/demo}
mkdir -p "$out"
.venv/bin/radprompt extract --labelset chestxray21 --extractor rules \
  --input experiments/demo/test.jsonl --output "$out/test.findings.jsonl"
.venv/bin/radprompt score --labelset chestxray21 \
  --predictions "$out/test.findings.jsonl" --reference experiments/demo/test.jsonl
