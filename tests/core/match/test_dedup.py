"""Story dedup (streams/core/match/pair.py, index.py, stories.py) through streams/core/pipeline.py (Pipeline): which articles are one story, why,
for how long state is kept, and how replays and id conflicts are handled."""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta

import pytest

from streams.core.model import Article, BadRecord
from streams.core.pipeline import Pipeline, Result
from streams.settings import Settings
from tests.articles import (
    ASTANA_REWRITE,
    ASTANA_WIRE,
    BEIJING,
    CALL,
    SAMARKAND,
    lexical_settings,
    run_seeds,
    seed_articles,
)

HOUR = timedelta(hours=1)


def wire() -> Article:
    return next(a for a in seed_articles() if a.id == ASTANA_WIRE)


def copy_of(article: Article, new_id: str, later: timedelta = HOUR, **changes) -> Article:
    return replace(article, id=new_id, source="copycat.example", published=article.published + later, **changes)


def quake(article_id: str, published) -> Article:
    return Article(id=article_id, title="Earthquake shakes southern Chile",
                   text="A magnitude 6.8 earthquake struck southern Chile on Wednesday, cutting power to thousands.",
                   source="quake.example", published=published)


def test_seeds_without_model_astana_pair_is_one_story():
    _, results = run_seeds()
    rewrite = results[ASTANA_REWRITE]
    assert results[ASTANA_WIRE].decision.kind == "new"
    assert rewrite.decision.kind == "paraphrase"
    assert rewrite.decision.duplicate_of == ASTANA_WIRE
    assert rewrite.story_id == results[ASTANA_WIRE].story_id
    assert rewrite.decision.cosine is None  # no model: judged on shared quotes and names alone
    assert len(rewrite.decision.evidence.quotes) >= 3 and len(rewrite.decision.evidence.entities) >= 3
    assert len({r.story_id for r in results.values()}) == 4
    assert [m["article"] for m in rewrite.story.members] == [ASTANA_WIRE, ASTANA_REWRITE]


def test_exact_copy():
    pipeline = Pipeline(lexical_settings())
    original, copy = pipeline.process_batch([wire(), copy_of(wire(), "copy")])
    assert copy.decision.kind == "exact"
    assert copy.decision.duplicate_of == ASTANA_WIRE
    assert copy.story_id == original.story_id
    assert copy.duplicate_kind == "exact"
    assert copy.story.outlets == ["copycat.example", "wire.example.org"]
    assert copy.enriched()["duplicate_of"] == ASTANA_WIRE


def test_exact_copy_despite_case_and_layout_changes():
    pipeline = Pipeline(lexical_settings())
    original = wire()
    shouted = copy_of(original, "shouted", text=original.text.upper().replace("\n\n", "\n"))
    _, copy = pipeline.process_batch([original, shouted])
    assert copy.decision.kind == "exact"


def test_trimmed_copy_is_near_verbatim():
    original = wire()
    paragraphs = [p for p in original.text.split("\n\n") if p.strip()]
    trimmed = copy_of(original, "trimmed", text="\n\n".join(paragraphs[:int(len(paragraphs) * 0.8)]))
    pipeline = Pipeline(lexical_settings())
    _, copy = pipeline.process_batch([original, trimmed])
    assert copy.decision.kind == "near_verbatim"
    assert copy.decision.duplicate_of == ASTANA_WIRE
    assert copy.decision.jaccard >= pipeline.settings.near_copy_jaccard


def test_earliest_published_member_is_canonical():
    original = wire()
    earlier = copy_of(original, "earlier", later=-HOUR)
    pipeline = Pipeline(lexical_settings())
    _, second = pipeline.process_batch([original, earlier])
    assert second.decision.kind == "exact"
    assert second.story.canonical == "earlier"
    assert second.story.canonical_outlet == "copycat.example"


@pytest.mark.parametrize("gap_hours", [73, -73])
def test_copies_further_apart_than_the_window_do_not_join(gap_hours):
    settings = lexical_settings()
    assert settings.story_window_hours == 72
    pipeline = Pipeline(settings)
    original, copy = pipeline.process_batch([wire(), copy_of(wire(), "late", later=gap_hours * HOUR)])
    assert copy.decision.kind == "new"
    assert copy.story_id != original.story_id


def test_copy_inside_a_shorter_window_joins_and_outside_does_not():
    pipeline = Pipeline(lexical_settings(story_window_hours=2))
    first, inside, outside = pipeline.process_batch([
        wire(), copy_of(wire(), "inside", later=HOUR), copy_of(wire(), "outside", later=4 * HOUR)])
    assert inside.decision.kind == "exact"
    assert outside.decision.kind == "new"


