"""Event-time progress: how far in publication time every raw partition has got."""
from __future__ import annotations

Mark = tuple[int, float | None]
"""(raw partition, newest trusted publication time that partition has reached, None before the first):
event-time progress of a source."""


class Watermark:
    """How far in publication time every raw partition has got: the newest time all of them passed.

    State older than this minus window and lateness can go, and the resolver places articles up to it.
    Taking the minimum over the raw partitions (as Flink does) keeps both independent of which worker
    runs ahead. A partition whose worker said it is idle (``rest``: read to its end) does not hold the
    others back until it gets data again; only the resolver's placement uses that (match state never
    expires on an idle notice). ``max_skew`` bounds how far a silent one can hold anything back."""

    def __init__(self, sources: int, max_skew: float) -> None:
        self.sources = sources
        self.max_skew = max_skew
        self.marks: dict[int, float] = {}
        self.idle: set[int] = set()

    def see(self, mark: Mark) -> float:
        source, when = mark
        if when is None:  # the partition has had no article with a trusted publication time yet
            return self.value
        self.marks[source] = max(self.marks.get(source, when), when)
        self.idle.discard(source)
        return self.value

    def rest(self, source: int) -> float:
        """The source read everything it had: it no longer holds the watermark back."""
        self.idle.add(source)
        return self.value

    @property
    def value(self) -> float:
        if not self.marks:
            return 0.0
        newest = max(self.marks.values())
        if len(set(self.marks) | self.idle) < self.sources:
            return max(0.0, newest - self.max_skew)
        busy = [when for source, when in self.marks.items() if source not in self.idle]
        return max(min(busy), newest - self.max_skew) if busy else newest
