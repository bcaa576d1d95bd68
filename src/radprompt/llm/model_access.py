"""Model access the LLM-backed metrics share (the judge metric, the significance judges, the
paraphraser): the recipe (or a given client), the event loop, and usage accounting across
``compute`` calls (``usage_``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.llm.calls import open_client

if TYPE_CHECKING:
    from radprompt.llm import LLMRecipe, ModelClient, Usage

__all__ = ["ModelAccess"]


class ModelAccess:
    """What the LLM evaluators and the paraphraser share: model access, the event loop and
    usage accounting. ``needs`` names the user in the error when no model is given."""

    usage_: Usage | None = None
    needs: str | None = None

    def __init__(
        self,
        *,
        model: str | None = None,
        api_base: str | None = None,
        allow_remote: bool = False,
        recipe: LLMRecipe | str | Path | None = None,
        parse_retries: int = 2,
        client: ModelClient | None = None,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.allow_remote = allow_remote
        self.recipe = recipe
        self.parse_retries = parse_retries
        self.client = client

    def _recipe(self) -> LLMRecipe:
        from radprompt.llm.recipe import recipe_with

        return recipe_with(self.recipe, model=self.model, api_base=self.api_base,
                           allow_remote=self.allow_remote,
                           needs=self.needs or type(self).__name__)

    def _run(self, jobs: Callable[[ModelClient, bool], Sequence[Any]]) -> list[Any]:
        """Run the coroutines ``jobs(client, structured)`` makes, on a client built for this
        call unless one was given; ``structured``: the recipe asks for structured output
        (``structured_output: true``; never with a given client). Add its usage to
        ``usage_``."""
        from radprompt.llm import Usage
        from radprompt.llm.calls import run_sync

        recipe = self._recipe() if self.client is None else None
        structured = recipe is not None and recipe.structured_output is True
        used: list[tuple[ModelClient, Usage]] = []

        async def run_all() -> list[Any]:
            async with open_client(recipe, client=self.client) as client:
                used.append((client, _copy_usage(client.usage)))
                return list(await asyncio.gather(*jobs(client, structured)))

        try:
            return run_sync(run_all())
        finally:
            if self.usage_ is None:
                self.usage_ = Usage()
            if used:
                client, before = used[0]
                self.usage_.add(_usage_difference(client.usage, before))
                self.model_name_ = client.model


def _copy_usage(usage: Usage) -> Usage:
    from dataclasses import replace

    return replace(usage, failure_reasons=dict(usage.failure_reasons))


def _usage_difference(after: Usage, before: Usage) -> Usage:
    from dataclasses import fields

    from radprompt.llm import Usage

    delta = Usage()
    for field in fields(Usage):
        value = getattr(after, field.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            setattr(delta, field.name, value - getattr(before, field.name))
    delta.failure_reasons = {reason: count - before.failure_reasons.get(reason, 0)
                             for reason, count in after.failure_reasons.items()
                             if count > before.failure_reasons.get(reason, 0)}
    return delta
