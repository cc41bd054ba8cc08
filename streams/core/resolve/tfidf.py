"""Online TF-IDF with the hashing trick: document frequencies learnt from the stream itself,
so no vocabulary or corpus has to be fitted beforehand."""
from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, mul

import numpy as np

BUCKETS = 1 << 18
TERMS_KEPT = 80
STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other our ours out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours said says say told according new one two also year years
people time last first would could may might mr mrs ms""".split())
TOKEN = re.compile(r"[a-z][a-z\-']{2,}")
CACHED_TEXTS = 2048
"""Texts whose bucket counts are remembered (two arrays, ~3 KB a text): verbatim wire copies repeat the text."""

SparseVector = dict[int, float]


def terms(text: str) -> Counter:
    """Term counts, stopwords left out, in the order of each term's first occurrence."""
    counts = Counter(TOKEN.findall(text.lower()))
    for stopword in STOPWORDS.intersection(counts):  # deleting keeps the others' order
        del counts[stopword]
    return counts


@lru_cache(maxsize=1 << 17)
def _bucket(term: str) -> int:
    return zlib.crc32(term.encode()) & (BUCKETS - 1)


class OnlineTfidf:
    """Turns texts into unit-length sparse TF-IDF vectors, updating document frequencies as it goes."""

    def __init__(self) -> None:
        self.df = np.zeros(BUCKETS, dtype=np.int32)
        self.docs = 0

    def vector(self, text: str, learn: bool = True) -> SparseVector:
        index, tf = bucket_counts(text)
        if learn:
            self.docs += 1
            self.df[index] += 1  # the buckets are distinct
        # Smoothed idf (+1): the first documents of a stream still get usable vectors.
        docs = 1 + self.docs
        weights = {b: t * (1 + math.log(docs / (1 + df)))
                   for b, t, df in zip(index.tolist(), tf.tolist(), self.df[index].tolist())}
        top = sorted(weights.items(), key=_WEIGHT, reverse=True)[:TERMS_KEPT]  # stable: ties keep their order
        return normalise(dict(top))


@lru_cache(maxsize=CACHED_TEXTS)
def bucket_counts(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct buckets of a text's terms, in the order of the terms' first occurrence, and each bucket's
    term-frequency weight (1 + log of its count, float64: the very floats), as two read-only arrays."""
    counts = terms(text)
    buckets: dict[int, int] = {}
    for bucket, count in zip(map(_bucket, counts), counts.values()):
        buckets[bucket] = buckets.get(bucket, 0) + count
    index = np.fromiter(buckets, dtype=np.intp, count=len(buckets))
    tf = np.array([1 + math.log(c) for c in buckets.values()], dtype=np.float64)
    index.flags.writeable = tf.flags.writeable = False
    return index, tf


_WEIGHT = itemgetter(1)


def normalise(vector: SparseVector) -> SparseVector:
    values = vector.values()
    norm = math.sqrt(sum(map(mul, values, values)))  # the same squares summed in the same order
    return {k: w / norm for k, w in vector.items()} if norm else {}


def cosine(a: SparseVector, b: SparseVector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(map(mul, a.values(), map(b.get, a.keys(), repeat(0.0))))  # the same sum, in the same order


def add_into(total: SparseVector, vector: SparseVector, keep: int = 3 * TERMS_KEPT) -> SparseVector:
    """Centroid update: add and keep the strongest ``keep`` terms (bounded memory)."""
    for k, w in vector.items():
        total[k] = total.get(k, 0.0) + w
    if len(total) > keep:
        total = dict(sorted(total.items(), key=_WEIGHT, reverse=True)[:keep])
    return total
