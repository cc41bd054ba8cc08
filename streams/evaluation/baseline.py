"""The simplest event tagger, for comparison: online single-pass TF-IDF clustering.

Each article (title and text, in publication order) becomes a TF-IDF vector with document frequencies
learnt from the stream so far (``streams.core.resolve.tfidf.OnlineTfidf``, as the pipeline's lexical mode); it joins
the cluster whose centroid is most similar if the cosine reaches the threshold, else starts a new one.
No facts, no time window, no dedup; the centroid keeps every term (no cap).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from streams.core.resolve import tfidf

THRESHOLDS = (0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
"""The baseline's threshold grid (chosen on the tuning corpora like the pipeline's)."""


def vectors(records: Sequence[dict[str, Any]]) -> list[tfidf.SparseVector]:
    """TF-IDF vectors of the records in order (document frequencies learnt as the stream goes)."""
    vectorizer = tfidf.OnlineTfidf()
    return [vectorizer.vector(f"{r.get('title') or ''}. {r.get('text') or ''}") for r in records]


def single_pass(vecs: Sequence[tfidf.SparseVector], threshold: float) -> list[int]:
    """Cluster number of each vector: the most similar centroid (the sum of its members, normalised) at
    cosine >= ``threshold``, else a new cluster. Joining takes at least one shared term.

    Dot products are accumulated through an inverted index (term -> cluster -> summed weight) and divided
    by each centroid's norm, which is kept up to date as members join."""
    postings: dict[int, dict[int, float]] = {}
    norms_sq: list[float] = []
    out: list[int] = []
    for vec in vecs:
        dots: dict[int, float] = {}
        for term, weight in vec.items():
            for cluster, total in postings.get(term, {}).items():
                dots[cluster] = dots.get(cluster, 0.0) + weight * total
        best, best_score = -1, threshold
        for cluster, dot in dots.items():
            score = dot / math.sqrt(norms_sq[cluster]) if norms_sq[cluster] > 0 else 0.0
            if score > best_score or score == best_score and score > 0.0 and best < 0:
                best, best_score = cluster, score
        if best < 0 or best_score <= 0.0:
            best = len(norms_sq)
            norms_sq.append(0.0)
        for term, weight in vec.items():
            row = postings.setdefault(term, {})
            old = row.get(best, 0.0)
            row[best] = old + weight
            norms_sq[best] += 2 * old * weight + weight * weight
        out.append(best)
    return out
