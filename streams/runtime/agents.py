"""Faust agents: thin glue between the topics and the three stages of :mod:`streams.core.pipeline`.

    articles-raw ──prepare──> articles-keyed (by candidate key) ──match──> articles-resolve (1 partition)
                     └──────── registration ─────────────────────────────────────┘        │
                                                                                    resolve
                            articles-enriched, stories, events, aggregates, articles-dead <┘
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from streams.core.model import Article, BadRecord, parse_raw
from streams.core.pipeline import Marks, Matcher, Preparer, Resolver, Result, StageClock, outputs
from streams.runtime.app import (
    aggregates_topic,
    app,
    dead_topic,
    enriched_topic,
    events_topic,
    keyed_topic,
    raw_topic,
    resolve_topic,
    settings,
    stories_topic,
)
from streams.runtime.metrics import PROMETHEUS
from streams.runtime.rebuild import Progress, committed_offset, fold_partition

log = logging.getLogger(__name__)
BATCH = 32
DEAD_VALUE_BYTES = 65_536
RESOLVE_PARTITION = 0
"""Everything for the resolver goes to one partition, whatever the topic was created with."""


class Stages:
    """The worker's stage objects, created on first use (the model loads only where articles are prepared)."""

    def __init__(self) -> None:
        self._preparer: Preparer | None = None
        self.matcher = Matcher(settings, StageClock(PROMETHEUS), sources=settings.partitions)
        self.resolver = Resolver(settings, StageClock(PROMETHEUS), sources=settings.partitions)
        self.progress = Progress()
        self.marks = Marks()  # newest trusted publication time per raw partition this worker read
        self.raw_done: dict[int, tuple[int, float]] = {}  # raw partition -> (last offset prepared, when)
        self.idle: set[int] = set()  # raw partitions declared idle
        self.resume: dict[int, int] = {}  # raw partition -> offset processing resumed from (this assignment)

    @property
    def preparer(self) -> Preparer:
        if self._preparer is None:
            self._preparer = Preparer(settings, clock=StageClock(PROMETHEUS))
        return self._preparer

    def state_size(self) -> dict[str, int]:
        return {**self.matcher.state_size(), **self.resolver.state_size()}


stages = Stages()


