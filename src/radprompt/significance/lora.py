"""A LoRA recipe for an LLM-based significance judge (the paper's trained LLM variant).

For GPU users who want a small causal language model fine-tuned on the generated pairs
instead of (or next to) the logistic regression. Only ``torch`` and ``transformers`` are used
(``pip install 'radprompt[hf]'``); the low-rank adapters are a few lines of torch, so no PEFT
install is needed. With PEFT the same setup is ``LoraConfig(r=8, lora_alpha=16,
lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")``.

Each pair is rendered with ``prompts/significance_lora.j2`` (reference, candidate, question)
and the model learns to answer " yes" (a clinically significant error) or " no"; the loss is
on the answer token only. As a metric, ``LoRAJudge`` scores a pair as
``P(no) / (P(yes) + P(no))`` from the next-token distribution after the prompt.

Recipe (on a GPU machine with the model already downloaded)::

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from radprompt.significance import read_pairs
    from radprompt.significance.lora import (LoRAJudge, LoRASettings, add_lora,
                                             save_adapters, train_lora)

    name = "Qwen/Qwen3-0.6B"                          # any causal LM with q_proj / v_proj
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16).cuda()
    settings = LoRASettings(rank=16, alpha=32, epochs=2, batch_size=16, learning_rate=2e-4)
    add_lora(model, settings=settings)                # freezes the base weights
    losses = train_lora(model, tokenizer, read_pairs("train_pairs.jsonl"), settings=settings)
    save_adapters(model, "lora_significance.pt")      # only the adapter weights
    judge = LoRAJudge(model=model, tokenizer=tokenizer)
    # radprompt.significance.discrimination.evaluate_pairs(test_pairs, metrics={"lora": judge})

The tests run the same code on CPU with a tiny randomly initialised model built from a config
and a word-level tokenizer made from the pairs (no download).
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radprompt.metrics.base import Metric, MetricResult, mean_result, require
from radprompt.significance.perturb import Pair

__all__ = ["LoRAJudge", "LoRASettings", "add_lora", "save_adapters", "train_lora"]

logger = logging.getLogger(__name__)
ANSWERS = (" yes", " no")
"""What the model learns to say: a significant error, or none."""


@dataclass(frozen=True)
class LoRASettings:
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = 2e-4
    epochs: int = 1
    batch_size: int = 8
    max_length: int = 512
    template: str = "significance_lora"


def _torch() -> Any:
    return require("torch", extra="hf", needed_by="the LoRA significance judge")


_LORA_CLASS: list[Any] = []


def _lora_linear() -> Any:
    """The adapter module class, defined on first use so importing this file needs no torch."""
    if _LORA_CLASS:
        return _LORA_CLASS[0]
    torch = _torch()

    class LoRALinear(torch.nn.Module):  # type: ignore[name-defined]
        """``base(x) + scaling * B(A(dropout(x)))`` with ``base`` frozen and B starting at 0."""

        def __init__(self, base: Any, *, rank: int, alpha: float, dropout: float) -> None:
            super().__init__()
            self.base = base
            for parameter in base.parameters():
                parameter.requires_grad_(False)
            device, dtype = base.weight.device, base.weight.dtype
            self.lora_a = torch.nn.Parameter(torch.empty(rank, base.in_features,
                                                         device=device, dtype=dtype))
            self.lora_b = torch.nn.Parameter(torch.zeros(base.out_features, rank,
                                                         device=device, dtype=dtype))
            torch.nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
            self.dropout = torch.nn.Dropout(dropout)
            self.scaling = alpha / rank

        def forward(self, x: Any) -> Any:
            update = self.dropout(x) @ self.lora_a.T @ self.lora_b.T
            return self.base(x) + update * self.scaling

    _LORA_CLASS.append(LoRALinear)
    return LoRALinear


def add_lora(model: Any, *, settings: LoRASettings = LoRASettings()) -> list[str]:
    """Wrap every ``nn.Linear`` named in ``settings.target_modules`` with an adapter and freeze
    all other weights. Returns the wrapped modules' names (an error if there is none)."""
    torch = _torch()
    adapter = _lora_linear()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in settings.target_modules and isinstance(child, torch.nn.Linear):
                setattr(module, child_name, adapter(child, rank=settings.rank,
                                                    alpha=settings.alpha,
                                                    dropout=settings.dropout))
                wrapped.append(f"{name}.{child_name}" if name else child_name)
    if not wrapped:
        raise ValueError(f"no nn.Linear module named {list(settings.target_modules)} in the "
                         "model; set LoRASettings.target_modules")
    return wrapped


