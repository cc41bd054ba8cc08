"""The topics the pipeline creates itself, with the settings its design needs.

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

from dataclasses import dataclass

from streams.settings import Settings

HOUR_MS = 3_600_000
BATCH_OVERHEAD_BYTES = 64 * 1024
FOREVER = -1


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    configs: dict[str, str]


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


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the pipeline reads or writes, with its partitions, replication and configs."""
    base = {"max.message.bytes": str(message_bytes(settings))}
    if settings.replication > 1:
        base["min.insync.replicas"] = str(min(2, settings.replication - 1))
    compacted = {"cleanup.policy": "compact"}
    kept = {"retention.ms": str(input_retention_ms(settings))}
    forever = {"retention.ms": str(FOREVER)}
    plan = [(settings.topic_raw, settings.partitions, kept),
            (settings.topic_keyed, settings.partitions, kept),
            (settings.topic_resolve, 1, forever),
            (settings.topic_enriched, settings.partitions, {}),
            (settings.topic_stories, settings.partitions, compacted),
            (settings.topic_events, settings.partitions, compacted),
            (settings.topic_aggregates, settings.partitions, compacted),
            (settings.topic_dead, settings.partitions, {})]
    return [TopicSpec(name, partitions, settings.replication, {**base, **configs})
            for name, partitions, configs in plan if name]
