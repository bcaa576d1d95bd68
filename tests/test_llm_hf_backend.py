"""The in-process transformers backend, for real, with a tiny random model built on CPU.

Nothing is downloaded: the test builds a two-layer Llama and a word-level tokenizer with a chat
template, saves them, and extracts through ``backend: hf``. A random model answers nonsense, so
every report must end as a listed failure with its raw answer (never as "absent"), while the
tokens and requests are counted.
"""

from __future__ import annotations

import pytest

from radprompt.extractors.base import ExtractionFailure
from radprompt.extractors.llm import LLMExtractor
from radprompt.llm import LLMRecipe
from radprompt.reports import Report

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["[UNK]", "[PAD]", "[EOS]", "{", "}", '"', ":", ",", "present", "absent",
             "pneumothorax", "effusion", "no", "small"]
    vocab = {word: index for index, word in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
        pad_token_id=vocab["[PAD]"], eos_token_id=vocab["[EOS]"])
    path = tmp_path_factory.mktemp("tiny-llama")
    transformers.LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_hf_backend_runs_a_real_model_and_lists_unusable_answers(mini_labelset, tiny_model,
                                                                 tmp_path):
    recipe = LLMRecipe(model=f"hf/{tiny_model}", backend="hf", max_tokens=6, parse_retries=0,
                       max_attempts=1, cache_path=str(tmp_path / "cache.sqlite"),
                       backend_options={"device_map": "cpu", "dtype": "float32"})
    extractor = LLMExtractor(labelset=mini_labelset, recipe=recipe)
    reports = [Report("a", "Small pneumothorax."), Report("b", "No effusion.")]
    results = extractor.extract(reports)
    assert [r.report_id for r in results] == ["a", "b"]
    assert all(isinstance(r, ExtractionFailure) for r in results)
    assert all(r.raw_output is not None for r in results)  # type: ignore[union-attr]
    usage = extractor.usage_
    assert usage.requests == 2
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
