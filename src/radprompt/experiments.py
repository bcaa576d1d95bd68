"""Experiments: a labelset plus train / dev / test data, described in ``experiments/*.yaml``.

Two shapes are accepted::

    # three labelled files (paths relative to experiments/)
    name: demo
    labelset: chestxray21
    splits: {train: demo/train.jsonl, dev: demo/dev.jsonl, test: demo/test.jsonl}

    # one report file and one reference file, split by a test-id list and a seeded dev share
    name: iu-negbio
    labelset: chestxray21
    data_root: shared          # paths relative to ../shared/data (or "experiments")
    reports: iu-openi/indiana_reports.csv
    references: iu-openi/openi_gld_std14.csv
    test_ids: iu-openi/openi-testset.txt
    dev_fraction: 0.25
    seed: 13
    target: negbio             # the name of the gold the run is tuned to
    guards:                    # independent gold for the same reports: scored, never chosen on
      mesh: iu-openi/indiana_reports.csv

A guard is one file holding references for (some of) the experiment's reports, or a mapping
``{train: ..., dev: ..., test: ...}`` of files; it covers only the labels its mapping reaches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, RowError
from radprompt.labelset import LabelSet, load_labelset, read_yaml
from radprompt.reports import Dataset, read_dataset
from radprompt.resources import find_resource, shared_data_dir

__all__ = ["SPLITS", "Experiment", "load_experiment"]

SPLITS = ("train", "dev", "test")
_KEYS = {"name", "labelset", "description", "synthetic", "splits", "data_root", "reports",
         "references", "test_ids", "dev_fraction", "seed", "target", "guards"}


@dataclass
class Experiment:
    name: str
    labelset: LabelSet
    splits: dict[str, Dataset]
    source: Path
    synthetic: bool = False
    """Marked ``synthetic: true``: no patient text, safe to copy into exports."""
    target: str = "target"
    """The name of the gold the experiment's references are (``negbio``, ``mesh`` ...)."""
    guards: dict[str, dict[str, Dataset]] = field(default_factory=dict)
    """Independent gold for the same reports, by name then split; never used to choose."""

    def split(self, name: str) -> Dataset:
        return self.splits[name]

    def guard_splits(self, split: str) -> dict[str, Dataset]:
        """Each guard reference restricted to the reports of ``split``."""
        return {name: splits[split] for name, splits in self.guards.items() if split in splits}

    @property
    def problems(self) -> list[tuple[str, RowError]]:
        """Rows of the split files that could not be used, with their split."""
        return [(split, problem) for split, data in self.splits.items()
                for problem in data.problems]

    def check_usable(self) -> None:
        """Raise ``InputError`` when a split has no reports or no reference labels."""
        for split in SPLITS:
            data = self.splits[split]
            if not data.reports:
                raise InputError(data.path, f"the {split} split of experiment {self.name!r} "
                                 "has no usable reports", where=split)
            if not data.references:
                raise InputError(data.path, f"the {split} split of experiment {self.name!r} "
                                 "has no reference labels to score against", where=split)


def load_experiment(name_or_path: str | Path, *, labelset: LabelSet | None = None) -> Experiment:
    """Load an experiment by name (``demo``) or path; ``labelset`` overrides the configured one."""
    path = find_resource("experiments", name_or_path, suffix=".yaml")
    config = read_yaml(path)
    if not isinstance(config, dict):
        raise InputError(path, "an experiment is a YAML mapping")
    unknown = set(config) - _KEYS
    if unknown:
        raise InputError(path, f"unknown key(s) {sorted(unknown)}")
    labels = labelset or load_labelset(config.get("labelset", "chestxray21"))
    if "splits" in config:
        splits = {
            split: read_dataset(path.parent / str(config["splits"][split]), labelset=labels)
            for split in SPLITS
            if split in config["splits"]
        }
        missing = [s for s in SPLITS if s not in splits]
        if missing:
            raise InputError(path, f"splits {missing} are missing", where="splits")
    else:
        splits = _split_one_corpus(path, config, labels)
    return Experiment(name=str(config.get("name", path.stem)), labelset=labels, splits=splits,
                      source=path, synthetic=config.get("synthetic") is True,
                      target=str(config.get("target", "target")),
                      guards=_guards(path, config, labels, splits))


def _guards(path: Path, config: dict[str, Any], labelset: LabelSet,
            splits: dict[str, Dataset]) -> dict[str, dict[str, Dataset]]:
    """Each guard reference, split like the experiment (by report id)."""
    section = config.get("guards") or {}
    if not isinstance(section, dict):
        raise InputError(path, "'guards' maps a name to a reference file", where="guards")
    root = _data_root(path, config) if "splits" not in config else path.parent
    guards: dict[str, dict[str, Dataset]] = {}
    for name, where in section.items():
        if name == config.get("target", "target"):
            raise InputError(path, f"guard {name!r} is the target itself", where="guards")
        files = where if isinstance(where, dict) else dict.fromkeys(SPLITS, where)
        read: dict[str, Dataset] = {}
        guards[str(name)] = {}
        for split, data in splits.items():
            file = files.get(split)
            if file is None:
                continue
            if file not in read:
                read[file] = read_dataset(root / str(file), labelset=labelset,
                                          require_text=False)
            reference = read[file]
            if not any(r.id in reference.references for r in data.reports):
                continue  # this guard has no gold for the split's reports
            guards[str(name)][split] = Dataset(
                path=reference.path, reports=data.reports,
                references={r.id: reference.references[r.id] for r in data.reports
                            if r.id in reference.references},
                covered_labels=reference.covered_labels, uncertain_as=reference.uncertain_as)
    return guards


def _data_root(path: Path, config: dict[str, Any]) -> Path:
    root = config.get("data_root", "experiments")
    if root == "shared":
        shared = shared_data_dir()
        if shared is None:
            raise InputError(path, "this experiment needs ../shared/data, which is not here",
                             where="data_root")
        return shared
    if root == "experiments":
        return path.parent
    return Path(root)


def _split_one_corpus(path: Path, config: dict[str, Any], labelset: LabelSet) -> dict[str, Dataset]:
    for key in ("reports", "references", "test_ids"):
        if key not in config:
            raise InputError(path, f"missing key {key!r} (or give 'splits')")
    root = _data_root(path, config)
    reports = read_dataset(root / config["reports"], labelset=labelset)
    references = read_dataset(root / config["references"], labelset=labelset, require_text=False)
    test_ids = set((root / config["test_ids"]).read_text(encoding="utf-8").split())
    rest = sorted(r.id for r in reports.reports if r.id not in test_ids)
    random.Random(int(config.get("seed", 0))).shuffle(rest)
    n_dev = round(len(rest) * float(config.get("dev_fraction", 0.2)))
    members = {"test": test_ids, "dev": set(rest[:n_dev]), "train": set(rest[n_dev:])}
    splits = {}
    assigned = set().union(*members.values())
    # rows no split holds (empty ids, bad reference rows) are listed with the train split
    unassigned = [p for p in reports.problems if p.report_id not in assigned]
    seen = {str(p) for p in unassigned}
    unassigned += [p for p in references.problems if str(p) not in seen]
    for split, ids in members.items():
        chosen = [r for r in reports.reports if r.id in ids and r.id in references.references]
        splits[split] = Dataset(
            path=reports.path,
            reports=chosen,
            references={r.id: references.references[r.id] for r in chosen},
            covered_labels=references.covered_labels,
            uncertain_as=references.uncertain_as,
            problems=[p for p in reports.problems if p.report_id in ids]
            + (unassigned if split == "train" else []),
        )
    return {split: splits[split] for split in SPLITS}
