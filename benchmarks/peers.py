"""radprompt's rule engine beside negspacy and medspaCy ConText: same vocabulary, same scoring.

All three systems read the IU / Open-i reports (``../shared/data/iu-openi/indiana_reports.csv``)
with the phrases and cues of one labelset; only the reading differs (see
``benchmarks/_peers_worker.py``). Each runs as a whole process pinned to one core
(``taskset -c 0``): ``radprompt extract`` from the project's venv, the peers from their own venv
(``benchmarks/setup-peers.sh``), interleaved round by round so that all three meet the same load.
The figure is CPU seconds of the child (``getrusage``), process start, imports, reading and
writing included; wall seconds are reported beside it. Every output is scored with
``radprompt.scoring.score`` against the NegBio gold (``openi_gld_std14.csv``, hedged findings
negative, as ``radprompt score --uncertain-as negative``) and the MeSH gold (the IU reader's
labels), with a paired bootstrap over reports of the macro-F1 difference radprompt minus each peer.

    benchmarks/setup-peers.sh
    .venv/bin/python benchmarks/peers.py [--repeat 3] [--bootstrap 2000] [--out out/peers]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radprompt.evaluation.resampling import bootstrap, confidence_interval, paired_bootstrap_p
from radprompt.findings import Findings
from radprompt.labelset import LabelSet, UncertaintyPolicy, load_labelset
from radprompt.metrics.base import MetricResult
from radprompt.reports import read_dataset
from radprompt.resources import shared_data_dir
from radprompt.scoring import ScoreReport, score

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMS = ("radprompt", "negspacy", "medspacy")
PEERS = SYSTEMS[1:]
ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@dataclass(frozen=True)
class Gold:
    name: str
    references: dict[str, Findings]
    labels: tuple[str, ...]
    uncertain_as: UncertaintyPolicy | None


def commands(args: argparse.Namespace, out: Path) -> dict[str, list[str]]:
    pin = ["taskset", "-c", str(args.cpu)] if args.cpu >= 0 else []
    radprompt = str(Path(sys.executable).with_name("radprompt"))
    found = {"radprompt": [*pin, radprompt, "extract", "--extractor", "rules", "--labelset",
                           args.labelset, "--input", str(args.reports), "--output",
                           str(out / "radprompt.jsonl"), "--restart"]}
    for peer in PEERS:
        found[peer] = [*pin, str(args.peers_python), str(HERE / "_peers_worker.py"), "--system",
                       peer, "--labelset", args.labelset, "--input", str(args.reports),
                       "--output", str(out / f"{peer}.jsonl")]
        if peer == "medspacy":
            found[peer] += ["--scope", args.medspacy_scope]
    return {system: found[system] for system in args.systems}


def run_once(command: list[str], *, log: Path) -> dict[str, float]:
    """Run one whole process; its CPU seconds (user + system) from getrusage of the children."""
    env = {**os.environ, **ENV}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        completed = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # radprompt extract exits 1 when some rows are unusable (empty IU reports): still a result
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed with exit code {completed.returncode}; "
                         f"see {log}")
    return {"cpu_s": cpu, "wall_s": wall, "exit_code": completed.returncode}


def time_systems(runs: dict[str, list[str]], *, rounds: int, warmup: int, logs: Path
                 ) -> dict[str, list[dict[str, float]]]:
    """``warmup`` untimed rounds, then ``rounds`` timed ones; each round runs every system once,
    starting one later each round, so that slow phases of the machine hit all of them."""
    timed: dict[str, list[dict[str, float]]] = {system: [] for system in runs}
    order = list(runs)
    for index in range(warmup + rounds):
        for system in order[index % len(order):] + order[:index % len(order)]:
            figures = run_once(runs[system], log=logs / f"{system}.{index}.log")
            if index >= warmup:
                timed[system].append(figures)
            sys.stderr.write(f"round {index + 1 - warmup}{' (warm-up)' if index < warmup else ''}"
                             f" {system}: {figures['cpu_s']:.2f} CPU s, "
                             f"{figures['wall_s']:.2f} s\n")
    return timed


def throughput(runs: list[dict[str, float]], n_reports: int) -> dict[str, Any]:
    cpu = [run["cpu_s"] for run in runs]
    wall = [run["wall_s"] for run in runs]
    return {
        "reports": n_reports, "runs": runs,
        "cpu_s_min": min(cpu), "cpu_s_median": statistics.median(cpu),
        "wall_s_min": min(wall), "wall_s_median": statistics.median(wall),
        "reports_per_cpu_s": n_reports / min(cpu),
        "reports_per_cpu_s_median": n_reports / statistics.median(cpu),
        "reports_per_wall_s": n_reports / min(wall),
        "reports_per_wall_s_median": n_reports / statistics.median(wall),
    }


def read_golds(args: argparse.Namespace, labelset: LabelSet) -> list[Gold]:
    negbio = read_dataset(args.negbio, labelset=labelset, format="negbio", require_text=False)
    mesh = read_dataset(args.reports, labelset=labelset, format="iu")
    policy = {"label": None, **{p.value: p for p in UncertaintyPolicy}}
    return [
        Gold("NegBio", negbio.references, negbio.covered_labels or tuple(labelset.ids),
             {**policy, "gold": negbio.uncertain_as}[args.negbio_uncertain_as]),
        Gold("MeSH", mesh.references, mesh.covered_labels or tuple(labelset.ids),
             {**policy, "gold": mesh.uncertain_as}[args.mesh_uncertain_as]),
    ]


def confusion_statistics(predictions: dict[str, Findings], gold: Gold, report: ScoreReport,
                         labelset: LabelSet) -> np.ndarray:
    """``(n, 4 L)``: per report, the tp / fp / fn / tn indicators of every scored label, counted
    as ``radprompt.scoring.score`` counts them (checked against its totals)."""
    ids = list(gold.references)
    empty = Findings(report_id="")
    counts = np.zeros((len(ids), 4, len(report.labels)))
    for j, scored in enumerate(report.labels):
        policy = gold.uncertain_as or labelset.get(scored.label_id).uncertainty_policy
        truth = np.array([gold.references[i].is_positive(scored.label_id, policy) for i in ids])
        guess = np.array([predictions.get(i, empty).is_positive(scored.label_id, policy)
                          for i in ids])
        for k, indicator in enumerate((truth & guess, guess & ~truth, truth & ~guess,
                                       ~truth & ~guess)):
            counts[:, k, j] = indicator
        expected = (scored.tp, scored.fp, scored.fn, scored.tn)
        if tuple(int(c) for c in counts[:, :, j].sum(axis=0)) != expected:
            raise AssertionError(f"{scored.label_id}: counts differ from radprompt.scoring")
    return counts.reshape(len(ids), -1)


def macro_f1(summed: np.ndarray) -> dict[str, np.ndarray]:
    """Ran Score's macro-F1 from summed tp / fp / fn / tn indicators (``zero_division=0``)."""
    counts = summed.reshape(*summed.shape[:-1], 4, -1)
    tp, fp, fn = counts[..., 0, :], counts[..., 1, :], counts[..., 2, :]
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp, dtype=float),
                   where=denominator > 0)
    return {"macro_f1": f1.mean(-1)}