def adapter_parameters(model: Any) -> dict[str, Any]:
    return {name: p for name, p in model.named_parameters() if ".lora_" in f".{name}"}


def save_adapters(model: Any, path: str | Path) -> Path:
    """Save only the adapter weights (load with ``model.load_state_dict(..., strict=False)``
    after ``add_lora`` with the same settings)."""
    torch = _torch()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({name: p.detach().cpu() for name, p in adapter_parameters(model).items()}, path)
    return path


def _render(template: str, reference: str, candidate: str) -> str:
    from radprompt.significance.llm_judges import _cached_template

    return _cached_template(template).block("prompt", reference=reference, candidate=candidate)


def _answer_ids(tokenizer: Any) -> tuple[int, int]:
    ids = [tokenizer(answer, add_special_tokens=False)["input_ids"] for answer in ANSWERS]
    if any(not token_ids for token_ids in ids) or ids[0][0] == ids[1][0]:
        raise ValueError("the tokenizer cannot tell ' yes' from ' no' by their first token")
    return ids[0][0], ids[1][0]


def _prompt_ids(tokenizer: Any, text: str, limit: int) -> list[int]:
    ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    return ids[-limit:]  # keep the end: the candidate and the question


def train_lora(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[Pair],
    *,
    settings: LoRASettings = LoRASettings(),
    seed: int = 0,
) -> list[float]:
    """Train the adapters (call ``add_lora`` first) on the pairs; returns each step's loss."""
    torch = _torch()
    parameters = list(adapter_parameters(model).values())
    if not parameters:
        raise ValueError("the model has no adapters: call add_lora(model) first")
    device = parameters[0].device
    yes, no = _answer_ids(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    examples = [(_prompt_ids(tokenizer, _render(settings.template, p.reference, p.variant),
                             settings.max_length - 1), yes if p.significant else no)
                for p in pairs]
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model.train()
    losses = []
    for epoch in range(settings.epochs):
        rng.shuffle(examples)
        for start in range(0, len(examples), settings.batch_size):
            batch = examples[start:start + settings.batch_size]
            width = max(len(ids) for ids, _ in batch) + 1
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            labels = torch.full((len(batch), width), -100, dtype=torch.long)
            for row, (ids, answer) in enumerate(batch):  # right-padded
                sequence = [*ids, answer]
                input_ids[row, :len(sequence)] = torch.tensor(sequence)
                attention[row, :len(sequence)] = 1
                labels[row, len(sequence) - 1] = answer
            output = model(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                           labels=labels.to(device))
            optimizer.zero_grad()
            output.loss.backward()
            optimizer.step()
            losses.append(float(output.loss.detach()))
        logger.info("epoch %d: mean loss %.4f", epoch + 1,
                    sum(losses[-math.ceil(len(examples) / settings.batch_size):])
                    / max(1, math.ceil(len(examples) / settings.batch_size)))
    model.eval()
    return losses


class LoRAJudge(Metric):
    """A (LoRA-tuned) causal LM as a significance metric: ``P(no) / (P(yes) + P(no))``."""

    name = "judge_lora"
    needs_model = True
    description = "LoRA-tuned LM: probability that the candidate has no significant error"

    def __init__(self, *, model: Any, tokenizer: Any, template: str = "significance_lora",
                 batch_size: int = 8, max_length: int = 512) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.batch_size = batch_size
        self.max_length = max_length

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        torch = _torch()
        yes, no = _answer_ids(self.tokenizer)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        device = next(self.model.parameters()).device
        prompts = [_prompt_ids(self.tokenizer, _render(self.template, r, c), self.max_length)
                   for c, r in zip(predictions, references, strict=True)]
        scores: list[float] = []
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(prompts), self.batch_size):
                batch = prompts[start:start + self.batch_size]
                width = max(len(ids) for ids in batch)
                input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
                attention = torch.zeros((len(batch), width), dtype=torch.long)
                for row, ids in enumerate(batch):
                    input_ids[row, :len(ids)] = torch.tensor(ids)
                    attention[row, :len(ids)] = 1
                logits = self.model(input_ids=input_ids.to(device),
                                    attention_mask=attention.to(device)).logits
                last = torch.tensor([len(ids) - 1 for ids in batch], device=logits.device)
                final = logits[torch.arange(len(batch), device=logits.device), last].float()
                pair = torch.softmax(final[:, [yes, no]], dim=-1)
                scores.extend(pair[:, 1].tolist())
        return mean_result(self.name, {"score": scores}, primary="score",
                           notes=("score = P(no) / (P(yes) + P(no)) from the next token",))