def test_state_expires_after_the_window_and_lateness():
    pipeline = Pipeline(lexical_settings(story_window_hours=10, late_hours=0))
    start = wire().published
    first = pipeline.process(quake("q1", start))
    assert len(pipeline.stories) == 1
    pipeline.process(quake("q2", start + 5 * HOUR))  # an exact copy inside the window: state grows
    assert len(pipeline.stories) == 2
    later = pipeline.process(Article(id="later", title="Parliament passes budget", text="Lawmakers passed the "
                                     "annual budget after a long debate.", source="x.example",
                                     published=start + 16 * HOUR))
    assert len(pipeline.stories) == 1  # only the newest article is still held
    assert pipeline.stories.story_of("q1") is None and pipeline.stories.story_of("later") == later.story_id
    assert first.story_id not in pipeline.stories.stories
    assert pipeline.state_size()["dedup_articles"] == 1


def test_late_article_still_meets_its_candidates():
    """An article arriving after newer ones (another partition was ahead) still joins within the lateness."""
    pipeline = Pipeline(lexical_settings(story_window_hours=10, late_hours=24))
    start = wire().published
    pipeline.process(quake("q1", start))
    pipeline.process(Article(id="newer", title="Parliament passes budget", text="Lawmakers passed the "
                             "annual budget after a long debate.", source="x.example", published=start + 30 * HOUR))
    late = pipeline.process(quake("q2", start + 5 * HOUR))
    assert late.decision.kind == "exact" and late.decision.duplicate_of == "q1"


def test_replay_returns_the_earlier_decision_and_changes_nothing():
    pipeline = Pipeline(lexical_settings())
    [first] = pipeline.process_batch([wire()])
    stories_before = {k: list(s.members) for k, s in pipeline.stories.stories.items()}
    events_before = {k: len(e.members) for k, e in pipeline.events.events.items()}
    again = pipeline.process(wire())
    assert isinstance(again, Result) and again.replayed is True
    assert again.story_id == first.story_id and again.event_ids == first.event_ids
    assert again.decision is None and again.aggregates == []
    assert {k: list(s.members) for k, s in pipeline.stories.stories.items()} == stories_before
    assert {k: len(e.members) for k, e in pipeline.events.events.items()} == events_before
    assert len(pipeline.stories) == 1


def test_same_id_with_different_text_is_an_id_conflict():
    pipeline = Pipeline(lexical_settings())
    pipeline.process(wire())
    other = replace(wire(), text="A completely different report about something else entirely.")
    [conflict] = pipeline.process_batch([other])
    assert isinstance(conflict, BadRecord)
    assert conflict.reason == "id_conflict"
    assert len(pipeline.stories) == 1 and len(pipeline.stories.stories) == 1


def test_replay_inside_one_batch_is_a_replay():
    pipeline = Pipeline(lexical_settings())
    first, again = pipeline.process_batch([wire(), wire()])
    assert again.replayed is True
    assert [m["article"] for m in first.story.members] == [ASTANA_WIRE]


def test_id_conflict_inside_one_batch():
    pipeline = Pipeline(lexical_settings())
    other = replace(wire(), text="A completely different report about something else entirely.")
    _, conflict = pipeline.process_batch([wire(), other])
    assert isinstance(conflict, BadRecord) and conflict.reason == "id_conflict"


def test_compare_applies_the_rule_to_one_pair():
    pipeline = Pipeline(lexical_settings())
    articles = {a.id: a for a in seed_articles()}
    same = pipeline.compare(articles[ASTANA_WIRE], copy_of(articles[ASTANA_WIRE], "c"))
    different = pipeline.compare(articles[ASTANA_WIRE], articles[CALL])
    assert same.same_story and same.decision.kind == "exact"
    assert not different.same_story and different.decision.kind == "new"


# -- with the sentence-embedding model (loaded once for the module) -------------------------------------------
@pytest.fixture(scope="module")
def semantic_results() -> tuple[Pipeline, dict[str, Result]]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings()
    assert settings.semantic is True  # the default
    return run_seeds(settings)


@pytest.mark.slow
def test_seeds_with_model_paraphrase_joins_with_near_matching_quote(semantic_results):
    pipeline, results = semantic_results
    assert pipeline.embedder is not None
    rewrite = results[ASTANA_REWRITE].decision
    assert rewrite.kind == "paraphrase"
    assert rewrite.duplicate_of == ASTANA_WIRE
    assert rewrite.cosine is not None and rewrite.cosine >= pipeline.settings.paraphrase_support_cosine
    assert rewrite.jaccard < pipeline.settings.near_copy_jaccard  # rewritten, not copied
    pairs = {frozenset((q["a"], q["b"])) for q in rewrite.evidence.quotes}
    assert frozenset({"small yards with high fences", "small farms with high fences"}) in pairs
    assert {"Xi Jinping", "Vladimir Putin"} <= set(rewrite.evidence.entities)
    for alone in (SAMARKAND, CALL, BEIJING):
        assert results[alone].decision.kind == "new"
        assert results[alone].story.members[0]["article"] == alone and len(results[alone].story.members) == 1
    assert len({r.story_id for r in results.values()}) == 4
    assert results[ASTANA_REWRITE].story_id == results[ASTANA_WIRE].story_id
