"""Aggregate stage: per-event, per-outlet and tumbling-window figures, as plain records.

State is bounded: outlets keep a fixed number of recent delays, windows older than a few
window lengths behind the newest publication time are dropped, and with them the labels of events
no open window lists.
"""
from __future__ import annotations

import heapq
import statistics
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from streams.core.match.decision import Decision
from streams.core.match.stories import Story
from streams.core.resolve.events import Assignment, Event
from streams.settings import AggregateSettings

DELAYS_KEPT = 500
WINDOWS_KEPT = 3
LABELS_MIN = 64


@dataclass
class OutletStats:
    articles: int = 0
    rewrites: int = 0
    delays: deque = field(default_factory=lambda: deque(maxlen=DELAYS_KEPT))

    def as_dict(self, outlet: str) -> dict[str, Any]:
        return {"kind": "outlet", "key": outlet, "articles": self.articles, "rewrites": self.rewrites,
                "rewrite_share": round(self.rewrites / self.articles, 4) if self.articles else 0.0,
                "median_delay_s": round(statistics.median(self.delays), 1) if self.delays else None}


@dataclass
class WindowStats:
    size: int
    start: int
    articles: int = 0
    new_stories: int = 0
    new_events: int = 0
    events: Counter = field(default_factory=Counter)

    def as_dict(self, labels: dict[str, str], top: int) -> dict[str, Any]:
        return {"kind": "window", "key": f"{self.size}s@{self.start}", "size_s": self.size, "start": self.start,
                "articles": self.articles, "new_stories": self.new_stories, "new_events": self.new_events,
                "top_events": [{"id": e, "label": labels.get(e, e), "articles": n}
                               for e, n in self.events.most_common(top)]}


def event_aggregate(event: Event) -> dict[str, Any]:
    """Per-event figures, derived from the event record itself."""
    articles = event.size
    hours = max(1.0, (event.last_seen - event.first_seen) / 3600)
    return {"kind": "event", "key": event.id, "label": event.label, "articles": articles,
            "stories": event.story_count, "outlets": len(event.outlets),
            "first_seen": event.first_seen, "last_seen": event.last_seen,
            "duplicate_ratio": round(1 - event.story_count / articles, 4) if articles else 0.0,
            "articles_per_hour": round(articles / hours, 3)}


class Aggregator:
    """Updates the aggregates for one processed article and returns the records that changed."""

    def __init__(self, settings: AggregateSettings | None = None, late_s: float = 0.0) -> None:
        settings = settings or AggregateSettings()
        self.windows = settings.window_seconds
        self.top = settings.top_events
        self.late_s = late_s  # windows stay open this long behind the newest article, for late ones
        self.last_late = False
        self.outlets: dict[str, OutletStats] = {}
        self.window_stats: dict[tuple[int, int], WindowStats] = {}
        self._closing: list[tuple[float, int, int]] = []  # (time the window closes, size, start)
        self.labels: dict[str, str] = {}
        self._labels_kept = LABELS_MIN
        self.newest = 0.0

    def update(self, outlet: str, timestamp: float, decision: Decision, story: Story,
               assignment: Assignment, event: Event) -> list[dict[str, Any]]:
        self.labels[event.id] = event.label
        records = [event_aggregate(event), self._outlet(outlet, timestamp, decision, story)]
        self.last_late = False
        for size in self.windows:
            if self._open(size, timestamp):
                records.append(self._window(size, timestamp, decision, assignment))
            else:
                self.last_late = True  # its window is closed: counted everywhere but there
        self._expire(timestamp)
        return records

    def _outlet(self, outlet: str, timestamp: float, decision: Decision, story: Story) -> dict[str, Any]:
        stats = self.outlets.setdefault(outlet, OutletStats())
        stats.articles += 1
        if decision.is_duplicate and story.canonical_outlet != outlet:
            stats.rewrites += 1
            stats.delays.append(max(0.0, timestamp - story.canonical_time))
        return stats.as_dict(outlet)

    def _window(self, size: int, timestamp: float, decision: Decision, assignment: Assignment) -> dict[str, Any]:
        start = int(timestamp // size * size)
        stats = self.window_stats.get((size, start))
        if stats is None:
            stats = self.window_stats[(size, start)] = WindowStats(size, start)
            heapq.heappush(self._closing, (start + size + max(size * WINDOWS_KEPT, self.late_s), size, start))
        stats.articles += 1
        stats.new_stories += 0 if decision.is_duplicate else 1
        stats.new_events += 1 if assignment.created else 0
        stats.events[assignment.event_id] += 1
        return stats.as_dict(self.labels, self.top)

    def _horizon(self, size: int) -> float:
        """Windows ending before this are closed: dropped, and never opened again by a late article."""
        return self.newest - max(size * WINDOWS_KEPT, self.late_s)

    def _open(self, size: int, timestamp: float) -> bool:
        return int(timestamp // size * size) + size >= self._horizon(size)

    def _expire(self, timestamp: float) -> None:
        """Drop the windows that closed (a heap by closing time: no scan of the open ones)."""
        self.newest = max(self.newest, timestamp)
        expired = False
        while self._closing and self._closing[0][0] < self.newest:
            _, size, start = heapq.heappop(self._closing)
            del self.window_stats[(size, start)]
            expired = True
        if expired and len(self.labels) > 2 * self._labels_kept:  # only open windows' events need a label
            live = {e for stats in self.window_stats.values() for e in stats.events}
            self.labels = {e: label for e, label in self.labels.items() if e in live}
            self._labels_kept = max(LABELS_MIN, len(self.labels))

    def state_size(self) -> dict[str, int]:
        return {"outlets": len(self.outlets), "windows": len(self.window_stats)}
