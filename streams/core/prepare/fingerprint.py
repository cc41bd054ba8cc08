"""Fingerprint stage: exact-copy keys and MinHash signatures of word shingles."""
from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from functools import lru_cache

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
    """A compact MinHash of the 5-word shingles (its Jaccard estimate has ~0.06 std at 64 permutations).

    Shingles are hashed with numpy from per-word CRC32s (a rolling polynomial over the 5 words), not one
    SHA-1 per shingle string: the same sets, hashed ~10x faster. datasketch applies its permutations."""
    scheme, permutations = _permutations(num_perm)
    sketch = MinHash(num_perm=num_perm, hashfunc=int, permutations=permutations, scheme=scheme)
    hashes = shingle_hashes(tokens)
    if len(hashes):
        sketch.update_batch(hashes)
    return LeanMinHash(sketch)


AFFINE32 = "affine32"
EMPTY32 = np.uint32(0xFFFFFFFF)
"""A sketch of no shingle: every slot at the largest hash (datasketch's empty value)."""
CHUNK_SHINGLES = 1 << 16
"""Shingles permuted at once (an array of CHUNK_SHINGLES x NUM_PERM 32-bit values, 16 MB at 64 permutations)."""


def minhashes(token_lists: Sequence[list[str]], num_perm: int = NUM_PERM,
              chunk: int | None = None) -> list[LeanMinHash]:
    """``minhash`` of many texts at once, the same sketches: every shingle hash of the batch goes through
    the permutations in one numpy product and each text's minimum is one segment of a ``reduceat``
    (``chunk``: at most this many shingles at once, default ``CHUNK_SHINGLES``).

    datasketch's "affine32" scheme (its default) is applied here as datasketch does it (MurmurHash3's
    32-bit finaliser, then ``a * h + b`` wrapping at 2**32); with another scheme, one sketch at a time."""
    scheme, permutations = _permutations(num_perm)
    if scheme != AFFINE32:
        return [minhash(tokens, num_perm) for tokens in token_lists]
    values = np.full((len(token_lists), num_perm), EMPTY32, dtype=np.uint32)
    for rows in _chunks([len(tokens) for tokens in token_lists], chunk or CHUNK_SHINGLES):
        hashes = _shingle_hashes_of([token_lists[row] for row in rows])
        filled = [row for row, h in zip(rows, hashes) if len(h)]
        if not filled:
            continue
        sizes = np.array([len(h) for h in hashes if len(h)])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        mixed = _fmix32(np.concatenate(hashes).astype(np.uint32))
        permuted = mixed[:, None] * permutations[0] + permutations[1]  # wraps at 2**32, as datasketch's
        values[filled] = np.minimum.reduceat(permuted, starts, axis=0)
    seed = _seed(num_perm)
    return [LeanMinHash(seed=seed, hashvalues=row, scheme=scheme) for row in values]


def _shingle_hashes_of(token_lists: list[list[str]], k: int = SHINGLE_WORDS) -> list[np.ndarray]:
    """The shingle hashes of each text (``shingle_hashes``, repeats kept: a minimum does not mind them),
    rolled over the whole batch's words at once; a text of fewer than ``k`` words on its own."""
    tokens = [token for text in token_lists for token in text]
    known = list(map(_WORD_HASHES.get, tokens))
    if None in known:
        known = [_word_hash(t) if h is None else h for t, h in zip(tokens, known)]
    rolled = _finish(_roll(np.array(known, dtype=np.uint64), k))
    out, start = [], 0
    for text in token_lists:
        if len(text) >= k:
            out.append(rolled[start:start + len(text) - k + 1])
        else:
            out.append(shingle_hashes(text, k))
        start += len(text)
    return out


def _roll(words: np.ndarray, k: int) -> np.ndarray:
    """The polynomial hash of every run of ``k`` consecutive word hashes."""
    count = max(0, len(words) - k + 1)
    rolled = np.zeros(count, dtype=np.uint64)
    for offset in range(k):
        rolled = rolled * _ROLL + words[offset:offset + count]
    return rolled


def _finish(rolled: np.ndarray) -> np.ndarray:
    """Mixed, and the top 32 bits kept."""
    rolled ^= rolled >> np.uint64(33)
    rolled *= _MIX
    rolled ^= rolled >> np.uint64(33)
    return rolled >> np.uint64(32)


def _chunks(sizes: list[int], limit: int) -> list[list[int]]:
    """Row indexes grouped so that each group holds at most ``limit`` words, about one shingle each (or one
    longer text on its own)."""
    groups: list[list[int]] = [[]]
    total = 0
    for row, size in enumerate(sizes):
        if groups[-1] and total + size > limit:
            groups.append([])
            total = 0
        groups[-1].append(row)
        total += size
    return groups


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch pre-mixes hashes with it in the affine schemes)."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


_WORD_HASHES: dict[str, int] = {}
_WORD_HASHES_MAX = 1_000_000  # a cache of CRC32s; cleared when full (bounded memory)
_ROLL = np.uint64(0x100000001B3)  # FNV-64 prime: mixes each word's position into the shingle hash
_MIX = np.uint64(0xFF51AFD7ED558CCD)  # murmur3 finaliser constant


def shingle_hashes(tokens: list[str], k: int = SHINGLE_WORDS) -> np.ndarray:
    """Distinct 32-bit hashes of the word k-grams of ``tokens`` (as ``shingles`` defines them)."""
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    known = list(map(_WORD_HASHES.get, tokens))
    if None in known:
        known = [_word_hash(t) if h is None else h for t, h in zip(tokens, known)]
    words = np.array(known, dtype=np.uint64)
    return np.unique(_finish(_roll(words, min(k, len(words)))))


def _word_hash(token: str) -> int:
    value = _WORD_HASHES.get(token)
    if value is None:
        if len(_WORD_HASHES) >= _WORD_HASHES_MAX:
            _WORD_HASHES.clear()
        value = _WORD_HASHES[token] = zlib.crc32(token.encode())
    return value


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[str, np.ndarray]:
    """datasketch's default scheme and its permutations for the default seed, built once, not per sketch."""
    template = MinHash(num_perm=num_perm)
    return template.scheme, template.permutations


@lru_cache(maxsize=4)
def _seed(num_perm: int) -> int:
    return MinHash(num_perm=num_perm).seed


def estimated_jaccard(a: LeanMinHash, b: LeanMinHash) -> float:
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)
