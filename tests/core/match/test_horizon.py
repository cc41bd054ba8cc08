"""Bounded state: what the pipeline keeps per article expires on publication time behind the watermark
(``replay_horizon_hours``), and an article too old to be told from a replay of a forgotten id is rejected,
never counted twice. Everything here is driven by publication times, never by the wall clock."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from streams.core import wire as codec
from streams.core.match.held import Fingerprint, Held
from streams.core.match.keyindex import KeyIndex, pack
from streams.core.match.seen import Outcome, SeenIds
from streams.core.messages import Idle
from streams.core.model import Article, BadRecord
from streams.core.pipeline import Matcher, Pipeline, Preparer, Resolver, Result
from streams.core.prepare.extract import extract
from streams.core.resolve.events import EventIndex
from streams.settings import Settings, SettingsError
from tests.articles import lexical_settings, seed_articles

HOUR = timedelta(hours=1)


def wire(message):
    """A stage message as the next stage reads it from its topic."""
    return codec.decode(codec.encode(message))


def from_raw(registration, partition: int, offset: int):
    """The registration as read from another raw record (a redelivery or a replay of the same article)."""
    message = wire(registration)
    message.raw = (partition, offset)
    return message


def article(ident: str, published, text: str = "", source: str = "news.example") -> Article:
    text = text or f"Officials in district {ident} said on Monday that the new bridge {ident} would open in May."
    return Article(id=ident, title=f"Bridge {ident} to open", text=text, source=source, published=published)


def start():
    return seed_articles()[0].published


# -- SeenIds ------------------------------------------------------------------------------------------

def test_seen_ids_are_forgotten_a_horizon_behind_their_partition():
    seen = SeenIds(horizon=100.0)
    seen.remember("a", 0, 1000.0, Outcome("k", "story-a", ("e1",)))
    seen.advance(0, 1090.0)
    assert seen.get("a") == Outcome("k", "story-a", ("e1",))
    assert not seen.too_late(0, 1000.0)
    seen.advance(1, 5000.0)  # another partition's progress forgets nothing here
    assert seen.get("a") is not None and not seen.too_late(0, 1000.0) and seen.too_late(1, 1000.0)
    seen.advance(0, 1101.0)
    assert seen.get("a") is None and len(seen) == 0
    assert seen.too_late(0, 1000.0)  # forgotten, so too late: it could be a replay


def test_the_cutoff_never_moves_back():
    seen = SeenIds(horizon=100.0)
    seen.advance(0, 2000.0)
    seen.advance(0, 1500.0)  # after a restart the prepare stage's marks start again from its first article
    assert seen.cutoff(0) == 1900.0 and seen.too_late(0, 1899.0)


def test_the_story_an_article_started_is_stored_without_repeating_its_id():
    seen = SeenIds(horizon=100.0)
    seen.remember("a", 0, 1.0, Outcome("k", "story-a", ("e",)))
    seen.remember("b", 0, 1.0, Outcome("k", "story-a", ("e",)))
    assert seen.get("a").story_id == seen.get("b").story_id == "story-a"


def test_horizon_is_validated():
    with pytest.raises(SettingsError, match="replay_horizon_hours"):
        Settings(replay_horizon_hours=10.0, late_hours=24.0)
    with pytest.raises(SettingsError, match="replay_horizon_hours"):
        Settings(replay_horizon_hours=float("nan"))


# -- in process (Pipeline) --------------------------------------------------------------------------

def test_a_replay_inside_the_horizon_is_recognised():
    pipeline = Pipeline(lexical_settings(replay_horizon_hours=48))
    first = pipeline.process(article("a", start()))
    pipeline.process(article("b", start() + 40 * HOUR))
    again = pipeline.process(article("a", start()))
    assert again.replayed and again.story_id == first.story_id


def test_a_replay_beyond_the_horizon_is_recognised_as_a_replay_and_counted_once():
    pipeline = Pipeline(lexical_settings(replay_horizon_hours=48))
    pipeline.process(article("a", start(), source="first.example"))
    pipeline.process(article("b", start() + 50 * HOUR))
    assert pipeline.state_size()["seen_ids"] == 1  # "a" is forgotten: 8 bytes of it are kept
    again = pipeline.process(article("a", start(), source="first.example"))
    assert isinstance(again, Result) and again.replayed and again.story_id is None
    assert pipeline.aggregator.outlets["first.example"].articles == 1
    other_text = pipeline.process(article("a", start(), text="Another text under a forgotten id."))
    assert isinstance(other_text, BadRecord) and other_text.reason == "too_late"
    never_seen = pipeline.process(article("c", start() + HOUR))  # an id never seen, that late
    assert isinstance(never_seen, BadRecord) and never_seen.reason == "too_late"


def test_seen_ids_stay_bounded_over_a_long_stream():
    pipeline = Pipeline(lexical_settings(replay_horizon_hours=48))
    for n in range(60):
        pipeline.process(article(f"n{n}", start() + n * 6 * HOUR))
    assert pipeline.state_size()["seen_ids"] <= 9  # 48 h of articles 6 h apart, and the newest


def test_story_members_older_than_the_horizon_leave_the_record_and_stay_counted():
    pipeline = Pipeline(lexical_settings(story_window_hours=10, late_hours=0, replay_horizon_hours=12))
    text = "A magnitude 6.8 earthquake struck southern Chile on Wednesday, cutting power to thousands."
    results = [pipeline.process(article(f"q{n}", start() + n * 8 * HOUR, text=text)) for n in range(5)]
    story = results[-1].story
    assert {r.story_id for r in results} == {story.id}  # each copy within the window of the previous one
    assert story.size == 5 and story.articles == ["q3", "q4"]
    assert story.as_dict()["size"] == 5


# -- the resolver over the wire -------------------------------------------------------------------

def records(settings: Settings, items: list[Article], partitions: int = 2, source: int = 0) -> list[tuple[dict, list]]:
    """What the prepare stage sends for ``items`` read in this order from raw partition ``source``."""
    out, newest = [], float("-inf")
    for prepared in Preparer(settings).prepare(items):
        newest = max(newest, prepared.article.timestamp)
        mark = (source, newest)
        routes = prepared.routes(partitions)
        out.append((wire(prepared.registration(sorted(routes), mark)),
                    [(q, wire(prepared.keyed(keys, mark))) for q, keys in routes.items()]))
    return out


def place(matcher: Matcher, resolver: Resolver, reg: dict, keyed: list) -> list:
    return resolver.handle(reg) + [r for q, record in keyed for r in resolver.handle(wire(matcher.handle(q, record)))]


def test_a_late_registration_and_its_reports_are_dropped_and_leave_nothing_pending():
    settings = lexical_settings(replay_horizon_hours=48)
    old, new = records(settings, [article("old", start()), article("new", start() + 50 * HOUR)])
    matcher, resolver = Matcher(settings), Resolver(settings)
    placed = place(matcher, resolver, *new)
    assert [r.article.id for r in placed] == ["new"]
    reports = [wire(matcher.handle(q, record)) for q, record in old[1]]
    assert all(resolver.handle(report) == [] for report in reports)  # reports first: dropped
    [late] = resolver.handle(old[0])
    assert isinstance(late, BadRecord) and late.reason == "too_late"
    assert resolver.state_size()["pending"] == 0 and resolver.waiting == 0


def test_reports_without_registration_are_forgotten_behind_the_horizon():
    settings = lexical_settings(replay_horizon_hours=48)
    old, new = records(settings, [article("old", start()), article("new", start() + 50 * HOUR)])
    matcher, resolver = Matcher(settings), Resolver(settings)
    for q, record in old[1]:  # the registration never comes
        resolver.handle(wire(matcher.handle(q, record)))
    assert resolver.state_size()["pending"] == 1
    place(matcher, resolver, *new)
    assert resolver.state_size()["pending"] == 0


def test_a_partition_that_idled_is_not_judged_late_by_the_others():
    """Raw partition 1 was idle while partition 0 moved on; articles weeks older than partition 0's newest
    then come on partition 1 (an archive replayed): they are behind the others, not behind their own
    partition, and no id of partition 1 was forgotten, so they are placed."""
    settings = lexical_settings(replay_horizon_hours=48)
    matcher, resolver = Matcher(settings, sources=2), Resolver(settings, sources=2)
    [new] = records(settings, [article("new", start() + 500 * HOUR)], source=0)
    resolver.handle(Idle(1))
    assert [r.article.id for r in place(matcher, resolver, *new)] == ["new"]
    [old] = records(settings, [article("old", start())], source=1)
    placed = place(matcher, resolver, *old)
    assert [r.article.id for r in placed] == ["old"] and not placed[0].replayed


def test_a_partition_declared_idle_too_early_still_finds_its_pairs():
    """Raw partition 1 was declared idle before its worker got going (a model still loading, say) while
    partition 0 ran days ahead; then partition 1 delivers the original of a copy partition 0 sent days before.
    An idle notice lets the resolver place without waiting, but must not let the match state expire: the
    pair still meets and the two articles are one story (a two-worker run once split early stories so)."""
    settings = lexical_settings(partitions=2)  # as ``records`` routes
    text = "Officials said on Monday that the harbour bridge would reopen in May after two years of repairs."
    matcher, resolver = Matcher(settings, sources=2), Resolver(settings, sources=2)
    for q in range(2):
        assert matcher.handle(q, Idle(1)) is None
    resolver.handle(Idle(1))
    copy, later = records(settings, [article("copy", start() + 6 * HOUR, text, "copy.example.org"),
                                     article("later", start() + 120 * HOUR)], source=0)
    placed = place(matcher, resolver, *copy) + place(matcher, resolver, *later)
    assert [r.article.id for r in placed] == ["copy", "later"]  # partition 1 idle: nothing waits for it
    [original] = records(settings, [article("original", start(), text, "first.example.org")], source=1)
    [result] = place(matcher, resolver, *original)
    assert result.decision.duplicate_of == "copy" and result.story_id == placed[0].story_id


def test_a_replayed_registration_beyond_the_horizon_is_a_replay_not_placed_again():
    settings = lexical_settings(replay_horizon_hours=48)
    first, later = records(settings, [article("a", start()), article("b", start() + 50 * HOUR)])
    matcher, resolver = Matcher(settings), Resolver(settings)
    assert [r.article.id for r in place(matcher, resolver, *first)] == ["a"]
    place(matcher, resolver, *later)
    [again] = resolver.handle(first[0])
    assert isinstance(again, Result) and again.replayed
    assert sum(s.articles for s in resolver.aggregator.outlets.values()) == 2


def test_a_redelivery_is_answered_once_and_a_replay_in_flight_when_placed():
    """The same raw record twice (at-least-once) gets one answer; another raw record with the same article
    (a replay) gets its own, marked as a replay, even when it comes before the first copy is placed."""
    settings = lexical_settings()
    [(reg, keyed)] = records(settings, [article("a", start())])
    matcher, resolver = Matcher(settings), Resolver(settings)
    first = from_raw(reg, 0, 7)
    replay = from_raw(reg, 0, 9)
    assert resolver.handle(first) == [] and resolver.handle(first) == [] and resolver.handle(replay) == []
    out = [r for q, record in keyed for r in resolver.handle(wire(matcher.handle(q, record)))]
    assert [(r.raw, r.replayed) for r in out] == [((0, 7), False), ((0, 9), True)]
    assert resolver.handle(first) == []  # placed: a redelivery of the placed record is not answered again
    [again] = resolver.handle(from_raw(reg, 0, 12))
    assert again.replayed and again.raw == (0, 12) and again.story_id == out[0].story_id


# -- events ---------------------------------------------------------------------------------------

def test_event_members_older_than_the_horizon_leave_the_record_and_stay_counted():
    index = EventIndex(lexical_settings().events, replay_horizon_hours=24)
    a = seed_articles()[0]
    ids = []
    for n in range(3):
        when = a.published + n * 20 * HOUR
        facts = extract(a.title, a.text, when)
        assignment, event = index.assign(f"a{n}", f"story-a{n}", a.source, when.timestamp(), facts,
                                         a.title + ". " + a.text)
        ids.append(assignment.event_id)
    assert len(set(ids)) == 1
    assert event.size == 3 and event.articles == ["a1", "a2"] and event.story_count == 3
    assert event.stories == {"story-a1", "story-a2"}
    assert index.state_size()["event_stories"] == 2  # story -> event entries leave with their members


# -- compact structures ---------------------------------------------------------------------------

def test_key_index_finds_what_a_dict_of_sets_finds():
    rng = random.Random(3)
    index, reference, held = KeyIndex(), {}, {}
    for step in range(4000):
        if held and rng.random() < 0.45:
            holder = rng.choice(sorted(held))
            keys = held.pop(holder)
            index.remove(pack(keys), holder)
            for k in keys:
                reference[k].discard(holder)
        else:
            holder, keys = f"a{step}", [f"k{rng.randrange(400)}" for _ in range(12)]
            held[holder] = keys
            index.add(pack(keys), holder)
            for k in keys:
                reference.setdefault(k, set()).add(holder)
    assert all(set(index.holders(k)) == holders for k, holders in reference.items())


def test_a_held_fingerprint_gives_the_same_evidence_fields():
    settings = lexical_settings()
    [prepared] = Preparer(settings).prepare([seed_articles()[0]])
    fp: Fingerprint = prepared.fingerprint
    held = Held(fp)
    assert (held.quotes, held.entities, held.numbers, held.quote_norms, held.quote_keys) == \
        (fp.quotes, fp.entities, fp.numbers, fp.quote_norms, fp.quote_keys)
    assert held.member == fp.member
