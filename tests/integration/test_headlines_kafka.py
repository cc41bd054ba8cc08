"""A headline-only item (title, maybe a summary, no body) through the real broker and a real worker:
it comes out enriched with a story and an event, and a copy of it is recognised as a duplicate."""
from __future__ import annotations

import pytest

from streams.runtime.publish import Publisher

pytestmark = pytest.mark.kafka

IDS = ("headline-1", "headline-2", "headline-3")


def test_headline_only_items_come_out_enriched(seeded_worker):
    # Undated like the seeds the worker has placed (a feed's items may carry no date): dated ones two years
    # older than those would be placed, but fall outside the members the event records list.
    publisher = Publisher(seeded_worker.settings)
    title = "Magnitude 6.1 earthquake strikes off the coast of Chile"
    publisher.send({"id": IDS[0], "title": title, "source": "wire.example.org"})
    publisher.send({"id": IDS[1], "title": title, "source": "daily.example.org"})
    publisher.send({"id": IDS[2], "title": "Oil prices fall", "summary": "Crude fell 3% on Monday.",
                    "source": "markets.example.org"})
    publisher.flush()
    publisher.close()
    outputs = seeded_worker.read(lambda o: all(i in o.enriched for i in IDS))
    enriched = {i: outputs.enriched[i] for i in IDS}
    assert not set(outputs.dead_keys) & set(IDS)
    for record in enriched.values():
        assert record["story_id"] and record["event_ids"]
    assert enriched[IDS[0]]["title"] == title
    assert enriched[IDS[1]]["duplicate_kind"] == "exact"
    assert enriched[IDS[1]]["duplicate_of"] == IDS[0]
    assert enriched[IDS[2]]["story_id"] != enriched[IDS[0]]["story_id"]
    event_articles = {a for e in outputs.events.values() for a in e["articles"]}
    assert set(IDS) <= event_articles
