"""Ticks: a publisher's promise that a raw partition will get no article published before a given time.

The resolver places articles in publication order once every raw partition has passed their time
(streams/core/match/watermark.py). A partition passes a time only with a later article, so at a modest rate
an article waits for the slowest partition's next one. A publisher that sends in publication order (the
replayer) knows more: after sending everything up to time t, it will send nothing older on any partition. It
says so with a tick record on every partition of the raw topic; the prepare stage turns it into a ``Tick``
message to the resolver, which moves that partition's mark as an article of time t would.

A tick's value starts with a NUL byte, which no raw article can hold (``parse_raw`` rejects it), so a tick is
never read as an article nor an article as a tick. ``TickClock`` decides when a publisher ticks and with what
time; it stops for good at the first trusted publication time older than one already sent (the source is not
in order, so it can promise nothing).
"""
from __future__ import annotations

import math
from typing import Any

from streams.core.dates import parse_date

PREFIX = b"\x00tick:"


def tick_value(when: float) -> bytes:
    """The raw-topic value of a tick at publication time ``when`` (POSIX seconds)."""
    return PREFIX + repr(float(when)).encode("ascii")


def tick_time(value: bytes | None) -> float | None:
    """The time of a tick value; None for anything else (an article, a bad record, a tick that cannot be read)."""
    if value is None or not value.startswith(PREFIX):
        return None
    try:
        when = float(value[len(PREFIX):].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return when if math.isfinite(when) else None


class TickClock:
    """When a publisher sending records in publication order ticks, and the time it promises.

    ``sent(record, sent_at)`` after each record; ``due(now)`` gives the time to tick with once ``every_s`` has
    passed since the last tick and a newer trusted time was sent, else None. Trust is decided as the worker
    decides it (``parse_date`` against the time the record was sent, the same skew limits), so a tick never
    promises a time the worker would not have read from the articles themselves."""

    def __init__(self, every_s: float, future_s: float, past_s: float) -> None:
        self.every_s = every_s
        self.future_s = future_s
        self.past_s = past_s
        self.newest: float | None = None  # the newest trusted publication time sent
        self.ticked: float | None = None  # the time of the last tick
        self.last_tick_at = float("-inf")
        self.in_order = every_s > 0

    def sent(self, record: Any, sent_at: float) -> None:
        if not self.in_order or not isinstance(record, dict):
            return
        published, _ = parse_date(record.get("published"), sent_at, self.future_s, self.past_s)
        if published is None:
            return  # the worker gives an undated article a stand-in time: it moves no mark
        when = published.timestamp()
        if self.newest is not None and when < self.newest:
            self.in_order = False  # out of order: nothing can be promised from here on
            return
        self.newest = when

    def due(self, now: float, final: bool = False) -> float | None:
        """The time to tick with now (``final``: the publisher is done, tick whatever the interval)."""
        if not self.in_order or self.newest is None or self.newest == self.ticked:
            return None
        if not final and now - self.last_tick_at < self.every_s:
            return None
        self.ticked, self.last_tick_at = self.newest, now
        return self.newest
