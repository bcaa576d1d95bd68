"""Agreement of metrics with radiologists' ratings of generated reports.

Two layouts are read: RadPref's (a folder or its ``preference_data.json``: per case the
reference, candidates ``C1`` / ``C2`` and the patient's age, sex and indication, with
``radiologist_annotations/user_*.json`` holding each rater's 1-5 rating per candidate) and a
plain CSV of ``id, system, rating`` (optionally ``rater``; one row per rating), whose texts come
from ``radprompt evaluate``'s references and generated reports.

Per metric: *pairwise agreement*, the share of (case, two systems) pairs whose mean ratings
differ in which the metric scores the better-rated report higher (a metric tie is not
agreement, and is counted in ``ties``); a percentile bootstrap interval over cases; and
Kendall's tau-b between the metric's score and the mean rating over all rated reports.

Example::

    >>> prefs = HumanPreferences(
    ...     ratings={("1", "a"): (5.0,), ("1", "b"): (2.0,)},
    ...     references={"1": "Left effusion."},
    ...     texts={"a": {"1": "Left effusion."}, "b": {"1": "No effusion."}})
    >>> table = human_agreement(prefs, scores={"m": {("1", "a"): 1.0, ("1", "b"): 0.0}})
    >>> float(table.loc["m", "agreement"])
    1.0
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.errors import InputError
from radprompt.evaluation.plots import plot_human_agreement
from radprompt.metrics import build_metric
from radprompt.metrics import metric_options as options_of
from radprompt.metrics._findings import CachingExtractor, resolve_extractor, resolve_labelset

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HumanAgreement", "HumanPreferences", "evaluate_human_agreement", "human_agreement",
           "metric_scores", "pairwise_items", "read_human_preferences"]

Item = tuple[str, str]
"""(case id, system)."""


@dataclass(frozen=True)
class HumanPreferences:
    """Ratings per (case id, system); texts and patient context where the file holds them."""

    ratings: Mapping[Item, tuple[float, ...]]
    references: Mapping[str, str] | None = None
    texts: Mapping[str, Mapping[str, str]] | None = None
    """Per system, case id -> the rated report."""
    contexts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(case for case, _ in self.ratings))

    @property
    def systems(self) -> list[str]:
        return list(dict.fromkeys(system for _, system in self.ratings))

    def mean_rating(self, item: Item) -> float:
        values = self.ratings[item]
        return sum(values) / len(values)

    def with_texts(self, *, references: Mapping[str, str],
                   texts: Mapping[str, Mapping[str, str]]) -> HumanPreferences:
        return HumanPreferences(ratings=self.ratings, references=references, texts=texts,
                                contexts=self.contexts)


def read_human_preferences(path: str | Path) -> HumanPreferences:
    """Read RadPref (a folder or its ``preference_data.json``) or a CSV of id, system, rating."""
    path = Path(path)
    if path.is_dir():
        path = path / "preference_data.json"
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix.lower() == ".json":
        return _read_radpref(path)
    if path.suffix.lower() in (".csv", ".tsv"):
        return _read_csv(path)
    raise InputError(path, "human preferences are RadPref's preference_data.json (or its "
                     "folder) or a .csv of id, system, rating")


def _read_radpref(path: Path) -> HumanPreferences:
    try:
        cases = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", where=f"line {exc.lineno}") from exc
    if not isinstance(cases, list):
        raise InputError(path, "expected a list of cases (RadPref's preference_data.json)")
    raters = sorted((path.parent / "radiologist_annotations").glob("*.json"))
    if not raters:
        raise InputError(path, "no radiologist_annotations/*.json beside it")
    annotations = [json.loads(p.read_text(encoding="utf-8")).get("annotations", {})
                   for p in raters]
    references: dict[str, str] = {}
    texts: dict[str, dict[str, str]] = {}
    contexts: dict[str, dict[str, str]] = {}
    ratings: dict[Item, tuple[float, ...]] = {}
    for index, case in enumerate(cases):
        try:
            case_id = str(case["id"])
            references[case_id] = str(case["ground_truth_report"])
            systems = sorted(k[:-len("_report")] for k in case if k.endswith("_report")
                             and k != "ground_truth_report")
        except (KeyError, TypeError) as exc:
            raise InputError(path, f"malformed case: missing {exc}", where=f"case {index}") from exc
        contexts[case_id] = {"age": str(case.get("PatientAge") or ""),
                             "sex": str(case.get("PatientSex") or ""),
                             "indication": str(case.get("Indication") or "")}
        for system in systems:
            texts.setdefault(system, {})[case_id] = str(case[f"{system}_report"])
            given = tuple(float(a[case_id][system]["rating"]) for a in annotations
                          if case_id in a and system in a[case_id]
                          and a[case_id][system].get("rating") is not None)
            if given:
                ratings[(case_id, system)] = given
    return HumanPreferences(ratings=ratings, references=references, texts=texts,
                            contexts=contexts)


def _read_csv(path: Path) -> HumanPreferences:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        missing = {"id", "system", "rating"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(path, f"missing column(s) {sorted(missing)}; a ratings CSV has "
                             "id, system, rating (and optionally rater)", where="header")
        collected: dict[Item, list[float]] = {}
        for row_number, row in enumerate(reader, start=2):
            try:
                rating = float(row["rating"])
            except (TypeError, ValueError):
                raise InputError(path, f"rating {row['rating']!r} is not a number",
                                 where=f"row {row_number}") from None
            collected.setdefault((str(row["id"]), str(row["system"])), []).append(rating)
    if not collected:
        raise InputError(path, "no ratings")
    return HumanPreferences(ratings={item: tuple(v) for item, v in collected.items()})


def pairwise_items(prefs: HumanPreferences) -> list[tuple[str, Item, Item, float]]:
    """(case, better-or-first item, other item, sign of the rating difference) for every two
    systems of a case whose mean ratings differ."""
    by_case: dict[str, list[Item]] = {}
    for item in prefs.ratings:
        by_case.setdefault(item[0], []).append(item)
    pairs = []
    for case, items in by_case.items():
        for a, b in combinations(items, 2):
            difference = prefs.mean_rating(a) - prefs.mean_rating(b)
            if difference != 0:
                pairs.append((case, a, b, 1.0 if difference > 0 else -1.0))
    return pairs


def human_agreement(
    prefs: HumanPreferences,
    *,
    scores: Mapping[str, Mapping[Item, float]],
    higher_is_better: Mapping[str, bool] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Per metric (rows, best first): agreement, its bootstrap interval over cases, pairs,
    ties, Kendall's tau-b with the mean rating and its p-value."""
    import numpy as np
    import pandas as pd
    from scipy.stats import kendalltau

    pairs = pairwise_items(prefs)
    if not pairs:
        raise ValueError("no case has two reports with different mean ratings")
    cases = sorted({case for case, *_ in pairs})
    case_index = {case: i for i, case in enumerate(cases)}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(cases), size=(n_resamples, len(cases)))
    weights = np.stack([np.bincount(row, minlength=len(cases)) for row in draws])
    rows = []
    for metric, values in scores.items():
        sign = 1.0 if (higher_is_better or {}).get(metric, True) else -1.0
        agree = np.zeros(len(cases))
        count = np.zeros(len(cases))
        ties = 0
        for case, a, b, human in pairs:
            delta = sign * (values[a] - values[b])
            tie = not abs(delta) > 1e-12
            ties += tie
            agree[case_index[case]] += float(not tie and np.sign(delta) == human)
            count[case_index[case]] += 1
        boot = (weights @ agree) / np.maximum(weights @ count, 1)
        alpha = (1 - confidence) / 2
        items = [item for item in prefs.ratings if item in values]
        tau, p = kendalltau([sign * values[i] for i in items],
                            [prefs.mean_rating(i) for i in items], variant="b")
        rows.append({"metric": metric, "agreement": agree.sum() / count.sum(),
                     "low": float(np.quantile(boot, alpha)),
                     "high": float(np.quantile(boot, 1 - alpha)),
                     "pairs": int(count.sum()), "ties": ties, "kendall_tau_b": float(tau),
                     "tau_p": float(p)})
    table = pd.DataFrame(rows).set_index("metric").sort_values("agreement", ascending=False)
    table.attrs["cases"] = len(cases)
    return table


