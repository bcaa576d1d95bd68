"""The LoRA recipe on CPU with a tiny randomly initialised model (no download)."""

from __future__ import annotations

import pytest

from radprompt.significance.perturb import Pair

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from radprompt.significance.lora import (  # noqa: E402
    LoRAJudge,
    LoRASettings,
    add_lora,
    save_adapters,
    train_lora,
)

PAIRS = [
    Pair("a", "r1", "laterality_swap", True, "Small left effusion.", "Small right effusion."),
    Pair("b", "r1", "synonym", False, "Small left effusion.", "Small left pleural effusion."),
    Pair("c", "r2", "negation_flip", True, "No pneumothorax.", "Pneumothorax."),
    Pair("d", "r2", "formatting", False, "No pneumothorax.", "No pneumothorax"),
]


def tiny_model_and_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from radprompt.significance.lora import _render

    words = {"[UNK]", "[PAD]", "yes", "no"}
    for pair in PAIRS:
        text = _render("significance_lora", pair.reference, pair.variant)
        words.update(pre_tokenizers.Whitespace().pre_tokenize_str(text)[i][0]
                     for i in range(len(pre_tokenizers.Whitespace().pre_tokenize_str(text))))
    vocab = {word: index for index, word in enumerate(sorted(words))}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]",
                                        pad_token="[PAD]")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=256, pad_token_id=vocab["[PAD]"],
                         initializer_range=0.5)  # a frozen head that can still separate
    return LlamaForCausalLM(config), tokenizer


def test_lora_trains_only_the_adapters_and_scores_pairs(tmp_path):
    model, tokenizer = tiny_model_and_tokenizer()
    frozen = {name: p.detach().clone() for name, p in model.named_parameters()}
    settings = LoRASettings(rank=4, alpha=8, dropout=0.0, epochs=40, batch_size=4,
                            learning_rate=3e-2,
                            target_modules=("q_proj", "v_proj", "o_proj", "down_proj"))
    wrapped = add_lora(model, settings=settings)
    assert len(wrapped) == 8  # four projections in each of two layers
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(".lora_" in name for name in trainable)
    losses = train_lora(model, tokenizer, PAIRS, settings=settings)
    assert losses[-1] < losses[0] * 0.2
    for name, parameter in model.named_parameters():  # base weights did not move
        base_name = name.replace(".base.", ".")
        if base_name in frozen and ".lora_" not in name:
            assert torch.equal(parameter, frozen[base_name])
    result = LoRAJudge(model=model, tokenizer=tokenizer).compute(
        predictions=[p.variant for p in PAIRS], references=[p.reference for p in PAIRS])
    scores = result.sample_scores
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > scores[0] and scores[3] > scores[2]  # harmless above significant
    saved = torch.load(save_adapters(model, tmp_path / "adapters.pt"))
    assert set(saved) == set(trainable)


def test_add_lora_needs_matching_modules():
    model, _ = tiny_model_and_tokenizer()
    with pytest.raises(ValueError, match="target_modules"):
        add_lora(model, settings=LoRASettings(target_modules=("nope",)))
