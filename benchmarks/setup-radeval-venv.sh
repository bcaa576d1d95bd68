#!/usr/bin/env bash
# A separate virtual environment with RadEval for benchmarks/radeval_compare.py.
#
#   benchmarks/setup-radeval-venv.sh [VENV]        default: benchmarks/.venv-radeval
#
# RadEval is installed WITHOUT its 23 dependencies (--no-deps): its BLEU and ROUGE need only
# torch (their classes are torch modules), rouge-score, nltk, numpy and six. torch is pinned to
# the local CPU build so nothing pulls CUDA wheels. Never install RadEval into the project's venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/.venv-radeval}"
python="${PYTHON:-python3}"

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
echo "torch==2.13.0" > "$constraints"
"$venv/bin/pip" install -q torch==2.13.0
"$venv/bin/pip" install -q -c "$constraints" rouge-score nltk numpy six rich pyyaml
"$venv/bin/pip" install -q --no-deps radeval
"$venv/bin/python" -c "import radeval.metrics.bleu, radeval.metrics.rouge" 2>/dev/null \
    || { echo "error: RadEval's BLEU / ROUGE do not import in $venv" >&2; exit 1; }
echo "RadEval ready in $venv"
