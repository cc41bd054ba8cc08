"""Faust agents: thin glue between the topics and the three stages of :mod:`streams.core.pipeline`.

    articles-raw ──prepare──> articles-keyed (by candidate key) ──match──> articles-resolve (1 partition)
                     └──────── registration ─────────────────────────────────────┘        │
                                                                                    resolve
                            articles-enriched, stories, events, aggregates, articles-dead <┘

``register(app, settings, topics)`` (called by ``create_app``, streams/runtime/app.py) puts the agents, timers and
signal handlers on an app. What travels is typed (streams/core/messages.py) and goes through one codec
(streams/core/wire.py); records between the stages carry batches: per input batch, one record of registrations
and one of fingerprints per keyed partition from prepare, one of reports from match (split at
``internal_record_bytes``). The policies live in their own modules: redelivery skipping and takeover
(streams/runtime/redelivery.py), the idle protocol (streams/runtime/idle.py), dead letters
(streams/runtime/dead_letters.py), state rebuilds (streams/runtime/rebuild.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from streams.core import wire
from streams.core.messages import Registration, Report, ResolveMessage, Tick
from streams.core.model import Article, BadRecord, parse_raw
from streams.core.pipeline import Marks, Matcher, Prepared, Preparer, Resolver, Result, StageClock, outputs
from streams.core.ticks import tick_time
from streams.runtime.dead_letters import DeadLetters, oversized
from streams.runtime.idle import IdleWatch, announce
from streams.runtime.metrics import PROMETHEUS
from streams.runtime.redelivery import Fold, Redelivery
from streams.runtime.topics import RESOLVE_PARTITION, consumed_topics
from streams.settings import Settings

log = logging.getLogger(__name__)
BATCH_KEY = b"batch"  # the key of a batch record between the stages (its partition is chosen explicitly)
OUTPUT_KINDS = ("enriched", "stories", "events", "aggregates")
Raw = tuple[bytes | None, bytes | None, int, int]  # key, value, partition, offset
Output = tuple[str, bytes, bytes | None]  # kind, key, encoded value (None: a tombstone)


async def in_executor(func: Callable, *args: Any) -> Any:
    """A stage's batch, a rebuild or the model's load on a thread, so the event loop keeps sending and receiving
    meanwhile (running match and resolve on the loop was faster but changed the timing of kills and takeovers:
    docs/benchmarks.md)."""
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


class Stages:
    """The worker's stage objects; the preparer is created on first use (the event loop and the executor threads
    both ask for it, so behind a lock)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._preparer: Preparer | None = None
        self._lock = threading.Lock()
        self.matcher = Matcher(settings, StageClock(PROMETHEUS), sources=settings.partitions)
        self.resolver = Resolver(settings, StageClock(PROMETHEUS), sources=settings.partitions)
        self.marks = Marks()  # newest trusted publication time per raw partition this worker read

    @property
    def preparer(self) -> Preparer:
        with self._lock:
            if self._preparer is None:
                self._preparer = Preparer(self.settings, clock=StageClock(PROMETHEUS))
            return self._preparer

    def state_size(self) -> dict[str, int]:
        return {**self.matcher.state_size(), **self.resolver.state_size()}


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


