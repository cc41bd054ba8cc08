"""The simplest event tagger, for comparison: online single-pass TF-IDF clustering.

Each article (title and text, in publication order) becomes a TF-IDF vector with document frequencies
learnt from the stream so far (``streams.tfidf.OnlineTfidf``, as the pipeline's lexical mode); it joins
the cluster whose centroid is most similar if the cosine reaches the threshold, else starts a new one.
No facts, no time window, no dedup.
"""
from __future__ import annotations

from typing import Any, Sequence

from streams import tfidf

THRESHOLDS = (0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
"""The baseline's threshold grid (chosen on the tuning corpora like the pipeline's)."""


def vectors(records: Sequence[dict[str, Any]]) -> list[tfidf.SparseVector]:
    """TF-IDF vectors of the records in order (document frequencies learnt as the stream goes)."""
    vectorizer = tfidf.OnlineTfidf()
    return [vectorizer.vector(f"{r.get('title') or ''}. {r.get('text') or ''}") for r in records]


def single_pass(vecs: Sequence[tfidf.SparseVector], threshold: float) -> list[int]:
    """Cluster number of each vector: the most similar centroid at cosine >= ``threshold``, else a new one.

    An inverted index from term to clusters keeps the scan to the clusters sharing a term."""
    sums: list[tfidf.SparseVector] = []
    units: list[tfidf.SparseVector] = []
    postings: dict[int, set[int]] = {}
    out: list[int] = []
    for vec in vecs:
        candidates = set().union(*(postings.get(term, ()) for term in vec)) if vec else set()
        best, best_score = -1, threshold
        for cluster in candidates:
            score = tfidf.cosine(vec, units[cluster])
            if score >= best_score:
                best, best_score = cluster, score
        if best < 0:
            best = len(sums)
            sums.append({})
            units.append({})
        sums[best] = tfidf.add_into(sums[best], vec)
        units[best] = tfidf.normalise(sums[best])
        for term in units[best]:
            postings.setdefault(term, set()).add(best)
        out.append(best)
    return out
