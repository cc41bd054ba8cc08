"""Scores checked against hand-computed examples and brute-force references."""
from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from streams.evaluation.scores import PRF, adjusted_rand_index, bcubed, pair_prf, pairwise, pearson

# gold clusters A={0,1,2} B={3,4} C={5}; predicted X={0,1} Y={2,3,4} Z={5}
GOLD = ["A", "A", "A", "B", "B", "C"]
PRED = ["X", "X", "Y", "Y", "Y", "Z"]


def approx(value: float | Fraction) -> object:
    return pytest.approx(float(value), abs=1e-12)


def test_prf_as_dict_and_f1() -> None:
    prf = PRF.from_pr(0.5, 1.0)
    assert prf.as_dict() == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3)}
    assert PRF.from_pr(0.0, 0.0).f1 == 0.0
    with pytest.raises(AttributeError):
        prf.precision = 1.0  # type: ignore[misc]


def test_pairwise_hand_example() -> None:
    # true links: (0,1) and (3,4); gold links 3+1 = 4; predicted links 1+3 = 4
    result = pairwise(GOLD, PRED)
    assert result == PRF(0.5, 0.5, 0.5)


def test_pairwise_conventions() -> None:
    assert pairwise([], []) == PRF(1.0, 1.0, 1.0)
    assert pairwise([1, 2, 3], ["a", "b", "c"]) == PRF(1.0, 1.0, 1.0)  # no links anywhere
    assert pairwise([1, 2, 3], [0, 0, 0]) == PRF(0.0, 0.0, 0.0)  # no gold links
    assert pairwise([0, 0, 0], [1, 2, 3]) == PRF(0.0, 0.0, 0.0)  # no predicted links
    assert pairwise([0, 0, 1, 1], [0, 0, 0, 0]) == PRF.from_pr(2 / 6, 1.0)
    assert pairwise([0, 0, 1, 1], [5, 5, 7, 7]) == PRF(1.0, 1.0, 1.0)


def test_bcubed_hand_example() -> None:
    # per-item precision 1, 1, 1/3, 2/3, 2/3, 1 (sum 14/3); recall 2/3, 2/3, 1/3, 1, 1, 1 (sum 14/3)
    result = bcubed(GOLD, PRED)
    precision, recall = Fraction(7, 9), Fraction(7, 9)
    assert result.precision == approx(precision)
    assert result.recall == approx(recall)
    assert result.f1 == approx(2 * precision * recall / (precision + recall))


def test_bcubed_asymmetric_example() -> None:
    # gold {0,1} {2,3,4}; predicted {0,1,2} {3} {4}
    # precision per item 2/3, 2/3, 1/3, 1, 1 -> 11/15 ; recall 1, 1, 1/3, 1/3, 1/3 -> 3/5
    result = bcubed([0, 0, 1, 1, 1], [0, 0, 0, 1, 2])
    assert result.precision == approx(Fraction(11, 15))
    assert result.recall == approx(Fraction(3, 5))
    assert result.f1 == approx(2 * Fraction(11, 15) * Fraction(3, 5) / (Fraction(11, 15) + Fraction(3, 5)))


def test_bcubed_edges() -> None:
    assert bcubed([], []) == PRF(1.0, 1.0, 1.0)
    one_cluster = bcubed([0, 0, 1, 1], [9, 9, 9, 9])
    assert (one_cluster.precision, one_cluster.recall) == (0.5, 1.0)
    singletons = bcubed([0, 0, 1, 1], [1, 2, 3, 4])
    assert (singletons.precision, singletons.recall) == (1.0, 0.5)
    assert bcubed(["x", "y"], [None, 3]) == PRF(1.0, 1.0, 1.0)


def test_ari_known_values() -> None:
    assert adjusted_rand_index(GOLD, PRED) == approx(Fraction(7, 22))
    assert adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == approx(Fraction(4, 7))
    assert adjusted_rand_index([0, 0, 1, 2], [0, 0, 1, 1]) == approx(Fraction(4, 7))
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == approx(-0.5)
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0
    # degenerate cases where the clusterings agree trivially
    assert adjusted_rand_index([], []) == 1.0
    assert adjusted_rand_index([7], [3]) == 1.0
    assert adjusted_rand_index([1, 2, 3], [4, 5, 6]) == 1.0
    assert adjusted_rand_index([1, 1, 1], [4, 4, 4]) == 1.0


