"""Live feed entries through the real broker and a real worker process: a local RSS feed carrying
full article text is polled, published with the real Publisher, and comes out of the output topics
deduplicated and tagged like replayed articles; polling again (and after a restart) adds nothing."""
from __future__ import annotations

import html
import json
from datetime import datetime
from email.utils import format_datetime

import pytest
from kafka import KafkaConsumer, TopicPartition

from streams.brokers.tansu import ensure_topics
from streams.runtime.kafka_config import kafka_python_config
from streams.runtime.outputs import read_outputs_sync
from streams.runtime.publish import Publisher
from streams.sources.feeds import FeedPoller, parse_config, run_feeds
from streams.sources.pages import page_article_id
from streams.tools.demo import Worker
from tests.conftest import WRITTEN, complete, kafka_settings
from tests.sources.test_feeds import FeedServer

pytestmark = pytest.mark.kafka

FEED_PATH = "/wire/rss.xml"
# (seed id, entry path); listed newest first like a real feed, so the poller publishes oldest first
ENTRIES = [
    ("001_52bc99c834f615cc", "/world/2024/jul/04/xi-putin-pledge-closer-ties-kazakhstan"),
    ("000_a94de5377cbfe687", "/world/asia-pacific/xi-tells-putin-world-faces-turbulent-era-2024-07-04/"),
    ("004_8019c449f466b57c", "/news/2024/5/16/putin-arrives-in-beijing-for-state-visit"),
]
REWRITES = {"000_a94de5377cbfe687", "001_52bc99c834f615cc"}
UNRELATED = "004_8019c449f466b57c"
FAST = {"timeout_s": 3.0, "deadline_s": 3.0, "retries": 0, "backoff_s": 0.01, "delay_per_host_s": 0.0,
        "interval_s": 60}


def _item(seed: str, link: str, published: str) -> str:
    title, _, body = (WRITTEN / f"{seed}.txt").read_text(encoding="utf-8").strip().partition("\n")
    paragraphs = [line.strip() for line in body.splitlines() if line.strip()]
    content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    assert "]]>" not in content
    return (f"<item><title>{html.escape(title.strip())}</title><link>{link}</link>"
            f'<guid isPermaLink="false">wire-{seed}</guid>'
            f"<pubDate>{format_datetime(datetime.fromisoformat(published))}</pubDate>"
            f"<description>{html.escape(paragraphs[0][:200])}</description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item>")


def wire_feed(base: str) -> bytes:
    metadata = json.loads((WRITTEN / "metadata.json").read_text(encoding="utf-8"))
    items = "".join(_item(seed, base + path, metadata[seed]["published"]) for seed, path in ENTRIES)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Wire</title><link>{base}/</link><description>World news</description>{items}"
            "</channel></rss>").encode()


class WireServer(FeedServer):
    """The feeds test server plus one full-text feed, served without validators (every poll is a 200,
    so only the seen-store keeps entries from being published twice)."""

    def route(self, h, path: str) -> None:
        if path == FEED_PATH:
            return self.send(h, 200, wire_feed(self.base), "application/rss+xml; charset=utf-8")
        return super().route(h, path)


def raw_records(settings, idle_ms: int = 3000) -> list[dict]:
    """Every record on the raw topic: read from the beginning until nothing arrives for ``idle_ms``.
    (End offsets are not used: the embedded Tansu broker reports the latest offset of a partition as
    its last batch's base offset + 1, too low when a batch holds several records.)"""
    consumer = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=idle_ms, **kafka_python_config(settings))
    try:
        partitions = [TopicPartition(settings.topic_raw, p)
                      for p in sorted(consumer.partitions_for_topic(settings.topic_raw) or ())]
        assert partitions
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return [json.loads(message.value) for message in consumer]
    finally:
        consumer.close()


@pytest.mark.timeout(180)
def test_feed_entries_flow_through_the_worker_deduplicated_once(broker, tmp_path):
    settings = kafka_settings(broker.bootstrap, tmp_path)
    ensure_topics(settings)
    server = WireServer()
    worker = Worker(settings, tmp_path / "worker.log")
    state_dir = tmp_path / "feed-state"
    feed_url = server.url(FEED_PATH)
    links = {seed: server.url(path) for seed, path in ENTRIES}
    ids = {seed: page_article_id(link) for seed, link in links.items()}
    config_doc = {"defaults": FAST, "feeds": [{"url": feed_url, "name": "wire"}]}
    try:
        worker.start()
        worker.wait_metrics()
        publisher = Publisher(settings)
        poller = FeedPoller(parse_config(config_doc), publisher, state_dir)
        try:
            first = poller.poll_once()
            assert first.ok and first.published == 3, first.errors
            assert publisher.sent == 3

            outputs = read_outputs_sync(settings, complete(3), timeout=90)
            log = (tmp_path / "worker.log").read_text()[-3000:]
            assert not outputs.dead, outputs.dead
            assert set(outputs.enriched) == set(ids.values()), log
            enriched = {seed: outputs.enriched[ids[seed]] for seed in ids}

            # every entry enriched and tagged like a replayed article
            for seed, record in enriched.items():
                assert record["url"] == links[seed]
                assert record["source"] == "wire"
                assert record["event_ids"], record
                assert record["story_id"]
            assert enriched["000_a94de5377cbfe687"]["published"] == "2024-07-04T11:20:00+00:00"

            # the two rewrites are one story, one a duplicate of the other; the unrelated one stands alone
            a, b = (enriched[s] for s in sorted(REWRITES))
            assert a["story_id"] == b["story_id"] != enriched[UNRELATED]["story_id"]
            dup, original = (b, a) if b["duplicate_of"] else (a, b)
            assert dup["duplicate_of"] == original["id"]
            assert dup["duplicate_kind"] in ("paraphrase", "near_verbatim")
            assert original["duplicate_of"] is None and enriched[UNRELATED]["duplicate_of"] is None
            stories = {frozenset(s["articles"]) for s in outputs.stories.values()}
            assert stories == {frozenset(ids[s] for s in REWRITES), frozenset({ids[UNRELATED]})}
            assert {frozenset(e["articles"]) for e in outputs.events.values()} == stories

            # a second poll gets the same 200 and publishes nothing
            second = poller.poll_once()
            assert second.ok and second.published == 0, second.errors
        finally:
            poller.close()
            publisher.close()
        assert server.hits[FEED_PATH] == 2

        # a restart: a new poller process-state over the same state dir publishes nothing either
        config_path = tmp_path / "feeds.yaml"
        config_path.write_text(json.dumps(config_doc), encoding="utf-8")  # JSON is YAML
        assert run_feeds(settings, str(config_path), once=True, state_dir=str(state_dir)) == 0
        assert server.hits[FEED_PATH] == 3

        raw = raw_records(settings)
        assert len(raw) == 3
        assert sorted(r["id"] for r in raw) == sorted(ids.values())
        again = read_outputs_sync(settings, complete(3), timeout=30)
        assert set(again.enriched) == set(ids.values())
        assert again.enriched_records == outputs.enriched_records
        assert not again.dead
    finally:
        worker.stop()
        server.close()
