"""The seeds through a real broker (the embedded Tansu, then Apache Kafka) and a real worker process, asserted
from the output topics."""
from __future__ import annotations

import orjson
import pytest

from streams.publish import Publisher
from tests.conftest import complete

pytestmark = pytest.mark.kafka

ASTANA = {"000_a94de5377cbfe687", "001_52bc99c834f615cc"}
SAMARKAND, CALL, BEIJING = "002_2bab8afb75e512c1", "003_ea497608403e14fb", "004_8019c449f466b57c"


def test_seed_stories_from_topics(seeded_any):
    stories = {frozenset(s["articles"]) for s in seeded_any.outputs.stories.values()}
    assert stories == {frozenset(ASTANA), frozenset({SAMARKAND}), frozenset({CALL}), frozenset({BEIJING})}
    astana = next(s for s in seeded_any.outputs.stories.values() if len(s["articles"]) == 2)
    joined = next(m for m in astana["members"] if m["kind"] != "new")
    assert joined["kind"] == "paraphrase"
    quotes = {q["a"].lower() for q in joined["evidence"]["shared_quotes"]}
    assert any("high fences" in q for q in quotes)


def test_seed_events_from_topics(seeded_any):
    events = list(seeded_any.outputs.events.values())
    assert {frozenset(e["articles"]) for e in events} == {
        frozenset(ASTANA), frozenset({SAMARKAND}), frozenset({CALL}), frozenset({BEIJING})}
    by_article = {a: e for e in events for a in e["articles"]}
    assert by_article["000_a94de5377cbfe687"]["location"] == "Astana, Kazakhstan"
    assert by_article["000_a94de5377cbfe687"]["date"] == "2024-07-04"
    assert by_article["000_a94de5377cbfe687"]["date_inferred"] is True
    assert by_article[SAMARKAND]["location"] == "Samarkand, Uzbekistan"
    assert by_article[SAMARKAND]["date"] == "2022-09-15"
    assert by_article[BEIJING]["location"] == "Beijing, China"
    assert by_article[CALL]["type"] == "call"


def test_enriched_records_carry_story_and_event(seeded_any):
    enriched = seeded_any.outputs.enriched
    assert enriched["001_52bc99c834f615cc"]["duplicate_of"] == "000_a94de5377cbfe687"
    assert enriched["001_52bc99c834f615cc"]["duplicate_kind"] == "paraphrase"
    assert all(r["event_ids"] for r in enriched.values())


def test_aggregates_topic(seeded_any):
    kinds = {a["kind"] for a in seeded_any.outputs.aggregates.values()}
    assert kinds == {"event", "outlet", "window"}
    guardian = seeded_any.outputs.aggregates["outlet:theguardian.com"]
    assert guardian["rewrites"] == 1 and guardian["rewrite_share"] == 1.0


def test_malformed_records_dead_lettered_and_worker_goes_on(seeded_any):
    settings = seeded_any.settings
    publisher = Publisher(settings)
    publisher.send_bytes(b"this is not json {", key=b"bad-1")
    publisher.send_bytes(orjson.dumps({"id": "bad-2", "title": "A title", "text": "  "}), key=b"bad-2")
    publisher.send({"id": "after-bad", "title": "Earthquake strikes off the coast of Chile",
                    "text": "A magnitude 7.1 earthquake struck off the coast of Chile on Monday, officials said.",
                    "source": "example.org", "published": "2025-03-03T10:00:00+00:00"})
    publisher.flush()
    publisher.close()
    expected = seeded_any.published + 3
    outputs = seeded_any.read(complete(expected))
    reasons = {d["reason"] for d in outputs.dead}
    assert {"not_json", "empty_body"} <= reasons
    assert "after-bad" in outputs.enriched
    assert all("value" in d or d["reason"] == "empty_body" for d in outputs.dead)
