"""BLEU-1 to BLEU-4 (sacrebleu): corpus BLEU with brevity penalty, sentence BLEU per sample.

Scores are on a 0-1 scale. ``bleu4`` is the usual BLEU; ``bleu1`` to ``bleu3`` are cumulative
BLEU with a lower maximum n-gram order, all from one pass of n-gram counting. The corpus scores are
sacrebleu's corpus BLEU (``exp`` smoothing, its default). Per sample: sentence BLEU-4 with
``effective_order`` as sacrebleu recommends for single sentences. ``max_order`` (1-4, default
4) is the n-gram order of the headline score and of the per-sample scores
(``--option bleu.max_order=2`` gives BLEU-2). ``tokenize`` is sacrebleu's
tokenizer name: ``auto`` (default) takes ``zh`` (every Chinese character a token) when any
pair is in Chinese and ``13a`` (the WMT standard) otherwise, and says which in a note;
``none`` splits on whitespace only, which reproduces the pycocoevalcap BLEU that RadEval
reports.

Example::

    >>> from radprompt.metrics.bleu import BLEU
    >>> result = BLEU().compute(predictions=["No acute cardiopulmonary process."],
    ...                         references=["No acute cardiopulmonary process."])
    >>> round(result.scores["bleu4"], 6), round(result.scores["bleu1"], 6)
    (1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from radprompt.metrics._language import language_note, pair_languages
from radprompt.metrics.base import Metric, MetricResult, require

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BLEU"]

MAX_ORDER = 4


@dataclass(frozen=True)
class _BLEUReducer:
    """Statistics columns: hyp_len, ref_len, correct_1..4, total_1..4 (sacrebleu's layout)."""

    smooth_method: str

    def __call__(self, summed: np.ndarray) -> dict[str, np.ndarray]:
        import numpy as np
        from sacrebleu.metrics import bleu as sacrebleu_bleu

        flat = summed.reshape(-1, summed.shape[-1])
        out = {f"bleu{n}": np.empty(len(flat)) for n in range(1, MAX_ORDER + 1)}
        for row, stats in enumerate(flat):
            for n in range(1, MAX_ORDER + 1):
                out[f"bleu{n}"][row] = sacrebleu_bleu.BLEU.compute_bleu(
                    correct=[int(c) for c in stats[2:2 + n]],
                    total=[int(t) for t in stats[2 + MAX_ORDER:2 + MAX_ORDER + n]],
                    sys_len=int(stats[0]), ref_len=int(stats[1]),
                    smooth_method=self.smooth_method, max_ngram_order=n,
                ).score / 100.0
        return {key: value.reshape(summed.shape[:-1]) for key, value in out.items()}


class BLEU(Metric):
    """BLEU via sacrebleu; ``lowercase`` and ``tokenize`` are sacrebleu's options."""

    name = "bleu"
    description = "BLEU-1..4 (sacrebleu), corpus level with brevity penalty"

    def __init__(self, *, tokenize: str = "auto", lowercase: bool = False,
                 max_order: int = MAX_ORDER) -> None:
        if not isinstance(max_order, int) or not 1 <= max_order <= MAX_ORDER:
            raise ValueError(f"bleu max_order must be an integer from 1 to {MAX_ORDER}, "
                             f"not {max_order!r}")
        self.tokenize = tokenize
        self.lowercase = lowercase
        self.max_order = max_order

    def _sacrebleu(self, tokenize: str) -> Any:
        require("sacrebleu", extra="metrics", needed_by="BLEU")
        from sacrebleu.metrics import bleu as sacrebleu_bleu

        # effective_order only changes sentence scores, which _compute asks for explicitly;
        # here it keeps sentence_score from warning that it is off
        return sacrebleu_bleu.BLEU(max_ngram_order=MAX_ORDER, tokenize=tokenize,
                                   lowercase=self.lowercase, force=True, effective_order=True)

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        import numpy as np

        languages = pair_languages(predictions, references)
        tokenize = self.tokenize
        if tokenize == "auto":
            tokenize = "zh" if "zh" in languages else "13a"
        scorer = self._sacrebleu(tokenize)
        # Segment statistics (sacrebleu's public sentence_score), as its own paired
        # significance tests use them: lengths, then matched and total n-grams per order.
        statistics = np.array([
            [score.sys_len, score.ref_len, *score.counts, *score.totals]
            for score in (scorer.sentence_score(prediction, [reference])
                          for prediction, reference in zip(predictions, references, strict=True))
        ], dtype=float).reshape(len(predictions), 2 + 2 * MAX_ORDER)
        reduce = _BLEUReducer(scorer.smooth_method)
        corpus = reduce(statistics.sum(axis=0))
        order = self.max_order
        sentence = np.array([
            scorer.compute_bleu(
                correct=[int(c) for c in row[2:2 + order]],
                total=[int(t) for t in row[2 + MAX_ORDER:2 + MAX_ORDER + order]],
                sys_len=int(row[0]), ref_len=int(row[1]),
                smooth_method="exp", effective_order=True, max_ngram_order=order,
            ).score / 100.0
            for row in statistics
        ])
        return MetricResult(
            metric=self.name,
            scores={key: float(value) for key, value in corpus.items()},
            primary=f"bleu{order}",
            per_sample={f"bleu{order}": sentence},
            statistics=statistics,
            reduce=reduce,
            notes=(f"sacrebleu tokenize={tokenize}, lowercase={self.lowercase}, "
                   f"max_order={order}, scale 0-1",
                   language_note(languages, tokens=f"sacrebleu tokenizer {tokenize}")),
        )
