"""Evidence a person can check for why two articles are the same story:
shared (or near-matching) direct quotes, shared named entities and shared numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

QUOTE_MATCH = 85.0  # rapidfuzz ratio; "small yards with high fences" vs "small farms ..." scores ~89
CACHED_SCORES = 2048
"""Quote lists whose score matrix is remembered: copies of one story bring the same quotes pair after pair."""
CACHED_QUOTES = 8192
"""Quotes whose normal form is remembered: each article's quotes are read again on each of its ~4 keyed
partitions, and copies of a story repeat them."""
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=CACHED_QUOTES)
def _norm(quote: str) -> str:
    return " ".join(_WORD.findall(quote.lower()))


@dataclass
class Evidence:
    quotes: list[dict] = field(default_factory=list)  # {"a": ..., "b": ..., "score": ...}
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"shared_quotes": self.quotes, "shared_entities": self.entities, "shared_numbers": self.numbers}

    @classmethod
    def from_dict(cls, data: dict) -> Evidence:
        """Inverse of :meth:`as_dict`."""
        return cls(data["shared_quotes"], data["shared_entities"], data["shared_numbers"])

    def swapped(self) -> Evidence:
        """The same evidence seen from the other article (the two sides of each quote pair exchanged)."""
        return Evidence([{"a": q["b"], "b": q["a"], "score": q["score"]} for q in self.quotes],
                        self.entities, self.numbers)


def normalise_quotes(quotes: list[str]) -> list[str]:
    """Lowercased word form of each quote, computed once per article."""
    return [_norm(q) for q in quotes]


def shared_quotes(a: list[str], b: list[str], min_score: float = QUOTE_MATCH,
                  norm_a: list[str] | None = None, norm_b: list[str] | None = None) -> list[dict]:
    """Pairs of quotes that match exactly or nearly; a short quote inside a longer one also counts.

    Identical quotes (after normalising) pair up first, by a dictionary lookup; only the quotes left over
    are scored with rapidfuzz, then matched greedily, best score first. Each quote of ``b`` is used once."""
    if not a or not b:
        return []
    norm_a = norm_a if norm_a is not None else normalise_quotes(a)
    norm_b = norm_b if norm_b is not None else normalise_quotes(b)
    pairs = _exact_pairs(norm_a, norm_b)
    rest_a = [i for i in range(len(a)) if i not in pairs]
    taken = {j for j, _ in pairs.values()}
    rest_b = [j for j in range(len(b)) if j not in taken]
    if rest_a and rest_b:
        scores = _fuzzy_scores(tuple(norm_a[i] for i in rest_a), tuple(norm_b[j] for j in rest_b), min_score)
        for row, col, score in _greedy(scores, min_score):
            pairs[rest_a[row]] = (rest_b[col], score)
    return [{"a": a[i], "b": b[j], "score": round(score / 100, 3)} for i, (j, score) in sorted(pairs.items())]


def _exact_pairs(norm_a: list[str], norm_b: list[str]) -> dict[int, tuple[int, float]]:
    """Quote ``i`` of a -> (quote ``j`` of b, 100) for identical normalised quotes, each ``j`` once."""
    free: dict[str, list[int]] = {}
    for j, quote in enumerate(norm_b):
        free.setdefault(quote, []).append(j)
    pairs = {}
    for i, quote in enumerate(norm_a):
        if free.get(quote):
            pairs[i] = (free[quote].pop(0), 100.0)
    return pairs


@lru_cache(maxsize=CACHED_SCORES)
def _fuzzy_scores(norm_a: tuple[str, ...], norm_b: tuple[str, ...], min_score: float) -> np.ndarray:
    """Score matrix (read-only: it is remembered): rapidfuzz ratio, or partial ratio (less 3) for two long
    quotes where the shorter's words mostly occur in the longer (partial ratio is costly; a near-substring
    shares most words)."""
    scores = process.cdist(norm_a, norm_b, scorer=fuzz.ratio, score_cutoff=min_score, dtype=np.float32)
    words_a = [_words(q) if len(q) >= 20 else None for q in norm_a]
    words_b = [_words(q) if len(q) >= 20 else None for q in norm_b]
    for i, wa in enumerate(words_a):
        if wa is None:
            continue
        for j, wb in enumerate(words_b):
            if wb is None or wa.isdisjoint(wb) or len(wa & wb) * 2 < min(len(wa), len(wb)):
                continue
            partial = fuzz.partial_ratio(norm_a[i], norm_b[j], score_cutoff=min_score + 3)
            if partial:
                scores[i, j] = max(scores[i, j], partial - 3)
    scores.flags.writeable = False
    return scores


@lru_cache(maxsize=CACHED_SCORES)
def _words(quote: str) -> frozenset[str]:
    return frozenset(quote.split())


def _greedy(scores: np.ndarray, min_score: float) -> list[tuple[int, int, float]]:
    """Rows in order, each taking its best column not taken yet."""
    out, used = [], set()
    for i in np.flatnonzero((scores >= min_score).any(axis=1)):
        for j in np.argsort(-scores[i], kind="stable"):
            if scores[i, j] < min_score:
                break
            if j not in used:
                used.add(int(j))
                out.append((int(i), int(j), float(scores[i, j])))
                break
    return out


def collect(quotes_a: list[str], quotes_b: list[str], entities_a: list[str], entities_b: list[str],
            numbers_a: list[str], numbers_b: list[str], norm_a: list[str] | None = None,
            norm_b: list[str] | None = None) -> Evidence:
    return Evidence(quotes=shared_quotes(quotes_a, quotes_b, norm_a=norm_a, norm_b=norm_b),
                    entities=sorted(set(entities_a) & set(entities_b)),
                    numbers=sorted(set(numbers_a) & set(numbers_b)))