def metric_scores(
    prefs: HumanPreferences,
    *,
    metrics: Mapping[str, Any],
    columns: dict[str, dict[Item, float]] | None = None,
) -> tuple[dict[str, dict[Item, float]], dict[str, bool]]:
    """Every rated report scored against its case's reference by each metric object
    (one ``compute`` per metric; patient context passed to metrics that read it): per metric
    its per-report primary score, and whether higher is better. With ``columns``, every
    per-sample score is also put there as ``metric.score`` (what a composite combines)."""
    if prefs.references is None or prefs.texts is None:
        raise ValueError("the ratings carry no texts: give references and generated reports")
    items = [item for item in prefs.ratings
             if item[1] in prefs.texts and item[0] in prefs.texts[item[1]]
             and item[0] in prefs.references]
    predictions = [prefs.texts[system][case] for case, system in items]
    references = [prefs.references[case] for case, _ in items]
    contexts = [prefs.contexts.get(case) for case, _ in items]
    scores: dict[str, dict[Item, float]] = {}
    better: dict[str, bool] = {}
    for name, metric in metrics.items():
        kwargs: dict[str, Any] = {"contexts": contexts} if metric.reads_context else {}
        result = metric.compute(predictions=predictions, references=references, **kwargs)
        if result.higher_is_better is None:
            continue
        better[name] = bool(result.higher_is_better)
        scores[name] = {item: float(v) for item, v in
                        zip(items, result.sample_scores, strict=True)}
        if columns is not None:
            for key, values in result.per_sample.items():
                columns[f"{name}.{key}"] = {item: float(v) for item, v in
                                            zip(items, values, strict=True)}
    return scores, better


