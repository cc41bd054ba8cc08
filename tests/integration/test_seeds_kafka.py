"""The seeds through a real broker (the embedded Tansu, then Apache Kafka) and a real worker process, asserted
from the output topics."""
from __future__ import annotations

import orjson
import pytest

from streams.runtime.outputs import read_outputs_sync
from streams.runtime.publish import Publisher
from tests.conftest import complete

pytestmark = pytest.mark.kafka

# The gold of ../shared/seeds/README.md (copied: the test must run without ../shared).
ASTANA = {"000_6e96537bbe03daf4", "001_fae7c4ea08b9bc39"}
UZBEKISTAN, CALL, BEIJING = "002_053fdb81387a560d", "003_662a1b50f96ecb48", "004_3d29576b3b115115"
GOLD = {frozenset(ASTANA), frozenset({UZBEKISTAN}), frozenset({CALL}), frozenset({BEIJING})}


def test_seed_stories_from_topics(seeded_any):
    stories = {frozenset(s["articles"]) for s in seeded_any.outputs.stories.values()}
    assert stories == GOLD
    astana = next(s for s in seeded_any.outputs.stories.values() if len(s["articles"]) == 2)
    joined = next(m for m in astana["members"] if m["kind"] != "new")
    assert joined["kind"] == "paraphrase"  # a rewrite, not a copy: 5-shingle Jaccard 0.06
    assert joined["similarity"]["jaccard_5shingle"] < 0.2 and joined["similarity"]["lead_cosine"] >= 0.85


def test_seed_events_from_topics(seeded_any):
    events = list(seeded_any.outputs.events.values())
    assert {frozenset(e["articles"]) for e in events} == GOLD
    by_article = {a: e for e in events for a in e["articles"]}
    astana, uzbekistan = by_article["000_6e96537bbe03daf4"], by_article[UZBEKISTAN]
    assert (astana["type"], astana["location"]) == ("summit", "Astana, Kazakhstan")
    assert (uzbekistan["type"], uzbekistan["location"]) == ("summit", "Uzbekistan")
    assert by_article[CALL]["type"] == "call"
    assert by_article[BEIJING]["location"] == "Beijing, China"
    assert by_article[BEIJING]["type"] in ("bilateral_meeting", "visit")
    # Only 004 can be dated from its text (dateline Oct 19, 2023: "on Wednesday" is Oct 18).
    assert by_article[BEIJING]["date"] == "2023-10-18"
    for seed in (*ASTANA, UZBEKISTAN, CALL):
        assert by_article[seed]["date"] is None and by_article[seed]["date_source"] is None
    for event in events:  # people who took part, with "Wladimir" folded into "Vladimir"
        assert set(event["actors"]) == {"Xi Jinping", "Vladimir Putin"}


def test_enriched_records_say_only_what_the_text_says(seeded_any):
    enriched = seeded_any.outputs.enriched
    assert set(enriched) == {*ASTANA, UZBEKISTAN, CALL, BEIJING}
    assert {enriched[a]["duplicate_kind"] for a in ASTANA} == {None, "paraphrase"}
    assert all(r["event_ids"] for r in enriched.values())
    assert all(r["published"] is None for r in enriched.values())  # no seed states a publication time
    assert enriched[BEIJING]["facts"]["dateline"] == "2023-10-19"
    outlets = {a: r["source"] for a, r in enriched.items()}
    assert outlets == {"000_6e96537bbe03daf4": "Benzinga", "001_fae7c4ea08b9bc39": "unknown",
                       UZBEKISTAN: "SCMP", CALL: "unknown", BEIJING: "AMP America"}
    assert "Benzinga Neuro" in enriched["000_6e96537bbe03daf4"]["source_evidence"]


def test_aggregates_topic(seeded_any):
    aggregates = seeded_any.outputs.aggregates
    assert {a["kind"] for a in aggregates.values()} == {"event", "outlet", "window"}
    astana = next(a for a in aggregates.values() if a["kind"] == "event" and a["articles"] == 2)
    assert (astana["stories"], astana["duplicate_ratio"]) == (1, 0.5)
    assert aggregates["outlet:unknown"]["articles"] == 2


def test_malformed_records_dead_lettered_and_worker_goes_on(seeded_any):
    settings = seeded_any.settings
    publisher = Publisher(settings)
    publisher.send_bytes(b"this is not json {", key=b"bad-1")
    publisher.send_bytes(orjson.dumps({"id": "bad-2", "title": "* * *", "text": "  "}), key=b"bad-2")
    publisher.send({"id": "after-bad", "title": "Earthquake strikes off the coast of Chile",
                    "text": "A magnitude 7.1 earthquake struck off the coast of Chile on Monday, officials said.",
                    "source": "example.org"})
    publisher.flush()
    publisher.close()
    expected = seeded_any.published + 3
    outputs = seeded_any.read(complete(expected))
    reasons = {d["reason"] for d in outputs.dead}
    assert {"not_json", "empty_body"} <= reasons
    assert "after-bad" in outputs.enriched
    assert all("value" in d or d["reason"] == "empty_body" for d in outputs.dead)


def test_a_reader_can_read_only_some_output_topics(seeded_any):
    """What `bench` does: it reads the enriched articles and the dead letters only (streams/runtime/outputs.py)."""
    seeds = set(seeded_any.outputs.enriched)
    outputs = read_outputs_sync(seeded_any.settings, lambda o: seeds <= set(o.enriched), timeout=60,
                                only=("enriched", "dead"))
    assert seeds <= set(outputs.enriched)  # (and any article a test before this one added)
    assert not outputs.stories and not outputs.events and not outputs.aggregates
