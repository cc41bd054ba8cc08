"""streams/core/pipeline.py (Preparer → Matcher → Resolver over the wire) and streams/core/match/{watermark,stories}.py (Watermark, StoryBook):
the distributed stages give the in-process result whatever the interleaving, in publication order."""
from __future__ import annotations

import random
from datetime import timedelta

from streams.core import wire as codec
from streams.core.match.watermark import Watermark
from streams.core.messages import Idle, Tick
from streams.core.pipeline import Matcher, Preparer, Resolver
from tests.articles import lexical_settings, seed_articles

PARTITIONS = 3


def wire(message):
    """A stage message as the next stage reads it from its topic."""
    return codec.decode(codec.encode(message))


def test_watermark_is_the_slowest_busy_source():
    mark = Watermark(sources=2, max_skew=1000.0)
    assert mark.see((0, 100.0)) == 0.0  # source 1 not heard of yet: nothing is safe to release
    assert mark.see((1, 50.0)) == 50.0
    assert mark.see((1, 120.0)) == 100.0
    assert mark.rest(0) == 120.0  # an idle source no longer holds the others back
    assert mark.see((0, 130.0)) == 120.0  # ... until it gets data again
    assert mark.see((1, 5000.0)) == 5000.0 - 1000.0  # a source lagging more than max_skew stops counting


def records_for(settings, articles):
    """Every record the prepare stage would send: (resolve registration, [(partition, keyed record)]), for
    articles read in publication order from two raw partitions (as the replayer publishes them)."""
    out = []
    articles = sorted(articles, key=lambda a: a.timestamp)
    for source, prepared in enumerate(Preparer(settings).prepare(articles)):
        mark = (source % 2, prepared.article.timestamp)
        routes = prepared.routes(PARTITIONS)
        out.append((wire(prepared.registration(sorted(routes), mark)),
                    [(q, wire(prepared.keyed(keys, mark))) for q, keys in routes.items()]))
    return out


def run_interleaved(settings, articles, seed: int) -> list:
    """Deliver the records as Kafka would with a random schedule: each (producer, partition) channel keeps
    its order, nothing else is ordered. Then every raw partition says it is idle."""
    rng = random.Random(seed)
    matcher, resolver = Matcher(settings, sources=2), Resolver(settings, sources=2)
    channels: dict[tuple, list] = {}
    for reg, keyed in records_for(settings, articles):
        source = reg.mark[0]
        channels.setdefault(("resolve", source), []).append(reg)
        for q, record in keyed:
            channels.setdefault(("keyed", source, q), []).append((q, record))
    placed = []
    while any(channels.values()):
        name = rng.choice([c for c, items in channels.items() if items])
        item = channels[name].pop(0)
        if name[0] == "keyed":  # the match stage of partition q answers on its own channel
            channels.setdefault(("report", item[0]), []).append(wire(matcher.handle(*item)))
        else:
            placed += resolver.handle(item)
    for source in (0, 1):
        placed += resolver.handle(Idle(source))
    return placed


def test_placement_follows_publication_order_whatever_the_interleaving():
    # The seeds span three years and a random schedule lets one raw partition run years ahead of the other:
    # a skew that large must be allowed, or the match state rightly drops what is that far behind.
    settings = lexical_settings(partitions=PARTITIONS, max_skew_hours=5 * 365 * 24)
    articles = seed_articles()
    for seed in range(4):
        placed = run_interleaved(settings, articles, seed)
        assert [r.article.id for r in placed] == [a.id for a in sorted(articles, key=lambda a: a.timestamp)]
        stories = {frozenset(s.as_dict()["articles"]) for s in {id(r.story): r.story for r in placed}.values()}
        assert frozenset({"000_a94de5377cbfe687", "001_52bc99c834f615cc"}) in stories


def test_an_article_waits_for_every_partition_and_the_slow_source():
    settings = lexical_settings(partitions=PARTITIONS)
    (reg, keyed), = records_for(settings, seed_articles()[:1])
    matcher, resolver = Matcher(settings, sources=2), Resolver(settings, sources=2)
    assert resolver.handle(reg) == []
    reports = [wire(matcher.handle(q, record)) for q, record in keyed]
    for report in reports:
        assert resolver.handle(report) == []  # complete, but source 1 has not passed its time yet
    assert resolver.waiting == 1
    placed = resolver.handle(Idle(1))
    assert [r.article.id for r in placed] == [reg.article.id]


def test_a_tick_lets_an_article_go_as_an_article_of_that_time_on_the_silent_partition_would():
    settings = lexical_settings(partitions=PARTITIONS)
    (reg, keyed), = records_for(settings, seed_articles()[:1])
    matcher, resolver = Matcher(settings, sources=2), Resolver(settings, sources=2)
    resolver.handle(reg)
    for q, record in keyed:
        resolver.handle(wire(matcher.handle(q, record)))
    when = reg.article.timestamp
    assert resolver.handle(wire(Tick(1, when - 1))) == []  # source 1 promised less than the article's time
    assert resolver.handle(wire(Tick(0, when + 3600))) == []  # the other partition's tick changes nothing
    placed = resolver.handle(wire(Tick(1, when)))
    assert [r.article.id for r in placed] == [reg.article.id]
    assert resolver.watermark.marks == {0: when + 3600, 1: when}


def test_a_redelivered_fingerprint_reports_nothing_and_the_first_report_counts():
    settings = lexical_settings(partitions=PARTITIONS)
    items = records_for(settings, seed_articles()[:2])
    matcher, resolver = Matcher(settings, sources=1), Resolver(settings, sources=1)
    for reg, _keyed in items:
        resolver.handle(reg)
    first = {q: wire(matcher.handle(q, record)) for q, record in items[1][1]}
    again = {q: wire(matcher.handle(q, record)) for q, record in items[1][1]}
    assert all(not r.links for r in again.values())
    placed = []
    for q, record in items[0][1]:
        placed += resolver.handle(wire(matcher.handle(q, record)))
    for q in again:
        placed += resolver.handle(again[q]) + resolver.handle(first[q])
    placed += resolver.handle(Idle(0))
    joined = {r.article.id: r for r in placed}
    assert len(joined) == 2 and len({r.story_id for r in placed}) == 1


