"""streams/tools/replay.py on a real broker: the replayer publishes in publication order and ticks every raw
partition (streams/core/ticks.py), after the articles whose time each tick promises."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from kafka import KafkaConsumer, TopicPartition

from streams.brokers.tansu import ensure_topics
from streams.core.dates import parse_date
from streams.core.ticks import tick_time
from streams.runtime.kafka_config import kafka_python_config
from streams.sources.files import open_source
from streams.tools.replay import replay
from tests.conftest import kafka_settings

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def raw_log(settings, idle_ms: int = 3000) -> dict[int, list[bytes]]:
    """Every raw record's value per partition, in order (read until nothing arrives for ``idle_ms``)."""
    consumer = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=idle_ms, **kafka_python_config(settings))
    try:
        partitions = [TopicPartition(settings.topic_raw, p)
                      for p in sorted(consumer.partitions_for_topic(settings.topic_raw) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        log: dict[int, list[bytes]] = {p.partition: [] for p in partitions}
        for message in consumer:
            log[message.partition].append(message.value)
        return log
    finally:
        consumer.close()


def test_the_replayer_ticks_every_partition_after_the_articles_it_covers(broker, tmp_path):
    settings = kafka_settings(broker.bootstrap, tmp_path, partitions=3, tick_every_s=0.0001)
    ensure_topics(settings)
    records = [{"id": f"t{n:02d}", "title": f"Council vote {n}", "text": f"The council voted on item {n}.",
                "source": "example.org", "published": (START + timedelta(minutes=n)).isoformat()}
               for n in range(12)][::-1]  # out of order in the file: the replayer sorts
    records.append({"id": "undated", "title": "Undated note", "text": "No date here.", "source": "example.org"})
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    summary = replay(settings, open_source(str(path)))
    assert (summary.published, summary.failed) == (13, 0)  # ticks are not counted as records
    assert summary.ticks >= 3 and summary.line().endswith(f", {summary.ticks} ticks")  # one per partition at least
    log = raw_log(settings)
    newest = (START + timedelta(minutes=11)).timestamp()
    for partition, values in log.items():
        ticks = [when for when in map(tick_time, values) if when is not None]
        assert ticks and ticks[-1] == newest, partition  # the last one, at the end of the replay, says it all
        assert ticks == sorted(ticks)
        promised = float("-inf")
        for value in values:
            when = tick_time(value)
            if when is not None:
                promised = when
                continue
            published, _ = parse_date(orjson.loads(value).get("published"))
            if published is not None:
                assert published.timestamp() >= promised, (partition, value)  # no article older than a tick
    articles = [orjson.loads(v)["id"] for values in log.values() for v in values if tick_time(v) is None]
    assert sorted(articles) == sorted(r["id"] for r in records)
