#!/usr/bin/env bash
# The main job: optimize the rule engine for the chestxray21 labelset on the built-in synthetic
# demo corpus, with the lexical miner and auto-approval. Offline, CPU only, a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/radprompt optimize --labelset chestxray21 "$@"
