"""Time that cannot be trusted is not trusted: a publication date far in the future or the past, unreadable,
absurdly long or missing is replaced (the article keeps ``published: null``, ``published_trusted: false`` and a
``date_error``), and never moves the event-time watermark. Driven through the real stages (prepare with its
per-partition marks, match on two keyed partitions, resolve) the way the agents chain them, over the wire forms."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from streams.core import wire as codec
from streams.core.dates import MAX_DATE_CHARS, parse_date
from streams.core.messages import Idle
from streams.core.model import BadRecord, parse_article
from streams.core.pipeline import Marks, Matcher, Pipeline, Preparer, Resolver, Result
from tests.articles import lexical_settings

BASE = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
GOOD = 160
TOWNS = ("Lyon", "Porto", "Gdansk", "Tartu", "Cork", "Aarhus", "Brno", "Ghent")


def good_records() -> list[dict]:
    """Articles three hours apart (480 h in all: more than the default two-week replay horizon), every fifth
    one copied word for word by another outlet an hour later (an exact duplicate)."""
    out = []
    for n in range(GOOD):
        town = TOWNS[n % len(TOWNS)]
        record = {"id": f"good-{n:03d}", "title": f"{town} council votes on plan {n}",
                  "text": f"The council of {town} voted on plan number {n} on Monday. Councillor {n} said work on "
                          f"the {n}th depot would cost {n + 3} million euros. District {n % 17} asked for a hearing.",
                  "source": f"outlet{n % 5}.example", "published": (BASE + timedelta(hours=3 * n)).isoformat()}
        out.append(record)
        if n % 5 == 0:
            out.append({**record, "id": f"copy-{n:03d}", "source": "copies.example",
                        "published": (BASE + timedelta(hours=3 * n + 1)).isoformat()})
    return out


def wire(message):
    """A stage message as the next stage reads it from its topic."""
    return codec.decode(codec.encode(message))


def run(records: list[dict]) -> tuple[dict[str, Result], list[BadRecord]]:
    """Prepare, match and resolve ``records`` as two workers' stages would (raw partition = position % 2)."""
    settings = lexical_settings()
    preparer, marks = Preparer(settings), Marks()
    matcher, resolver = Matcher(settings, sources=2, partitions=2), Resolver(settings, sources=2)
    placed: dict[str, Result] = {}
    dead: list[BadRecord] = []

    def collect(outs: list) -> None:
        for out in outs:
            if isinstance(out, BadRecord):
                dead.append(out)
            else:
                placed[out.article.id] = out

    for n, record in enumerate(records):
        source = n % 2
        article = parse_article(record)
        mark = marks.mark(source, article)
        [prepared] = preparer.prepare([article], [source])
        routes = prepared.routes(2)
        collect(resolver.handle(wire(prepared.registration(sorted(routes), mark))))
        for q, keys in routes.items():
            report = matcher.handle(q, wire(prepared.keyed(keys, mark)))
            collect(resolver.handle(wire(report)))
    for source in (0, 1):  # both raw partitions read to their end
        collect(resolver.handle(Idle(source)))
    return placed, dead


