"""Evidence a person can check for why two articles are the same story:
shared (or near-matching) direct quotes, shared named entities and shared numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

QUOTE_MATCH = 85.0  # rapidfuzz ratio; "small yards with high fences" vs "small farms ..." scores ~89


def _norm(quote: str) -> str:
    return " ".join(re.findall(r"\w+", quote.lower()))


@dataclass
class Evidence:
    quotes: list[dict] = field(default_factory=list)  # {"a": ..., "b": ..., "score": ...}
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @property
    def strength(self) -> int:
        """Rough count of independent pieces of evidence."""
        return len(self.quotes) + min(len(self.entities), 3) // 2 + min(len(self.numbers), 2)

    def as_dict(self) -> dict:
        return {"shared_quotes": self.quotes, "shared_entities": self.entities, "shared_numbers": self.numbers}


def normalise_quotes(quotes: list[str]) -> list[str]:
    """Lowercased word form of each quote, computed once per article."""
    return [_norm(q) for q in quotes]


def shared_quotes(a: list[str], b: list[str], min_score: float = QUOTE_MATCH,
                  norm_a: list[str] | None = None, norm_b: list[str] | None = None) -> list[dict]:
    """Pairs of quotes that match exactly or nearly; a short quote inside a longer one also counts.

    All pair scores are computed in one rapidfuzz matrix call, then matched greedily."""
    if not a or not b:
        return []
    norm_a = norm_a if norm_a is not None else normalise_quotes(a)
    norm_b = norm_b if norm_b is not None else normalise_quotes(b)
    scores = process.cdist(norm_a, norm_b, scorer=fuzz.ratio, score_cutoff=min_score, dtype=np.float32)
    long_a = np.array([len(q) >= 20 for q in norm_a])[:, None]
    long_b = np.array([len(q) >= 20 for q in norm_b])[None, :]
    if (long_a & long_b).any():
        partial = process.cdist(norm_a, norm_b, scorer=fuzz.partial_ratio, score_cutoff=min_score + 3,
                                dtype=np.float32)
        partial = np.where(partial > 0, partial - 3, 0) * (long_a & long_b)
        scores = np.maximum(scores, partial)
    matches = []
    used: set[int] = set()
    for i, qa in enumerate(a):
        order = [j for j in np.argsort(-scores[i]) if scores[i, j] >= min_score and j not in used]
        if order:
            j = int(order[0])
            used.add(j)
            matches.append({"a": qa, "b": b[j], "score": round(float(scores[i, j]) / 100, 3)})
    return matches


def collect(quotes_a: list[str], quotes_b: list[str], entities_a: list[str], entities_b: list[str],
            numbers_a: list[str], numbers_b: list[str], norm_a: list[str] | None = None,
            norm_b: list[str] | None = None) -> Evidence:
    return Evidence(quotes=shared_quotes(quotes_a, quotes_b, norm_a=norm_a, norm_b=norm_b),
                    entities=sorted(set(entities_a) & set(entities_b)),
                    numbers=sorted(set(numbers_a) & set(numbers_b)))
