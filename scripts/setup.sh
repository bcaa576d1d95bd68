#!/usr/bin/env bash
# Create .venv and install radprompt into it (idempotent).
#   bash scripts/setup.sh          core + optimizer (enough for the demo, no network at run time)
#   bash scripts/setup.sh --all    everything the test suite needs (LLM, metrics, web, dev tools)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip() { .venv/bin/python -m pip "$@"; }

if [ "${1:-}" = "--all" ]; then
  # torch first: 2.13.0 is the CPU build on this kind of machine; anything newer pulls CUDA.
  pip install -q "torch==2.13.0"
  pip install -q -e ".[llm,optimize,metrics,bertscore,hf,significance,web,parquet,ray,zh,dev]"
  bash scripts/install-wordnet.sh   # METEOR's WordNet, from Debian's packages
  bash scripts/install-browser.sh   # Debian's chromium + chromedriver for the review page tests
  bash scripts/setup-local-model.sh # the real-model tier's server and model (built once per machine)
else
  pip install -q -e ".[optimize]"
fi
