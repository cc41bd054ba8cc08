"""Evidence a person can check for why two articles are the same story:
shared (or near-matching) direct quotes, shared named entities and shared numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

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


def shared_quotes(a: list[str], b: list[str], min_score: float = QUOTE_MATCH) -> list[dict]:
    """Pairs of quotes that match exactly or nearly; a short quote inside a longer one also counts."""
    matches = []
    used: set[int] = set()
    for qa in a:
        na = _norm(qa)
        best, best_j, best_score = None, -1, 0.0
        for j, qb in enumerate(b):
            if j in used:
                continue
            nb = _norm(qb)
            score = fuzz.ratio(na, nb)
            if score < min_score and min(len(na), len(nb)) >= 20:
                score = max(score, fuzz.partial_ratio(na, nb) - 3)
            if score > best_score:
                best, best_j, best_score = qb, j, score
        if best is not None and best_score >= min_score:
            used.add(best_j)
            matches.append({"a": qa, "b": best, "score": round(best_score / 100, 3)})
    return matches


def collect(quotes_a: list[str], quotes_b: list[str], entities_a: list[str], entities_b: list[str],
            numbers_a: list[str], numbers_b: list[str]) -> Evidence:
    return Evidence(quotes=shared_quotes(quotes_a, quotes_b),
                    entities=sorted(set(entities_a) & set(entities_b)),
                    numbers=sorted(set(numbers_a) & set(numbers_b)))
