"""Replayer: publish the articles of a directory or JSONL file to the raw topic."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tqdm import tqdm

from streams.core.dates import parse_date
from streams.runtime.publish import Publisher, PublishError
from streams.settings import Settings
from streams.sources.base import RawRecord, Source


@dataclass
class ReplaySummary:
    published: int  # acknowledged by the broker
    failed: int  # not acknowledged, or not sent because the broker was gone
    seconds: float
    ticks: int = 0  # tick records sent (streams/core/ticks.py), not counted in published

    def line(self) -> str:
        rate = self.published / self.seconds if self.seconds else 0.0
        ticks = f", {self.ticks} ticks" if self.ticks else ""
        return (f"replay: published {self.published} records ({self.failed} failed) "
                f"in {self.seconds:.2f}s, {rate:.0f} records/s{ticks}")


def _timed(records: Iterable[RawRecord], rate: float | None, speed: float | None) -> Iterable[RawRecord]:
    """Pace records: a fixed rate (records/s), or original publication timing divided by ``speed``."""
    start = time.monotonic()
    first: datetime | None = None
    for n, record in enumerate(records):
        if rate:
            _sleep_until(start + n / rate)
        elif speed:
            published, _ = parse_date(record.get("published"))
            if published is not None:
                first = first or published
                _sleep_until(start + max(0.0, (published - first).total_seconds()) / speed)
        yield record


def _publication_time(record: RawRecord) -> float:
    published, _ = parse_date(record.get("published")) if isinstance(record, dict) else (None, "")
    return published.timestamp() if published is not None else float("inf")


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def replay(settings: Settings, source: Source, *, topic: str = "", rate: float | None = None,
           speed: float | None = None, loops: int = 1, progress: bool | None = None) -> ReplaySummary:
    """Publish every record of ``source`` ``loops`` times, in publication order (undated records last,
    as they come); ids are stable, so loops are replays.

    Publication order matters: the pipeline's state follows publication time, and an article that
    arrives more than the lateness allowance behind the newest one may miss its candidates."""
    ordered = sorted(source.records(), key=_publication_time)
    records = [r for _ in range(max(1, loops)) for r in ordered]
    publisher = Publisher(settings, topic=topic or settings.topic_raw, ticks=True)
    show = sys.stderr.isatty() and len(records) > 200 if progress is None else progress
    start = time.monotonic()
    unsent = 0
    try:
        for n, record in enumerate(tqdm(_timed(records, rate, speed), total=len(records), disable=not show,
                                        unit="rec", desc="replay")):
            try:
                publisher.send(record)
            except PublishError:  # the broker is gone: stop, count what was not published
                unsent = len(records) - n - 1
                break
        try:
            publisher.flush(timeout=settings.connect_timeout_s)
        except PublishError:
            pass  # counted in publisher.failed
    finally:
        publisher.close(timeout=5.0)
    return ReplaySummary(publisher.sent - publisher.failed, publisher.failed + unsent, time.monotonic() - start,
                         publisher.ticked)
