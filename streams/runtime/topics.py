"""The topology: every topic the pipeline reads or writes, declared once in ``TOPOLOGY``.

Each declaration says where the topic's name comes from (a setting), its role, whether it has one partition,
whether it is compacted and how long it keeps records. ``topic_specs(settings)`` turns the declarations into
``TopicSpec``s, which everything else uses: the Faust app's topic objects (streams/runtime/app.py), topic creation
(streams/brokers/tansu.py ``ensure_topics``, for Tansu and Apache Kafka alike), the broker watch, the output reader
(streams/runtime/outputs.py), the tests' unique topic names and the compose check. Adding a topic is one line here.

Roles: ``input`` (written by the publishers, read by the worker), ``internal`` (between two stages of the worker),
``output`` (read by users) and ``dead-letter`` (bad records with their reason).

What the declarations encode:

- partitions: ``partitions`` for every topic but the resolve topic, which has one (the resolve stage needs one order);
- replication: ``replication``, with ``min.insync.replicas`` one less (at most 2), so a replicated topic still takes
  writes (``acks=all``) with one broker down;
- ``cleanup.policy=compact`` for stories, events and aggregates (keyed records, the latest wins);
- ``retention.ms`` of the stages' input topics long enough to rebuild the state a stage holds from them
  (streams/runtime/rebuild.py: the input topic is the changelog): the raw and keyed topics keep the replay horizon or the
  story window plus lateness and skew, whichever is longer; the resolve topic keeps everything, because the
  resolver's events (``event_retention_days``) and its all-time outlet aggregates are folded from it;
- ``max.message.bytes`` above the largest record the pipeline sends: the publisher lets raw records of up to twice
  ``max_record_bytes`` through (so an oversized one reaches the worker and is dead-lettered as too_large with its
  reason instead of failing at the producer), and the worker's records carry an accepted article's text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.settings import Settings

HOUR_MS = 3_600_000
BATCH_OVERHEAD_BYTES = 64 * 1024
FOREVER = -1


def request_bytes(settings: Settings) -> int:
    """The largest request a producer of the pipeline sends (the publisher's and the worker's max request size):
    one record derived from a raw record at ``max_record_bytes`` (``internal_record_bytes``, beyond which the
    worker dead-letters the raw record as too_large) plus the request's overhead."""
    return max(1_048_576, settings.producer_request_bytes)


def message_bytes(settings: Settings) -> int:
    """``max.message.bytes`` of every pipeline topic: the largest record plus its batch's framing."""
    return request_bytes(settings) + BATCH_OVERHEAD_BYTES


def input_retention_ms(settings: Settings) -> int:
    """How long the raw and keyed topics keep records: the longest any state folded from them is held."""
    hours = max(settings.replay_horizon_hours,
                settings.story_window_hours + settings.late_hours + settings.max_skew_hours)
    return int(hours * HOUR_MS)


INPUT, INTERNAL, OUTPUT, DEAD_LETTER = "input", "internal", "output", "dead-letter"


@dataclass(frozen=True)
class Topic:
    """One topic of the topology, before settings give it a name and sizes."""

    kind: str  # how the code names it: raw, keyed, resolve, enriched, ...
    role: str
    name: Callable[[Settings], str]  # the setting holding its name
    one_partition: bool = False
    compacted: bool = False
    retention: Callable[[Settings], int] | None = None  # retention.ms; None: the broker's default


def forever(settings: Settings) -> int:
    return FOREVER


TOPOLOGY: tuple[Topic, ...] = (
    Topic("raw", INPUT, lambda s: s.topic_raw, retention=input_retention_ms),
    Topic("keyed", INTERNAL, lambda s: s.topic_keyed, retention=input_retention_ms),
    Topic("resolve", INTERNAL, lambda s: s.topic_resolve, one_partition=True, retention=forever),
    Topic("enriched", OUTPUT, lambda s: s.topic_enriched),
    Topic("stories", OUTPUT, lambda s: s.topic_stories, compacted=True),
    Topic("events", OUTPUT, lambda s: s.topic_events, compacted=True),
    Topic("aggregates", OUTPUT, lambda s: s.topic_aggregates, compacted=True),
    Topic("dead", DEAD_LETTER, lambda s: s.topic_dead),
)
"""The pipeline's topics, in the order of the flow."""

RESOLVE_PARTITION = 0
"""The one partition of the resolve topic (one order for the resolver), whatever the topic was created with."""


@dataclass(frozen=True)
class TopicSpec:
    """A topic of the topology under given settings."""

    kind: str
    name: str
    role: str
    partitions: int
    replication: int
    compacted: bool
    retention_ms: int | None
    configs: dict[str, str]  # what the topic is created with

    @property
    def consumed(self) -> bool:
        """Read by the worker's stages."""
        return self.role in (INPUT, INTERNAL)


def spec_of(topic: Topic, settings: Settings) -> TopicSpec:
    configs = {"max.message.bytes": str(message_bytes(settings))}
    if settings.replication > 1:
        configs["min.insync.replicas"] = str(min(2, settings.replication - 1))
    if topic.compacted:
        configs["cleanup.policy"] = "compact"
    retention = None if topic.retention is None else topic.retention(settings)
    if retention is not None:
        configs["retention.ms"] = str(retention)
    return TopicSpec(topic.kind, topic.name(settings), topic.role, 1 if topic.one_partition else settings.partitions,
                     settings.replication, topic.compacted, retention, configs)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the pipeline reads or writes (those with a name), with partitions, replication and configs."""
    specs = [spec_of(topic, settings) for topic in TOPOLOGY]
    return [spec for spec in specs if spec.name]


def by_kind(settings: Settings) -> dict[str, TopicSpec]:
    return {spec.kind: spec for spec in topic_specs(settings)}


def consumed_topics(settings: Settings) -> list[str]:
    """The topics the worker's stages read (what the broker watch watches, what lag is reported for)."""
    return [spec.name for spec in topic_specs(settings) if spec.consumed]


def output_kinds(settings: Settings) -> dict[str, str]:
    """Name -> kind of the topics a reader of the pipeline's results reads (outputs and dead letters)."""
    return {spec.name: spec.kind for spec in topic_specs(settings) if spec.role in (OUTPUT, DEAD_LETTER)}


def unique_names(tag: str, prefix: str = "") -> dict[str, str]:
    """Settings changes giving every topic a name of its own (``<prefix><kind>-<tag>``): tests, chaos, bench runs."""
    return {f"topic_{topic.kind}": f"{prefix}{topic.kind}-{tag}" for topic in TOPOLOGY}
