"""In-process backends: vLLM (``radprompt[vllm]``) and transformers (``radprompt[hf]``).

Both batch: concurrent ``complete`` calls are gathered (up to ``max_batch``) and generated
together in a worker thread, which is how these engines reach their throughput. Nothing is
imported or loaded until the first request. For a GPU server shared by several runs,
``vllm serve`` with ``hosted_vllm/<model>`` is the better path (see ``extractors/README.md``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from radprompt.llm.base import Backend, BackendError, Completion, Message, require_extra

__all__ = ["BatchingBackend", "TransformersBackend", "VLLMBackend"]

_Pending = tuple[list[dict[str, str]], dict[str, Any], "asyncio.Future[Completion]"]


class BatchingBackend(Backend):
    """Turns concurrent single requests into batches for ``generate_batch`` (run in a thread).

    Subclasses implement ``generate_batch(conversations, params) -> list[Completion]``.
    """

    def __init__(
        self,
        *,
        model: str,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 600.0,
        options: Mapping[str, Any] | None = None,
        max_batch: int = 64,
    ) -> None:
        super().__init__(model=model, api_base=api_base, api_key=api_key, timeout=timeout,
                         options=options)
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None

    def generate_batch(
        self, conversations: list[list[dict[str, str]]], params: dict[str, Any]
    ) -> list[Completion]:
        raise NotImplementedError

    async def complete(
        self, messages: Sequence[Message], *, params: Mapping[str, Any]
    ) -> Completion:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = loop.create_task(self._work(self._queue))
        future: asyncio.Future[Completion] = loop.create_future()
        await self._queue.put(([dict(m) for m in messages], dict(params), future))
        return await future

    async def _work(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            groups: dict[str, list[_Pending]] = {}
            for item in batch:
                groups.setdefault(json.dumps(item[1], sort_keys=True, default=str), []).append(item)
            for items in groups.values():
                try:
                    results = await asyncio.to_thread(
                        self.generate_batch, [item[0] for item in items], items[0][1])
                except Exception as exc:  # one failure answers every request of the batch
                    for item in items:
                        if not item[2].done():
                            item[2].set_exception(BackendError(
                                f"{type(self).__name__}: {exc}", transient=False))
                    continue
                for item, result in zip(items, results, strict=True):
                    if not item[2].done():
                        item[2].set_result(result)

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._worker = None
        self._queue = None


class VLLMBackend(BatchingBackend):
    """vLLM's offline ``LLM.chat`` in this process; ``options`` go to ``vllm.LLM(...)``
    (``tensor_parallel_size``, ``gpu_memory_utilization``, ``max_model_len`` ...)."""

    _engine: Any = None

    def generate_batch(
        self, conversations: list[list[dict[str, str]]], params: dict[str, Any]
    ) -> list[Completion]:
        vllm = require_extra("vllm", extra="vllm", needed_by="the vllm backend")
        if self._engine is None:
            name = self.model.split("/", 1)[1] if self.model.startswith("vllm/") else self.model
            self._engine = vllm.LLM(model=name, **self.options)
        sampling = vllm.SamplingParams(
            temperature=params.get("temperature", 0.0),
            max_tokens=params.get("max_tokens", 4096),
            top_p=params.get("top_p", 1.0),
            seed=params.get("seed"),
            **_guided(vllm, params.get("response_format")),
        )
        outputs = self._engine.chat(conversations, sampling, use_tqdm=False)
        return [
            Completion(
                text=output.outputs[0].text,
                prompt_tokens=len(output.prompt_token_ids or ()),
                completion_tokens=len(output.outputs[0].token_ids or ()),
                cost=0.0,
                finish_reason=output.outputs[0].finish_reason,
            )
            for output in outputs
        ]


def _guided(vllm: Any, response_format: Any) -> dict[str, Any]:
    """vLLM's JSON-schema guided decoding, in whichever spelling this vLLM has."""
    if not isinstance(response_format, dict) or "json_schema" not in response_format:
        return {}
    schema = response_format["json_schema"].get("schema")
    sampling_params = vllm.sampling_params
    if hasattr(sampling_params, "StructuredOutputsParams"):
        return {"structured_outputs": sampling_params.StructuredOutputsParams(json=schema)}
    return {"guided_decoding": sampling_params.GuidedDecodingParams(json=schema)}


class TransformersBackend(BatchingBackend):
    """A transformers causal LM in this process; ``options``: ``device_map`` (default
    ``auto``), ``dtype`` (default ``auto``). Greedy unless ``temperature`` > 0."""

    _loaded: tuple[Any, Any] | None = None

    def generate_batch(
        self, conversations: list[list[dict[str, str]]], params: dict[str, Any]
    ) -> list[Completion]:
        transformers = require_extra("transformers", extra="hf", needed_by="the hf backend")
        if self._loaded is None:
            name = self.model.split("/", 1)[1] if self.model.startswith("hf/") else self.model
            tokenizer = transformers.AutoTokenizer.from_pretrained(name, padding_side="left")
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            require_extra("accelerate", extra="hf", needed_by="the hf backend's device_map")
            dtype = self.options.get("dtype", self.options.get("torch_dtype", "auto"))
            # transformers 5 renamed torch_dtype to dtype
            dtype_key = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 \
                else "torch_dtype"
            model = transformers.AutoModelForCausalLM.from_pretrained(
                name, device_map=self.options.get("device_map", "auto"), **{dtype_key: dtype})
            self._loaded = (tokenizer, model)
        tokenizer, model = self._loaded
        texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                 for c in conversations]
        inputs = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
        temperature = float(params.get("temperature", 0.0))
        limit = int(params.get("max_tokens", 4096))
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {
            "do_sample": False}
        generated = model.generate(**inputs, max_new_tokens=limit,
                                   pad_token_id=tokenizer.pad_token_id, **sampling)
        prompt_length = inputs["input_ids"].shape[1]
        completions = []
        for row, mask in zip(generated, inputs["attention_mask"], strict=True):
            new = row[prompt_length:]
            ended = bool((new == tokenizer.eos_token_id).any())
            new_tokens = int((new != tokenizer.pad_token_id).sum())
            completions.append(Completion(
                text=tokenizer.decode(new, skip_special_tokens=True),
                prompt_tokens=int(mask.sum()),
                completion_tokens=new_tokens,
                cost=0.0,
                finish_reason="stop" if ended or len(new) < limit else "length",
            ))
        return completions