def stories(placed: dict[str, Result], ids: set[str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for ident, result in placed.items():
        if ident in ids:
            groups.setdefault(result.story_id, set()).add(ident)
    return {frozenset(g) for g in groups.values()}


def duplicates(placed: dict[str, Result], ids: set[str]) -> dict[str, str | None]:
    return {i: r.decision.duplicate_of for i, r in placed.items() if i in ids}


POISON = {
    "far_future": "9999-12-31T00:00:00Z",
    "next_year": (datetime.now(UTC) + timedelta(days=400)).isoformat(),
    "epoch": "1970-01-01T00:00:00Z",
    "year_one": "0001-01-01",
    "unreadable": "2024-13-45T10:00:00Z",
    "two_megabytes": "2025-03-01 " * 180_000,
    "missing": None,
}


@pytest.fixture(scope="module")
def clean():
    records = good_records()
    placed, dead = run(records)
    assert not dead and len(placed) == len(records)
    return records, placed


@pytest.mark.parametrize("kind", sorted(POISON))
def test_one_poisoned_date_among_good_articles_loses_nothing_and_changes_no_story(clean, kind):
    records, clean_placed = clean
    ids = {r["id"] for r in records}
    poisoned = {"id": "poison", "title": "An article with a date that cannot be trusted",
                "text": "Nothing in this text resembles the council articles around it, by design.",
                "source": "odd.example", "published": POISON[kind]}
    mixed = records[:40] + [poisoned] + records[40:]
    placed, dead = run(mixed)
    assert not dead, [d.reason for d in dead]
    assert set(placed) == ids | {"poison"}, "a good article was lost"
    assert stories(placed, ids) == stories(clean_placed, ids)
    assert duplicates(placed, ids) == duplicates(clean_placed, ids)
    enriched = placed["poison"].enriched()
    assert enriched["published"] is None and enriched["published_trusted"] is False
    assert bool(enriched["date_error"]) == (kind != "missing")


def test_many_undated_articles_in_a_replay_of_old_data_make_no_good_article_too_late(clean):
    """Undated articles are stamped with the time they were first seen (now, years after the articles around
    them): they must not move their partition to now."""
    records, clean_placed = clean
    ids = {r["id"] for r in records}
    undated = [{"id": f"undated-{n}", "title": f"Undated note {n}", "text": f"A short undated note number {n}."}
               for n in range(30)]
    mixed = [r for pair in zip(records, undated + [None] * len(records)) for r in pair if r is not None]
    placed, dead = run(mixed)
    assert not dead, [d.reason for d in dead][:5]
    assert ids <= set(placed) and len(placed) == len(mixed)
    assert stories(placed, ids) == stories(clean_placed, ids)
    for n in range(30):
        record = placed[f"undated-{n}"].enriched()
        assert record["published"] is None and not record["published_trusted"]
        assert record["event_time"] < time.time() - 86400, "placed at now, not at its partition's event time"


def test_dates_are_trusted_only_within_the_skew_and_the_past_limit():
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert parse_date("2025-12-31T23:00:00Z", now)[0] is not None
    assert parse_date("2026-01-01T23:00:00Z", now)[0] is not None  # inside 24 h of skew
    future, why = parse_date("2026-01-03T00:00:00Z", now)
    assert future is None and "future" in why
    past, why = parse_date("1990-01-01", now)
    assert past is None and "past" in why
    assert parse_date("1990-01-01", now, past_s=40 * 365 * 86400)[0] is not None


def test_an_absurdly_long_date_string_is_not_parsed():
    started = time.perf_counter()
    published, why = parse_date("7" * 2_000_000)
    assert published is None and str(MAX_DATE_CHARS) in why
    assert time.perf_counter() - started < 5  # generous: the point is that dateutil never sees it


def test_the_reference_is_when_the_record_was_sent():
    """A replay published years later keeps its dates (they are in the past); a record sent now with
    next year's date does not."""
    record = {"title": "T", "text": "Body.", "published": "2030-06-01T00:00:00Z"}
    sent_2030 = datetime(2030, 6, 1, 1, tzinfo=UTC).timestamp()
    assert not parse_article({**record, "sent_at": time.time()}).trusted
    assert not parse_article({**record, "sent_at": sent_2030}).trusted  # sent_at after now is not believed
    assert parse_article({**record, "published": "2020-06-01T00:00:00Z"}).trusted


@pytest.mark.parametrize("blank", ["\x00\x00\x00", "\u200b\u200c\u200d\ufeff", "\x01\x02\x7f\x1b", " \u2028\u00a0\t"])
def test_text_of_only_invisible_characters_is_empty(blank):
    with pytest.raises(BadRecord) as title:
        parse_article({"title": blank, "text": "A body."})
    assert title.value.reason == "missing_title"
    # a body of only invisible characters is no body: a headline-only item, its text is its title
    assert parse_article({"title": "A title", "text": blank}).text == "A title"
    with pytest.raises(BadRecord) as body:
        parse_article({"title": "…", "text": blank})  # and a title without a word has nothing to tag
    assert body.value.reason == "empty_body"
    assert parse_article({"title": "A\u200b title", "text": "\x00a"}).text == "\x00a"


def test_undated_articles_before_any_dated_one_wait_for_it_and_are_placed(clean):
    """The first record of every partition undated: no event time is known yet. They wait for the first
    dated article (not placed at now, which would close every older window) and are placed then."""
    records, clean_placed = clean
    ids = {r["id"] for r in records}
    first = [{"id": f"first-{n}", "title": f"Undated first {n}", "text": f"An undated first note {n}."}
             for n in range(2)]
    placed, dead = run(first + records)
    assert not dead and set(placed) == ids | {"first-0", "first-1"}
    assert stories(placed, ids) == stories(clean_placed, ids)
    assert all(placed[f"first-{n}"].enriched()["event_time"] < time.time() - 86400 for n in range(2))


def test_a_stream_without_any_dated_article_is_placed_at_first_seen_times():
    placed, dead = run([{"id": f"u-{n}", "title": f"Undated {n}", "text": f"Undated text number {n}."}
                        for n in range(4)])
    assert not dead and len(placed) == 4
    assert all(abs(r.enriched()["event_time"] - time.time()) < 600 for r in placed.values())


def test_an_undated_article_replayed_after_its_id_was_forgotten_is_still_a_replay():
    settings = lexical_settings(replay_horizon_hours=48)
    pipeline = Pipeline(settings)
    undated = parse_article({"id": "u", "title": "An undated note", "text": "Undated text."})
    dated = [parse_article(r) for r in good_records()[:30]]  # 90 hours: past the 48 h horizon
    pipeline.process(dated[0])
    assert not pipeline.process(undated).replayed  # placed at the time of the article before it
    pipeline.process_batch(dated[1:])
    assert pipeline.resolver.seen.get("u") is None  # forgotten
    again = pipeline.process(parse_article({"id": "u", "title": "An undated note", "text": "Undated text."}))
    assert isinstance(again, Result) and again.replayed
