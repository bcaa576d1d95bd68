"""How many tokens an answer that follows a JSON Schema can take, read from the schema itself.

Under structured output a server decodes with the schema as a grammar (llama.cpp, vLLM,
Ollama), so an answer can only be as long as the schema lets it be. A schema bounds its answer
when every string has a ``maxLength`` (or is an ``enum`` / ``const``), every array a
``maxItems`` and every object a fixed set of keys (``additionalProperties: false``);
``schema_token_cap`` then gives the most tokens such an answer needs, and ``None`` for a schema
with any unbounded part (a free-text string without ``maxLength``).

A free-text field needs its cap in the schema: a small model under a grammar does not close a
string on its own (SmolLM2 wrote a judge's justification until ``max_tokens``, every time).
The token figure takes ``CHARS_PER_TOKEN`` characters a token for text (English BPE averages
about 4), so a model that writes many 1-2 character tokens can still reach the bound; its
answer is then cut off and asked again, as without the bound.

Example::

    >>> schema = {"type": "object", "additionalProperties": False, "required": ["why", "ok"],
    ...           "properties": {"why": {"type": "string", "maxLength": 120},
    ...                          "ok": {"type": "boolean"}}}
    >>> schema_token_cap(schema)
    72
    >>> schema_token_cap({"type": "object", "properties": {"why": {"type": "string"}}}) is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["CHARS_PER_TOKEN", "schema_token_cap"]

CHARS_PER_TOKEN = 3.0
"""Characters a token is taken to hold in a capped string (below English BPE's ~4: room)."""
_SCALAR_TOKENS = {"boolean": 2, "null": 2, "integer": 8, "number": 12}
"""A literal of the type: ``false``, ``null``, a number's digits."""
_ANSWER_TOKENS = 8
"""The end-of-turn token and whatever a server puts around the object."""
_PER_KEY = 6
"""Per object key: quotes, colon, comma, and a line break and indentation if pretty-printed."""


def schema_token_cap(schema: Mapping[str, Any]) -> int | None:
    """The most tokens an answer following ``schema`` takes, or ``None`` when unbounded."""
    size = _Sizer(schema).tokens(schema)
    return None if size is None else size + _ANSWER_TOKENS


def _text_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN) + 2  # the quotes


class _Sizer:
    """Walks a schema (resolving local ``$ref``s) and adds up the tokens of its largest answer."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.seen: set[str] = set()

    def _resolve(self, ref: str) -> Mapping[str, Any] | None:
        if not ref.startswith("#/") or ref in self.seen:
            return None  # a remote or recursive reference: no bound
        node: Any = self.root
        for part in ref[2:].split("/"):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, Mapping) else None

    def tokens(self, node: Mapping[str, Any]) -> int | None:
        if isinstance(ref := node.get("$ref"), str):
            target = self._resolve(ref)
            if target is None:
                return None
            self.seen.add(ref)
            try:
                return self.tokens(target)
            finally:
                self.seen.discard(ref)
        for key in ("anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                sizes = [self.tokens(option) for option in node[key]]
                return None if not sizes or None in sizes else max(s for s in sizes if s)
        if "enum" in node or "const" in node:
            values = node.get("enum", [node.get("const")])
            return max((_text_tokens(len(str(value))) for value in values), default=2)
        kind = node.get("type")
        if isinstance(kind, list):
            sizes = [self.tokens({**node, "type": one}) for one in kind]
            return None if None in sizes else max(s for s in sizes if s is not None)
        if kind == "string":
            limit = node.get("maxLength")
            return _text_tokens(int(limit)) if isinstance(limit, int) else None
        if kind in _SCALAR_TOKENS:
            return _SCALAR_TOKENS[kind]
        if kind == "array":
            return self._array(node)
        if kind == "object" or "properties" in node:
            return self._object(node)
        return None

    def _array(self, node: Mapping[str, Any]) -> int | None:
        limit, items = node.get("maxItems"), node.get("items")
        if not isinstance(limit, int) or not isinstance(items, Mapping):
            return None
        item = self.tokens(items)
        return None if item is None else 2 + limit * (item + 2)

    def _object(self, node: Mapping[str, Any]) -> int | None:
        if node.get("additionalProperties", True) is not False:
            return None  # any key may come
        total = 2
        for name, value in (node.get("properties") or {}).items():
            size = self.tokens(value) if isinstance(value, Mapping) else None
            if size is None:
                return None
            total += _text_tokens(len(name)) + _PER_KEY + size
        return total
