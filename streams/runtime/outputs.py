"""Read the pipeline's output topics back (demo report, tests): aiokafka, no consumer group."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.runtime.kafka_config import aiokafka_config
from streams.runtime.topics import output_kinds
from streams.settings import Settings


@dataclass
class Outputs:
    """Latest value per key of the compacted topics, the decision per article (a later replay of it does not
    replace it), and every record of the others."""

    enriched: dict[str, dict] = field(default_factory=dict)
    stories: dict[str, dict] = field(default_factory=dict)
    events: dict[str, dict] = field(default_factory=dict)
    aggregates: dict[str, dict] = field(default_factory=dict)
    dead: list[dict] = field(default_factory=list)
    enriched_records: int = 0
    dead_keys: list[str] = field(default_factory=list)
    """The key of each dead letter (the original record's key), in the order of ``dead``."""
    enriched_all: dict[str, list[dict]] = field(default_factory=dict)
    """Every enriched record per article id, oldest first (a redelivered or replayed article appears again)."""

    def add(self, kind: str, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # a tombstone: the record was retracted (a story merged into another)
            if kind in ("stories", "events", "aggregates"):
                getattr(self, kind).pop(key.decode("utf-8", "replace") if key else "", None)
            return
        try:
            record = orjson.loads(value)
        except orjson.JSONDecodeError:
            record = {"unreadable": value[:200].decode("utf-8", "replace")}
        name = key.decode("utf-8", "replace") if key else ""
        if kind == "dead":
            self.dead.append(record)
            self.dead_keys.append(name)
        elif kind == "enriched":
            self.enriched_records += 1
            if not (record.get("replay") and name in self.enriched):  # a replay does not hide the decision
                self.enriched[name] = record
            self.enriched_all.setdefault(name, []).append(record)
        else:
            getattr(self, kind)[name] = record


async def read_outputs(settings: Settings, done: Callable[[Outputs], bool], timeout: float = 120.0,
                       settle: float = 1.0, only: Iterable[str] | None = None) -> Outputs:
    """Read the output topics (``only`` those kinds, when given) from the beginning until ``done(outputs)`` holds
    and nothing new arrived for ``settle`` seconds, or until ``timeout``."""
    kinds = output_kinds(settings)
    if only is not None:
        wanted = set(only)
        kinds = {name: kind for name, kind in kinds.items() if kind in wanted}
    consumer = AIOKafkaConsumer(enable_auto_commit=False, auto_offset_reset="earliest", **aiokafka_config(settings))
    await consumer.start()
    outputs = Outputs()
    try:
        deadline = time.monotonic() + timeout
        assigned: set[TopicPartition] = set()
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            assigned = await _assign(consumer, kinds, assigned)
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    outputs.add(kinds[tp.topic], record.key, record.value)
                last_new = time.monotonic()
            if done(outputs) and time.monotonic() - last_new >= settle:
                break
    finally:
        await consumer.stop()
    return outputs


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> set[TopicPartition]:
    """The partitions of ``topics`` that exist now, for a consumer without a subscription.

    Such a consumer's metadata requests name no topic unless told which: the embedded broker then answers with
    every topic, Apache Kafka with none. So the topics are named (``add_topic``) and the metadata refreshed."""
    client = consumer._client
    missing = [topic for topic in topics if not consumer.partitions_for_topic(topic)]
    if missing:
        for topic in missing:
            client.add_topic(topic)
        await client.force_metadata_update()
    return {TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()}


async def _assign(consumer: AIOKafkaConsumer, kinds: dict[str, str], assigned: set) -> set:
    partitions = await partitions_of(consumer, kinds)  # topics may not exist yet
    if not partitions:
        return assigned
    if partitions != assigned:
        positions = {tp: await consumer.position(tp) for tp in assigned}
        consumer.assign(sorted(partitions))
        await consumer.seek_to_beginning(*sorted(partitions - assigned))
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
    return partitions


def read_outputs_sync(settings: Settings, done: Callable[[Outputs], bool], timeout: float = 120.0,
                      only: Iterable[str] | None = None) -> Outputs:
    return asyncio.run(read_outputs(settings, done, timeout, only=only))

