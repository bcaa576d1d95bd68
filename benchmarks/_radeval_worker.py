"""Runs inside RadEval's own venv: time RadEval's BLEU and ROUGE on pairs from a JSON file.

RadEval's entry points are the adapters its registry maps "bleu" and "rouge" to
(radeval.metrics.bleu.adapter.BleuMetric, radeval.metrics.rouge.adapter.RougeMetric), which
``RadEval(metrics=["bleu", "rouge"])`` builds. The ``radeval`` package's __init__ is bypassed:
it calls nltk.download() on import, and this machine has no network.

    python _radeval_worker.py PAIRS.json REPEAT  ->  JSON on stdout
"""

import json
import sys
import time
import types
from importlib.util import find_spec
from pathlib import Path


def main() -> None:
    pairs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    repeat = int(sys.argv[2])
    spec = find_spec("radeval")
    package = types.ModuleType("radeval")
    package.__path__ = list(spec.submodule_search_locations)  # type: ignore[union-attr]
    sys.modules["radeval"] = package
    from radeval.metrics.bleu.adapter import BleuMetric
    from radeval.metrics.rouge.adapter import RougeMetric

    refs, hyps = pairs["references"], pairs["predictions"]
    out = {}
    for name, cls in (("bleu", BleuMetric), ("rouge", RougeMetric)):
        best, scores = float("inf"), None
        for _ in range(repeat):
            started = time.perf_counter()
            scores = cls().compute(refs, hyps, detailed=True)
            best = min(best, time.perf_counter() - started)
        out[name] = {"seconds": best, "scores": scores}
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