def score_gold(gold: Gold, findings: dict[str, dict[str, Findings]], labelset: LabelSet, *,
               n_resamples: int, seed: int) -> dict[str, Any]:
    reports, results = {}, {}
    for system, predicted in findings.items():
        report = score(predictions=predicted, references=gold.references, labelset=labelset,
                       labels=gold.labels, uncertain_as=gold.uncertain_as)
        stats = confusion_statistics(predicted, gold, report, labelset)
        if abs(float(macro_f1(stats.sum(axis=0))["macro_f1"]) - report.macro_f1) > 1e-12:
            raise AssertionError(f"{system}: macro-F1 differs from radprompt.scoring")
        reports[system] = report
        results[system] = MetricResult(metric="macro_f1", scores={"macro_f1": report.macro_f1},
                                       primary="macro_f1", per_sample={}, statistics=stats,
                                       reduce=macro_f1)
    draws = bootstrap(results, n_resamples=n_resamples, seed=seed)
    differences = {}
    if "radprompt" in findings:
        for peer in (system for system in findings if system != "radprompt"):
            delta = draws["radprompt"]["macro_f1"] - draws[peer]["macro_f1"]
            low, high = confidence_interval(delta)
            differences[peer] = {
                "delta": reports["radprompt"].macro_f1 - reports[peer].macro_f1,
                "ci95": [low, high],
                "p": paired_bootstrap_p(draws["radprompt"]["macro_f1"], draws[peer]["macro_f1"]),
            }
    return {
        "uncertain_as": gold.uncertain_as.value if gold.uncertain_as else "label policy",
        "labels": list(gold.labels),
        "systems": {system: report.to_json() for system, report in reports.items()},
        "radprompt_minus": differences,
    }


