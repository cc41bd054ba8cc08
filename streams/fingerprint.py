"""Fingerprint stage: exact-copy keys and MinHash signatures of word shingles."""
from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import LeanMinHash, MinHash

WORD = re.compile(r"\w+")
SHINGLE_WORDS = 5
NUM_PERM = 64


def words(text: str) -> list[str]:
    """Lowercased word tokens; punctuation and layout ignored."""
    return WORD.findall(text.lower())


def exact_key(tokens: list[str]) -> str:
    """Same key for texts that differ only in case, punctuation or whitespace."""
    return hashlib.sha1(" ".join(tokens).encode()).hexdigest()[:20]


def shingles(tokens: list[str], k: int = SHINGLE_WORDS) -> set[str]:
    """Word k-grams; texts shorter than k words give one shingle of the whole text."""
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def minhash(tokens: list[str], num_perm: int = NUM_PERM) -> LeanMinHash:
    """A compact MinHash of the 5-word shingles (its Jaccard estimate has ~0.06 std at 64 permutations)."""
    sketch = MinHash(num_perm=num_perm)
    items = [s.encode() for s in shingles(tokens)]
    if items:
        sketch.update_batch(items)
    return LeanMinHash(sketch)


def estimated_jaccard(a: LeanMinHash, b: LeanMinHash) -> float:
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)
