"""The configuration of an optimize run (stored in its manifest) and optimizer recipes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from radprompt.errors import InputError
from radprompt.labelset import read_yaml
from radprompt.optimizers.transfer import TransferSettings
from radprompt.resources import find_resource

__all__ = ["APPROVAL_MODES", "OptimizeConfig", "load_recipe"]

APPROVAL_MODES = ("safe", "all", "none")
"""``safe``: accept widening and setting changes automatically, narrowing waits for a reviewer;
``all``: accept everything (recorded as such); ``none``: a reviewer decides every proposal."""


@dataclass
class OptimizeConfig:
    """Everything a run needs to be reproduced; stored in its manifest."""

    labelset: str = "chestxray21"
    experiment: str = "demo"
    extractor: str = "rules"
    optimizer: str = "error_driven"
    auto_approve: bool | str | None = None
    """One of ``APPROVAL_MODES`` (True means "safe", False "none"). None: "safe" for the rule
    engine, a reviewer for an LLM prompt."""
    llm: dict[str, Any] = field(default_factory=dict)
    """LLM recipe keys given on the command line (model, api_base, allow_remote, ...); they
    override the ``extractor`` recipe, or describe the model alone (``extractor`` "llm", or
    the default "rules": a model given here means the prompt is optimized)."""
    max_rounds: int = 8
    max_requests: int | None = None
    max_tokens: int | None = None
    time_limit: float | None = None
    labels_per_round: int = 3
    n_trials: int = 30
    minibatches: int = 4
    seed: int = 0
    min_gain: float = 1e-9

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "llm": dict(self.llm)}

    @property
    def uses_llm(self) -> bool:
        return bool(self.llm) or self.extractor != "rules"

    @property
    def approval(self) -> str:
        """The approval mode, one of ``APPROVAL_MODES``."""
        mode = self.auto_approve
        if mode is None:
            return "none" if self.uses_llm else "safe"
        if isinstance(mode, bool):
            return "safe" if mode else "none"
        if mode not in APPROVAL_MODES:
            raise ValueError(f"auto_approve {mode!r}: use one of {', '.join(APPROVAL_MODES)}")
        return mode

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OptimizeConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def load_recipe(name: str) -> dict[str, Any]:
    path = find_resource("optimizers", name, suffix=".yaml")
    recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "proposer" not in recipe:
        raise InputError(path, "an optimizer recipe is a mapping with a 'proposer' key")
    try:
        TransferSettings.from_recipe(recipe)
    except (TypeError, ValueError) as exc:
        raise InputError(path, str(exc), where="transfer") from exc
    return recipe
