"""Every Prometheus metric of news-streams, declared in one place.

Conventions: one ``news_streams_`` prefix, base units (seconds, bytes),
counters end in ``_total``, and labels only take values from bounded sets
(stage names, reasons, kinds, event types, a capped set of outlets and feeds
with an ``other`` bucket). Article ids and free-text event names never
become label values. Counters export no ``_created`` series; the process
collector adds ``process_cpu_seconds_total``, ``process_resident_memory_bytes``
and friends, and ``news_streams_build_info`` carries the version.

Stage vocabulary (``STAGES``), in the order an article meets them:

* ``parse``: a raw record decoded into an article (agents.prepare_batch);
* ``clean``, ``fingerprint``, ``extract``: the prepare stage (pipeline.Preparer);
* ``match``: verdicts against held articles sharing a key (pipeline.Matcher), summed over the
  keyed partitions an article went to and observed once, when the resolver places it;
* ``place``, ``events``, ``aggregates``: the resolve stage (pipeline.Resolver): story placement,
  event assignment, aggregate updates.

``stage_duration_seconds`` gets exactly one observation per article per stage.
"""
from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, disable_created_metrics

from streams import __version__

disable_created_metrics()  # process-wide: no `_created` series next to counters and histograms

REGISTRY = CollectorRegistry(auto_describe=True)
PREFIX = "news_streams"
PROCESS = ProcessCollector(registry=REGISTRY)

STAGES = ("parse", "clean", "fingerprint", "extract", "match", "place", "events", "aggregates")
DUPLICATE_KINDS = ("exact", "near_verbatim", "paraphrase")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(f"{PREFIX}_{name}", doc, labels, registry=REGISTRY)


def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(f"{PREFIX}_{name}", doc, labels, registry=REGISTRY)


def _histogram(name: str, doc: str, labels: tuple[str, ...] = ()) -> Histogram:
    return Histogram(f"{PREFIX}_{name}", doc, labels, registry=REGISTRY, buckets=LATENCY_BUCKETS)


BUILD_INFO = _gauge("build_info", "Always 1; the labels name the running news-streams version.", ("version",))
BUILD_INFO.labels(__version__).set(1)

# Pipeline flow
ARTICLES_IN = _counter("articles_in", "Records that entered a stage: stage=parse counts raw records read, "
                       "stage=match the prepared articles sent to matching.", ("stage",))
ARTICLES_OUT = _counter("articles_out", "Articles a stage passed on: stage=parse counts records decoded into "
                        "articles (the rest are dead letters), stage=aggregates the articles placed, tagged "
                        "and sent to the output topics (replays excluded).", ("stage",))
DUPLICATES = _counter("duplicates", "Articles that joined an existing story, by kind of match.", ("kind",))
STORIES_CREATED = _counter("stories_created", "New stories started.")
EVENTS_CREATED = _counter("events_created", "New events started, by event type.", ("event_type",))
EVENT_ARTICLES = _counter("event_articles", "Articles tagged with an event, by catalog event id or 'other'.",
                          ("event",))
DEAD_LETTERS = _counter("dead_letters", "Records sent to the dead-letter topic, by reason.", ("reason",))
LATE_ARTICLES = _counter("articles_late_for_window",
                         "Articles whose tumbling window had closed (they count in every other aggregate).")
REPLAYED_SKIPPED = _counter("articles_replayed", "Articles seen again (same id, same text) and not counted twice.")
OUTLET_ARTICLES = _counter("outlet_articles", "Articles per outlet (capped label set).", ("outlet",))
OUTLET_REWRITES = _counter("outlet_rewrites", "Articles that rewrite another outlet's story, per outlet.",
                           ("outlet",))

# Latency
STAGE_SECONDS = _histogram("stage_duration_seconds", "Processing time of one article in a stage: one "
                           "observation per article per stage (batched stages: the batch time shared out).",
                           ("stage",))
END_TO_END_SECONDS = _histogram("end_to_end_latency_seconds",
                                "Time from publish to the raw topic until the article is tagged.")

# Kafka and state
CONSUMER_LAG = _gauge("consumer_lag_messages", "Messages behind the high watermark, per input-topic partition "
                      "assigned to this worker (raw, keyed and resolve topics).", ("topic", "partition"))
STATE_ENTRIES = _gauge("state_entries", "Entries held in this worker's in-memory state, by part of the state.",
                       ("state",))
STATE_BYTES = _gauge("state_bytes", "Bytes of this worker's in-memory state whose size is measured: state=vector, "
                     "the embedding vectors held for matching.", ("state",))
REBALANCES = _counter("rebalances", "Partition assignments received by this worker.")
ASSIGNED_PARTITIONS = _gauge("assigned_partitions", "Partitions of each input topic (raw, keyed, resolve) "
                             "currently assigned to this worker.", ("topic",))
WORKER_UP = _gauge("worker_up", "1 while the worker is running.")

# Feeds
FEED_POLLS = _counter("feed_polls", "Feed polls, by feed and result.", ("feed", "result"))
FEED_ENTRIES = _counter("feed_entries", "New feed entries published, by feed.", ("feed",))
FEED_ERRORS = _counter("feed_errors", "Feed errors, by feed and kind.", ("feed", "kind"))
FEED_FETCH_SECONDS = _histogram("feed_fetch_duration_seconds", "Time to fetch one feed or page.", ("feed",))


class CappedLabel:
    """Maps free values (outlets, feeds) onto at most ``cap`` label values plus 'other'."""

    def __init__(self, cap: int = 50) -> None:
        self.cap = cap
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        value = (value or "unknown")[:64]
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self.cap:
                self._seen.add(value)
                return value
        return "other"


OUTLET_LABEL = CappedLabel(50)
FEED_LABEL = CappedLabel(100)
