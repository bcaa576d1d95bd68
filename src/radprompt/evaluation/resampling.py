"""Bootstrap confidence intervals and paired significance tests over per-sample statistics.

A ``MetricResult`` carries per-sample statistics whose column sums give its corpus scores, so a
resample is a weighted sum: an ``(r, n)`` matrix of draw counts times the ``(n, k)`` statistics.
Every system and metric is resampled with the *same* draws, which makes the bootstrap paired:
the difference of two systems' scores in one resample is a draw of the difference's
distribution (Koehn 2004). Approximate randomization (Riezler & Maxwell 2005) swaps each
sample's statistics between two systems with probability 1/2.

Example::

    >>> import numpy as np
    >>> from radprompt.metrics.base import mean_result
    >>> a = mean_result("m", {"s": np.linspace(0.5, 1.0, 50)}, primary="s")
    >>> b = mean_result("m", {"s": np.linspace(0.0, 0.5, 50)}, primary="s")
    >>> draws = bootstrap({"a": a, "b": b}, n_resamples=200, seed=0)
    >>> paired_bootstrap_p(draws["a"]["s"], draws["b"]["s"]) < 0.01
    True
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from radprompt.metrics.base import MetricResult

__all__ = [
    "approximate_randomization_p",
    "bootstrap",
    "confidence_interval",
    "holm",
    "paired_bootstrap_p",
]

K = TypeVar("K", bound=Hashable)


def _bootstrap_counts(n: int, n_resamples: int, *, seed: int, chunk: int) -> Iterator[np.ndarray]:
    """``(r, n)`` matrices: how often each sample is drawn in each resample, ``chunk`` at a time."""
    import numpy as np

    rng = np.random.default_rng(seed)
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size) * n)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=size * n)
        yield counts.reshape(size, n).astype(float)
        done += size


def bootstrap(
    results: Mapping[K, MetricResult],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    chunk: int = 100,
) -> dict[K, dict[str, np.ndarray]]:
    """Corpus scores of every result in each of ``n_resamples`` paired bootstrap resamples.

    All results must score the same n samples in the same order. Returns, per key, each corpus
    score's ``(n_resamples,)`` array.
    """
    import numpy as np

    sizes = {result.n_samples for result in results.values()}
    if len(sizes) > 1:
        raise ValueError(f"results score different numbers of samples: {sorted(sizes)}")
    n = sizes.pop() if sizes else 0
    collected: dict[K, dict[str, list[np.ndarray]]] = {key: {} for key in results}
    if n == 0 or n_resamples <= 0:
        return {key: {} for key in results}
    for counts in _bootstrap_counts(n, n_resamples, seed=seed, chunk=chunk):
        for key, result in results.items():
            for name, values in result.reduce(counts @ result.statistics).items():
                if name in result.scores:
                    collected[key].setdefault(name, []).append(np.asarray(values, dtype=float))
    return {key: {name: np.concatenate(parts) for name, parts in scores.items()}
            for key, scores in collected.items()}


def confidence_interval(draws: np.ndarray, *, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap draws (NaN draws ignored)."""
    import numpy as np

    finite = draws[~np.isnan(draws)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def paired_bootstrap_p(first: np.ndarray, second: np.ndarray) -> float:
    """Two-sided p-value that two systems differ, from their scores in the same resamples.

    Twice the share of resamples on the less frequent side of zero difference, at most 1.
    """
    import numpy as np

    delta = first - second
    delta = delta[~np.isnan(delta)]
    if delta.size == 0:
        return float("nan")
    tail = min(np.mean(delta <= 0), np.mean(delta >= 0))
    return float(min(1.0, 2 * tail))


def approximate_randomization_p(
    first: MetricResult,
    second: MetricResult,
    *,
    score: str | None = None,
    n_rounds: int = 1000,
    seed: int = 0,
    chunk: int = 100,
) -> float:
    """Two-sided p-value by approximate randomization of the paired per-sample statistics
    (``scipy.stats.permutation_test`` over paired samples).

    In each round every sample's statistics are swapped between the systems with probability
    1/2; p is the share of rounds (plus one) whose absolute score difference reaches the
    observed one (every one of the 2**n swaps, without the plus one, when there are fewer
    than ``n_rounds``). ``chunk`` rounds are scored at once.
    """
    import numpy as np

    from radprompt.metrics.base import require

    stats = require("scipy.stats", extra="metrics", needed_by="the randomization test")
    if first.n_samples != second.n_samples:
        raise ValueError("the two results score different numbers of samples")
    name = score or first.primary
    stacked = np.concatenate([first.statistics, second.statistics])
    n = first.n_samples

    def gap(left: np.ndarray, right: np.ndarray, axis: int) -> np.ndarray:
        # left / right hold row numbers of ``stacked``: which system's statistics each sample
        # lends to each side in this round
        sides = [first.reduce(stacked[left].sum(axis=-2))[name],
                 second.reduce(stacked[right].sum(axis=-2))[name]]
        return np.abs(np.asarray(sides[0]) - np.asarray(sides[1]))

    observed = gap(np.arange(n), np.arange(n) + n, -1)
    if np.isnan(observed):
        return float("nan")
    result = stats.permutation_test(
        (np.arange(n), np.arange(n) + n), gap, permutation_type="samples", vectorized=True,
        n_resamples=n_rounds, alternative="greater", random_state=seed, batch=chunk)
    return float(result.pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN), in the order given."""
    import math

    indexed = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    m = len(indexed)
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted
