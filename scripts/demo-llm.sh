#!/usr/bin/env bash
# A SIMULATION of LLM prompt optimization, offline: no model is involved.
#
# The loopback fake server (python -m radprompt.testing --answer guided) plays the model: it
# finds a label only through the wordings the prompt's guidance names, and when asked to revise
# guidance it adds the phrases of a --vocabulary labelset that occur in the missed reports (as
# a real model knows synonyms). The run starts from a weakened chestxray21 (one wording per
# label), so the first prompt is poor and a revised prompt truly scores better. The figures say
# that the loop works end to end, nothing about any real model.
#
#   bash scripts/demo-llm.sh          (after bash scripts/setup.sh --all; minutes on a CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/radprompt-demo-llm.XXXXXX")
export RADPROMPT_CACHE_DIR="$work/cache"

.venv/bin/python - "$work" <<'PY'
import sys
from pathlib import Path

from radprompt.labelset import load_labelset
from radprompt.optimizers.program import labelset_yaml

work = Path(sys.argv[1])
full = load_labelset("chestxray21")
weak = full.model_copy(update={"labels": tuple(
    label if label.derived else label.model_copy(
        update={"phrases": label.mention_phrases[:1], "synonyms": ()})
    for label in full.labels)})
(work / "weak.yaml").write_text(labelset_yaml(weak), "utf-8")
demo = Path("experiments/demo")
for split, size in {"train": 120, "dev": 60, "test": 30}.items():
    lines = (demo / f"{split}.jsonl").read_text("utf-8").splitlines()[:size]
    (work / f"{split}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
(work / "slice.yaml").write_text("name: slice\nlabelset: chestxray21\nsplits:\n"
                                 "  train: train.jsonl\n  dev: dev.jsonl\n  test: test.jsonl\n")
PY

coproc FAKE { .venv/bin/python -m radprompt.testing --answer guided \
    --labelset "$work/weak.yaml" --vocabulary chestxray21 --until-stdin-closes; }
read -r ready url <&"${FAKE[0]}"
trap 'kill "$FAKE_PID" 2>/dev/null || true' EXIT
echo "SIMULATION: the fake model server answers at $url"

.venv/bin/radprompt optimize --labelset "$work/weak.yaml" --experiment "$work/slice.yaml" \
    --model hosted_vllm/fake-model --api-base "$url" --auto-approve all \
    --max-rounds 2 --trials 8 --labels-per-round 3 --runs-dir "$work/runs" "$@"
echo "SIMULATION finished: the run is in $work/runs (a fake model, not a real one)"
