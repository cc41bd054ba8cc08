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

import heapq
from dataclasses import dataclass

import orjson

OWN_STORY = "story-"
"""A story's id is this prefix and the id of the article that started it (streams.dedup.StoryBook)."""


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


class SeenIds:
    """Placed article ids with their outcome, forgotten ``horizon`` seconds behind their raw partition.

    Each outcome is kept as one compact JSON value (text key, story unless it is the story the article
    started, events) beside a per-partition expiry heap of (publication time, id): ~300 bytes an id, the
    id included."""

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon
        self._cutoffs: dict[int, float] = {}
        self._outcomes: dict[str, bytes] = {}
        self._expiry: dict[int, list[tuple[float, str]]] = {}
        self._deleted = 0

    def __len__(self) -> int:
        return len(self._outcomes)

    def get(self, article_id: str) -> Outcome | None:
        packed = self._outcomes.get(article_id)
        if packed is None:
            return None
        text_key, story_id, event_ids = orjson.loads(packed)
        return Outcome(text_key, story_id or OWN_STORY + article_id, tuple(event_ids))

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
        self._outcomes[article_id] = packed_json([outcome.text_key, story_id, list(outcome.event_ids)])

    def advance(self, source: int, newest: float) -> None:
        """Raw partition ``source`` has reached publication time ``newest``: move its cutoff to ``horizon``
        behind (never back) and forget its ids behind the cutoff."""
        cutoff = self._cutoffs[source] = max(self.cutoff(source), newest - self.horizon)
        expiry = self._expiry.get(source, [])
        while expiry and expiry[0][0] < cutoff:
            self._deleted += self._outcomes.pop(heapq.heappop(expiry)[1], None) is not None
        if self._deleted > len(self._outcomes):  # a dict never shrinks by itself: copy it once half empty
            self._outcomes, self._deleted = dict(self._outcomes), 0