class Worker:
    """The three stages on their topics (``topics``: Faust topics by kind, streams/runtime/topics.py)."""

    def __init__(self, app: Any, settings: Settings, topics: dict[str, Any]) -> None:
        self.app = app
        self.settings = settings
        self.topics = topics
        self.stages = Stages(settings)
        self.redelivery = Redelivery(settings)
        self.idle = IdleWatch(settings)
        self.parse_clock = StageClock(PROMETHEUS)  # the raw parse runs on the event loop: not the preparer's clock
        self.dead = DeadLetters(topics["dead"])
        self.replays = ReplayLog()
        self.inputs = consumed_topics(settings)
        self.lag_series: set[tuple[str, str]] = set()  # (topic, partition) labels of the lag this worker reports

    # -- stage 1: prepare --------------------------------------------------------------------------
    async def prepare(self, stream: Any) -> None:
        """raw articles -> a registration on the resolve topic and the fingerprint on each key's partition."""
        async for events in stream.take_events(self.settings.batch_size, within=self.settings.batch_wait_s):
            ready = await self.redelivery.ready_messages(events, self.fold_raw)
            await self.prepare_batch([(m.key, m.value, m.partition, m.offset) for m in ready])
            for e in events:
                self.idle.prepared(e.message.partition, e.message.offset)

    async def prepare_batch(self, messages: list[Raw]) -> None:
        """Raw records (key, value, partition, offset) -> one batch of registrations on the resolve topic and one
        batch of fingerprints per keyed partition (several records if over ``internal_record_bytes``), or dead
        letters: a bad raw record, or an article one of whose messages alone is too large, goes to the
        dead-letter topic with its reason and the rest of the batch travels."""
        parsed = self.parse_all(messages)
        articles: list[Article] = []
        sources: list[int] = []
        marks: list[tuple[int, float | None]] = []
        raws: list[tuple[int, int]] = []
        values: list[bytes] = []
        ticks: dict[int, Tick] = {}  # per raw partition, its newest mark after a tick in this batch
        for (key, value, partition, offset), article in zip(messages, parsed):
            if isinstance(article, Tick):
                ticks[partition] = Tick(partition, self.stages.marks.tick(partition, article.when))
                continue
            if isinstance(article, BadRecord):
                await self.dead.send(key, value, article, (partition, offset))
                continue
            articles.append(article)
            sources.append(partition)
            marks.append(self.stages.marks.mark(partition, article))
            raws.append((partition, offset))
            values.append(value)  # type: ignore[arg-type]  # parsed, so not None
        if not articles and not ticks:
            return
        PROMETHEUS.increment("articles_out", len(articles), stage="parse")
        prepared_all, encoded = await in_executor(self.prepare_encode, articles, sources, marks, raws) \
            if articles else ([], [])
        limit = self.settings.internal_record_bytes
        registrations: list[bytes] = []
        keyed: dict[int, list[bytes]] = {}
        for prepared, (registration, records), raw, value in zip(prepared_all, encoded, raws, values):
            too_large = oversized([registration, *records.values()], limit, wire.ENVELOPE)
            if too_large:
                key = prepared.article.id.encode()
                await self.dead.send(key, value, BadRecord("too_large", too_large), raw)
                continue
            registrations.append(registration)
            for partition, record in records.items():
                keyed.setdefault(partition, []).append(record)
        registrations += [wire.encode(tick) for tick in ticks.values()]  # after the articles they follow
        for record in wire.pack(registrations, limit):
            await self.topics["resolve"].send(key=BATCH_KEY, value=record, partition=RESOLVE_PARTITION)
        for partition in sorted(keyed):
            for record in wire.pack(keyed[partition], limit):
                await self.topics["keyed"].send(key=BATCH_KEY, value=record, partition=partition)

    def parse_all(self, messages: list[Raw]) -> list[Article | BadRecord | Tick]:
        """Each raw record's article, its tick (streams/core/ticks.py), or why it is neither; timed and counted
        once for the batch."""
        whens = [tick_time(value) for _key, value, _partition, _offset in messages]
        count = sum(when is None for when in whens)
        PROMETHEUS.increment("articles_in", count, stage="parse")
        if count < len(messages):
            PROMETHEUS.increment("ticks", len(messages) - count)
        parsed: list[Article | BadRecord | Tick] = []
        with self.parse_clock("parse", count=count):
            for (_key, value, partition, _offset), when in zip(messages, whens):
                if when is not None:
                    parsed.append(self.tick(partition, when))
                    continue
                try:
                    parsed.append(self.parse(value))
                except BadRecord as bad:
                    parsed.append(bad)
        return parsed

    def tick(self, partition: int, when: float) -> Tick | BadRecord:
        """A tick, or ``untrusted_tick`` for one further ahead of now than a publication time is trusted: it would
        hold every later article as late."""
        ahead = when - time.time()
        if ahead > self.settings.max_future_skew_hours * 3600:
            return BadRecord("untrusted_tick", f"a tick {ahead / 3600:.1f} h ahead of now (max_future_skew_hours "
                                               f"{self.settings.max_future_skew_hours:g})")
        return Tick(partition, when)

    def prepare_encode(self, articles: list[Article], sources: list[int], marks: list[tuple],
                       raws: list[tuple[int, int]]) -> tuple[list[Prepared], list[tuple[bytes, dict[int, bytes]]]]:
        """Prepare a batch and encode its messages (one call per batch)."""
        prepared_all = self.stages.preparer.prepare(articles, sources)
        PROMETHEUS.increment("articles_in", len(prepared_all), stage="match")
        return prepared_all, self.encode_all(prepared_all, marks, raws)

    def encode_all(self, prepared_all: list[Prepared], marks: list[tuple], raws: list[tuple[int, int]]
                   ) -> list[tuple[bytes, dict[int, bytes]]]:
        """Per prepared article, its registration and its keyed message per partition, as encoded messages."""
        out = []
        for prepared, mark, raw in zip(prepared_all, marks, raws):
            routes = prepared.routes(self.settings.partitions)
            out.append((wire.encode(prepared.registration(sorted(routes), mark, raw)),
                        {partition: wire.encode(prepared.keyed(keys, mark)) for partition, keys in routes.items()}))
        return out

    def parse(self, value: bytes | None) -> Article:
        """A raw value as an article (``BadRecord`` if it cannot be one), with the settings' limits."""
        return parse_raw(value, self.settings.max_record_bytes, self.settings.max_future_skew_hours * 3600,
                         self.settings.max_past_days * 86400)

    def fold_raw(self, partition: int) -> Fold:
        """Rebuild what preparing a raw partition left behind: its cleaner's learnt banners and its mark."""
        self.stages.preparer.drop(partition)
        self.stages.marks.drop(partition)

        def fold_all(values: list[bytes]) -> None:
            articles = []
            for value in values:
                when = tick_time(value)
                if when is not None:
                    if isinstance(self.tick(partition, when), Tick):  # else dead-lettered when first processed
                        self.stages.marks.tick(partition, when)
                    continue
                try:
                    article = self.parse(value)
                except BadRecord:
                    continue  # dead-lettered when it was first processed; it taught the cleaner nothing
                articles.append(article)
                self.stages.marks.mark(partition, article)
            self.stages.preparer.learn(partition, articles)

        async def fold(values: list[bytes]) -> None:
            await in_executor(fold_all, values)
        return fold

    # -- stage 2: match ----------------------------------------------------------------------------
    async def match(self, stream: Any) -> None:
        """fingerprints on the partition owning some of their keys -> verdicts against the held ones, one batch
        of reports on the resolve topic per input batch."""
        async for events in stream.take_events(self.settings.batch_size, within=self.settings.batch_wait_s):
            ready = await self.redelivery.ready_messages(events, self.fold_keyed)
            records = [(m.partition, m.key, m.value) for m in ready]
            reports, bad = await in_executor(self.match_all, records)
            for key, value, why in bad:
                await self.dead.send(key, value, why)
            for record in wire.pack(reports, self.settings.internal_record_bytes):
                await self.topics["resolve"].send(key=BATCH_KEY, value=record, partition=RESOLVE_PARTITION)

    def match_all(self, records: list[tuple[int, bytes, bytes]]
                  ) -> tuple[list[bytes], list[tuple[bytes | None, bytes | None, BadRecord]]]:
        """Keyed records -> the encoded reports of their fingerprints in order (an idle notice has none), and
        (key, value, why) of what cannot be read: a whole record, or one item of a batch."""
        reports: list[bytes] = []
        bad: list[tuple[bytes | None, bytes | None, BadRecord]] = []
        for partition, key, value in records:
            try:
                messages = wire.decode_keyed(value)
            except (ValueError, KeyError, TypeError) as exc:
                bad.append((key, value, BadRecord("bad_internal_record", f"keyed record: {exc}")))
                continue
            for message in messages:
                try:
                    if isinstance(message, wire.BadItem):
                        raise message
                    report = self.stages.matcher.handle(partition, message)
                except (ValueError, KeyError, TypeError) as exc:
                    item = message.value if isinstance(message, wire.BadItem) else wire.encode(message)
                    bad.append((key, item, BadRecord("bad_internal_record", f"keyed record: {exc}")))
                    continue
                if report is not None:
                    reports.append(wire.encode(report))
        return reports, bad

    def fold_keyed(self, partition: int) -> Fold:
        async def fold(values: list[bytes]) -> None:
            for value in values:
                for message in readable(wire.decode_keyed, value):
                    try:
                        self.stages.matcher.hold(partition, message)
                    except (ValueError, KeyError, TypeError):
                        pass  # dead-lettered when it was first processed
        self.stages.matcher.drop(partition)
        return fold

    # -- stage 3: resolve --------------------------------------------------------------------------
    async def resolve(self, stream: Any) -> None:
        """registrations and verdicts, in one order -> stories, events, aggregates, enriched articles."""
        async for events in stream.take_events(self.settings.batch_size, within=self.settings.batch_wait_s):
            if self.dropped(events):  # fetched before the group dropped this worker: left to the new owner
                self.redelivery.forget({(e.message.topic, e.message.partition) for e in events})
                continue
            ready = await self.redelivery.ready_messages(events, self.fold_resolve, self.resolver_rebuilt)
            records = [(m.key, m.value, m.offset) for m in ready]
            handled, results, encoded = await in_executor(self.resolve_encode, records)
            if self.dropped(events):  # dropped meanwhile
                self.redelivery.forget({(m.topic, m.partition) for m in ready})
                continue
            for key, value, out, raw in handled:
                if isinstance(out, BadRecord):
                    await self.dead.send(key, value, out, raw)
            await self.emit(results, encoded)
            self.replays.report()

    def dropped(self, events: list[Any]) -> bool:
        """Whether the group dropped this worker since ``events`` were fetched (its consumer's generation is no
        longer theirs: a pause past the session timeout). Another worker holds their partition now and
        processes them again from the committed offset; outputs sent from here would be of an older state than
        that worker's and could arrive after them, so the batch's outputs are not sent and its partition is
        rebuilt before this worker processes it again (docs/delivery.md). A batch that straddles an ordinary
        rebalance is not affected: Faust waits for it before the generation changes."""
        generation = self.consumer_generation()
        return generation is not None and any(
            e.message.generation_id is not None and e.message.generation_id != generation for e in events)

    def consumer_generation(self) -> int | None:
        """The consumer group generation the worker's Kafka consumer is in now (-1 once the group has dropped it,
        until it joins again); None when it cannot be read."""
        try:
            return int(self.app.consumer._thread._consumer._coordinator.generation)
        except (AttributeError, TypeError, ValueError):
            return None

    def resolve_encode(self, records: list[tuple[bytes, bytes, int]]
                       ) -> tuple[list[tuple[bytes | None, bytes, Any, Any]], list[Result], list[Output]]:
        """Handle a batch of resolve records and encode its outputs (one call per batch). Returns what
        ``resolve_all`` returns, the results among it, and their output records."""
        handled = self.resolve_all(records)
        results = [out for _key, _value, out, _raw in handled if not isinstance(out, BadRecord)]
        return handled, results, encode_outputs(results, self.settings.record_members)

    def resolve_all(self, records: list[tuple[bytes, bytes, int]]) -> list[tuple[bytes | None, bytes, Any, Any]]:
        """Handle resolve records, and the messages of each, in order. Each result carries as its ``version``
        ``offset * BATCH_ITEMS + index`` of the message that let it go (offset of its record, index in the
        record): monotonic per output key (one resolve partition, read in order) and the same after a rebuild.
        A dead letter about a registration carries the raw partition and offset the article came from."""
        out: list[tuple[bytes | None, bytes, Any, Any]] = []
        for key, value, offset in records:
            try:
                messages = wire.decode_resolve(value)
            except (ValueError, KeyError, TypeError) as exc:
                out.append((key, value, BadRecord("bad_internal_record", f"resolve record: {exc}"), None))
                continue
            for index, message in enumerate(messages):
                if isinstance(message, wire.BadItem):
                    out.append((key, message.value, BadRecord("bad_internal_record", f"resolve record: {message}"),
                                None))
                    continue
                out.extend(self.resolve_one(key, message, offset * wire.BATCH_ITEMS + index))
        return out

    def resolve_one(self, key: bytes | None, message: ResolveMessage, version: int
                    ) -> list[tuple[bytes | None, bytes, Any, Any]]:
        """One resolve message's results (version set) and dead letters, as (key, value, out, raw); a dead letter
        about an article is keyed by its id (else by the record's ``key``)."""
        raw = message.raw if isinstance(message, Registration) else None
        if isinstance(message, Registration):
            key = message.article.id.encode()
        elif isinstance(message, Report):
            key = message.article_id.encode()
        try:
            results = self.stages.resolver.handle(message)
        except (ValueError, KeyError, TypeError) as exc:
            return [(key, wire.encode(message), BadRecord("bad_internal_record", f"resolve record: {exc}"), raw)]
        out: list[tuple[bytes | None, bytes, Any, Any]] = []
        for result in results:
            if isinstance(result, BadRecord):
                out.append((key, wire.encode(message), result, raw))
            else:
                result.version = version
                self.replays.count(result)
                out.append((key, b"", result, None))
        return out

    def fold_resolve(self, partition: int = RESOLVE_PARTITION) -> Fold:
        self.stages.resolver = Resolver(self.settings, StageClock(PROMETHEUS), sources=self.settings.partitions)
        self.stages.resolver.clock.observe = False

        def fold_all(values: list[bytes]) -> None:
            for value in values:
                for message in readable(wire.decode_resolve, value):
                    try:
                        self.stages.resolver.handle(message)
                    except (ValueError, KeyError, TypeError):
                        pass  # dead-lettered when it was first processed

        async def fold(values: list[bytes]) -> None:
            await in_executor(fold_all, values)
        return fold

    def resolver_rebuilt(self) -> None:
        self.stages.resolver.clock.observe = True

    async def emit(self, results: list[Result], records: list[Output]) -> None:
        """Send a batch's outputs (``records``: each key once, its latest value, encoded with the results in
        ``resolve_encode``) and count what was placed."""
        for kind, key, value in records:
            if value is not None and len(value) > self.settings.internal_record_bytes:
                await self.dead.send(key, value, BadRecord("too_large", f"{kind} record: " + oversized(
                    [value], self.settings.internal_record_bytes)))
                continue
            await self.topics[kind].send(key=key, value=value)
        now = time.time()
        placed = [result for result in results if not result.replayed]
        if placed:
            PROMETHEUS.increment("articles_out", len(placed), stage="aggregates")
        for result in placed:
            if result.article.sent_at:
                PROMETHEUS.timing("end_to_end_latency_seconds", max(0.0, now - result.article.sent_at))

    # -- timers, tasks, signals --------------------------------------------------------------------
    async def declare_idle(self) -> None:
        """Tell the later stages when a raw partition of this worker was read to its end and went quiet."""
        for source in await self.idle.newly_idle(self.app.consumer):
            await announce(source, self.topics["resolve"])

    async def load_preparer(self) -> None:
        """Make the preparer, and load the place names and the embedding model (semantic mode), as the worker
        starts rather than on its first batch: the first articles do not wait ~10 s for the model, and a worker
        does not join the stream that late while its partitions have been declared idle (docs/faults.md)."""
        await in_executor(self.stages.preparer.load)

    async def serve_metrics(self) -> None:
        """Expose the Prometheus registry on the metrics port."""
        if self.settings.metrics_port:
            PROMETHEUS.serve(self.settings.metrics_port, addr=self.settings.bind_address)
            log.info("metrics on %s:%d/metrics", self.settings.bind_address, self.settings.metrics_port)
        PROMETHEUS.gauge("worker_up", 1)

    async def report_state(self) -> None:
        """Consumer lag per partition (from fetch high watermarks) and state sizes."""
        self.replays.report()
        consumer = self.app.consumer
        owned = set()
        for tp in consumer.assignment():
            if tp.topic not in self.inputs:
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
        for labels in self.lag_series - owned:  # a partition that went to another worker: its lag is reported there
            PROMETHEUS.forget("consumer_lag_messages", topic=labels[0], partition=labels[1])
        self.lag_series.clear()
        self.lag_series.update(owned)
        for name, size in self.stages.state_size().items():
            if name.endswith("_bytes"):
                PROMETHEUS.gauge("state_bytes", size, state=name.removesuffix("_bytes"))
            else:
                PROMETHEUS.gauge("state_entries", size, state=name)

    async def on_assigned(self, sender: Any, assigned: set, **kwargs: Any) -> None:
        PROMETHEUS.increment("rebalances")
        owned = Counter(tp.topic for tp in assigned)
        for topic in self.inputs:
            PROMETHEUS.gauge("assigned_partitions", owned[topic], topic=topic)
        self.redelivery.assigned({(tp.topic, tp.partition) for tp in assigned}, sender.consumer_generation_id)
        self.idle.assigned()


