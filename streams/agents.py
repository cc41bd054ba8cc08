"""Faust agents: thin glue between the topics and :class:`streams.pipeline.Pipeline`."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from prometheus_client import start_http_server

from streams import metrics
from streams.app import aggregates_topic, app, dead_topic, enriched_topic, events_topic, raw_topic, settings, \
    stories_topic
from streams.model import Article, BadRecord, parse_raw
from streams.pipeline import Pipeline, Result

log = logging.getLogger(__name__)
BATCH = 32
BATCH_WITHIN_S = 0.2
pipeline: Pipeline | None = None


def _pipeline() -> Pipeline:
    global pipeline
    if pipeline is None:
        pipeline = Pipeline(settings)
    return pipeline


@app.agent(raw_topic)
async def process(stream) -> None:
    """raw articles -> enriched articles, stories, events, aggregates (or a dead letter)."""
    async for events in stream.take_events(BATCH, within=BATCH_WITHIN_S):
        await handle_batch([(e.message.key, e.message.value) for e in events])


async def handle_batch(messages: list[tuple[bytes | None, bytes | None]]) -> None:
    articles: list[Article] = []
    for key, value in messages:
        metrics.ARTICLES_IN.labels("parse").inc()
        try:
            articles.append(parse_raw(value, settings.max_record_bytes))
        except BadRecord as bad:
            await dead_letter(key, value, bad)
    if not articles:
        return
    metrics.ARTICLES_OUT.labels("parse").inc(len(articles))
    metrics.ARTICLES_IN.labels("dedup").inc(len(articles))
    results = await asyncio.get_running_loop().run_in_executor(None, _pipeline().process_batch, articles)
    for article, result in zip(articles, results):
        if isinstance(result, BadRecord):
            await dead_letter(article.id.encode(), None, result)
        else:
            await emit(result)


async def emit(result: Result) -> None:
    key = result.article.id.encode()
    await enriched_topic.send(key=key, value=orjson.dumps(result.enriched()))
    metrics.ARTICLES_OUT.labels("dedup").inc()
    if result.replayed:
        return
    await stories_topic.send(key=result.story.id.encode(), value=orjson.dumps(result.story.as_dict()))
    await events_topic.send(key=result.event.id.encode(), value=orjson.dumps(result.event.as_dict()))
    metrics.ARTICLES_OUT.labels("events").inc()
    for record in result.aggregates:
        await aggregates_topic.send(key=f"{record['kind']}:{record['key']}".encode(), value=orjson.dumps(record))
    if result.article.sent_at:
        metrics.END_TO_END_SECONDS.observe(max(0.0, time.time() - result.article.sent_at))


async def dead_letter(key: bytes | None, value: bytes | None, bad: BadRecord) -> None:
    """Send the record with its reason to the dead-letter topic; nothing is dropped silently."""
    metrics.DEAD_LETTERS.labels(bad.reason).inc()
    log.warning("dead letter: %s", bad)
    record: dict[str, Any] = {"reason": bad.reason, "detail": bad.detail, "at": time.time()}
    if value is not None:
        record["value"] = value.decode("utf-8", "replace")[:settings.max_record_bytes]
    await dead_topic.send(key=key, value=orjson.dumps(record))


@app.task
async def serve_metrics() -> None:
    """Expose the Prometheus registry on the metrics port."""
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=metrics.REGISTRY)
        log.info("metrics on :%d/metrics", settings.metrics_port)
    metrics.WORKER_UP.set(1)


@app.timer(interval=5.0)
async def report_state() -> None:
    """Consumer lag per partition (from fetch high watermarks) and state sizes."""
    consumer = app.consumer
    for tp in consumer.assignment():
        if tp.topic != raw_topic.get_topic_name():
            continue
        try:
            highwater = consumer.highwater(tp)
            position = await consumer.position(tp)
        except Exception:  # noqa: BLE001 - lag is best effort while rebalancing
            continue
        if highwater is not None and position is not None:
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))
    if pipeline is not None:
        for name, size in pipeline.state_size().items():
            if name.endswith("_bytes"):
                metrics.STATE_BYTES.labels(name.removesuffix("_bytes")).set(size)
            else:
                metrics.STATE_ENTRIES.labels(name).set(size)


@app.on_partitions_assigned.connect
async def on_assigned(sender: Any, assigned: set, **kwargs: Any) -> None:
    metrics.REBALANCES.inc()
    metrics.ASSIGNED_PARTITIONS.set(len(assigned))
