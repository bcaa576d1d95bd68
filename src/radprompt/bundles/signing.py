"""Keys that sign bundles: HMAC-SHA256 with a secret the user holds, or an Ed25519 key pair.

A bundle's hashes show that nothing changed since it was written, but anyone who edits a bundle
can recompute them. A signature over the content hash, made with a key the user holds, shows
who wrote it: only then are the approvals inside the bundle ("reviewed by ...") trusted.

Key files:

- HMAC: ``radprompt bundle keygen KEY`` writes ``radprompt-hmac-sha256:<64 hex digits>``; the
  same secret signs and verifies, so keep it private.
- Ed25519 (needs ``pip install 'radprompt[sign]'``, the ``cryptography`` library):
  ``radprompt bundle keygen KEY --ed25519`` writes the private key ``KEY`` (PEM, PKCS#8) and the
  public key ``KEY.pub``; sign with the private one, verify with either.

Example::

    >>> import tempfile, pathlib
    >>> path = generate_key(pathlib.Path(tempfile.mkdtemp()) / "bundle.key")
    >>> key = read_key(path)
    >>> key.verify("abc", key.sign("abc")), key.verify("abd", key.sign("abc"))
    (True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radprompt.errors import InputError

__all__ = ["KEY_ENV", "SCHEMES", "BundleKey", "generate_key", "read_key"]

SCHEMES = ("hmac-sha256", "ed25519")
KEY_ENV = "RADPROMPT_BUNDLE_KEY"
"""Environment variable naming the default key file for signing and verifying bundles."""
_HMAC_PREFIX = "radprompt-hmac-sha256:"
_MIN_SECRET = 16


def _cryptography(path: Path) -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise InputError(path, "Ed25519 keys need the cryptography library: "
                         "pip install 'radprompt[sign]'") from None
    return serialization, ed25519


@dataclass(frozen=True)
class BundleKey:
    """A signing or verifying key read from ``path``."""

    scheme: str
    path: Path
    secret: bytes = b""
    """The HMAC secret, or the raw Ed25519 private key (empty for a public key)."""
    public: bytes = b""
    """The raw Ed25519 public key (empty for HMAC)."""

    @property
    def key_id(self) -> str:
        """A short name for the key that reveals nothing of an HMAC secret."""
        material = self.public if self.scheme == "ed25519" else hmac.new(
            self.secret, b"radprompt-bundle-key-id", hashlib.sha256).digest()
        return hashlib.sha256(material).hexdigest()[:16]

    @property
    def can_sign(self) -> bool:
        return bool(self.secret)

    def sign(self, content_hash: str) -> str:
        if not self.can_sign:
            raise InputError(self.path, "a public key verifies bundles but cannot sign them; "
                             "give the private key")
        if self.scheme == "hmac-sha256":
            return hmac.new(self.secret, content_hash.encode(), hashlib.sha256).hexdigest()
        _, ed25519 = _cryptography(self.path)
        private = ed25519.Ed25519PrivateKey.from_private_bytes(self.secret)
        return str(private.sign(content_hash.encode()).hex())

    def verify(self, content_hash: str, signature: str) -> bool:
        if self.scheme == "hmac-sha256":
            expected = hmac.new(self.secret, content_hash.encode(), hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature)
        _, ed25519 = _cryptography(self.path)
        from cryptography.exceptions import InvalidSignature

        try:
            ed25519.Ed25519PublicKey.from_public_bytes(self.public).verify(
                bytes.fromhex(signature), content_hash.encode())
        except (InvalidSignature, ValueError):
            return False
        return True

    def record(self, content_hash: str) -> dict[str, str]:
        """The ``signature`` entry of a bundle manifest."""
        return {"scheme": self.scheme, "key_id": self.key_id, "value": self.sign(content_hash)}


def read_key(path: str | Path) -> BundleKey:
    """Read an HMAC secret or an Ed25519 key (PEM) from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "key file not found")
    data = path.read_bytes().strip()
    if data.startswith(b"-----BEGIN"):
        return _read_pem(path, data)
    text = data.decode("utf-8", "replace")
    if text.startswith(_HMAC_PREFIX):
        try:
            secret = bytes.fromhex(text.removeprefix(_HMAC_PREFIX).strip())
        except ValueError:
            raise InputError(path, "the HMAC key is not hex after "
                             f"{_HMAC_PREFIX!r}") from None
    else:
        secret = data
    if len(secret) < _MIN_SECRET:
        raise InputError(path, f"the HMAC key is {len(secret)} byte(s); use at least "
                         f"{_MIN_SECRET} (radprompt bundle keygen writes 32 random bytes)")
    return BundleKey(scheme="hmac-sha256", path=path, secret=secret)


def _read_pem(path: Path, data: bytes) -> BundleKey:
    serialization, ed25519 = _cryptography(path)
    raw = serialization.Encoding.Raw
    try:
        if b"PRIVATE KEY" in data.split(b"\n", 1)[0]:
            private = serialization.load_pem_private_key(data, password=None)
            if not isinstance(private, ed25519.Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            return BundleKey(
                scheme="ed25519", path=path,
                secret=private.private_bytes(raw, serialization.PrivateFormat.Raw,
                                             serialization.NoEncryption()),
                public=private.public_key().public_bytes(raw, serialization.PublicFormat.Raw))
        public = serialization.load_pem_public_key(data)
        if not isinstance(public, ed25519.Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return BundleKey(scheme="ed25519", path=path,
                         public=public.public_bytes(raw, serialization.PublicFormat.Raw))
    except (ValueError, TypeError) as exc:
        raise InputError(path, f"not a usable Ed25519 PEM key ({exc})") from None


def _write_private(path: Path, data: bytes) -> None:
    if path.exists():
        raise InputError(path, "exists; a key file is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def generate_key(path: str | Path, *, scheme: str = "hmac-sha256") -> Path:
    """Write a new key to ``path`` (mode 0600; Ed25519 also writes ``path.pub``)."""
    path = Path(path)
    if scheme not in SCHEMES:
        raise InputError(path, f"unknown key scheme {scheme!r}; one of {', '.join(SCHEMES)}")
    if scheme == "hmac-sha256":
        _write_private(path, f"{_HMAC_PREFIX}{secrets.token_hex(32)}\n".encode())
        return path
    serialization, ed25519 = _cryptography(path)
    private = ed25519.Ed25519PrivateKey.generate()
    public_path = path.with_name(path.name + ".pub")
    if public_path.exists():
        raise InputError(public_path, "exists; a key file is never overwritten")
    _write_private(path, private.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    public_path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path
