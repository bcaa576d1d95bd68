"""One way to call a model: open a client, ask for a structured answer, re-ask until it fits.

Every caller (the extractor, the judge metric, the significance judges, the reflective proposer)
goes through three pieces:

- ``open_client(recipe, client=...)``: an async context manager yielding a ``ModelClient``; a
  client it built is closed (connections, cache) on the way out, a given one is left open;
- ``ask_structured(client, messages, answer_model, retries=...)``: send the messages, read the
  answer with ``answer_model`` (a pydantic model, or any object with ``json_schema()`` and
  ``parse(text, cut_off=...)``), feed a problem back with ``reask`` until it parses; returns
  ``Answered`` or ``Unanswered`` (with the reason and the last raw answer), never raises for a
  request that failed after its retries;
- ``pick_json(text)``: the one answer-JSON picker (a ``<think>`` block, a code fence, a sentence
  around the object); ``run_sync`` runs a coroutine from sync code, inside a loop or not.

A re-ask that would not fit the model's context (``ModelClient.context_length``) is trimmed
first: the rejected answer is shortened, then earlier rounds are dropped.

Example::

    >>> from pydantic import BaseModel
    >>> class Verdict(BaseModel):
    ...     significant: bool
    >>> pick_json('<think>hmm</think> Sure: {"significant": true}')
    {'significant': True}
    >>> # async with open_client(recipe) as client:
    >>> #     outcome = await ask_structured(client, messages, Verdict, retries=2)
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from radprompt.llm.client import ModelClient, RequestError

if TYPE_CHECKING:
    from radprompt.llm.base import Completion
    from radprompt.llm.recipe import LLMRecipe

__all__ = [
    "AnswerError",
    "AnswerModel",
    "Answered",
    "Unanswered",
    "ask_structured",
    "open_client",
    "pick_json",
    "run_sync",
    "strip_thinking",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
M = TypeVar("M", bound=BaseModel)

_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_OPEN_THINK = re.compile(r"<think(?:ing)?>", re.IGNORECASE)


class AnswerError(ValueError):
    """An answer that cannot be used; ``str(error)`` is fed back to the model."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end, also from code that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@asynccontextmanager
async def open_client(recipe: LLMRecipe | None = None, *, client: ModelClient | None = None,
                      cache: bool = True) -> AsyncIterator[ModelClient]:
    """``client`` as it is (the caller owns it), else the recipe's client, closed at the end."""
    if client is not None:
        yield client
        return
    if recipe is None:
        raise ValueError("open_client needs a recipe or a client")
    from radprompt.llm import build_client

    built = build_client(recipe, cache=cache)
    try:
        yield built
    finally:
        await built.aclose()
        if built.cache is not None:
            built.cache.close()


def strip_thinking(text: str) -> str:
    """``text`` without its ``<think>`` / ``<thinking>`` blocks."""
    return _THINK.sub("", text)


