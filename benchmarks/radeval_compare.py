"""BLEU and ROUGE: radprompt's metrics beside RadEval's own implementation on the same pairs.

Both sides score the same N (generated, reference) pairs (``radprompt bench metrics``' pairs:
IU reports when ../shared/data is there). RadEval runs in its own venv
(``benchmarks/setup-radeval-venv.sh``), never in the project's. Times are the best of
``--repeat`` runs of one call over all pairs, construction included, imports excluded.

    .venv/bin/python benchmarks/radeval_compare.py [--pairs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from radprompt.metrics import BLEU, ROUGE, Metric
from radprompt.testing.bench_metrics import benchmark_pairs

HERE = Path(__file__).resolve().parent


def best_of(repeat: int, factory: type[Metric] | object, predictions: list[str],
            references: list[str], **options: object) -> tuple[float, dict[str, float]]:
    best, scores = float("inf"), {}
    for _ in range(repeat):
        started = time.perf_counter()
        result = factory(**options).compute(  # type: ignore[operator]
            predictions=predictions, references=references)
        best = min(best, time.perf_counter() - started)
        scores = result.scores
    return best, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--radeval-python", type=Path,
                        default=HERE / ".venv-radeval" / "bin" / "python")
    args = parser.parse_args()
    if not args.radeval_python.exists():
        sys.stderr.write(f"no RadEval venv at {args.radeval_python}; run "
                         "benchmarks/setup-radeval-venv.sh first\n")
        return 2
    pairs = benchmark_pairs(args.pairs)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"predictions": pairs.predictions, "references": pairs.references}, handle)
    radeval = json.loads(subprocess.run(
        [str(args.radeval_python), str(HERE / "_radeval_worker.py"), handle.name,
         str(args.repeat)], check=True, capture_output=True, text=True).stdout)
    Path(handle.name).unlink()

    rows = []
    ours = {
        "bleu (13a, BLEU-1..4 + per-sample)": best_of(args.repeat, BLEU, pairs.predictions,
                                                       pairs.references),
        "bleu (tokenize=none, as RadEval)": best_of(args.repeat, BLEU, pairs.predictions,
                                                     pairs.references, tokenize="none"),
        "rouge (use_stemmer=True, as RadEval)": best_of(args.repeat, ROUGE, pairs.predictions,
                                                         pairs.references, use_stemmer=True),
        "rouge (default, no stemming)": best_of(args.repeat, ROUGE, pairs.predictions,
                                                 pairs.references),
    }
    for label, (seconds, scores) in ours.items():
        kind = label.split()[0]
        theirs = radeval[kind]["seconds"]
        rows.append((label, seconds, theirs, theirs / seconds, scores, radeval[kind]["scores"]))
    print(f"{len(pairs)} pairs from {pairs.source}; best of {args.repeat}")
    print(f"{'radprompt':40} {'s':>7} {'s/10k':>7} {'RadEval s':>10} {'speed-up':>9}")
    for label, seconds, theirs, ratio, _, _ in rows:
        per_10k = seconds * 10_000 / len(pairs)
        print(f"{label:40} {seconds:7.2f} {per_10k:7.2f} {theirs:10.2f} {ratio:8.1f}x")
    print("\nscores (radprompt | RadEval):")
    for label, _, _, _, scores, theirs in rows:
        mine = ", ".join(f"{k}={v:.4f}" for k, v in scores.items())
        print(f"  {label}: {mine} | {json.dumps(theirs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
