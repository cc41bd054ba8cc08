"""Scores for clusterings and pair decisions: pure functions, no state.

Clusterings are given as two equally long sequences of hashable labels, one
label per item (``gold[i]`` and ``pred[i]`` are the clusters of item ``i``).
Everything is computed from the contingency table of the two labelings with
exact integer arithmetic, so the cost is O(n), never O(n^2).

Zero-division conventions (the same for :func:`pairwise` and :func:`pair_prf`):

* no predicted positives and no gold positives: precision = recall = F1 = 1.0
  (there was nothing to find and nothing was claimed);
* otherwise a ratio whose denominator is zero is 0.0, and F1 is 0.0 when
  precision + recall is 0.

For :func:`bcubed` an empty input scores 1.0 everywhere.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["PRF", "pairwise", "bcubed", "adjusted_rand_index", "pair_prf", "pearson"]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and their harmonic mean F1."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def from_pr(cls, precision: float, recall: float) -> PRF:
        """Build from precision and recall; F1 is 0.0 when both are 0."""
        total = precision + recall
        f1 = 2.0 * precision * recall / total if total > 0 else 0.0
        return cls(float(precision), float(recall), float(f1))

    def as_dict(self) -> dict[str, float]:
        """``{"precision": ..., "recall": ..., "f1": ...}``."""
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def _check_lengths(gold: Sequence[object], pred: Sequence[object]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred must have the same length, got {len(gold)} and {len(pred)}")


def _pairs(n: int) -> int:
    """C(n, 2): the number of unordered pairs among n items."""
    return n * (n - 1) // 2


def _contingency(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[Counter, Counter, Counter]:
    """Cell counts n_ij, gold cluster sizes a_i and predicted cluster sizes b_j."""
    _check_lengths(gold, pred)
    cells = Counter(zip(gold, pred))
    gold_sizes = Counter(gold)
    pred_sizes = Counter(pred)
    return cells, gold_sizes, pred_sizes


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def pairwise(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> PRF:
    """Link-based (pairwise) precision, recall and F1 (Miranda et al. 2018).

    Every unordered pair of items is a link in a clustering when both items are
    in the same cluster. A true positive is a link in both clusterings:
    TP = sum_ij C(n_ij, 2); precision = TP / sum_j C(b_j, 2) (predicted links);
    recall = TP / sum_i C(a_i, 2) (gold links). No links on either side scores
    1.0; any other zero denominator gives 0.0 (see the module docstring).
    """
    cells, gold_sizes, pred_sizes = _contingency(gold, pred)
    true_links = sum(_pairs(n) for n in cells.values())
    gold_links = sum(_pairs(n) for n in gold_sizes.values())
    pred_links = sum(_pairs(n) for n in pred_sizes.values())
    if gold_links == 0 and pred_links == 0:
        return PRF(1.0, 1.0, 1.0)
    return PRF.from_pr(_ratio(true_links, pred_links), _ratio(true_links, gold_links))


def bcubed(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> PRF:
    """Item-averaged BCubed precision, recall and F1 (Bagga & Baldwin 1998).

    For item i with predicted cluster C(i) and gold cluster L(i):
    precision_i = |C(i) & L(i)| / |C(i)|, recall_i = |C(i) & L(i)| / |L(i)|;
    both are averaged over all items (each item counts itself). F1 is the
    harmonic mean of the two averages. An empty input scores 1.0.
    """
    cells, gold_sizes, pred_sizes = _contingency(gold, pred)
    n = len(gold)
    if n == 0:
        return PRF(1.0, 1.0, 1.0)
    # The n_ij items of a cell each have |C & L| = n_ij, so the cell adds n_ij^2 / size.
    precision = math.fsum(m * m / pred_sizes[p] for (_, p), m in cells.items()) / n
    recall = math.fsum(m * m / gold_sizes[g] for (g, _), m in cells.items()) / n
    return PRF.from_pr(precision, recall)


def adjusted_rand_index(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985) from the contingency table.

    ARI = (index - expected) / (max - expected) with index = sum_ij C(n_ij, 2),
    expected = sum_i C(a_i, 2) * sum_j C(b_j, 2) / C(n, 2) and
    max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2. When max == expected (fewer
    than two items, or both labelings all singletons or both one cluster) the
    clusterings are identical and the result is 1.0, as in scikit-learn.
    """
    cells, gold_sizes, pred_sizes = _contingency(gold, pred)
    total = _pairs(len(gold))
    index = sum(_pairs(n) for n in cells.values())
    sum_gold = sum(_pairs(n) for n in gold_sizes.values())
    sum_pred = sum(_pairs(n) for n in pred_sizes.values())
    if total == 0:
        return 1.0
    # Multiply through by 2 * C(n, 2) to stay in exact integers until the last division.
    numerator = 2 * (index * total - sum_gold * sum_pred)
    denominator = (sum_gold + sum_pred) * total - 2 * sum_gold * sum_pred
    if denominator == 0:
        return 1.0
    return numerator / denominator


def pair_prf(gold: Sequence[bool], pred: Sequence[bool]) -> PRF:
    """Precision, recall and F1 of binary decisions, ``True`` being the positive class.

    No predicted and no gold positives scores 1.0; any other zero denominator
    gives 0.0 (see the module docstring).
    """
    _check_lengths(gold, pred)
    true_pos = sum(1 for g, p in zip(gold, pred) if g and p)
    gold_pos = sum(1 for g in gold if g)
    pred_pos = sum(1 for p in pred if p)
    if gold_pos == 0 and pred_pos == 0:
        return PRF(1.0, 1.0, 1.0)
    return PRF.from_pr(_ratio(true_pos, pred_pos), _ratio(true_pos, gold_pos))


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation of x and y; never NaN.

    Returns 0.0 when there are fewer than two points or either side is constant
    (the correlation is undefined there). Raises ``ValueError`` on different
    lengths or a non-finite value, rather than returning NaN.
    """
    _check_lengths(x, y)
    xs = [float(v) for v in x]
    ys = [float(v) for v in y]
    if not all(math.isfinite(v) for v in xs + ys):
        raise ValueError("pearson needs finite values")
    if len(xs) < 2 or all(v == xs[0] for v in xs) or all(v == ys[0] for v in ys):
        return 0.0
    mean_x = math.fsum(xs) / len(xs)
    mean_y = math.fsum(ys) / len(ys)
    dx = [v - mean_x for v in xs]
    dy = [v - mean_y for v in ys]
    sxx = math.fsum(d * d for d in dx)
    syy = math.fsum(d * d for d in dy)
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    r = math.fsum(a * b for a, b in zip(dx, dy)) / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, r))
