#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite: ruff, mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --all
export LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check .
.venv/bin/mypy
# Test files run in parallel on up to 4 cores (a file's tests stay together: module fixtures
# are built once); RADPROMPT_TEST_WORKERS=0 runs them in this one process.
.venv/bin/pytest -n "${RADPROMPT_TEST_WORKERS:-auto}" --maxprocesses 4 --dist loadfile "$@"
# The real-model tier (tests/realmodel): SmolLM2 on llama.cpp's server, after the rest so the two
# do not share the cores, with its own time budget. Its tests skip, saying why, where set-up could
# not build the server. Left out when arguments choose tests, or with RADPROMPT_REALMODEL=0.
if [ $# -eq 0 ] && [ "${RADPROMPT_REALMODEL:-1}" != 0 ]; then
  timeout "${RADPROMPT_REALMODEL_BUDGET:-1800}" .venv/bin/pytest -m realmodel tests/realmodel
fi
