"""streams/core/prepare/extract.py: who, where, when and what of the seed articles; date expressions resolved
against the publication date."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from streams.core.dates import parse_date
from streams.core.prepare.clean import Cleaner
from streams.core.prepare.extract import EventDate, Facts, dates_in, event_type, extract
from tests.articles import ASTANA_REWRITE, ASTANA_WIRE, BEIJING, CALL, SAMARKAND, SEEDS

FRIDAY = datetime(2024, 7, 5, 9, 0, tzinfo=UTC)
THURSDAY = datetime(2024, 7, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed_facts() -> dict[str, Facts]:
    metadata = json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
    facts = {}
    for file in sorted(SEEDS.glob("*.txt")):
        title, _, body = file.read_text(encoding="utf-8").partition("\n")
        published, error = parse_date(metadata[file.stem]["published"])
        assert error == "" and published is not None
        facts[file.stem] = extract(title.strip(), Cleaner().clean(body), published)
    return facts


@pytest.mark.parametrize("seed, location", [
    (ASTANA_WIRE, "Astana, Kazakhstan"),
    (ASTANA_REWRITE, "Astana, Kazakhstan"),
    (SAMARKAND, "Samarkand, Uzbekistan"),
    (CALL, None),  # a video call happens nowhere in particular
    (BEIJING, "Beijing, China"),
])
def test_seed_locations(seed_facts, seed, location):
    found = seed_facts[seed].location
    assert (found.label if found else None) == location


@pytest.mark.parametrize("seed, day, how", [
    (ASTANA_WIRE, date(2024, 7, 4), "weekday"),
    (ASTANA_REWRITE, date(2024, 7, 4), "weekday"),
    (SAMARKAND, date(2022, 9, 15), "weekday"),
    (CALL, date(2025, 1, 21), "weekday"),
    (BEIJING, date(2024, 5, 16), "weekday"),
])
def test_seed_event_dates(seed_facts, seed, day, how):
    event_date = seed_facts[seed].event_date
    assert event_date is not None
    assert (event_date.day, event_date.how) == (day, how)
    assert event_date.inferred is True


def test_astana_dates_come_from_thursday(seed_facts):
    for seed in (ASTANA_WIRE, ASTANA_REWRITE):
        assert seed_facts[seed].event_date.text.lower() == "thursday"
        assert seed_facts[seed].as_dict()["event_date_inferred"] is True


@pytest.mark.parametrize("seed, kind", [
    (ASTANA_WIRE, "summit"), (ASTANA_REWRITE, "summit"), (SAMARKAND, "summit"), (CALL, "call"),
    (BEIJING, "visit"),
])
def test_seed_event_types(seed_facts, seed, kind):
    assert seed_facts[seed].event_type == kind


@pytest.mark.parametrize("seed", [ASTANA_WIRE, ASTANA_REWRITE, SAMARKAND, CALL, BEIJING])
def test_seed_actors_are_the_two_leaders(seed_facts, seed):
    facts = seed_facts[seed]
    assert {"Xi Jinping", "Vladimir Putin"} <= set(facts.actors)
    assert "Xi" not in facts.people and "Putin" not in facts.people  # surnames merged into the full names


def test_seed_summits_are_named_and_quotes_found(seed_facts):
    assert seed_facts[ASTANA_WIRE].name_hint == "SCO summit"
    assert seed_facts[CALL].name_hint == ""
    assert "small yards with high fences" in seed_facts[ASTANA_WIRE].quotes
    assert "small farms with high fences" in seed_facts[ASTANA_REWRITE].quotes
    assert "$240 billion" in seed_facts[ASTANA_WIRE].numbers


def test_facts_as_dict_is_plain_data(seed_facts):
    record = seed_facts[SAMARKAND].as_dict()
    assert record["location"] == "Samarkand, Uzbekistan"
    assert record["event_date"] == "2022-09-15" and record["event_date_source"] == "weekday"
    assert record["event_type"] == "summit"
    json.dumps(record)  # serialisable


def resolve_date(text: str, published: datetime | date | None) -> EventDate | None:
    """The first date expression of ``text`` that resolves against the publication date."""
    return next(dates_in(text, published), None)


def test_weekday_before_publication_day_is_the_previous_such_day():
    found = resolve_date("Leaders met on Thursday in the capital.", FRIDAY)
    assert found == EventDate(date(2024, 7, 4), "weekday", "Thursday")
    assert found.inferred


def test_weekday_equal_to_publication_day_is_that_day_not_a_week_earlier():
    assert resolve_date("Leaders met on Thursday.", THURSDAY).day == date(2024, 7, 4)
    assert resolve_date("Leaders met on Thursday's summit.", THURSDAY).day == date(2024, 7, 4)


def test_relative_days():
    assert resolve_date("The blast happened yesterday.", FRIDAY) == EventDate(date(2024, 7, 4), "relative", "yesterday")
    assert resolve_date("Talks began today.", FRIDAY).day == date(2024, 7, 5)
    assert resolve_date("Fighting broke out last night.", FRIDAY).day == date(2024, 7, 4)


def test_explicit_date_ignores_publication_date():
    found = resolve_date("The summit opened on July 4, 2024, in Astana.", datetime(2025, 1, 1, tzinfo=UTC))
    assert (found.day, found.how, found.inferred) == (date(2024, 7, 4), "explicit", False)
    assert resolve_date("It opened on 4 July 2024.", None).day == date(2024, 7, 4)
    assert resolve_date("It opened on 2024-07-04.", None).how == "explicit"


def test_month_day_takes_year_from_publication_date():
    found = resolve_date("The summit opened on Sept. 15 in Samarkand.", datetime(2022, 9, 16, tzinfo=UTC))
    assert (found.day, found.how) == (date(2022, 9, 15), "month_day")
    assert found.inferred


def test_month_day_far_after_publication_is_last_year():
    found = resolve_date("The accord signed on Dec. 20 still holds.", datetime(2024, 1, 10, tzinfo=UTC))
    assert found.day == date(2023, 12, 20)


def test_no_publication_date_means_no_relative_dates():
    assert resolve_date("Leaders met on Thursday.", None) is None
    assert resolve_date("It happened yesterday.", None) is None
    assert resolve_date("It happened on Sept. 15.", None) is None


def test_impossible_date_is_skipped_for_the_next_expression():
    found = resolve_date("Not on February 30, 2024 but on Thursday.", FRIDAY)
    assert (found.day, found.how) == (date(2024, 7, 4), "weekday")


def test_no_date_expression_falls_back_to_publication_date():
    facts = extract("Leaders meet", "Leaders met for talks about trade.", FRIDAY)
    assert facts.event_date == EventDate(date(2024, 7, 5), "published")
    assert extract("Leaders meet", "Leaders met for talks about trade.", None).event_date is None


@pytest.mark.parametrize("text", ["Putin, who has ruled for 3 decades, arrived on Thursday.",
                                  "The 10 marchers were detained on Thursday."])
def test_words_starting_with_a_month_abbreviation_are_not_dates(text):
    assert resolve_date(text, FRIDAY) == EventDate(date(2024, 7, 4), "weekday", "Thursday")


@pytest.mark.parametrize("title, lead, kind", [
    ("Leaders gather for summit", "Heads of state met on the sidelines of the summit.", "summit"),
    ("Xi and Putin hold video call", "The two leaders spoke by phone for an hour.", "call"),
    ("Putin arrives in Beijing", "Putin began a state visit to China.", "visit"),
    ("Quake hits Chile", "A strong earthquake struck off the coast.", "disaster"),
    ("A quiet day", "Nothing much happened in the town.", "other"),
])
def test_event_type(title, lead, kind):
    assert event_type(title, lead) == kind


def test_facts_of_a_repeated_text_are_the_same_and_a_separate_copy() -> None:
    """A verbatim copy gets its facts from memory: equal to the first, and changing one leaves the other."""
    title, text = "Xi meets Putin in Beijing", ("BEIJING - Chinese President Xi Jinping met Russian President "
                                                 "Vladimir Putin on Tuesday.\n\nXi said \"the talks were very good\".")
    first = extract(title, text, datetime(2024, 3, 7, 9, tzinfo=UTC))
    again = extract(title, text, datetime(2024, 3, 7, 18, tzinfo=UTC))  # the same day: the same facts
    assert again == first and again is not first
    again.people.append("Someone Else")
    again.dateline = "2024-03-07"
    assert extract(title, text, datetime(2024, 3, 7, 9, tzinfo=UTC)) == first
    assert "Someone Else" not in first.people and first.dateline is None
    assert first.event_date == EventDate(date(2024, 3, 5), "weekday", "Tuesday")
    on_monday = extract(title, text, datetime(2024, 3, 11, 9, tzinfo=UTC))  # another day: worked out again
    assert on_monday.event_date == EventDate(date(2024, 3, 5), "weekday", "Tuesday")
    assert extract(title, text, datetime(2024, 3, 13, 9, tzinfo=UTC)).event_date.day == date(2024, 3, 12)


def test_names_peeled_once_per_spelling_keep_the_word_before() -> None:
    from streams.core.prepare.extract import _names, _peel
    assert _peel("President Xi Jinping") == ("President", "Xi Jinping")
    assert _peel("Xi Jinping") == (None, "Xi Jinping")
    assert _peel("The") == ("The", None)  # nothing left: not a name
    # Nothing peeled: the word before the match (here the previous match's end, or none at the start).
    assert _names("Russia's Vladimir Putin met US President Joe Biden") == [("", "Vladimir Putin"),
                                                                           ("President", "Joe Biden")]
    assert _names("talks. Then Xi Jinping and Putin") == [("Then", "Xi Jinping"), ("and", "Putin")]
    assert _names("talks with Xi Jinping") == [("with", "Xi Jinping")]


def test_name_traits_that_do_not_depend_on_the_text() -> None:
    from streams.core.prepare.extract import _traits
    place, organisation, short, personable = _traits("Beijing")
    assert place is not None and place.kind == "city"
    assert _traits("Xi Jinping") == (None, False, True, True)
    assert _traits("Shanghai Cooperation Organisation")[1]  # an organisation word last
    assert _traits("NATO")[1] and _traits("WHO")[1]
    assert not _traits("Red Square")[3]  # "Square": no person's name
    assert not _traits("Chinese Embassy Official")[3]  # a demonym: no person's name
    assert not _traits("John Fitzgerald Kennedy Junior Smith")[2]  # five words: a person only after a title
