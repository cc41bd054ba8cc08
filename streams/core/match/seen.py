"""Replay detection with bounded memory: the ids of placed articles, kept for a horizon of event time.

A redelivered or replayed article (same id, same text) must not be counted twice, and an id reused for
another text is a conflict, so the resolver remembers what it decided for each id. Remembering every id
forever grows without bound, so an id is forgotten once its raw partition has moved ``horizon`` past the
article's publication time. Progress is counted per raw partition, from the publication times carried
in the records (never the wall clock: the state stays a deterministic fold of the input topic): the raw
topic is keyed by article id, so a replay lands on the partition its first copy came from. An article
that far behind its own partition may be a replay of a forgotten id, so it is *too late*: the resolver
rejects it instead of risking to count it twice. A partition's cutoff only moves forward, so an id
forgotten is always too late. Counting per partition keeps a partition that was idle, and then gets
older articles than the others have reached (a replay of an archive), from being judged late by the
progress of the others.
"""
from __future__ import annotations

import hashlib
import heapq
from array import array
from dataclasses import dataclass

import numpy as np
import orjson

OWN_STORY = "story-"
"""A story's id is this prefix and the id of the article that started it (streams.core.match.stories.StoryBook)."""


def packed_json(value: object) -> bytes:
    """``orjson.dumps`` copied into a bytes object of its own size, for values kept long: orjson returns
    short values in its 4 KB write buffer (``sys.getsizeof`` reports ~70 bytes, the allocator holds 4 KB)."""
    return bytes(memoryview(orjson.dumps(value)))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was decided for a placed article: enough to answer its replays."""

    text_key: str
    story_id: str
    event_ids: tuple[str, ...]
    raw: tuple[int, int] | None = None
    """(raw partition, offset) of the record that was placed: a registration from the same raw record again
    is a redelivery (at-least-once), one from another raw record is a replay."""


def forgotten_hash(article_id: str, text_key: str) -> int:
    """64-bit hash of an id with its text: what is kept of an id once its outcome is forgotten."""
    return int.from_bytes(hashlib.blake2b(f"{article_id}\x1f{text_key}".encode("utf-8", "replace"),
                                          digest_size=8).digest(), "little")


class SeenIds:
    """Placed article ids with their outcome, forgotten ``horizon`` seconds behind their raw partition.

    Each outcome is kept as one compact JSON value (text key, story unless it is the story the article
    started, events) beside a per-partition expiry heap of (publication time, id): ~300 bytes an id, the
    id included.

    A forgotten id leaves 8 bytes behind: a 64-bit hash of the id with its text key. An article too late to
    be placed whose id and text hash to one of those is a replay of a forgotten article (the replay of a
    multi-year file, say): recognised and skipped, not dead-lettered. A different text under a forgotten id
    (or a genuinely new article that late) stays too late."""

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon
        self._cutoffs: dict[int, float] = {}
        self._outcomes: dict[str, bytes] = {}
        self._expiry: dict[int, list[tuple[float, str]]] = {}
        self._deleted = 0
        self._forgotten = array("Q")
        self._forgotten_sorted: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._outcomes)

    def get(self, article_id: str) -> Outcome | None:
        packed = self._outcomes.get(article_id)
        if packed is None:
            return None
        text_key, story_id, event_ids, *raw = orjson.loads(packed)
        return Outcome(text_key, story_id or OWN_STORY + article_id, tuple(event_ids), tuple(raw) if raw else None)

    def was_forgotten(self, article_id: str, text_key: str) -> bool:
        """Whether this id with this text was placed once and forgotten since (a replay beyond the horizon)."""
        if not len(self._forgotten):
            return False
        if self._forgotten_sorted is None or len(self._forgotten_sorted) != len(self._forgotten):
            self._forgotten_sorted = np.sort(np.frombuffer(self._forgotten, dtype=np.uint64))
        wanted = np.uint64(forgotten_hash(article_id, text_key))
        at = int(np.searchsorted(self._forgotten_sorted, wanted))
        return at < len(self._forgotten_sorted) and self._forgotten_sorted[at] == wanted

    @property
    def forgotten(self) -> int:
        return len(self._forgotten)

    def cutoff(self, source: int) -> float:
        """Publication time before which articles of raw partition ``source`` are too late."""
        return self._cutoffs.get(source, float("-inf"))

    def too_late(self, source: int, timestamp: float) -> bool:
        """So far behind its raw partition that its id, if it was seen, may be forgotten."""
        return timestamp < self.cutoff(source)

    def remember(self, article_id: str, source: int, timestamp: float, outcome: Outcome) -> None:
        if article_id not in self._outcomes:
            heapq.heappush(self._expiry.setdefault(source, []), (timestamp, article_id))
        story_id = None if outcome.story_id == OWN_STORY + article_id else outcome.story_id
        fields: list = [outcome.text_key, story_id, list(outcome.event_ids)]
        if outcome.raw is not None:
            fields += list(outcome.raw)
        self._outcomes[article_id] = packed_json(fields)

    def advance(self, source: int, newest: float) -> None:
        """Raw partition ``source`` has reached publication time ``newest``: move its cutoff to ``horizon``
        behind (never back) and forget its ids behind the cutoff."""
        cutoff = self._cutoffs[source] = max(self.cutoff(source), newest - self.horizon)
        expiry = self._expiry.get(source, [])
        while expiry and expiry[0][0] < cutoff:
            article_id = heapq.heappop(expiry)[1]
            packed = self._outcomes.pop(article_id, None)
            if packed is not None:
                self._deleted += 1
                self._forgotten.append(forgotten_hash(article_id, orjson.loads(packed)[0]))
        if self._deleted > len(self._outcomes):  # a dict never shrinks by itself: copy it once half empty
            self._outcomes, self._deleted = dict(self._outcomes), 0
