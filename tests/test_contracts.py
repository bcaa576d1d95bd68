"""Contract suites per plug-in kind, run over every registered implementation (Optuna's
``optuna/testing`` is the model): extractors (``EXTRACTOR_KINDS``), programs, proposers
(``PROPOSERS``) and backends (``BACKENDS``). The metric contract is tests/test_metrics_contract.py.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_support import (  # noqa: F401  (fixtures)
    mini_fixture,
    mini_reports,
    private_cache_fixture,
    recipe_for,
    server_fixture,
)

from radprompt.errors import InputError
from radprompt.extractors.base import ExtractionResult, Extractor
from radprompt.extractors.registry import EXTRACTOR_KINDS, build_extractor
from radprompt.findings import Findings
from radprompt.labelset import LabelSet
from radprompt.llm import BACKENDS, Backend, Usage
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.optimizers.proposers import PROPOSERS, Proposer, build_proposer
from radprompt.testing import FakeOpenAIServer

# -- extractors ---------------------------------------------------------------------------------


@pytest.fixture(params=list(EXTRACTOR_KINDS))
def extractor(request: pytest.FixtureRequest, mini: LabelSet, tmp_path: Path) -> Extractor:
    """Every extractor kind of the registry, built from a recipe as users build it."""
    if request.param == "rules":
        return build_extractor("rules", labelset=mini)
    server: FakeOpenAIServer = request.getfixturevalue("server")
    recipe = recipe_for(server, tmp_path).model_dump(mode="json", exclude_defaults=True)
    return build_extractor(None, labelset=mini, overrides=recipe)


def test_every_kind_is_registered_and_covered() -> None:
    assert set(EXTRACTOR_KINDS) == {"rules", "llm"}


def test_one_result_per_report_in_order(extractor: Extractor) -> None:
    reports = mini_reports()
    results = extractor.extract(reports)
    assert [r.report_id for r in results] == [r.id for r in reports]
    assert all(isinstance(r, Findings) for r in results)
    assert extractor.extract([]) == []


def test_extract_each_hands_over_what_extract_returns(extractor: Extractor) -> None:
    reports = mini_reports()
    handed: list[ExtractionResult] = []
    ticks: list[int] = []
    extractor.extract_each(reports, on_result=handed.append, progress=ticks.append)
    assert sorted(handed, key=lambda r: r.report_id) == sorted(
        extractor.extract(reports), key=lambda r: r.report_id)
    assert sum(ticks) == len(reports)


def test_fingerprint_is_stable(extractor: Extractor, mini: LabelSet) -> None:
    first = extractor.fingerprint(labelset=mini)
    assert first and first == extractor.fingerprint(labelset=mini)


def test_the_rule_engines_fingerprint_follows_the_labelsets_content(mini: LabelSet) -> None:
    extractor = build_extractor("rules", labelset=mini)
    label = mini.labels[0]
    changed = mini.with_label(label.model_copy(update={"phrases": (*label.phrases, "zzz")}))
    assert extractor.fingerprint(labelset=changed) != extractor.fingerprint(labelset=mini)


def test_usage_is_stated(extractor: Extractor) -> None:
    extractor.extract(mini_reports()[:2])
    if type(extractor).usage_ is None and "usage_" not in vars(extractor):
        return  # calls no model
    assert isinstance(extractor.usage_, Usage) and extractor.usage_.requests >= 1


def test_unknown_recipe_keys_raise_naming_the_key(mini: LabelSet) -> None:
    for kind in EXTRACTOR_KINDS:
        overrides = {"kind": kind, "colour": "red", "model": "hosted_vllm/x",
                     "api_base": "http://127.0.0.1:9/v1"}
        with pytest.raises(InputError, match="colour"):
            build_extractor(None, labelset=mini, overrides=overrides)
    with pytest.raises(InputError, match="known: rules, llm"):
        build_extractor(None, labelset=mini, overrides={"kind": "nosuch"})


# -- programs -----------------------------------------------------------------------------------


def _programs(mini: LabelSet, tmp_path: Path) -> Iterator[Program]:
    from radprompt.llm import LLMRecipe

    yield RulesProgram(labelset=mini)
    recipe = LLMRecipe(model="hosted_vllm/fake", api_base="http://127.0.0.1:9/v1",
                       cache_path=str(tmp_path / "c.sqlite"))
    yield PromptProgram.initial(labelset=mini, recipe=recipe)


def test_every_program_kind_is_covered() -> None:
    kinds = {cls.kind for cls in (RulesProgram, PromptProgram)}
    assert kinds == {cls.kind for cls in _subclasses(Program)}


def _subclasses(base: type) -> set[type]:
    found = set()
    for cls in base.__subclasses__():
        found |= {cls, *_subclasses(cls)}
    return {cls for cls in found if not inspect.isabstract(cls)}


def test_program_contract(mini: LabelSet, tmp_path: Path) -> None:
    for program in _programs(mini, tmp_path):
        assert program.labelset is mini
        assert program.hash == type(program).apply(program, []).hash  # no revision, same text
        space = program.settings_space()
        current = {name: choices[0] for name, choices in space.items()}
        assert all(len(set(map(str, choices))) == len(choices) for choices in space.values())
        assert program.with_settings(current).hash == program.hash
        saved = program.save(tmp_path / program.kind)
        assert saved.name == f"{program.hash}{program.suffix}" and saved.stat().st_size
        assert program.save(tmp_path / program.kind) == saved  # content-addressed, written once
        assert isinstance(program.build_extractor(), Extractor)


def test_a_revision_makes_a_new_program(mini: LabelSet) -> None:
    program = RulesProgram(labelset=mini)
    label = mini.labels[0].id
    child = program.apply([Revision(kind="add_phrase", label_id=label, value="zzz finding")])
    assert child.hash != program.hash and "zzz finding" not in program.review_text()


# -- proposers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PROPOSERS))
def test_proposer_contract(name: str) -> None:
    factory = PROPOSERS[name]
    assert isinstance(factory, type) and issubclass(factory, Proposer)
    assert factory.name == name
    assert factory.program_kinds and set(factory.program_kinds) <= {"rules", "prompt"}
    assert factory.usage_ is None  # stated on the class, set by those that call a model
    parameters = list(inspect.signature(factory.__init__).parameters.values())[1:]
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in parameters), parameters


def test_build_proposer_names_the_known_ones(mini: LabelSet) -> None:
    program = RulesProgram(labelset=mini)
    with pytest.raises(ValueError, match="known: " + ", ".join(PROPOSERS)):
        build_proposer({"proposer": "nosuch"}, program=program)
    with pytest.raises(ValueError, match="cannot revise 'rules'"):
        build_proposer({"proposer": "reflective"}, program=program)


# -- backends -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BACKENDS))
def test_backend_constructor_only_stores_its_parameters(name: str) -> None:
    backend = BACKENDS[name](model="hosted_vllm/fake", api_base="http://127.0.0.1:9/v1",
                             api_key=None, timeout=1.0, options={})
    assert isinstance(backend, Backend)
    assert (backend.model, backend.api_base, backend.timeout) == (
        "hosted_vllm/fake", "http://127.0.0.1:9/v1", 1.0)
    assert inspect.iscoroutinefunction(type(backend).complete)
    assert inspect.iscoroutinefunction(type(backend).aclose)
    with pytest.raises(TypeError):
        BACKENDS[name]("hosted_vllm/fake")  # type: ignore[misc]  # keyword-only


def test_http_backend_answers_and_counts_tokens(server: FakeOpenAIServer) -> None:
    from radprompt.llm import Completion
    from radprompt.llm.calls import run_sync

    backend = BACKENDS["openai_compatible"](model="hosted_vllm/fake-model",
                                            api_base=server.base_url, timeout=5.0)

    async def ask() -> Completion:
        try:
            return await backend.complete(
                [{"role": "user", "content": "Report:\nRight pneumothorax."}], params={})
        finally:
            await backend.aclose()

    answer = run_sync(ask())
    assert answer.text and answer.prompt_tokens > 0 and not answer.cached