@dataclass(frozen=True)
class HumanAgreement:
    """Per-metric agreement (``table``), the scores behind it, and every per-sample column."""

    table: pd.DataFrame
    scores: dict[str, dict[Item, float]]
    columns: dict[str, dict[Item, float]]
    prefs: HumanPreferences

    def write(self, folder: str | Path, *, plot: bool = True) -> list[Path]:
        import pandas as pd

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "human_agreement.csv", folder / "human_scores.csv"]
        self.table.to_csv(written[0])
        items = list(self.prefs.ratings)
        frame = pd.DataFrame({"id": [c for c, _ in items], "system": [s for _, s in items],
                              "mean_rating": [self.prefs.mean_rating(i) for i in items],
                              **{name: [values.get(i, float("nan")) for i in items]
                                 for name, values in self.scores.items()}})
        frame.to_csv(written[1], index=False)
        if plot:
            written.append(plot_human_agreement(self.table, folder / "human_agreement.png"))
        return written


def evaluate_human_agreement(
    prefs: HumanPreferences,
    *,
    metrics: list[str],
    labelset: Any = "chestxray21",
    extractor: Any = "rules",
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> HumanAgreement:
    """Score every rated report with each registered metric and measure its agreement with
    the ratings (see ``human_agreement``)."""
    labels = resolve_labelset(labelset)
    shared: dict[str, Any] = {"labelset": labels}
    if any("extractor" in options_of(name) for name in metrics):
        shared["extractor"] = CachingExtractor(resolve_extractor(extractor, labelset=labels))
    built = {name: build_metric(name, shared=shared, **dict((metric_options or {}).get(name, {})))
             for name in metrics}
    columns: dict[str, dict[Item, float]] = {}
    scores, better = metric_scores(prefs, metrics=built, columns=columns)
    table = human_agreement(prefs, scores=scores, higher_is_better=better,
                            n_resamples=n_resamples, confidence=confidence, seed=seed)
    return HumanAgreement(table=table, scores=scores, columns=columns, prefs=prefs)
