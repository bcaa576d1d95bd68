"""The bundle folder format: files plus a hashed ``bundle.json``; writing and verification.

``bundle.json`` lists every other file's sha256; its ``content_hash`` is the sha256 of its own
canonical JSON without that field, so it covers every byte of the bundle. ``verify_bundle``
refuses a bundle whose files were changed, added or removed, or whose manifest was edited.
What goes into a bundle is ``radprompt.export``'s business.

Example::

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "b"
    >>> bundle = write_bundle(folder, files={"a.txt": "hello"}, manifest={"kind": "demo"})
    >>> verify_bundle(folder).content_hash == bundle.content_hash
    True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, RadpromptError

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST",
    "Bundle",
    "BundleError",
    "content_hash",
    "load_bundle",
    "verify_bundle",
    "write_bundle",
]

BUNDLE_FORMAT = 1
MANIFEST = "bundle.json"


class BundleError(RadpromptError):
    """A bundle that cannot be written, or that fails verification."""


@dataclass(frozen=True)
class Bundle:
    """A verified bundle folder and its manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def content_hash(self) -> str:
        return str(self.manifest["content_hash"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def review(self) -> str:
        return str(self.manifest["review"])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(manifest: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the manifest without its hash; the manifest lists
    every file's sha256, so the hash covers every byte of the bundle."""
    return _sha256(_canonical({k: v for k, v in manifest.items() if k != "content_hash"}))


def write_bundle(output: str | Path, *, files: dict[str, str | bytes],
                 manifest: dict[str, Any]) -> Bundle:
    """Write ``files`` and a hashed ``bundle.json`` into a new (or empty) folder ``output``."""
    folder = Path(output)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BundleError(f"{folder}: exists and is not an empty folder; bundles are never "
                          "overwritten (choose a new --output)")
    if MANIFEST in files:
        raise BundleError(f"{MANIFEST} is the bundle's own manifest")
    folder.mkdir(parents=True, exist_ok=True)
    listing: dict[str, str] = {}
    for name, content in sorted(files.items()):
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        listing[name] = _sha256(data)
    full = {"bundle_format": BUNDLE_FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **manifest, "files": listing}
    full["content_hash"] = content_hash(full)
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return Bundle(path=folder, manifest=full)


def verify_bundle(path: str | Path) -> Bundle:
    """Recompute every file's sha256 and the content hash; raise ``BundleError`` on any change."""
    folder = Path(path)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise InputError(folder, f"not a bundle (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{manifest_path}: not valid JSON ({exc}); "
                          "the bundle was altered") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BundleError(f"{manifest_path}: no file listing; the bundle was altered")
    problems: list[str] = []
    listed: dict[str, str] = manifest["files"]
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    present.discard(MANIFEST)
    for name in sorted(present - set(listed)):
        problems.append(f"{name}: not part of the bundle (added)")
    for name, digest in sorted(listed.items()):
        if name not in present:
            problems.append(f"{name}: missing")
        elif _sha256((folder / name).read_bytes()) != digest:
            problems.append(f"{name}: content changed")
    if manifest.get("content_hash") != content_hash(manifest):
        problems.append(f"{MANIFEST}: content hash does not match its content")
    if problems:
        raise BundleError(f"bundle {folder} fails verification: " + "; ".join(problems))
    return Bundle(path=folder, manifest=manifest)


def load_bundle(path: str | Path) -> Bundle:
    """A verified bundle (``verify_bundle``); only verified bundles are ever used."""
    return verify_bundle(path)