def readable(decode: Callable[[bytes], list], value: bytes) -> list:
    """The messages of a record that can be read (a rebuild skips the rest: they were dead-lettered when the
    record was first processed)."""
    try:
        messages = decode(value)
    except (ValueError, KeyError, TypeError):
        return []
    return [m for m in messages if not isinstance(m, wire.BadItem)]


def encode_outputs(results: list[Result], listed: int | None = None) -> list[Output]:
    """The batch's output records, encoded (story and event records list their last ``listed`` members)."""
    return [(kind, key, wire.encode_output(value)) for kind, key, value in outputs(results, listed)]


def register(app: Any, settings: Settings, topics: dict[str, Any]) -> Worker:
    """Put the stages' agents, the timers and the partition-assignment handler on ``app``."""
    worker = Worker(app, settings, topics)
    agents: list[tuple[str, Callable[[Any], Awaitable[None]]]] = [
        ("raw", worker.prepare), ("keyed", worker.match), ("resolve", worker.resolve)]
    for kind, agent in agents:
        app.agent(topics[kind], name=f"{__name__}.{agent.__name__}")(agent)
    app.timer(interval=0.25, name=f"{__name__}.declare_idle")(worker.declare_idle)
    app.timer(interval=5.0, name=f"{__name__}.report_state")(worker.report_state)
    app.task(worker.serve_metrics)
    app.task(worker.load_preparer)
    app.on_partitions_assigned.connect(worker.on_assigned)
    return worker
