"""DSPy strategies on the same program: GEPA with per-label textual feedback, and MIPROv2.

Both compile a ``FindingsProgram`` (``radprompt.llm.dspy_program``: one predictor per label,
prompts rendered by our Jinja template) on a slice of the training split, then turn what
changed into revisions: a ``set_guidance`` per label whose instructions changed, a
``set_demos`` for the demos chosen. The search then decides which of them to keep.

Requests go through radprompt's ``ModelClient`` (a ``dspy.BaseLM`` over it), so they use the
run's cache, count against the run's budget and pass the privacy check. GEPA's reflection
renders ``prompts/propose_revision.j2`` (the reflective proposer's template) with the errors
the per-label metric wrote as feedback: what was missed or wrongly flagged, and why.

Importing this module does not import DSPy; ``propose`` does (``pip install 'radprompt[llm]'``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from radprompt.extractors.llm import run_sync
from radprompt.findings import State
from radprompt.labelset import LabelSet, UncertaintyPolicy
from radprompt.llm import ModelClient, Usage, build_client
from radprompt.optimizers.program import Revision
from radprompt.optimizers.prompt_program import PromptProgram, demo_values
from radprompt.optimizers.proposers.base import ProposalContext, Proposer
from radprompt.optimizers.proposers.reflective import ReflectiveProposer
from radprompt.prompts import PromptVersion

__all__ = ["GEPAProposer", "MIPROProposer", "revisions_between"]

logger = logging.getLogger(__name__)


def revisions_between(old: PromptVersion, new: PromptVersion, *, proposer: str,
                      rationale: str, evidence: tuple[str, ...] = ()) -> list[Revision]:
    """The ``set_guidance`` / ``set_demos`` revisions that turn ``old`` into ``new``."""
    revisions = [Revision(kind="set_guidance", label_id=label_id, value=new.guidance[label_id],
                          rationale=rationale, evidence=evidence, proposer=proposer)
                 for label_id in old.label_ids if new.guidance[label_id] != old.guidance[label_id]]
    added = [demo for demo in new.demos if demo not in old.demos]
    if added:
        revisions.append(Revision(kind="set_demos", label_id=None, value=demo_values(added),
                                  rationale=f"{len(added)} demo(s) chosen by {proposer}",
                                  proposer=proposer))
    return revisions


def _client_lm(client: ModelClient) -> Any:
    """A ``dspy.BaseLM`` that sends through ``client`` (cache, budget, privacy)."""
    import dspy

    class ClientLM(dspy.BaseLM):
        def __init__(self) -> None:
            super().__init__(model=client.model, cache=False, num_retries=0)

        def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
            from types import SimpleNamespace

            sent = messages or [{"role": "user", "content": str(prompt)}]
            params = {k: v for k, v in kwargs.items() if k in ("temperature", "max_tokens", "n")
                      and v is not None and k != "n"}

            async def ask() -> Any:
                try:
                    return await client.complete(sent, params=params or None)
                finally:
                    await client.backend.aclose()

            completion = run_sync(ask())
            return SimpleNamespace(
                choices=[{"message": {"content": completion.text}, "finish_reason": "stop"}],
                usage={"prompt_tokens": completion.prompt_tokens,
                       "completion_tokens": completion.completion_tokens},
                model=client.model, cache_hit=completion.cached, _hidden_params={})

    return ClientLM()


class _DSPyStrategy(Proposer):
    """What GEPA and MIPROv2 share: examples, the student, the metric, the revisions."""

    program_kinds: ClassVar[tuple[str, ...]] = ("prompt",)

    def __init__(self, *, max_examples: int = 40, seed: int = 0) -> None:
        self.max_examples = max_examples
        self.seed = seed

    def propose(self, context: ProposalContext) -> list[Revision]:
        from radprompt.llm.dspy_program import FindingsProgram

        program = context.program
        if not isinstance(program, PromptProgram):
            raise TypeError(f"{self.name} revises prompt programs")
        client = build_client(program.recipe)
        self.usage_: Usage = client.usage
        examples = self._examples(context)
        try:
            import dspy

            with dspy.context(lm=_client_lm(client)):
                student = FindingsProgram(version=program.version)
                optimized = self._compile(student, examples=examples, context=context,
                                          client=client)
        finally:
            if client.cache is not None:
                client.cache.close()
        evidence = tuple(example.report_id for example in examples)[:20]
        return [r for r in revisions_between(
            program.version, optimized.prompt_version(), proposer=self.name,
            rationale=f"compiled by {self.name} on {len(examples)} training reports",
            evidence=evidence) if r.key not in context.rejected]

    def _compile(self, student: Any, *, examples: list[Any], context: ProposalContext,
                 client: ModelClient) -> Any:
        raise NotImplementedError

    def _examples(self, context: ProposalContext) -> list[Any]:
        """The reports the target labels were wrong on first, then a random sample."""
        from radprompt.llm.dspy_program import examples_from_dataset

        examples = examples_from_dataset(context.train)
        wrong = {e.report_id for errors in context.errors.values() for e in errors.examples}
        first = [e for e in examples if e.report_id in wrong]
        rest = [e for e in examples if e.report_id not in wrong]
        random.Random(self.seed).shuffle(rest)
        half = max(1, self.max_examples // 2)
        return (first[:half] + rest)[: self.max_examples]


def _positive(state: str, policy: UncertaintyPolicy) -> bool:
    return state == State.PRESENT.value or (state == State.UNCERTAIN.value
                                            and policy is UncertaintyPolicy.POSITIVE)


class _LabelMetric:
    """Share of target labels right in the binary view (an uncertain answer counted as the
    gold counts it: ``uncertain_as``, else each label's policy); per-label feedback for GEPA."""

    def __init__(self, *, labelset: LabelSet, labels: Sequence[str],
                 uncertain_as: UncertaintyPolicy | None = None) -> None:
        self.labelset = labelset
        self.labels = list(labels)
        self.uncertain_as = uncertain_as
        self.errors: dict[tuple[str, str], dict[str, Any]] = {}

    def judge(self, example: Any, prediction: Any, label_id: str) -> tuple[bool, str]:
        policy = self.uncertain_as or self.labelset.get(label_id).uncertainty_policy
        gold = dict(example.findings).get(label_id, {}).get("state", "not_mentioned")
        guess = dict(getattr(prediction, "findings", {}) or {}).get(label_id, "not_mentioned")
        if _positive(gold, policy) == _positive(guess, policy):
            return True, f"Correct for {label_id}: the reference says {gold}."
        missed = _positive(gold, policy)
        cause = ("a wording the guidance does not name" if guess == "not_mentioned" and missed
                 else "a negation or hedge read the wrong way")
        self.errors[(label_id, str(example.report))] = {
            "kind": "FN" if missed else "FP", "cause": cause, "reference": gold,
            "predicted": guess, "other_label": None,
            "sentence": " ".join(str(example.report).split())}
        what = "missed" if missed else "wrongly flagged"
        return False, (f"{label_id} was {what}: the reference says {gold}, the answer said "
                       f"{guess}; likely {cause}.")

    def __call__(self, example: Any, prediction: Any, trace: Any = None,
                 pred_name: str | None = None, pred_trace: Any = None) -> Any:
        import dspy

        verdicts = {label_id: self.judge(example, prediction, label_id)
                    for label_id in self.labels}
        score = sum(ok for ok, _ in verdicts.values()) / max(1, len(verdicts))
        if pred_name is None:
            return dspy.Prediction(score=score, feedback=" ".join(
                text for ok, text in verdicts.values() if not ok) or "All correct.")
        label_id = _label_of(pred_name)
        _, text = verdicts.get(label_id) or self.judge(example, prediction, label_id)
        return dspy.Prediction(score=score, feedback=text)


def _label_of(predictor_name: str) -> str:
    """``labels['edema']`` -> ``edema``."""
    return predictor_name.split("'")[1] if "'" in predictor_name else predictor_name


class GEPAProposer(_DSPyStrategy):
    """``dspy.GEPA`` with per-label feedback; reflection through ``propose_revision.j2``."""

    name: ClassVar[str] = "gepa"

    def __init__(self, *, max_examples: int = 40, max_metric_calls: int = 200,
                 reflection_minibatch_size: int = 3, seed: int = 0,
                 reflection: Mapping[str, Any] | None = None) -> None:
        super().__init__(max_examples=max_examples, seed=seed)
        self.max_metric_calls = max_metric_calls
        self.reflection_minibatch_size = reflection_minibatch_size
        self.reflection = dict(reflection or {})

    def _compile(self, student: Any, *, examples: list[Any], context: ProposalContext,
                 client: ModelClient) -> Any:
        import dspy

        metric = _LabelMetric(labelset=context.labelset, labels=list(context.errors),
                              uncertain_as=context.train.uncertain_as)
        reviser = ReflectiveProposer(**self.reflection)
        program = context.program
        assert isinstance(program, PromptProgram)
        reflect = build_client(reviser.recipe_for(program.recipe))

        def propose_texts(candidate: dict[str, str],
                          reflective_dataset: Mapping[str, Sequence[Mapping[str, Any]]],
                          components_to_update: list[str]) -> dict[str, str]:
            updated = {}
            for component in components_to_update:
                label_id = _label_of(component)
                errors = [metric.errors[key] for item in reflective_dataset.get(component, ())
                          if (key := (label_id, str(dict(item["Inputs"]).get("report", ""))))
                          in metric.errors]
                if label_id not in metric.labels or not errors:
                    updated[component] = candidate[component]
                    continue
                answer = run_sync(_closing(reflect, reviser.ask_with_errors(
                    reflect, program, label_id=label_id, guidance=candidate[component],
                    errors=errors)))
                updated[component] = answer[0] if answer else candidate[component]
            return updated

        targets = [f"labels['{label_id}']" for label_id in metric.labels]

        def select_targets(state: Any, trajectories: Any, subsample_scores: Any,
                           candidate_idx: int, candidate: dict[str, str]) -> list[str]:
            # Only the round's failing labels are revised (the others keep their guidance).
            return [name for name in targets if name in candidate]

        optimizer = dspy.GEPA(metric=metric, max_metric_calls=self.max_metric_calls,
                              reflection_minibatch_size=self.reflection_minibatch_size,
                              instruction_proposer=propose_texts,
                              component_selector=select_targets, num_threads=1,
                              use_merge=False, seed=self.seed, track_stats=False,
                              warn_on_score_mismatch=False)
        # The failing reports come first: they are GEPA's minibatches and its Pareto set.
        try:
            return optimizer.compile(student, trainset=examples, valset=examples)
        finally:
            self.usage_.add(reflect.usage)
            if reflect.cache is not None:
                reflect.cache.close()


async def _closing(client: ModelClient, coroutine: Any) -> Any:
    try:
        return await coroutine
    finally:
        await client.backend.aclose()


class MIPROProposer(_DSPyStrategy):
    """``dspy.MIPROv2``: instructions from the model and bootstrapped / labelled demos."""

    name: ClassVar[str] = "mipro"

    def __init__(self, *, max_examples: int = 40, num_candidates: int = 4, num_trials: int = 8,
                 max_bootstrapped_demos: int = 2, max_labeled_demos: int = 2,
                 minibatch_size: int = 10, seed: int = 0) -> None:
        super().__init__(max_examples=max_examples, seed=seed)
        self.num_candidates = num_candidates
        self.num_trials = num_trials
        self.max_bootstrapped_demos = max_bootstrapped_demos
        self.max_labeled_demos = max_labeled_demos
        self.minibatch_size = minibatch_size

    def _compile(self, student: Any, *, examples: list[Any], context: ProposalContext,
                 client: ModelClient) -> Any:
        import dspy

        metric = _LabelMetric(labelset=context.labelset, labels=list(context.errors),
                              uncertain_as=context.train.uncertain_as)

        def score(example: Any, prediction: Any, trace: Any = None) -> float:
            return float(metric(example, prediction, trace).score)

        optimizer = dspy.MIPROv2(metric=score, auto=None, num_candidates=self.num_candidates,
                                 max_bootstrapped_demos=self.max_bootstrapped_demos,
                                 max_labeled_demos=self.max_labeled_demos, num_threads=1,
                                 seed=self.seed, verbose=False, track_stats=False)
        split = max(1, len(examples) // 2)
        valset = examples[split:] or examples[:split]
        return optimizer.compile(student, trainset=examples[:split], valset=valset,
                                 num_trials=self.num_trials,
                                 minibatch=len(valset) > self.minibatch_size,
                                 minibatch_size=self.minibatch_size,
                                 requires_permission_to_run=False)

