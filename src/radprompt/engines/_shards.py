"""Findings in shards beside the output: ``OUTPUT.shards/part-00000.jsonl`` (or ``.parquet``)
and ``manifest.json``, so that a distributed run resumes shard by shard.

A shard is a fixed run of consecutive reports; its ``key`` is the sha256 of its report ids and
texts, so a shard whose reports changed is extracted again. Each shard file holds one record per
report in input order, in the journal's format (``radprompt.journal``): the findings, or
``{"id", "failed", "raw_output"}``. A Parquet shard has the columns of ``radprompt.parquet``'s
findings table (``id``, a state per label, ``record``). Files and the manifest are written to a
temporary name and renamed, so a killed run never leaves half a shard that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from radprompt.engines._records import is_failure_record
from radprompt.errors import InputError
from radprompt.labelset import LabelSet
from radprompt.reports import Report

__all__ = ["SHARD_FORMATS", "Manifest", "ShardEntry", "ShardStore", "shard_key"]

SHARD_FORMATS = ("jsonl", "parquet")
FORMAT_VERSION = 1


def shard_key(reports: Sequence[Report]) -> str:
    """The sha256 of a shard's report ids and texts."""
    digest = hashlib.sha256()
    for report in reports:
        digest.update(json.dumps([report.id, report.text], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class ShardEntry:
    file: str
    key: str
    reports: int
    failed: int


@dataclass(frozen=True)
class Manifest:
    """What the shard folder holds; ``shards`` by shard index (as text, for JSON)."""

    fingerprint: str
    input: str
    format: str
    shard_size: int
    shards: dict[str, ShardEntry] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        shards = {index: ShardEntry(**entry) for index, entry in data.pop("shards").items()}
        return cls(shards=shards, **data)


class ShardStore:
    """The shard folder of one output. ``fingerprint`` and ``input`` are the journal's (see
    ``pipeline.extractor_fingerprint``); a folder written under others is refused."""

    def __init__(self, *, folder: str | Path, fingerprint: str, input: str, shard_size: int,
                 labelset: LabelSet, format: str = "jsonl") -> None:
        if format not in SHARD_FORMATS:
            raise ValueError(f"unknown shard format {format!r}; known: {', '.join(SHARD_FORMATS)}")
        self.folder = Path(folder)
        self.labelset = labelset
        self.manifest = Manifest(fingerprint=fingerprint, input=input, format=format,
                                 shard_size=shard_size)

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def open(self) -> None:
        """Read the manifest of an earlier run, refusing one of another configuration."""
        if not self.manifest_path.is_file():
            return
        earlier = Manifest.from_json(self.manifest_path.read_text(encoding="utf-8"))
        current = self.manifest
        for name in ("fingerprint", "input", "format", "shard_size"):
            if getattr(earlier, name) != getattr(current, name):
                raise InputError(self.folder, f"these shards were written with another {name} "
                                 f"({getattr(earlier, name)!r}); delete the folder or start "
                                 "over (--restart)")
        self.manifest = earlier

    def discard(self) -> None:
        """Delete the shards and manifest of an earlier run (``--restart``)."""
        for path in (*self.folder.glob("part-*"), self.manifest_path):
            path.unlink(missing_ok=True)

    def read(self, index: int, key: str) -> list[str] | None:
        """The records of shard ``index`` when it finished, without failures, from the same
        reports; otherwise ``None`` (it is extracted again)."""
        entry = self.manifest.shards.get(str(index))
        path = self.folder / entry.file if entry else None
        if entry is None or path is None or entry.key != key or entry.failed or not path.is_file():
            return None
        if self.manifest.format == "parquet":
            from radprompt.parquet import table_rows

            records = [row["record"] for row in table_rows(path)]
        else:
            # split on "\n" only: a record keeps U+2028 and other line breaks of its text
            records = path.read_text(encoding="utf-8").split("\n")[:-1]
        return records if len(records) == entry.reports else None

    def write(self, index: int, key: str, records: Sequence[str]) -> None:
        """Store shard ``index`` (its records in input order) and record it in the manifest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{index:05d}.{self.manifest.format}"
        temporary = self.folder / f".{name}.tmp"
        if self.manifest.format == "parquet":
            self._write_parquet(temporary, records)
        else:
            temporary.write_text("".join(record + "\n" for record in records), encoding="utf-8")
        os.replace(temporary, self.folder / name)
        failed = sum(1 for record in records if is_failure_record(record))
        self.manifest.shards[str(index)] = ShardEntry(file=name, key=key, reports=len(records),
                                                      failed=failed)
        temporary = self.manifest_path.with_name(".manifest.json.tmp")
        temporary.write_text(self.manifest.to_json(), encoding="utf-8")
        os.replace(temporary, self.manifest_path)

    def _write_parquet(self, path: Path, records: Sequence[str]) -> None:
        from radprompt.parquet import write_rows

        parsed = [json.loads(record) for record in records]
        columns: dict[str, list[Any]] = {"id": [str(item["id"]) for item in parsed]}
        for label in self.labelset.labels:
            columns[label.id] = [None if "failed" in item else
                                 (item["findings"].get(label.id) or {}).get("state",
                                                                            "not_mentioned")
                                 for item in parsed]
        columns["record"] = list(records)
        write_rows(path, columns)
