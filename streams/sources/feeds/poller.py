"""The poller: every feed on its interval, new entries published, then marked seen."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from streams.core.observe import NoObserver, Observer
from streams.sources.base import RawRecord
from streams.sources.feeds.config import FeedsConfig
from streams.sources.feeds.source import FeedSource
from streams.sources.feeds.store import SeenStore
from streams.sources.fetch import Fetcher, FetchError

log = logging.getLogger(__name__)


class RecordPublisher(Protocol):
    def send(self, record: RawRecord) -> Any: ...

    def flush(self) -> Any: ...


@dataclass
class PollReport:
    polled: int = 0
    published: int = 0
    not_modified: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (feed url, kind, message)
    publish_failures: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.publish_failures

    def add(self, other: PollReport) -> None:
        self.polled += other.polled
        self.published += other.published
        self.not_modified += other.not_modified
        self.errors.extend(other.errors)
        self.publish_failures += other.publish_failures


class FeedPoller:
    """Polls feeds on their intervals and publishes new entries (one thread per feed in flight);
    ``observer`` gets the feed metrics (default: none recorded)."""

    def __init__(self, config: FeedsConfig, publisher: RecordPublisher, state_dir: str | Path, *,
                 fetcher: Fetcher | None = None, clock=time.monotonic, observer: Observer | None = None) -> None:
        self.config = config
        self.publisher = publisher
        self.observer: Observer = observer or NoObserver()
        self.seen = SeenStore(state_dir, config.seen_max)
        self.fetcher = fetcher or Fetcher(config.limits)
        self.sources = [FeedSource(feed, self.fetcher, self.seen, observer=self.observer) for feed in config.feeds]
        self._clock = clock
        self._next_due = {source.feed.url: 0.0 for source in self.sources}
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(config.workers, len(self.sources))),
                                        thread_name_prefix="feed")

    def due(self) -> list[FeedSource]:
        now = self._clock()
        return [s for s in self.sources if self._next_due[s.feed.url] <= now]

    def seconds_to_next(self) -> float:
        return max(0.0, min(self._next_due.values()) - self._clock())

    def poll_once(self, only_due: bool = False) -> PollReport:
        """Poll every feed (or only those due), publish, flush, commit, save the state."""
        report = PollReport()
        sources = self.due() if only_due else list(self.sources)
        now = self._clock()
        for source in sources:
            self._next_due[source.feed.url] = now + source.feed.interval_s
        futures = {self._pool.submit(self._collect, source): source for source in sources}
        sent_ids: set[str] = set()  # feeds polled in parallel may both carry one article
        for future in as_completed(futures):
            source = futures[future]
            records, error = future.result()
            report.polled += 1
            if error is not None:
                kind, message = error
                self.observer.increment("feed_polls", feed=source.feed.name, result="error")
                self.observer.increment("feed_errors", feed=source.feed.name, kind=kind)
                report.errors.append((source.feed.url, kind, message))
                log.warning("feed %s (%s): %s: %s", source.name, source.feed.url, kind, message)
                continue
            self.observer.increment("feed_polls", feed=source.feed.name, result=source.status)
            if source.status == "not_modified":
                report.not_modified += 1
            records = [r for r in records if r["id"] not in sent_ids]
            try:
                for record in records:
                    self.publisher.send(record)
                if records:
                    self.publisher.flush()
            except Exception as exc:  # noqa: BLE001 - broker trouble: retry these entries next poll
                report.publish_failures += 1
                log.error("feed %s: publishing %d records failed: %s", source.name, len(records), exc)
                continue
            source.commit()
            sent_ids.update(r["id"] for r in records)
            report.published += len(records)
            if records:
                self.observer.increment("feed_entries", len(records), feed=source.feed.name)
        self.save()
        return report

    @staticmethod
    def _collect(source: FeedSource) -> tuple[list[RawRecord], tuple[str, str] | None]:
        try:
            return list(source.records()), None
        except FetchError as exc:
            return [], (exc.kind, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken feed must not stop the others
            log.exception("feed %s: unexpected failure", source.name)
            return [], ("internal", f"{type(exc).__name__}: {exc}")

    def run(self, once: bool = False, stop: threading.Event | None = None) -> PollReport:
        """Poll until ``stop`` is set (or one round with ``once``); returns the totals."""
        stop = stop or threading.Event()
        total = PollReport()
        while not stop.is_set():
            total.add(self.poll_once(only_due=not once))
            if once:
                break
            stop.wait(self.seconds_to_next())
        return total

    def save(self) -> None:
        """Persist the seen-store; a failed write is logged (entries may then be re-published
        after a restart, with the same ids) and retried at the next poll."""
        try:
            self.seen.save()
        except OSError as exc:
            log.error("cannot write feed state %s: %s", self.seen.path, exc)
        self.observer.gauge("state_entries", len(self.seen), state="feed_seen")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.save()
