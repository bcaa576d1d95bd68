#!/usr/bin/env bash
# A separate virtual environment with negspacy and medspaCy for benchmarks/peers.py.
#
#   benchmarks/setup-peers.sh [VENV]        default: benchmarks/.venv-peers
#
# Versions are pinned for reproducible figures. On Python 3.11 medspaCy 1.3.1 requires
# spacy<3.8, and negspacy 1.1.0 requires spacy>=3.8, so negspacy is 1.0.4 (the same NegEx
# algorithm; it reads doc.ents only). Nothing is downloaded at run time: both peers use spaCy's
# blank English pipeline, no trained model. radprompt itself is installed editable WITHOUT its
# dependencies (the worker needs only its labelset loader, report reader and findings writer:
# pydantic and PyYAML), so the peers read the checkout's current labelset and code.
# Never install the peers into the project's venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="${1:-$here/.venv-peers}"
python="${PYTHON:-python3}"

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# Every other package as last measured (benchmarks/peers-constraints.txt, from pip freeze).
"$venv/bin/pip" install -q -c "$here/peers-constraints.txt" "spacy==3.7.5" "negspacy==1.0.4" \
    "medspacy==1.3.1" "pydantic>=2.6,<3" "pyyaml>=6.0"
"$venv/bin/pip" install -q --no-deps -e "$root"
"$venv/bin/python" "$here/_peers_worker.py" --versions >/dev/null \
    || { echo "error: the peers do not import in $venv" >&2; exit 1; }
"$venv/bin/python" -c "import negspacy.negation, medspacy.context, radprompt.reports" \
    || { echo "error: negspacy / medspaCy / radprompt do not import in $venv" >&2; exit 1; }
echo "negspacy and medspaCy ready in $venv"
