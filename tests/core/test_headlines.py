"""Headline-only items (a title, maybe a one-line summary, no body) through the whole pipeline:
clean, fingerprint, keys, match, stories and events. Fictional headlines from example.org outlets."""
from __future__ import annotations

import pytest

from streams.core.model import parse_article
from streams.core.pipeline import Pipeline, Result
from streams.settings import Settings
from tests.articles import lexical_settings

HEADLINES = [  # (id, outlet, title), one hour apart
    ("h1", "wire.example.org", "Magnitude 6.1 earthquake strikes off the coast of Chile"),
    ("h2", "daily.example.org", "Magnitude 6.1 earthquake strikes off the coast of Chile"),  # the same headline
    ("h3", "daily.example.org", "Chile quake: rescuers search collapsed homes"),
    ("h4", "sport.example.org", "Chile beat Peru"),  # fewer words than a shingle
    ("h5", "sport.example.org", "Peru beat Chile"),
    ("h6", "markets.example.org", "Oil prices fall"),
    ("h7", "tech.example.org", "Phone maker recalls batteries"),
    ("h8", "news.example.org", "Storm closes ports"),
]


def headline(ident: str, outlet: str, title: str, hour: int, **extra: str):
    return parse_article({"id": ident, "title": title, "source": outlet,
                          "published": f"2025-03-03T{hour:02d}:00:00+00:00", **extra})


def run(settings) -> dict[str, Result]:
    pipeline = Pipeline(settings)
    articles = [headline(i, o, t, n) for n, (i, o, t) in enumerate(HEADLINES)]
    return {a.id: r for a, r in zip(articles, pipeline.process_batch(articles))}


def test_headline_only_items_are_placed_and_tagged():
    results = run(lexical_settings())
    assert set(results) == {h[0] for h in HEADLINES}
    assert all(isinstance(r, Result) and r.story_id and r.event_ids for r in results.values())


def test_only_the_same_headline_is_a_duplicate():
    """Short texts make one shingle (or a few): that must not make every headline a copy of every other."""
    results = run(lexical_settings())
    assert results["h2"].duplicate_kind == "exact" and results["h2"].story_id == results["h1"].story_id
    others = [i for i, _, _ in HEADLINES if i != "h2"]
    assert len({results[i].story_id for i in others}) == len(others)
    assert results["h4"].story_id != results["h5"].story_id  # same words, other order: another story


def test_unrelated_headlines_are_not_one_event():
    results = run(lexical_settings())
    events = {results[i].event_ids[0] for i in ("h1", "h6", "h7", "h8")}
    assert len(events) == 4


def test_summary_is_used_as_the_text():
    pipeline = Pipeline(lexical_settings())
    summary = "A magnitude 6.1 earthquake struck off the coast of Chile on Monday, officials said."
    a = headline("s1", "wire.example.org", "Quake strikes off Chile", 1, summary=summary)
    b = headline("s2", "daily.example.org", "Earthquake hits Chile coast", 2, description=summary)
    ra, rb = pipeline.process_batch([a, b])
    assert a.text == summary and rb.duplicate_kind == "exact" and rb.story_id == ra.story_id


@pytest.mark.slow
def test_headline_only_items_with_the_embedding_model():
    pytest.importorskip("sentence_transformers")
    results = run(Settings())
    assert results["h2"].duplicate_kind == "exact"
    assert all(r.event_ids for r in results.values())
    assert results["h6"].story_id != results["h7"].story_id != results["h8"].story_id
