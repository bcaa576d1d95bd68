"""How many RadJudge ranking tests each metric reproduces.

Scores every candidate of the 30 RadJudge tests (../shared/data/radjudge, or --cases) against
its ground truth with each metric and counts the tests whose expected ranking ("C1 > C2",
"C1 = C2", chains) the metric's per-sample score reproduces.

    .venv/bin/python benchmarks/radjudge_agreement.py [--metrics ranscore,clinical,bleu,...]
        [--tolerance 1e-6] [--judge-model M --api-base URL] [--details]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from radprompt.radjudge import rank_agreement, read_radjudge


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=None)
    parser.add_argument("--metrics", default="ranscore,clinical,bleu,rouge,meteor,bertscore")
    parser.add_argument("--tolerance", type=float, default=1e-6,
                        help="'=' holds within it; '>' needs more than it")
    parser.add_argument("--extractor", default="rules")
    parser.add_argument("--judge-model", default=None)
    parser.add_argument("--api-base", default=None)
    parser.add_argument("--details", action="store_true", help="print every test's scores")
    args = parser.parse_args()
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    options = {}
    if args.judge_model:
        metrics.append("judge")
        options["judge"] = {"model": args.judge_model, "api_base": args.api_base}
    tests = read_radjudge(args.cases)
    agreement = rank_agreement(tests, metrics=metrics, extractor=args.extractor,
                               metric_options=options, tolerance=args.tolerance)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.max_rows", 500, "display.max_colwidth", 60):
        print(f"{len(tests)} RadJudge tests, tolerance {args.tolerance:g}\n")
        print(agreement.summary.to_string())
        print()
        print(agreement.by_category.T.to_string())
        if args.details:
            print()
            print(agreement.details.drop(columns=["category"]).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