def render(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    timing = result["timing"]
    load = result["config"]["load_average_1min"]
    table = Table(title=f"whole process, one core ({result['config']['rounds']} rounds, "
                  f"min / median; load average {load[0]:.1f} before, {load[1]:.1f} after)")
    for column in ("system", "reports", "CPU s", "wall s", "reports / CPU s",
                   "reports / wall s"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system, t in timing.items():
        table.add_row(system, str(t["reports"]), f"{t['cpu_s_min']:.2f} / {t['cpu_s_median']:.2f}",
                      f"{t['wall_s_min']:.2f} / {t['wall_s_median']:.2f}",
                      f"{t['reports_per_cpu_s']:,.0f} / {t['reports_per_cpu_s_median']:,.0f}",
                      f"{t['reports_per_wall_s']:,.0f} / {t['reports_per_wall_s_median']:,.0f}")
    console.print(table)
    for peer, ratio in result["speed_ratio_radprompt_over"].items():
        median = result["speed_ratio_radprompt_over_median"][peer]
        console.print(f"radprompt / {peer}: {ratio:.2f}x reports per CPU second by the fastest "
                      f"round, {median:.2f}x by the median round")
    for name, gold in result["golds"].items():
        systems = gold["systems"]
        table = Table(title=f"{name} gold (uncertain as {gold['uncertain_as']}): F1")
        table.add_column("label")
        for system in systems:
            table.add_column(system, justify="right")
        first = next(iter(systems.values()))
        for j, label in enumerate(first["labels"]):
            table.add_row(label["name"], *(f"{s['labels'][j]['f1']:.3f}" for s in systems.values()))
        table.add_row("[bold]macro-F1[/]", *(f"[bold]{s['macro_f1']:.4f}[/]"
                                             for s in systems.values()))
        table.add_row("micro-F1", *(f"{s['micro_f1']:.4f}" for s in systems.values()))
        supported = [j for j, label in enumerate(first["labels"]) if label["support"] > 0]
        if len(supported) < len(first["labels"]):  # a label the gold never marks positive
            table.add_row(f"macro-F1, the {len(supported)} labels with a gold positive",
                          *(f"{sum(s['labels'][j]['f1'] for j in supported) / len(supported):.4f}"
                            for s in systems.values()))
        console.print(table)
        for peer, d in gold["radprompt_minus"].items():
            floor = 1 / result["config"]["bootstrap"]
            p = f"p < {floor:.4f}" if d["p"] < floor else f"p = {d['p']:.4f}"
            console.print(f"{name}: radprompt - {peer} macro-F1 {d['delta']:+.4f}, 95% CI "
                          f"[{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}], {p} (paired bootstrap)")


def provenance(args: argparse.Namespace, labelset: LabelSet, runs: dict[str, list[str]]
               ) -> dict[str, Any]:
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True, check=False).stdout.strip()
    peer_versions = {}
    if set(runs) & set(PEERS):
        peer_versions = json.loads(subprocess.run(
            [str(args.peers_python), str(HERE / "_peers_worker.py"), "--versions"],
            capture_output=True, text=True, check=True).stdout)
    engine = hashlib.sha256()
    for path in sorted((ROOT / "src" / "radprompt" / "extractors").glob("*.py")):
        engine.update(path.read_bytes())
    return {
        "labelset": labelset.name, "labelset_version": labelset.version,
        "rule_engine_sha256": engine.hexdigest()[:16],
        "labelset_sha256": hashlib.sha256(labelset.model_dump_json().encode()).hexdigest()[:16],
        "git_commit": git, "git_dirty": bool(dirty), "python": platform.python_version(),
        "peer_versions": peer_versions, "reports_file": str(args.reports),
        "negbio_file": str(args.negbio), "cpu": args.cpu, "rounds": args.repeat,
        "warmup": args.warmup, "bootstrap": args.bootstrap, "seed": args.seed,
        "medspacy_scope": args.medspacy_scope,
        "commands": {system: " ".join(command) for system, command in runs.items()},
    }


def parse_args() -> argparse.Namespace:
    data = (shared_data_dir() or ROOT.parent / "shared" / "data") / "iu-openi"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labelset", default="chestxray21")
    parser.add_argument("--reports", type=Path, default=data / "indiana_reports.csv")
    parser.add_argument("--negbio", type=Path, default=data / "openi_gld_std14.csv")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help=f"comma-separated, of {', '.join(SYSTEMS)}")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to; -1: no pinning")
    parser.add_argument("--bootstrap", type=int, default=2000, help="paired resamples")
    parser.add_argument("--seed", type=int, default=13)
    uncertain_as = ["gold", "positive", "negative", "label"]
    parser.add_argument("--uncertain-as-negbio", dest="negbio_uncertain_as", default="gold",
                        choices=uncertain_as, help="gold: as the gold's mapping says (negative)")
    parser.add_argument("--uncertain-as-mesh", dest="mesh_uncertain_as", default="gold",
                        choices=uncertain_as, help="gold: as the gold's mapping says (negative); "
                        "label: each label's policy")
    parser.add_argument("--medspacy-scope", default="sentence", choices=["sentence", "labelset"],
                        help="how far a ConText cue reaches: its sentence (medspaCy's default) "
                        "or the labelset's scope_tokens")
    parser.add_argument("--peers-python", type=Path,
                        default=HERE / ".venv-peers" / "bin" / "python")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "peers")
    args = parser.parse_args()
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(SYSTEMS))
    if unknown or args.repeat < 1:
        parser.error(f"unknown system(s) {unknown}; known: {', '.join(SYSTEMS)}" if unknown
                     else "--repeat must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    if set(args.systems) & set(PEERS) and not args.peers_python.exists():
        sys.stderr.write(f"no peers venv at {args.peers_python}; run benchmarks/setup-peers.sh "
                         "first\n")
        return 2
    if "radprompt" in args.systems and not Path(sys.executable).with_name("radprompt").exists():
        sys.stderr.write("run this with the project's venv (.venv/bin/python), which has the "
                         "radprompt command\n")
        return 2
    if args.cpu >= 0 and shutil.which("taskset") is None:
        sys.stderr.write("taskset is not installed (util-linux); give --cpu -1 to run unpinned\n")
        return 2
    for path in (args.reports, args.negbio):
        if not path.is_file():
            sys.stderr.write(f"{path} not found (the IU / Open-i data of ../shared/data)\n")
            return 2
    labelset = load_labelset(args.labelset)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "logs").mkdir(exist_ok=True)
    runs = commands(args, args.out)
    result: dict[str, Any] = {"config": provenance(args, labelset, runs)}
    load = os.getloadavg()[0]
    timed = time_systems(runs, rounds=args.repeat, warmup=args.warmup, logs=args.out / "logs")
    # CPU seconds swell too on a busy machine (shared caches and cores): say how busy it was
    result["config"]["load_average_1min"] = [load, os.getloadavg()[0]]
    findings = {system: read_dataset(args.out / f"{system}.jsonl", labelset=labelset,
                                     require_text=False).references for system in runs}
    result["timing"] = {system: throughput(timed[system], len(findings[system]))
                        for system in runs}
    for suffix, key in (("", "reports_per_cpu_s"), ("_median", "reports_per_cpu_s_median")):
        base = result["timing"].get("radprompt", {}).get(key)
        result[f"speed_ratio_radprompt_over{suffix}"] = {
            peer: base / result["timing"][peer][key]
            for peer in runs if peer != "radprompt" and base}
    result["golds"] = {gold.name: score_gold(gold, findings, labelset, n_resamples=args.bootstrap,
                                             seed=args.seed)
                       for gold in read_golds(args, labelset)}
    path = args.out / "peers.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    render(result)
    print(f"every figure: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