def test_ari_matches_sklearn_on_random_labelings() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")  # test-only cross-check
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(0, 40)
        gold = [rng.randint(0, rng.randint(0, 8)) for _ in range(n)]
        pred = [rng.randint(0, rng.randint(0, 8)) for _ in range(n)]
        expected = sklearn_metrics.adjusted_rand_score(gold, pred) if n else 1.0
        assert adjusted_rand_index(gold, pred) == pytest.approx(expected, abs=1e-12)


def _brute_pairwise(gold: list[int], pred: list[int]) -> tuple[int, int, int]:
    tp = gold_links = pred_links = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        same_gold, same_pred = gold[i] == gold[j], pred[i] == pred[j]
        tp += same_gold and same_pred
        gold_links += same_gold
        pred_links += same_pred
    return tp, gold_links, pred_links


def _brute_bcubed(gold: list[int], pred: list[int]) -> tuple[float, float]:
    n = len(gold)
    ps, rs = [], []
    for i in range(n):
        cluster = {j for j in range(n) if pred[j] == pred[i]}
        label = {j for j in range(n) if gold[j] == gold[i]}
        ps.append(len(cluster & label) / len(cluster))
        rs.append(len(cluster & label) / len(label))
    return sum(ps) / n, sum(rs) / n


def test_pairwise_and_bcubed_match_brute_force() -> None:
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(1, 30)
        gold = [rng.randint(0, rng.randint(0, 6)) for _ in range(n)]
        pred = [rng.randint(0, rng.randint(0, 6)) for _ in range(n)]
        tp, gold_links, pred_links = _brute_pairwise(gold, pred)
        result = pairwise(gold, pred)
        if gold_links == 0 and pred_links == 0:
            assert result == PRF(1.0, 1.0, 1.0)
        else:
            assert result.precision == (tp / pred_links if pred_links else 0.0)
            assert result.recall == (tp / gold_links if gold_links else 0.0)
        precision, recall = _brute_bcubed(gold, pred)
        cub = bcubed(gold, pred)
        assert cub.precision == pytest.approx(precision, abs=1e-12)
        assert cub.recall == pytest.approx(recall, abs=1e-12)


def test_scores_are_symmetric_in_roles() -> None:
    # swapping gold and pred swaps precision and recall; ARI is symmetric
    swapped = pairwise(PRED, GOLD)
    assert (swapped.precision, swapped.recall) == (pairwise(GOLD, PRED).recall, pairwise(GOLD, PRED).precision)
    cub, cub_swapped = bcubed(GOLD, PRED), bcubed(PRED, GOLD)
    assert cub_swapped.precision == pytest.approx(cub.recall)
    assert adjusted_rand_index(PRED, GOLD) == adjusted_rand_index(GOLD, PRED)


@pytest.mark.parametrize("fn", [pairwise, bcubed, adjusted_rand_index, pair_prf])
def test_length_mismatch_raises(fn) -> None:
    with pytest.raises(ValueError, match="same length"):
        fn([1, 2], [1])


def test_pair_prf() -> None:
    gold = [True, True, False, False, True]
    pred = [True, False, True, False, True]
    result = pair_prf(gold, pred)
    assert result.precision == approx(Fraction(2, 3))
    assert result.recall == approx(Fraction(2, 3))
    assert result.f1 == approx(Fraction(2, 3))
    assert pair_prf([False, False], [False, False]) == PRF(1.0, 1.0, 1.0)
    assert pair_prf([], []) == PRF(1.0, 1.0, 1.0)
    assert pair_prf([True, False], [False, False]) == PRF(0.0, 0.0, 0.0)
    assert pair_prf([False, False], [True, False]) == PRF(0.0, 0.0, 0.0)
    assert pair_prf([True, True, False], [True, True, True]) == PRF.from_pr(2 / 3, 1.0)


def test_pearson() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == approx(-1.0)
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == approx(0.8)
    assert pearson([0.1, 0.1, 0.1], [1, 2, 3]) == 0.0
    assert pearson([1, 2, 3], [5, 5, 5]) == 0.0
    assert pearson([1.0], [2.0]) == 0.0
    assert pearson([], []) == 0.0
    with pytest.raises(ValueError):
        pearson([1.0, math.nan], [1.0, 2.0])
    with pytest.raises(ValueError):
        pearson([1.0, 2.0], [1.0])


def test_pearson_matches_numpy() -> None:
    np = pytest.importorskip("numpy")
    rng = random.Random(3)
    x = [rng.random() for _ in range(50)]
    y = [v * 0.3 + rng.random() for v in x]
    assert pearson(x, y) == pytest.approx(float(np.corrcoef(x, y)[0, 1]), abs=1e-12)
