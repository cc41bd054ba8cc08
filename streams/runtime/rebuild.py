"""Rebuild a stage's state from its own input partition: the topic is the changelog.

Every stage's state is a deterministic fold of the records of the partitions it owns, in offset order,
so a worker that takes a partition over (after a crash, a SIGKILL or a rebalance) reads that partition
from its start up to the first offset it is handed and folds it without emitting anything; the records
after that are processed normally (at-least-once: outputs of records processed but not committed before
a crash are sent again, and every downstream state is idempotent by article id).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.runtime.kafka_config import aiokafka_config
from streams.runtime.metrics import PROMETHEUS
from streams.settings import Settings

log = logging.getLogger(__name__)
FETCH_RECORDS = 2000


@dataclass
class Progress:
    """Last offset applied to the local state, per (topic, partition), while this worker owns the partition
    without a break."""

    applied: dict[tuple[str, int], int] = field(default_factory=dict)
    stale: set[tuple[str, int]] = field(default_factory=set)
    """Partitions whose local state another worker may have moved past since: rebuilt before their next record."""

    def verdict(self, topic: str, partition: int, offset: int) -> str:
        """``"process"`` the record, ``"skip"`` it (already in the state) or ``"rebuild"`` first."""
        if (topic, partition) in self.stale:
            return "rebuild"
        last = self.applied.get((topic, partition))
        if last is None:
            return "process" if offset == 0 else "rebuild"
        if offset <= last:
            return "skip"
        return "process" if offset == last + 1 else "rebuild"

    def done(self, topic: str, partition: int, offset: int) -> None:
        self.applied[(topic, partition)] = offset
        self.stale.discard((topic, partition))

    def keep(self, owned: set[tuple[str, int]]) -> None:
        """Keep the state of the partitions in ``owned`` only, those this worker held without a break.

        Another worker that held a partition in between processed its records again and sent their outputs:
        story, event and aggregate records of an earlier state than this worker's, written after its own. Skipping
        the records this worker had already applied would leave those older records as the latest; rebuilding up to
        the committed offset and processing from there sends the newest state again."""
        for key in set(self.applied) - owned:
            del self.applied[key]
            self.stale.add(key)


async def fold_partition(settings: Settings, topic: str, partition: int, until: int,
                         apply: Callable[[list[bytes]], Awaitable[None]]) -> int:
    """Feed the values of ``topic[partition]`` with offsets below ``until`` to ``apply``, in batches."""
    started = time.monotonic()
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **aiokafka_config(settings))
    await consumer.start()
    tp = TopicPartition(topic, partition)
    count = 0
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        while await consumer.position(tp) < until:
            batch = (await consumer.getmany(tp, timeout_ms=1000, max_records=FETCH_RECORDS)).get(tp, [])
            values = [r.value for r in batch if r.offset < until]
            if values:
                await apply(values)
                count += len(values)
    finally:
        await consumer.stop()
    log.info("rebuilt state of %s[%d] from %d records (offsets 0..%d) in %.1fs",
             topic, partition, count, until - 1, time.monotonic() - started)
    PROMETHEUS.increment("state_rebuilds", topic=topic)
    PROMETHEUS.increment("state_rebuild_records", count, topic=topic)
    return count


async def committed_offset(settings: Settings, topic: str, partition: int) -> int:
    """The offset the worker group resumes ``topic[partition]`` from (0 if it never committed one).

    Where processing of a newly assigned partition starts: unlike the fetch position, records fetched
    but still queued for the agent are not behind it."""
    consumer = AIOKafkaConsumer(group_id=settings.app_id, enable_auto_commit=False, request_timeout_ms=10_000,
                                **aiokafka_config(settings))
    try:
        await consumer.start()
        return await consumer.committed(TopicPartition(topic, partition)) or 0
    finally:
        await consumer.stop()
