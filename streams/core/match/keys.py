"""Candidate keys: where an article's possible duplicates meet, whichever worker prepared them.

Every pair of articles that dedup could join shares at least one key (with high probability for the
hashed ones), and each key lives on one partition (``crc32(key) % partitions``), so routing an
article's keys through a repartition topic brings it to every partition where a candidate waits.

- ``x:`` exact key: the same normalised text;
- ``m:`` MinHash LSH bands (datasketch's optimal bands for ``near_copy_jaccard``): near-verbatim copies;
- ``e:`` random-hyperplane buckets of the lead embedding (``TABLES`` tables of ``BITS`` bits): paraphrases.
  A pair at cosine 0.75 shares a bucket with probability 0.91, at 0.85 with 0.993;
- ``q:`` quote prefixes (lexical mode only): rewrites that keep the quotes.
"""
from __future__ import annotations

import hashlib
import zlib
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from datasketch import MinHashLSH

from streams.core.prepare.fingerprint import NUM_PERM

if TYPE_CHECKING:
    from streams.core.match.held import Fingerprint
    from streams.settings import DedupSettings

TABLES = 32
BITS = 10
PLANES_SEED = 20241122


@lru_cache(maxsize=8)
def bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) that datasketch's MinHashLSH uses for this Jaccard threshold (its documented ``b``
    and ``r``: an empty index in memory, built once per threshold)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.5, 0.5))
    return lsh.b, lsh.r


@lru_cache(maxsize=4)
def planes(dim: int) -> np.ndarray:
    """Fixed random hyperplanes: every worker must draw the same ones."""
    return np.random.default_rng(PLANES_SEED).standard_normal((TABLES * BITS, dim)).astype(np.float32)


def band_keys(hashvalues: np.ndarray, threshold: float) -> list[str]:
    count, rows = bands(threshold, len(hashvalues))
    out = []
    for band in range(count):
        chunk = np.ascontiguousarray(hashvalues[band * rows:(band + 1) * rows]).tobytes()
        out.append(f"m:{band}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return out


def embedding_keys(vector: np.ndarray) -> list[str]:
    signs = (planes(len(vector)) @ vector.astype(np.float32)) > 0
    weights = 1 << np.arange(BITS)
    codes = signs.reshape(TABLES, BITS) @ weights
    return [f"e:{table}:{int(code)}" for table, code in enumerate(codes)]


def candidate_keys(exact: str, hashvalues: np.ndarray, embedding: np.ndarray | None,
                   quote_keys: AbstractSet[str], near_copy_jaccard: float) -> list[str]:
    """Every key of one article (see the module docstring)."""
    keys = [f"x:{exact}", *band_keys(hashvalues, near_copy_jaccard)]
    if embedding is not None:
        keys += embedding_keys(embedding)
    else:
        keys += [f"q:{key}" for key in sorted(quote_keys)]
    return keys


def keys_of(fp: Fingerprint, settings: DedupSettings) -> list[str]:
    """Every candidate key of a fingerprint."""
    return candidate_keys(fp.exact, fp.minhash.hashvalues, fp.embedding, fp.quote_keys, settings.near_copy_jaccard)


def partition_of(key: str, partitions: int) -> int:
    """Stable across processes and Python versions (unlike ``hash``)."""
    return zlib.crc32(key.encode()) % partitions


def key_hash(key: str) -> int:
    """A stable 64-bit hash of a key: the CRC32 that routes it (``partition_of``) in the high half, so the
    partition owning a key can be read off its hash, and the CRC32 of the reversed key in the low half.
    Never 0 or 1 (the key index uses those as cell markers)."""
    value = (zlib.crc32(key.encode()) << 32) | zlib.crc32(key[::-1].encode())
    return value if value > 1 else value + 2


def route(keys: list[str], partitions: int) -> dict[int, list[str]]:
    """Keys grouped by the partition that owns them: one message per partition, not per key."""
    out: dict[int, list[str]] = {}
    for key in keys:
        out.setdefault(partition_of(key, partitions), []).append(key)
    return out
