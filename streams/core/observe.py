"""Every metric of news-streams in one list, and the small interface domain code reports through.

Domain code (``streams.core``, ``streams.sources``) never sees Prometheus: it calls an :class:`Observer`
by metric name and labels (``observer.increment("duplicates", kind="exact")``). The runtime and the
benchmark pass the Prometheus observer (``streams.runtime.metrics.PROMETHEUS``), built from
:data:`METRICS`; tests, the evaluation and the in-process pipeline get :class:`NoObserver` (records
nothing) or :class:`Recorder` (keeps the values in memory). Both check every call against the list, so a
misspelt name or label fails in the unit tests, not on a dashboard.

Conventions: exposed as ``news_streams_<name>`` (counters with ``_total``), base units (seconds,
bytes), and labels only take values from bounded sets (stage names, reasons, kinds, event types; outlets
and feeds are free text, so the exporter caps them: :data:`CAPPED_LABELS`). Article ids and free-text
event names never become label values.

Stage vocabulary (:data:`STAGES`), in the order an article meets them:

* ``parse``: a raw record decoded into an article (runtime agents);
* ``clean``, ``fingerprint``, ``extract``: the prepare stage (pipeline.Preparer);
* ``match``: verdicts against held articles sharing a key (pipeline.Matcher), summed over the
  keyed partitions an article went to and observed once, when the resolver places it;
* ``place``, ``events``, ``aggregates``: the resolve stage (pipeline.Resolver): story placement,
  event assignment, aggregate updates.

``stage_duration_seconds`` gets exactly one observation per article per stage.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol

PREFIX = "news_streams"
STAGES = ("parse", "clean", "fingerprint", "extract", "match", "place", "events", "aggregates")
DUPLICATE_KINDS = ("exact", "near_verbatim", "paraphrase")
CAPPED_LABELS = {"outlet": 50, "feed": 100}
"""Labels whose values are free text: the exporter keeps this many distinct values, the rest are 'other'."""

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True)
class Metric:
    """One metric: ``name`` without the prefix (and without a counter's ``_total``), help is one sentence."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()

    @property
    def exposed(self) -> str:
        """The series name Prometheus shows (histograms add ``_bucket``, ``_sum``, ``_count``)."""
        return f"{PREFIX}_{self.name}" + ("_total" if self.kind == "counter" else "")

    @cached_property
    def label_set(self) -> frozenset[str]:
        return frozenset(self.labels)


METRICS: tuple[Metric, ...] = (
    Metric("build_info", "gauge", "Always 1; the labels name the running news-streams version.", ("version",)),
    # Pipeline flow
    Metric("articles_in", "counter", "Records that entered a stage: stage=parse counts raw records read (not "
           "ticks), "
           "stage=match the prepared articles sent to matching.", ("stage",)),
    Metric("articles_out", "counter", "Articles a stage passed on: stage=parse counts records decoded into "
           "articles (the rest are dead letters), stage=aggregates the articles placed, tagged "
           "and sent to the output topics (replays excluded).", ("stage",)),
    Metric("duplicates", "counter", "Articles that joined an existing story, by kind of match.", ("kind",)),
    Metric("stories_created", "counter", "New stories started."),
    Metric("events_created", "counter", "New events started, by event type.", ("event_type",)),
    Metric("event_articles", "counter", "Articles tagged with an event, by catalog event id or 'other'.",
           ("event",)),
    Metric("dead_letters", "counter", "Records sent to the dead-letter topic, by reason.", ("reason",)),
    Metric("articles_late_for_window", "counter",
           "Articles whose tumbling window had closed (they count in every other aggregate)."),
    Metric("ticks", "counter", "Ticks read from the raw topic: a publisher in publication order (the replayer) "
           "promising a raw partition nothing older, so that placement need not wait for its next article."),
    Metric("articles_replayed", "counter", "Articles seen again (same id, same text) and not counted twice."),
    Metric("outlet_articles", "counter", "Articles per outlet (capped label set).", ("outlet",)),
    Metric("outlet_rewrites", "counter", "Articles that rewrite another outlet's story, per outlet.", ("outlet",)),
    # Latency
    Metric("stage_duration_seconds", "histogram", "Processing time of one article in a stage: one "
           "observation per article per stage (batched stages: the batch time shared out).", ("stage",)),
    Metric("end_to_end_latency_seconds", "histogram",
           "Time from publish to the raw topic until the article is tagged."),
    # Kafka and state
    Metric("consumer_lag_messages", "gauge", "Messages behind the high watermark, per input-topic partition "
           "assigned to this worker (raw, keyed and resolve topics).", ("topic", "partition")),
    Metric("state_entries", "gauge", "Entries held in this worker's in-memory state, by part of the state.",
           ("state",)),
    Metric("state_bytes", "gauge", "Bytes of this worker's in-memory state whose size is measured: "
           "state=vector, the embedding vectors held for matching.", ("state",)),
    Metric("rebalances", "counter", "Partition assignments received by this worker."),
    Metric("state_rebuilds", "counter", "Input partitions whose state this worker rebuilt from the partition "
           "before processing it (taken over, or handed back after another worker held it), by input topic.",
           ("topic",)),
    Metric("state_rebuild_records", "counter", "Records folded into state by those rebuilds.", ("topic",)),
    Metric("assigned_partitions", "gauge", "Partitions of each input topic (raw, keyed, resolve) "
           "currently assigned to this worker.", ("topic",)),
    Metric("worker_up", "gauge", "1 while the worker is running."),
    # Feeds
    Metric("feed_polls", "counter", "Feed polls, by feed and result.", ("feed", "result")),
    Metric("feed_entries", "counter", "New feed entries published, by feed.", ("feed",)),
    Metric("feed_errors", "counter", "Feed errors, by feed and kind.", ("feed", "kind")),
    Metric("feed_fetch_duration_seconds", "histogram", "Time to fetch one feed or page.", ("feed",)),
)
BY_NAME: dict[str, Metric] = {metric.name: metric for metric in METRICS}


class UndeclaredMetric(ValueError):
    """A metric call that :data:`METRICS` does not declare (unknown name, other kind or other labels)."""


def declared(name: str, kind: Kind, labels: Mapping[str, str]) -> Metric:
    """The declaration a call refers to; raises :class:`UndeclaredMetric` when the call does not fit it."""
    metric = BY_NAME.get(name)
    if metric is None:
        raise UndeclaredMetric(f"no metric {name!r} in streams/core/observe.py METRICS")
    if metric.kind != kind:
        raise UndeclaredMetric(f"metric {name!r} is a {metric.kind}, not a {kind}")
    if labels.keys() != metric.label_set:
        raise UndeclaredMetric(f"metric {name!r} has labels {sorted(metric.labels)}, got {sorted(labels)}")
    return metric


class Observer(Protocol):
    """Where domain code reports what it did; names and labels as declared in :data:`METRICS`."""

    def increment(self, name: str, value: float = 1, **labels: str) -> None:
        """Add ``value`` to a counter."""

    def gauge(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge."""

    def timing(self, name: str, seconds: float, **labels: str) -> None:
        """One observation of a duration histogram."""

    def forget(self, name: str, **labels: str) -> None:
        """Drop a gauge's series that no longer applies (a partition now reported by another worker)."""


class NoObserver:
    """Records nothing; still refuses a call that the list does not declare."""

    def increment(self, name: str, value: float = 1, **labels: str) -> None:
        declared(name, "counter", labels)

    def gauge(self, name: str, value: float, **labels: str) -> None:
        declared(name, "gauge", labels)

    def timing(self, name: str, seconds: float, **labels: str) -> None:
        declared(name, "histogram", labels)

    def forget(self, name: str, **labels: str) -> None:
        declared(name, "gauge", labels)


Series = tuple[str, tuple[tuple[str, str], ...]]
"""A metric name and its label values (sorted by label)."""


def _series(name: str, labels: Mapping[str, str]) -> Series:
    return name, tuple(sorted(labels.items()))


class Recorder:
    """Keeps every value in memory (thread-safe): counter totals, gauge values, the timings per series."""

    def __init__(self) -> None:
        self.values: dict[Series, float] = {}
        self.timings: dict[Series, list[float]] = {}
        self._lock = threading.Lock()

    def increment(self, name: str, value: float = 1, **labels: str) -> None:
        declared(name, "counter", labels)
        with self._lock:
            series = _series(name, labels)
            self.values[series] = self.values.get(series, 0.0) + value

    def gauge(self, name: str, value: float, **labels: str) -> None:
        declared(name, "gauge", labels)
        with self._lock:
            self.values[_series(name, labels)] = value

    def timing(self, name: str, seconds: float, **labels: str) -> None:
        declared(name, "histogram", labels)
        with self._lock:
            self.timings.setdefault(_series(name, labels), []).append(seconds)

    def forget(self, name: str, **labels: str) -> None:
        declared(name, "gauge", labels)
        with self._lock:
            self.values.pop(_series(name, labels), None)

    def value(self, name: str, **labels: str) -> float:
        """A counter's total or a gauge's value (0 for a series never reported)."""
        return self.values.get(_series(name, labels), 0.0)

    def observed(self, name: str, **labels: str) -> list[float]:
        """The observations of one histogram series, in order."""
        return self.timings.get(_series(name, labels), [])