async def in_executor(func: Callable, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


# -- stage 1: prepare ------------------------------------------------------------------------------
@app.agent(raw_topic)
async def prepare(stream) -> None:
    """raw articles -> a registration on the resolve topic and the fingerprint on each key's partition."""
    async for events in stream.take_events(BATCH, within=settings.batch_wait_s):
        messages = []
        for e in events:
            partition = e.message.partition
            if await ready(e.message.topic, partition, e.message.offset, lambda partition=partition: _fold_raw(partition)):
                messages.append((e.message.key, e.message.value, partition, e.message.offset))
        await prepare_batch(messages)
        for e in events:
            stages.raw_done[e.message.partition] = (e.message.offset, time.monotonic())
            stages.idle.discard(e.message.partition)


async def prepare_batch(messages: list[tuple[bytes | None, bytes | None, int, int]]) -> None:
    """Raw records (key, value, partition, offset) -> registrations and fingerprints, or dead letters."""
    articles: list[Article] = []
    sources: list[int] = []
    marks: list[tuple[int, float | None]] = []
    raws: list[tuple[int, int]] = []
    values: list[bytes] = []
    for key, value, partition, offset in messages:
        PROMETHEUS.increment("articles_in", stage="parse")
        try:
            with stages.preparer.clock("parse"):
                article = parse(value)
        except BadRecord as bad:
            await dead_letter(key, value, bad, (partition, offset))
            continue
        articles.append(article)
        sources.append(partition)
        marks.append(_mark(partition, article))
        raws.append((partition, offset))
        values.append(value)
    if not articles:
        return
    PROMETHEUS.increment("articles_out", len(articles), stage="parse")
    prepared_all = await in_executor(stages.preparer.prepare, articles, sources)
    PROMETHEUS.increment("articles_in", len(prepared_all), stage="match")
    for prepared, mark, raw, value in zip(prepared_all, marks, raws, values):
        key = prepared.article.id.encode()
        registration, keyed = await in_executor(encode_prepared, prepared, mark, raw)
        too_large = oversized([registration, *keyed.values()], settings.internal_record_bytes)
        if too_large:
            await dead_letter(key, value, BadRecord("too_large", too_large), raw)
            continue
        await resolve_topic.send(key=key, value=registration, partition=RESOLVE_PARTITION)
        for partition, record in keyed.items():
            await keyed_topic.send(key=key, value=record, partition=partition)


def encode_prepared(prepared: Any, mark: tuple, raw: tuple[int, int]) -> tuple[bytes, dict[int, bytes]]:
    """The registration and the keyed record per partition of a prepared article, as bytes."""
    routes = prepared.routes(settings.partitions)
    return (orjson.dumps(prepared.registration(sorted(routes), mark, raw)),
            {partition: orjson.dumps(prepared.keyed(keys, mark)) for partition, keys in routes.items()})


def oversized(records: list[bytes], limit: int) -> str:
    """Why records derived from one input cannot be sent (one is over ``limit`` bytes), or ""."""
    largest = max((len(r) for r in records), default=0)
    if largest <= limit:
        return ""
    return (f"a record derived from it has {largest} bytes, more than the {limit} the worker sends "
            "(internal_record_bytes: 2 x max_record_bytes + 256 KB); nothing of it was sent")


def parse(value: bytes | None) -> Article:
    """A raw value as an article (``BadRecord`` if it cannot be one), with the settings' limits."""
    return parse_raw(value, settings.max_record_bytes, settings.max_future_skew_hours * 3600,
                     settings.max_past_days * 86400)


def _mark(source: int, article: Article) -> tuple[int, float | None]:
    """Event-time progress of a raw partition, sent along so later stages can expire state safely."""
    return stages.marks.mark(source, article)


def _fold_raw(partition: int) -> Callable[[list[bytes]], Awaitable[None]]:
    """Rebuild what preparing a raw partition left behind: its cleaner's learnt banners and its mark."""
    stages.preparer.drop(partition)
    stages.marks.drop(partition)

    def fold_all(values: list[bytes]) -> None:
        articles = []
        for value in values:
            try:
                articles.append(parse(value))
            except BadRecord:
                pass  # dead-lettered when it was first processed; it taught the cleaner nothing
        stages.preparer.learn(partition, articles)
        for article in articles:
            _mark(partition, article)

    async def fold(values: list[bytes]) -> None:
        await in_executor(fold_all, values)
    return fold


# -- stage 2: match --------------------------------------------------------------------------------
@app.agent(keyed_topic)
async def match(stream) -> None:
    """fingerprints on the partition owning some of their keys -> verdicts against the held ones."""
    async for events in stream.take_events(BATCH, within=settings.batch_wait_s):
        records = []
        for e in events:
            partition = e.message.partition
            if await ready(e.message.topic, partition, e.message.offset, lambda partition=partition: _fold_keyed(partition)):
                records.append((e.message.partition, e.message.key, e.message.value))
        for key, value, out in await in_executor(_match_all, records):
            if isinstance(out, BadRecord):
                await dead_letter(key, value, out)
            elif out is not None:
                await resolve_topic.send(key=key, value=orjson.dumps(out), partition=RESOLVE_PARTITION)


def _match_all(records: list[tuple[int, bytes, bytes]]) -> list[tuple[bytes, bytes, Any]]:
    out = []
    for partition, key, value in records:
        try:
            out.append((key, value, stages.matcher.handle(partition, orjson.loads(value))))
        except (ValueError, KeyError, TypeError) as exc:
            out.append((key, value, BadRecord("bad_internal_record", f"keyed record: {exc}")))
    return out


def _fold_keyed(partition: int) -> Callable[[list[bytes]], Awaitable[None]]:
    async def fold(values: list[bytes]) -> None:
        for value in values:
            stages.matcher.hold(partition, orjson.loads(value))
    stages.matcher.drop(partition)
    return fold


# -- stage 3: resolve ------------------------------------------------------------------------------
@app.agent(resolve_topic)
async def resolve(stream) -> None:
    """registrations and verdicts, in one order -> stories, events, aggregates, enriched articles."""
    async for events in stream.take_events(BATCH, within=settings.batch_wait_s):
        records = []
        for e in events:
            if await ready(e.message.topic, e.message.partition, e.message.offset, _fold_resolve):
                records.append((e.message.key, e.message.value, e.message.offset))
        results = []
        for key, value, out, raw in await in_executor(_resolve_all, records):
            if isinstance(out, BadRecord):
                await dead_letter(key, value, out, raw)
            else:
                results.append(out)
        await emit(results)
        REPLAYS.report()


def _resolve_all(records: list[tuple[bytes, bytes, int]]) -> list[tuple[bytes, bytes, Any, Any]]:
    """Handle resolve records in order. Each result carries the offset of the record that let it go as its
    ``version`` (monotonic per output key: one resolve partition, read in order; the same after a rebuild).
    A dead letter about a registration carries the raw partition and offset the article came from."""
    out: list[tuple[bytes, bytes, Any, Any]] = []
    for key, value, offset in records:
        try:
            record = orjson.loads(value)
            for result in stages.resolver.handle(record):
                if isinstance(result, BadRecord):
                    out.append((key, value, result, record.get("raw")))
                else:
                    result.version = offset
                    REPLAYS.count(result)
                    out.append((key, value, result, None))
        except (ValueError, KeyError, TypeError) as exc:
            out.append((key, value, BadRecord("bad_internal_record", f"resolve record: {exc}"), None))
    return out


class ReplayLog:
    """Replays recognised and skipped: one log line at most every ``every`` seconds while they come."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.total = 0
        self.reported = 0
        self.last = 0.0

    def count(self, result: Result) -> None:
        self.total += result.replayed

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.total > self.reported and (force or now - self.last >= self.every):
            log.info("replays: %d records recognised as replays and skipped so far (%d since the last line); "
                     "nothing was counted twice", self.total, self.total - self.reported)
            self.reported, self.last = self.total, now


REPLAYS = ReplayLog()


def _fold_resolve() -> Callable[[list[bytes]], Awaitable[None]]:
    stages.resolver = Resolver(settings, StageClock(PROMETHEUS), sources=settings.partitions)
    stages.resolver.clock.observe = False

    def fold_all(values: list[bytes]) -> None:
        for value in values:
            try:
                stages.resolver.handle(orjson.loads(value))
            except (ValueError, KeyError, TypeError):
                pass  # dead-lettered when it was first processed

    async def fold(values: list[bytes]) -> None:
        await in_executor(fold_all, values)
    return fold


@app.timer(interval=0.25)
async def declare_idle() -> None:
    """Tell the later stages when a raw partition of this worker was read to its end and went quiet: it
    then stops holding back the watermark (placement order, state expiry) until it gets data again.
    Being records on the topics, the notices take effect at the same point when state is rebuilt."""
    now = time.monotonic()
    for tp in app.consumer.assignment():
        if tp.topic != settings.topic_raw or tp.partition in stages.idle:
            continue
        last = stages.raw_done.get(tp.partition)
        try:
            highwater = app.consumer.highwater(tp)
            if highwater is not None and last is None:  # nothing prepared here since the worker took it:
                start = await resume_offset(tp.topic, tp.partition)  # did it have anything left?
        except Exception:  # noqa: BLE001 - not fetched yet, or rebalancing: try again on the next tick
            continue
        if highwater is None:
            continue
        if last is None:
            if start >= highwater:
                stages.raw_done[tp.partition] = (start - 1, now)  # nothing left to prepare: start the quiet clock
            continue
        if last[0] + 1 < highwater or now - last[1] < settings.idle_after_s:
            continue
        stages.idle.add(tp.partition)
        notice = {"type": "idle", "source": tp.partition}
        await resolve_topic.send(key=b"idle", value=orjson.dumps(notice), partition=RESOLVE_PARTITION)
        for partition in range(settings.partitions):
            await keyed_topic.send(key=b"idle", value=orjson.dumps({"idle": tp.partition}), partition=partition)


async def resume_offset(topic: str, partition: int) -> int:
    """Where this worker resumed a raw partition it was assigned (asked once per assignment)."""
    if partition not in stages.resume:
        stages.resume[partition] = await committed_offset(settings, topic, partition)
    return stages.resume[partition]


# -- shared ----------------------------------------------------------------------------------------
async def ready(topic: str, partition: int, offset: int,
                make_fold: Callable[[], Callable[[list[bytes]], Awaitable[None]]]) -> bool:
    """Whether to process this record: rebuild the partition's state first if this worker has not got it,
    skip records already folded into it (redelivered after a rebalance)."""
    verdict = stages.progress.verdict(topic, partition, offset)
    if verdict == "skip":
        return False
    if verdict == "rebuild":
        log.info("taking over %s[%d] at offset %d: rebuilding its state", topic, partition, offset)
        await fold_partition(settings, topic, partition, offset, make_fold())
        if topic == settings.topic_resolve:
            stages.resolver.clock.observe = True
    stages.progress.done(topic, partition, offset)
    return True


async def emit(results: list[Result]) -> None:
    """Send a batch's outputs (each key once, its latest value) and count what was placed."""
    records = await in_executor(_encode_outputs, results)
    for kind, key, value in records:
        if value is not None and len(value) > settings.internal_record_bytes:
            await dead_letter(key, value, BadRecord("too_large", f"{kind} record: " + oversized(
                [value], settings.internal_record_bytes)))
            continue
        await OUTPUT_TOPICS[kind].send(key=key, value=value)
    now = time.time()
    for result in results:
        if result.replayed:
            continue
        PROMETHEUS.increment("articles_out", stage="aggregates")
        if result.article.sent_at:
            PROMETHEUS.timing("end_to_end_latency_seconds", max(0.0, now - result.article.sent_at))


def _encode_outputs(results: list[Result]) -> list[tuple[str, bytes, bytes | None]]:
    return [(kind, key, None if value is None else orjson.dumps(value)) for kind, key, value in outputs(results)]


OUTPUT_TOPICS = {"enriched": enriched_topic, "stories": stories_topic, "events": events_topic,
                 "aggregates": aggregates_topic}


async def dead_letter(key: bytes | None, value: bytes | None, bad: BadRecord, raw: Any = None) -> None:
    """Send the record with its reason to the dead-letter topic; nothing is dropped silently.

    The copy of the record is cut to ``DEAD_VALUE_BYTES`` (its full size is in ``value_bytes``): a dead
    letter must stay under the producer's 1 MB limit, however large or binary the bad record was."""
    PROMETHEUS.increment("dead_letters", reason=bad.reason)
    log.warning("dead letter: %s", bad)
    record: dict[str, Any] = {"reason": bad.reason, "detail": bad.detail[:1000], "at": time.time(),
                              "raw": None if raw is None else list(raw)}
    if value is not None:
        record["value"] = value[:DEAD_VALUE_BYTES].decode("utf-8", "replace")
        record["value_bytes"] = len(value)
        record["value_truncated"] = len(value) > DEAD_VALUE_BYTES
    try:
        await dead_topic.send(key=key[:1000] if key else key, value=orjson.dumps(record))
    except Exception as exc:  # noqa: BLE001 - a dead letter that cannot be sent must not stop the worker
        PROMETHEUS.increment("dead_letters", reason="dead_letter_failed")
        log.error("could not send a dead letter (%s): %s", bad.reason, exc)


@app.task
async def serve_metrics() -> None:
    """Expose the Prometheus registry on the metrics port."""
    if settings.metrics_port:
        PROMETHEUS.serve(settings.metrics_port, addr=settings.bind_address)
        log.info("metrics on %s:%d/metrics", settings.bind_address, settings.metrics_port)
    PROMETHEUS.gauge("worker_up", 1)


INPUT_TOPICS = (settings.topic_raw, settings.topic_keyed, settings.topic_resolve)


_lag_series: set[tuple[str, str]] = set()  # (topic, partition) labels of the lag this worker reports


@app.timer(interval=5.0)
async def report_state() -> None:
    """Consumer lag per partition (from fetch high watermarks) and state sizes."""
    REPLAYS.report()
    consumer = app.consumer
    owned = set()
    for tp in consumer.assignment():
        if tp.topic not in INPUT_TOPICS:
            continue
        try:
            highwater = consumer.highwater(tp)
            position = await consumer.position(tp)
        except Exception:  # noqa: BLE001 - lag is best effort while rebalancing
            continue
        if highwater is not None and position is not None:
            owned.add((tp.topic, str(tp.partition)))
            PROMETHEUS.gauge("consumer_lag_messages", max(0, highwater - position), topic=tp.topic,
                             partition=str(tp.partition))
    for topic, partition in _lag_series - owned:  # a partition that went to another worker: reported there
        PROMETHEUS.forget("consumer_lag_messages", topic=topic, partition=partition)
    _lag_series.clear()
    _lag_series.update(owned)
    for name, size in stages.state_size().items():
        if name.endswith("_bytes"):
            PROMETHEUS.gauge("state_bytes", size, state=name.removesuffix("_bytes"))
        else:
            PROMETHEUS.gauge("state_entries", size, state=name)


@app.on_partitions_assigned.connect
async def on_assigned(sender: Any, assigned: set, **kwargs: Any) -> None:
    PROMETHEUS.increment("rebalances")
    owned = Counter(tp.topic for tp in assigned)
    for topic in INPUT_TOPICS:
        PROMETHEUS.gauge("assigned_partitions", owned[topic], topic=topic)
    stages.resume.clear()
