"""The match stage's state: ``MatchIndex``, one per partition of the keyed topic, holds the fingerprints
whose candidate keys that partition owns (streams/core/match/keys.py) and judges each arriving article
against the held ones sharing a key (streams/core/match/pair.py). A pair sharing keys owned by several
partitions is judged by one of them only (``owner``)."""
from __future__ import annotations

import heapq
from collections.abc import Set as AbstractSet
from functools import lru_cache

import numpy as np

from streams.core.match.decision import Decision, Link, rank
from streams.core.match.held import Fingerprint, Held
from streams.core.match.keyindex import KeyIndex
from streams.core.match.keyindex import pack as pack_keys
from streams.core.match.keys import candidate_keys, key_hash
from streams.core.match.pair import evidence_between, judge
from streams.core.match.watermark import Mark, Watermark
from streams.settings import DedupSettings

EVIDENCE_CANDIDATES = 1  # evidence for the best verdict of each partition (the resolver keeps the best)
_NO_KEYS = np.empty(0, dtype=np.uint64)
CACHED_KEY_SETS = 4096
"""Articles whose key hashes are remembered: an article reaches each of its ~4 keyed partitions, often on one
worker, and each needs all its keys to find who owns a pair (~0.5 KB an entry)."""


def key_hashes(keys: list[str]) -> np.ndarray:
    """Sorted hashes of keys (``keys.key_hash``: the owning partition can be read off the high half)."""
    return np.array(sorted({key_hash(k) for k in keys}), dtype=np.uint64)


@lru_cache(maxsize=CACHED_KEY_SETS)
def _every_key_hash(exact: str, hashvalues: tuple[str, bytes], embedding: tuple[str, bytes] | None,
                    quote_keys: tuple[str, ...], near_copy_jaccard: float) -> np.ndarray:
    """``key_hashes`` of ``keys.candidate_keys``, from the inputs as (dtype, bytes) (hashable, so remembered);
    read-only."""
    vector = None if embedding is None else np.frombuffer(embedding[1], dtype=embedding[0])
    out = key_hashes(candidate_keys(exact, np.frombuffer(hashvalues[1], dtype=hashvalues[0]), vector,
                                    frozenset(quote_keys), near_copy_jaccard))
    out.flags.writeable = False
    return out


def owner(mine: AbstractSet[int], theirs: np.ndarray, partitions: int) -> int:
    """The partition that judges a pair: the one owning the smallest key (by hash) the two share, -1 if none.

    ``mine``: one article's key hashes as a set; ``theirs``: the other's, sorted (``key_hashes``), so the first
    of them in ``mine`` is the smallest shared one. Plain Python: on ~40 keys it is 4× faster than numpy's
    searchsorted, and it runs once per candidate."""
    for value in theirs.tolist():
        if value in mine:
            return (value >> 32) % partitions
    return -1


class MatchIndex:
    """The fingerprints held by one partition of the keyed topic, indexed by the keys it owns.

    ``sources``: how many raw partitions feed it (see ``Watermark``). Held articles expire behind the
    slowest raw partition (or ``max_skew_hours`` behind the newest), idle or not: a partition declared idle
    may still deliver older articles (its worker was slow to start, an archive is replayed into it), and
    they must find their pairs. Idleness only lets the resolver place without waiting for a quiet partition.

    Two articles sharing keys owned by several partitions meet on each of them; the pair is judged only on
    ``partition``, of ``partitions``, if it owns the smallest key they share (in key-hash order), so each
    pair is judged once in the group."""

    def __init__(self, settings: DedupSettings, sources: int = 1, partition: int = 0, partitions: int = 1) -> None:
        self.settings = settings
        self.partition = partition
        self.partitions = partitions
        self.window = settings.story_window_hours * 3600
        self.keep = self.window + settings.late_hours * 3600
        self._held: dict[str, tuple[Held, bytes, np.ndarray]] = {}  # id -> (fingerprint, keys held, all keys)
        self._by_key = KeyIndex()
        self._expiry: list[tuple[float, str]] = []
        self.watermark = Watermark(sources, settings.max_skew_hours * 3600)

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._held

    def match(self, fp: Fingerprint, keys: list[str], mark: Mark | None = None) -> list[Link]:
        """Verdicts of ``fp`` against the held articles sharing a key, best first; then hold ``fp``.

        An id already held is not judged again (a replay, or a redelivery after a crash)."""
        if fp.article_id in self._held:
            return []
        packed, every = pack_keys(keys), self._all_keys(fp)
        links = [Link(fp.article_id, fp.timestamp, d) for d in self._judge_candidates(fp, packed, every)]
        self._hold(fp, packed, mark, every)
        return links

    def _judge_candidates(self, fp: Fingerprint, packed: bytes, every: np.ndarray) -> list[Decision]:
        found = self._by_key.holders_of(packed)
        decisions = []
        mine = set(every.tolist())
        # in publication order: which of equally good verdicts comes first does not depend on the index layout
        for other in sorted(found, key=lambda a: (self._held[a][0].timestamp, a)):
            held, _, theirs = self._held[other]
            if self.partitions > 1 and owner(mine, theirs, self.partitions) != self.partition:
                continue  # another partition judges this pair
            if abs(held.timestamp - fp.timestamp) <= self.window:
                decision = judge(fp, held, self.settings)
                if decision is not None:
                    decisions.append(decision)
        decisions.sort(key=rank, reverse=True)
        for decision in decisions[:EVIDENCE_CANDIDATES]:
            if decision.evidence is None and decision.duplicate_of is not None:
                decision.evidence = evidence_between(fp, self._held[decision.duplicate_of][0])
        return decisions

    def hold(self, fp: Fingerprint, keys: list[str], mark: Mark | None = None) -> None:
        """Keep ``fp`` inside the window (also used to rebuild the index from the topic)."""
        if fp.article_id not in self._held:
            self._hold(fp, pack_keys(keys), mark, self._all_keys(fp))

    def _hold(self, fp: Fingerprint, packed: bytes, mark: Mark | None, every: np.ndarray) -> None:
        self._held[fp.article_id] = (Held(fp), packed, every)
        self._by_key.add(packed, fp.article_id)
        heapq.heappush(self._expiry, (fp.timestamp, fp.article_id))
        self._expire(mark or (0, fp.timestamp))

    def _all_keys(self, fp: Fingerprint) -> np.ndarray:
        """Hashes of every key of ``fp`` (on every partition), sorted: to find who owns a pair."""
        if self.partitions <= 1:
            return _NO_KEYS
        hashvalues, embedding = fp.minhash.hashvalues, fp.embedding
        return _every_key_hash(fp.exact, (hashvalues.dtype.str, hashvalues.tobytes()),
                               None if embedding is None else (embedding.dtype.str, embedding.tobytes()),
                               tuple(sorted(fp.quote_keys)), self.settings.near_copy_jaccard)

    def _expire(self, mark: Mark) -> None:
        horizon = self.watermark.see(mark) - self.keep
        while self._expiry and self._expiry[0][0] < horizon:
            _, article_id = heapq.heappop(self._expiry)
            held = self._held.pop(article_id, None)
            if held is not None:
                self._by_key.remove(held[1], article_id)

    def state_size(self) -> dict[str, int]:
        vectors = sum(held[0].embedding.nbytes for held in self._held.values() if held[0].embedding is not None)
        return {"dedup_articles": len(self._held), "dedup_keys": len(self._by_key), "vector_bytes": vectors}