def pick_json(text: str, *, cut_off: bool = False,
              shorter: str = "write a shorter answer") -> dict[str, Any]:
    """The first JSON object of an answer, after any ``<think>`` block (control characters
    inside strings allowed); ``AnswerError`` saying what is wrong otherwise (``cut_off``: the
    model stopped at its token limit; ``shorter``: the advice for an object cut off before its
    end)."""
    text = _THINK.sub("", text)
    if _OPEN_THINK.search(text):
        raise AnswerError("the answer ended inside its <think> section, before any JSON")
    start = text.find("{")
    if start < 0:
        raise AnswerError("the answer has no JSON object; write only the JSON object")
    try:
        # strict=False: a raw line break inside a string, which llama-cpp-python's grammar lets
        # through (its string characters are [^"\\]) and SmolLM2 wrote
        value, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        ends_early = exc.msg.startswith("Unterminated string") or (
            exc.pos >= len(text[start:].rstrip()) - 1)
        if cut_off or ends_early:
            raise AnswerError(f"the JSON object is cut off before it ends; {shorter}") from exc
        raise AnswerError(f"the JSON object is malformed: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise AnswerError("the answer is not a JSON object")
    return value


class AnswerModel(Protocol[T_co]):
    """What ``ask_structured`` needs of an answer: its JSON Schema and a parser."""

    def json_schema(self) -> dict[str, Any]: ...

    def parse(self, text: str, *, cut_off: bool = False) -> T_co: ...


class ParsedWith(Generic[T]):
    """An answer model from a parse function (which raises ``AnswerError``) and a schema."""

    def __init__(self, parse: Callable[[str], T],
                 schema: Mapping[str, Any] | None = None) -> None:
        self._parse = parse
        self.schema = dict(schema or {"type": "object"})

    def json_schema(self) -> dict[str, Any]:
        return self.schema

    def parse(self, text: str, *, cut_off: bool = False) -> T:
        return self._parse(text)


class _PydanticAnswer(Generic[M]):
    """A pydantic model as an ``AnswerModel``: its schema, and validation after ``pick_json``."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema()

    def parse(self, text: str, *, cut_off: bool = False) -> M:
        data = pick_json(text, cut_off=cut_off)
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, error['loc'])) or 'the object'}: "
                                 f"{error['msg']}" for error in exc.errors()[:5])
            raise AnswerError(f"the JSON object does not fit the schema: {problems}") from exc


def as_answer_model(answer_model: Any) -> AnswerModel[Any]:
    """A pydantic model class wrapped as an ``AnswerModel``; anything else as it is."""
    if isinstance(answer_model, type) and issubclass(answer_model, BaseModel):
        return _PydanticAnswer(answer_model)
    reader: AnswerModel[Any] = answer_model
    return reader


@dataclass(frozen=True)
class Answered(Generic[T]):
    value: T
    completion: Completion
    attempts: int


@dataclass(frozen=True)
class Unanswered:
    reason: str
    raw: str | None


Message = dict[str, str]


async def ask_structured(
    client: ModelClient,
    messages: Sequence[Mapping[str, str]],
    answer_model: Any,
    *,
    retries: int = 2,
    reask: Callable[[str], Mapping[str, str]] | None = None,
    structured: bool = False,
    schema_name: str = "answer",
    store: str = "usable",
    max_tokens: int | None = None,
) -> Answered[Any] | Unanswered:
    """Ask until ``answer_model`` accepts the answer, at most ``retries`` re-asks.

    ``reask(problem)`` builds the user message that feeds the problem back (default: the
    problem as it is). ``structured`` sends the answer model's JSON Schema as structured output
    in the server's dialect (see ``radprompt.llm.dialects``). ``store="usable"`` caches an
    exchange only when it ends in a usable answer (a glitch is asked again next time);
    ``"always"`` caches every answer as it comes. ``max_tokens`` overrides the client's.
    """
    reader = as_answer_model(answer_model)
    params: dict[str, Any] | None = None
    if structured:
        from radprompt.llm.dialects import canonical_response_format

        params = {"response_format": canonical_response_format(reader.json_schema(),
                                                               name=schema_name)}
    if max_tokens is not None:
        params = {**(params or {}), "max_tokens": max_tokens}
    sent: list[Message] = [dict(message) for message in messages]
    base = len(sent)
    exchange: list[tuple[list[Message], Completion]] = []
    problem, raw = "", None
    for attempt in range(1, retries + 2):
        try:
            completion = await client.complete(sent, params=params, store=store == "always")
        except RequestError as exc:
            return Unanswered(f"request failed: {exc}", raw)
        exchange.append((sent, completion))
        try:
            value = reader.parse(completion.text, cut_off=completion.cut_off)
        except AnswerError as exc:
            problem, raw = str(exc), completion.text
            logger.debug("attempt %d: unusable answer: %s", attempt, problem)
            retry = dict(reask(problem)) if reask else {"role": "user", "content": problem}
            sent = fit_reask(client, sent[:base], sent[base:],
                             {"role": "assistant", "content": completion.text}, retry,
                             params=params)
            continue
        if store == "usable":
            for asked, answer in exchange:
                client.store(asked, answer, params=params)
        return Answered(value, completion, attempt)
    return Unanswered(f"unusable answer after {retries + 1} attempt(s): {problem}", raw)


_KEEP_OF_ANSWER = 400
"""Characters of a rejected answer kept in a trimmed re-ask."""


def fit_reask(client: ModelClient, prompt: list[Message], rounds: list[Message],
              answer: Message, retry: Message, *,
              params: Mapping[str, Any] | None = None) -> list[Message]:
    """The re-ask conversation: the prompt, earlier rounds, the rejected answer and the problem;
    when that would not fit the model's context, earlier rounds are dropped and the rejected
    answer shortened (the prompt itself is never cut: ``ModelClient`` fails that request)."""
    full = [*prompt, *rounds, answer, retry]
    if client.fits(full, params=params):
        return full
    text = answer["content"]
    short = {"role": "assistant", "content": text[:_KEEP_OF_ANSWER] + (
        " [...]" if len(text) > _KEEP_OF_ANSWER else "")}
    for candidate in ([*prompt, answer, retry], [*prompt, short, retry]):
        if client.fits(candidate, params=params):
            logger.debug("re-ask trimmed to fit the context of %s tokens", client.context_length)
            return candidate
    return [*prompt, short, retry]