def test_a_replayed_registration_changes_nothing():
    settings = lexical_settings(partitions=PARTITIONS)
    (reg, keyed), = records_for(settings, seed_articles()[:1])
    matcher, resolver = Matcher(settings), Resolver(settings)
    resolver.handle(reg)
    placed = [r for q, record in keyed for r in resolver.handle(wire(matcher.handle(q, record)))]
    assert len(placed) == 1 and not placed[0].replayed
    again = resolver.handle(reg)
    assert len(again) == 1 and again[0].replayed and again[0].story_id == placed[0].story_id
    assert resolver.aggregator.outlets[placed[0].article.source].articles == 1
    later = wire(reg)
    later.article.published = placed[0].article.published + timedelta(days=1)
    assert resolver.handle(later)[0].replayed  # same id and text: a replay, whatever the metadata says


def test_outputs_send_each_key_once_with_its_latest_value():
    from dataclasses import replace

    from streams.core.pipeline import outputs
    from tests.articles import run_seeds
    wire = sorted(seed_articles(), key=lambda a: a.timestamp)[0]
    copy = replace(wire, id="copy-1", source="example.org", published=wire.published + timedelta(minutes=10))
    pipeline, results = run_seeds(articles=[wire, copy])
    records = outputs(list(results.values()))
    keys = [(kind, key) for kind, key, _ in records]
    assert len(keys) == len(set(keys))
    replay = pipeline.process(wire)  # the same article again: a replay, sent as its own enriched record
    again = outputs(list(results.values()) + [replay])
    assert [key for kind, key, _ in again if kind == "enriched"] == [wire.id.encode(), b"copy-1",
                                                                      wire.id.encode()]
    assert {key for kind, key, _ in records if kind == "enriched"} == {wire.id.encode(), b"copy-1"}
    stories = [value for kind, _, value in records if kind == "stories"]
    assert len(stories) == 1 and sorted(stories[0]["articles"]) == sorted([wire.id, "copy-1"])
    story = results["copy-1"].story
    assert story is not None and stories[0] == story.as_dict()  # as the batch left it (no version in process)
    assert [m["article"] for m in stories[0]["members"]] == [wire.id, "copy-1"]
    windows = [value for kind, key, value in records if kind == "aggregates" and key.startswith(b"window:3600s")]
    assert windows and all(value["articles"] == 2 for value in windows)  # the last value, not the first



def test_story_and_event_records_list_their_last_members_and_count_all():
    from dataclasses import replace

    from streams.core.pipeline import outputs
    from tests.articles import run_seeds
    wire = sorted(seed_articles(), key=lambda a: a.timestamp)[0]
    copies = [replace(wire, id=f"copy-{n}", source=f"outlet{n}.example.org",
                      published=wire.published + timedelta(minutes=10 * n)) for n in range(1, 5)]
    _pipeline, results = run_seeds(articles=[wire, *copies])
    records = {kind: value for kind, _, value in outputs(list(results.values()), listed=2) if kind != "enriched"}
    full = {kind: value for kind, _, value in outputs(list(results.values())) if kind != "enriched"}
    story, event = records["stories"], records["events"]
    assert full["stories"]["articles"] == [wire.id, *(c.id for c in copies)]  # every member held
    assert story["articles"] == ["copy-3", "copy-4"] and [m["article"] for m in story["members"]] == story["articles"]
    assert story["size"] == 5 and story["canonical"] == wire.id and story["outlets"] == full["stories"]["outlets"]
    assert story["members"] == full["stories"]["members"][-2:]
    assert event["articles"] == ["copy-3", "copy-4"] and event["size"] == 5
    assert event["members"] == full["events"]["members"][-2:] and event["stories"] == [story["id"]]
    assert event["outlets"] == full["events"]["outlets"] and len(event["outlets"]) == 5


def test_a_pair_meeting_on_several_partitions_is_judged_on_one():
    from dataclasses import replace
    settings = lexical_settings(partitions=PARTITIONS)
    original = sorted(seed_articles(), key=lambda a: a.timestamp)[0]
    copy = replace(original, id="copy-1", source="example.org", published=original.published + timedelta(hours=1))
    matcher = Matcher(settings, sources=1)
    reports = []
    for _reg, keyed in records_for(settings, [original, copy]):
        reports += [wire(matcher.handle(q, record)) for q, record in keyed]
    copy_reports = [r for r in reports if r.article_id == "copy-1"]
    assert len(copy_reports) == PARTITIONS  # the copy shares keys on every partition...
    assert [len(r.links) for r in copy_reports].count(1) == 1  # ...and one of them judges the pair
    assert sum(len(r.links) for r in copy_reports) == 1


def test_the_owner_of_a_pair_is_the_partition_of_a_shared_key():
    from streams.core.match.index import key_hashes, owner
    from streams.core.match.keys import key_hash, partition_of
    def judge(mine, theirs):
        return owner(set(key_hashes(mine).tolist()), key_hashes(theirs), 5)
    a, b = ["x:1", "m:2", "q:three words here"], ["m:2", "q:three words here", "x:9"]
    smallest = min(["m:2", "q:three words here"], key=key_hash)
    assert judge(a, b) == judge(b, a) == partition_of(smallest, 5)
    assert judge(["x:1"], ["x:2"]) == -1 and judge([], b) == -1
