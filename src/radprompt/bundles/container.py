"""The bundle folder format: files plus a hashed, optionally signed ``bundle.json``.

``bundle.json`` lists every other file's sha256; its ``content_hash`` is the sha256 of its own
canonical JSON without that field and the ``signature``, so it covers every byte of the bundle.
Hashes show that nothing changed, but anyone can recompute them: a ``signature`` over the
content hash with a key the user holds (``radprompt.bundles.signing``) shows who wrote it, and
only a bundle whose signature was checked with that key has trusted approvals
(``Bundle.review``; an unsigned or unchecked bundle's "reviewed" reads ``unverified``).
``verify_bundle`` refuses a bundle whose files were changed, added or removed, whose manifest
was edited, that holds a symbolic link or a path outside itself, whose signature does not match
the key given, or whose content hash is not the one expected (``expect_hash``, as the audit log
recorded it). What goes into a bundle is ``radprompt.bundles``'s business.

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
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radprompt.bundles.signing import BundleKey
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
UNHASHED = frozenset({"content_hash", "signature"})
_MIN_EXPECTED = 12


class BundleError(RadpromptError):
    """A bundle that cannot be written, or that fails verification."""


@dataclass(frozen=True)
class Bundle:
    """A verified bundle folder and its manifest."""

    path: Path
    manifest: dict[str, Any]
    signature_verified: bool = False
    """Whether the signature was checked with a key the user gave (and matched)."""
    written: bool = False
    """Whether this process just wrote it from a run's audit log (its approvals are first-hand)."""

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
    def signed(self) -> bool:
        return isinstance(self.manifest.get("signature"), dict)

    @property
    def recorded_review(self) -> str:
        """The review status the bundle claims, trusted or not."""
        return str(self.manifest.get("review", "unreviewed"))

    @property
    def review(self) -> str:
        """The trusted review status: a claim of "reviewed" counts only when the signature was
        checked with the user's key; otherwise it reads ``unverified``."""
        claimed = self.recorded_review
        if claimed in ("unreviewed", "rejected") or self.signature_verified or self.written:
            return claimed
        return "unverified"

    @property
    def approvals(self) -> list[dict[str, Any]]:
        """The approvals recorded in the bundle, only when its signature was verified."""
        trusted = self.signature_verified or self.written
        return list(self.manifest.get("approvals") or []) if trusted else []


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(manifest: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the manifest without its hash; the manifest lists
    every file's sha256, so the hash covers every byte of the bundle."""
    return _sha256(_canonical({k: v for k, v in manifest.items() if k not in UNHASHED}))


def write_bundle(output: str | Path, *, files: dict[str, str | bytes],
                 manifest: dict[str, Any], key: BundleKey | None = None) -> Bundle:
    """Write ``files`` and a hashed ``bundle.json`` into a new (or empty) folder ``output``;
    with ``key``, sign the content hash."""
    folder = Path(output)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BundleError(f"{folder}: exists and is not an empty folder; bundles are never "
                          "overwritten (choose a new --output)")
    if MANIFEST in files:
        raise BundleError(f"{MANIFEST} is the bundle's own manifest")
    folder.mkdir(parents=True, exist_ok=True)
    listing: dict[str, str] = {}
    for name in files:
        _check_name(folder, name)
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
    if key is not None:
        full["signature"] = key.record(full["content_hash"])
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return Bundle(path=folder, manifest=full, signature_verified=key is not None, written=True)


def _check_name(folder: Path, name: str) -> None:
    """A listed file must be a plain relative path inside the bundle."""
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts or "\\" in name or \
            name.startswith("~"):
        raise BundleError(f"bundle {folder}: file name {name!r} is not a plain path inside "
                          "the bundle; the bundle was altered")


def _present_files(folder: Path) -> set[str]:
    """Every file under ``folder``; a symbolic link anywhere is refused."""
    if folder.is_symlink():
        raise BundleError(f"bundle {folder} is a symbolic link; give the folder itself")
    present: set[str] = set()
    for root, directories, names in os.walk(folder, followlinks=False):
        for name in [*directories, *names]:
            entry = Path(root) / name
            if entry.is_symlink():
                raise BundleError(f"bundle {folder}: {entry.relative_to(folder).as_posix()} is "
                                  "a symbolic link; bundles hold only regular files")
        for name in names:
            present.add((Path(root) / name).relative_to(folder).as_posix())
    return present


def verify_bundle(path: str | Path, *, key: BundleKey | None = None,
                  expect_hash: str | None = None) -> Bundle:
    """Recompute every file's sha256 and the content hash; raise ``BundleError`` on any change.

    ``key`` checks the signature (a bundle that is unsigned, or signed with another key, is
    refused); ``expect_hash`` (the full hash or a prefix of at least 12 characters) must match
    the content hash.
    """
    folder = Path(path)
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError(folder, "not a bundle folder (not found or not a folder)")
    present = _present_files(folder)
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
    for name in listed:
        _check_name(folder, str(name))
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
    _check_expected(folder, str(manifest["content_hash"]), expect_hash)
    verified = False
    if key is not None:
        _check_signature(folder, manifest, key)
        verified = True
    return Bundle(path=folder, manifest=manifest, signature_verified=verified)


def _check_expected(folder: Path, actual: str, expected: str | None) -> None:
    if expected is None:
        return
    expected = expected.strip().lower()
    if len(expected) < _MIN_EXPECTED:
        raise BundleError(f"--expect-hash {expected!r} is too short; give at least "
                          f"{_MIN_EXPECTED} characters of the content hash")
    if not actual.startswith(expected):
        raise BundleError(f"bundle {folder} has content hash {actual}, not the expected "
                          f"{expected}: it is not the bundle the audit log recorded")


def _check_signature(folder: Path, manifest: dict[str, Any], key: BundleKey) -> None:
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("value"), str):
        raise BundleError(f"bundle {folder} is not signed, so it cannot be checked with key "
                          f"{key.path}; its approvals are not trusted")
    if signature.get("scheme") != key.scheme:
        raise BundleError(f"bundle {folder} is signed with {signature.get('scheme')!r}, but "
                          f"key {key.path} is {key.scheme}")
    if not key.verify(str(manifest["content_hash"]), signature["value"]):
        raise BundleError(f"bundle {folder}: the signature does not match key {key.path} "
                          f"(key id {key.key_id}; the bundle names {signature.get('key_id')}); "
                          "it was signed by someone else or altered")


def load_bundle(path: str | Path, *, key: BundleKey | None = None) -> Bundle:
    """A verified bundle (``verify_bundle``); only verified bundles are ever used."""
    return verify_bundle(path, key=key)
