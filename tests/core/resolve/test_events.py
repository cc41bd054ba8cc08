"""streams/core/resolve/events.py (EventIndex, via the Pipeline) and streams/core/resolve/catalog.py: articles grouped into real-world
events, kept apart when their facts contradict each other, and named by an optional catalog."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from streams.core.model import Article
from streams.core.pipeline import Pipeline
from streams.core.resolve.catalog import CatalogError, load_catalog
from tests.articles import ASTANA_REWRITE, ASTANA_WIRE, BEIJING, CALL, CATALOG, SAMARKAND, lexical_settings, run_seeds

PUB = datetime(2024, 3, 7, 12, tzinfo=UTC)  # a Thursday

# Two differently worded reports (not one story) of the same talks; the dateline and day are filled in.
TALKS_A = ("{city} - Russian President Vladimir Putin and Chinese President Xi Jinping held talks on {day} about "
           "energy exports, a new gas pipeline and trade settled in national currencies, officials said.\n\n"
           "The two leaders also discussed the war in Ukraine and security in Central Asia, and agreed to meet "
           "again later this year.")
TALKS_B = ("{city} - Chinese leader Xi Jinping met Vladimir Putin of Russia on {day}, with talks focused on the gas "
           "pipeline, energy exports and trade in national currencies, according to state media.\n\n"
           "Ukraine and Central Asian security were also on the agenda, and the pair agreed to meet again later "
           "in the year.")
# Unrelated news first, so the stream's document frequencies mean something.
FILLERS = [
    ("Earthquake shakes southern Chile", "A magnitude 6.8 earthquake struck southern Chile early on Wednesday, "
     "damaging roads and cutting power to thousands of homes, the national emergency office said."),
    ("Central bank holds interest rates", "The European Central Bank kept interest rates unchanged on Wednesday "
     "and said inflation was slowing faster than expected across the euro zone."),
    ("Storm floods coastal towns in Brazil", "Heavy rain flooded coastal towns in the Brazilian state of Bahia, "
     "forcing hundreds of families from their homes as rivers burst their banks."),
    ("Football club names new coach", "The club appointed a new head coach on a three-year contract after a poor "
     "run of results left the team near the bottom of the league table."),
    ("Airline orders new jets", "The airline ordered fifty new narrow-body jets worth several billion dollars as "
     "it expands routes across Asia and the Pacific."),
]


def talks(article_id: str, template: str, city: str, day: str) -> Article:
    return Article(id=article_id, title="Putin and Xi hold talks on energy and trade",
                   text=template.format(city=city, day=day), source=f"{article_id}.example", published=PUB)


def fillers() -> list[Article]:
    return [Article(id=f"filler-{n}", title=title, text=text, source="filler.example", published=PUB)
            for n, (title, text) in enumerate(FILLERS)]


def pair(city_b: str, day_b: str, warm: bool = True):
    pipeline = Pipeline(lexical_settings())
    articles = (fillers() if warm else []) + [talks("a", TALKS_A, "MOSCOW", "Thursday"),
                                              talks("b", TALKS_B, city_b, day_b)]
    a, b = pipeline.process_batch(articles)[-2:]
    assert b.decision.kind == "new"  # different stories: any grouping is the event stage's doing
    return pipeline, a, b


def test_seeds_make_four_events_with_the_astana_pair_in_one():
    pipeline, results = run_seeds()
    astana = results[ASTANA_WIRE].event
    assert results[ASTANA_REWRITE].event_ids == [astana.id]
    assert len({r.event.id for r in results.values()}) == 4
    assert sorted(astana.as_dict()["articles"]) == [ASTANA_WIRE, ASTANA_REWRITE]
    assert astana.type == "summit"
    assert astana.location.label == "Astana, Kazakhstan"
    assert astana.main_date == date(2024, 7, 4) and astana.date_inferred is True
    assert astana.outlets == {"wire.example.org", "rewrite.example.org"}
    assert results[ASTANA_REWRITE].assignment.created is False
    assert results[CALL].event.type == "call" and results[CALL].event.location is None
    assert results[BEIJING].event.type == "visit"
    assert results[SAMARKAND].event.as_dict()["date"] == "2022-09-15"
    assert results[SAMARKAND].event.id != astana.id  # same leaders, same kind of summit, other city and year


def test_related_reports_of_the_same_talks_join_one_event():
    _, a, b = pair("MOSCOW", "Thursday")
    assert b.event.id == a.event.id
    assert b.assignment.created is False
    assert any(m.startswith("place:Moscow") for m in b.assignment.matched)
    assert b.event.stories == {a.story_id, b.story_id}


def test_date_within_tolerance_still_joins():
    _, a, b = pair("MOSCOW", "Wednesday")  # one day before; tolerance is 1 day
    assert b.facts.event_date.day == date(2024, 3, 6)
    assert b.event.id == a.event.id


def test_same_actors_in_another_city_stay_apart():
    pipeline, a, b = pair("ASTANA", "Thursday")
    assert b.facts.location.label == "Astana, Kazakhstan"
    assert b.event.id != a.event.id
    assert b.assignment.created is True
    assert a.event.location.label == "Moscow, Russia" and b.event.location.label == "Astana, Kazakhstan"


@pytest.mark.parametrize("day", ["Monday", "March 3, 2024"])
def test_same_actors_on_dates_beyond_tolerance_stay_apart(day):
    _, a, b = pair("MOSCOW", day)
    gap = abs((b.facts.event_date.day - a.facts.event_date.day).days)
    assert gap > lexical_settings().event_date_tolerance_days
    assert b.event.id != a.event.id


def test_first_article_of_a_fresh_stream_can_be_joined():
    _, a, b = pair("MOSCOW", "Thursday", warm=False)
    assert b.event.id == a.event.id


def test_catalog_names_the_astana_event():
    _, results = run_seeds(lexical_settings(catalog=str(CATALOG)))
    for seed in (ASTANA_WIRE, ASTANA_REWRITE):
        event = results[seed].event
        assert event.id == "sco-summit-astana-2024"
        assert event.label == "SCO summit · Astana, Kazakhstan · 2024-07-04"
        assert event.as_dict()["catalog_id"] == "sco-summit-astana-2024"
    assert results[ASTANA_WIRE].assignment.created is True
    assert results[SAMARKAND].event.id == "sco-summit-samarkand-2022"
    for seed in (CALL, BEIJING):
        assert results[seed].event.catalog is None and results[seed].event.id.startswith("event-")


def test_catalog_file_is_loaded():
    catalog = load_catalog(CATALOG)
    astana = catalog.events[0]
    assert [e.id for e in catalog.events] == ["sco-summit-astana-2024", "sco-summit-samarkand-2022"]
    assert astana.place == "Astana" and astana.type == "summit"
    assert astana.actors == ("Xi Jinping", "Vladimir Putin")
    assert (astana.date_from, astana.date_to) == (date(2024, 7, 3), date(2024, 7, 4))
    assert load_catalog("").events == [] and load_catalog(None).events == []


@pytest.mark.parametrize("content, fragment", [
    ("events: [unclosed\n  - id: x", "not valid YAML"),
    ("- just a list", "list under 'events'"),
    ("events: nothing", "list under 'events'"),
    ("events:\n  - name: No id\n", "needs at least 'id' and 'name'"),
    ("events:\n  - id: no-name\n", "needs at least 'id' and 'name'"),
    ("events:\n  - just a string\n", "needs at least 'id' and 'name'"),
    ("events:\n  - id: x\n    name: X\n    date_from: July 4\n", "not an ISO date"),
    ("events:\n  - id: x\n    name: X\n    date_to: '2024-07-99'\n", "not an ISO date"),
])
def test_bad_catalog_is_a_catalog_error(tmp_path, content, fragment):
    path = tmp_path / "catalog.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=fragment) as err:
        load_catalog(path)
    assert "\n" not in str(err.value)


def test_missing_catalog_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="cannot read event catalog"):
        load_catalog(tmp_path / "missing.yaml")
    with pytest.raises(CatalogError):
        load_catalog(tmp_path)  # a directory


def test_pipeline_with_missing_catalog_fails_fast(tmp_path):
    with pytest.raises(CatalogError):
        Pipeline(lexical_settings(catalog=str(tmp_path / "missing.yaml")))


def test_non_utf8_catalog_is_a_catalog_error(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_bytes(b"events:\n  - id: caf\xe9\n    name: Caf\xe9\n")
    with pytest.raises(CatalogError):
        load_catalog(path)


def test_impossible_unquoted_date_is_a_catalog_error(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("events:\n  - id: x\n    name: X\n    date_from: 2024-13-45\n", encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalog(path)


def test_string_where_a_list_is_expected(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("events:\n  - id: x\n    name: X\n    keywords: Astana\n", encoding="utf-8")
    try:
        catalog = load_catalog(path)
    except CatalogError:
        return
    assert catalog.events[0].keywords == ("Astana",)


def test_event_derived_values_are_remembered_until_it_changes() -> None:
    from streams.core.prepare.gazetteer import gazetteer
    from streams.core.resolve.events import Event
    event = Event(id="event-1", first_seen=0.0, last_seen=0.0)
    event.types["summit"] += 1
    event.names["SCO summit"] += 1
    event.dates[(date(2024, 7, 4), "explicit")] += 1
    assert event.label == "SCO summit · 2024-07-04" and event.type == "summit"
    astana = gazetteer().lookup("Astana")
    event.sure_places[astana] += 1
    event.dates[(date(2024, 7, 3), "weekday")] += 2
    assert event.label == "SCO summit · 2024-07-04"  # not recomputed before changed() ...
    event.changed()
    assert event.label == f"SCO summit · {astana.label} · 2024-07-03"  # ... then it is
    assert event.location == event.sure_location == astana
    assert event.exact_dates == [date(2024, 7, 3), date(2024, 7, 4)]
    assert event.exact_days == {date(2024, 7, 3), date(2024, 7, 4)}
    event.exact_dates.append(date(2000, 1, 1))  # a copy: the remembered dates stay
    assert event.exact_dates == [date(2024, 7, 3), date(2024, 7, 4)]


def test_events_relabel_as_articles_join() -> None:
    """Through the index: each article that joins refreshes the event's derived values."""
    pipeline = Pipeline(lexical_settings())
    pipeline.process_batch(fillers())
    first = pipeline.process(talks("a", TALKS_A, "BEIJING", "Tuesday"))
    label = first.event.label
    second = pipeline.process(talks("b", TALKS_B, "BEIJING", "Tuesday"))
    assert second.event is first.event and second.event.size == 2
    assert second.event.label == label  # the same place and day: the same label
    assert second.event.label == second.event._label()  # and what a fresh computation gives
