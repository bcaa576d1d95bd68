"""Frozen, hashed, optionally signed bundles of an approved program version.

- ``container``: the folder format (``bundle.json``, file hashes, ``verify_bundle``).
- ``signing``: keys that sign a bundle's content hash (HMAC-SHA256 or Ed25519).
- ``formats``: the files of each export format (json, text, jinja, promptfoo, dspy).
- ``export``: ``export_run`` (a version of an optimize run) and ``write_prompt_bundle``.
- ``loading``: ``open_bundle`` / ``extractor_from_bundle``, the extractor a bundle froze.

Example::

    >>> bundle = export_run("runs/20260101-chestxray21-rules", output="out/b")  # doctest: +SKIP
    >>> verify_bundle("out/b").content_hash == bundle.content_hash  # doctest: +SKIP
    True
"""

from radprompt.bundles.container import (
    BUNDLE_FORMAT,
    MANIFEST,
    Bundle,
    BundleError,
    content_hash,
    load_bundle,
    verify_bundle,
    write_bundle,
)
from radprompt.bundles.export import export_run, write_prompt_bundle
from radprompt.bundles.formats import FORMATS, REPORT_PLACEHOLDER
from radprompt.bundles.loading import (
    NEVER_FROM_BUNDLE,
    RUNTIME_KEYS,
    BundleExtractor,
    bundle_labelset,
    extractor_from_bundle,
    open_bundle,
)
from radprompt.bundles.signing import KEY_ENV, SCHEMES, BundleKey, generate_key, read_key

__all__ = [
    "BUNDLE_FORMAT",
    "FORMATS",
    "KEY_ENV",
    "MANIFEST",
    "NEVER_FROM_BUNDLE",
    "REPORT_PLACEHOLDER",
    "RUNTIME_KEYS",
    "SCHEMES",
    "Bundle",
    "BundleError",
    "BundleExtractor",
    "BundleKey",
    "bundle_labelset",
    "content_hash",
    "export_run",
    "extractor_from_bundle",
    "generate_key",
    "load_bundle",
    "open_bundle",
    "read_key",
    "verify_bundle",
    "write_bundle",
    "write_prompt_bundle",
]
