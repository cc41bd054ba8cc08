"""streams/core/resolve/aggregates.py, through the Pipeline's results: per-event, per-outlet and tumbling-window records."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.core.model import Article
from streams.core.pipeline import Pipeline
from tests.articles import ASTANA_REWRITE, ASTANA_WIRE, CALL, lexical_settings, run_seeds

T0 = datetime(2024, 3, 7, 12, 0, 30, tzinfo=UTC)


def records(result, kind: str) -> list[dict]:
    return [r for r in result.aggregates if r["kind"] == kind]


def one(result, kind: str) -> dict:
    [record] = records(result, kind)
    return record


TOPICS = [
    ("Wildfire forces evacuations near mountain villages", "Firefighters battled a wildfire as dry winds spread flames."),
    ("Central bank raises interest rates again", "The bank lifted borrowing costs to curb stubborn inflation."),
    ("Football club sacks manager after defeat", "The club dismissed its coach following a heavy league loss."),
    ("Scientists sequence genome of ancient wheat", "Researchers decoded grain DNA found in archaeological digs."),
    ("Parliament passes new data privacy law", "Lawmakers approved rules limiting how firms share user data."),
    ("Ferry capsizes in storm off island coast", "Rescuers searched rough seas after the vessel overturned."),
]


def item(n: int, at: datetime, source: str = "wire.example") -> Article:
    title, text = TOPICS[n % len(TOPICS)]
    return Article(id=f"item-{n}", title=title, text=text, source=source, published=at)


@pytest.fixture(scope="module")
def seeds():
    return run_seeds()[1]


def test_every_result_carries_event_outlet_and_window_records(seeds):
    for result in seeds.values():
        assert sorted(r["kind"] for r in result.aggregates) == ["event", "outlet", "window", "window"]
        assert one(result, "event")["key"] == result.event.id


def test_event_duplicate_ratio_for_the_seed_paraphrase(seeds):
    first, second = one(seeds[ASTANA_WIRE], "event"), one(seeds[ASTANA_REWRITE], "event")
    assert (first["articles"], first["stories"], first["duplicate_ratio"]) == (1, 1, 0.0)
    assert (second["articles"], second["stories"], second["outlets"], second["duplicate_ratio"]) == (2, 1, 2, 0.5)
    assert second["first_seen"] == seeds[ASTANA_WIRE].article.timestamp
    assert second["last_seen"] == seeds[ASTANA_REWRITE].article.timestamp
    hours = (second["last_seen"] - second["first_seen"]) / 3600  # 5 h 25 min
    assert second["articles_per_hour"] == pytest.approx(2 / hours, abs=1e-3)
    assert one(seeds[CALL], "event")["duplicate_ratio"] == 0.0


def test_outlet_rewrite_share_and_median_delay_for_the_seed_paraphrase(seeds):
    wire, rewrite = one(seeds[ASTANA_WIRE], "outlet"), one(seeds[ASTANA_REWRITE], "outlet")
    assert wire == {"kind": "outlet", "key": "wire.example.org", "articles": 1, "rewrites": 0, "rewrite_share": 0.0,
                       "median_delay_s": None}
    assert rewrite["key"] == "rewrite.example.org"
    assert (rewrite["rewrites"], rewrite["rewrite_share"]) == (1, 1.0)
    assert rewrite["median_delay_s"] == 5 * 3600 + 25 * 60  # 11:20 wire -> 16:45 rewrite


def test_outlet_median_over_several_rewrites():
    pipeline = Pipeline(lexical_settings())
    originals = [item(n, T0 + timedelta(hours=n)) for n in range(3)]
    copies = [Article(id=f"copy-{n}", title=o.title, text=o.text, source="copier.example",
                      published=o.published + timedelta(minutes=delay))
              for n, (o, delay) in enumerate(zip(originals, (10, 30, 50)))]
    copies.append(Article(id="own", title="An original scoop of the copier", text="Only the copier has this one.",
                          source="copier.example", published=T0 + timedelta(hours=5)))
    results = pipeline.process_batch(originals + copies)
    outlet = one(results[-1], "outlet")
    assert (outlet["articles"], outlet["rewrites"], outlet["rewrite_share"]) == (4, 3, 0.75)
    assert outlet["median_delay_s"] == 30 * 60


def test_same_outlet_duplicate_is_not_a_rewrite():
    pipeline = Pipeline(lexical_settings())
    original = item(1, T0)
    again = Article(id="again", title=original.title, text=original.text, source=original.source,
                    published=T0 + timedelta(minutes=5))
    _, second = pipeline.process_batch([original, again])
    assert second.decision.kind == "exact"
    assert one(second, "outlet")["rewrites"] == 0


def test_window_records(seeds):
    wire_time = seeds[ASTANA_WIRE].article.timestamp
    windows = {w["size_s"]: w for w in records(seeds[ASTANA_WIRE], "window")}
    assert sorted(windows) == [60, 3600]
    for size, window in windows.items():
        assert window["start"] == int(wire_time // size * size)
        assert window["key"] == f"{size}s@{window['start']}"
        assert (window["articles"], window["new_stories"], window["new_events"]) == (1, 1, 1)
        assert window["top_events"] == [{"id": seeds[ASTANA_WIRE].event.id,
                                         "label": seeds[ASTANA_WIRE].event.label, "articles": 1}]
    rewrite = {w["size_s"]: w for w in records(seeds[ASTANA_REWRITE], "window")}[3600]
    assert rewrite["start"] != windows[3600]["start"]  # 16:45 is another hour than 11:20
    assert (rewrite["articles"], rewrite["new_stories"], rewrite["new_events"]) == (1, 0, 0)  # joined both


def test_window_counts_accumulate_and_list_top_events():
    pipeline = Pipeline(lexical_settings(windows="3600", top_events=2))
    results = pipeline.process_batch([item(n, T0 + timedelta(minutes=n)) for n in range(4)])
    [window] = records(results[-1], "window")
    assert (window["articles"], window["new_stories"], window["new_events"]) == (4, 4, 4)
    assert len(window["top_events"]) == 2


def test_windows_expire():
    """Windows close a few window lengths, or the lateness allowance, behind the newest article."""
    pipeline = Pipeline(lexical_settings(late_hours=0))
    assert pipeline.settings.window_seconds == (60, 3600)
    pipeline.process(item(1, T0))
    minute0, hour0 = (60, int(T0.timestamp()) // 60 * 60), (3600, int(T0.timestamp()) // 3600 * 3600)
    assert set(pipeline.aggregator.window_stats) == {minute0, hour0}
    pipeline.process(item(2, T0 + timedelta(minutes=20)))  # > 4 minute-windows later, same hour
    assert minute0 not in pipeline.aggregator.window_stats
    assert hour0 in pipeline.aggregator.window_stats
    pipeline.process(item(3, T0 + timedelta(hours=5)))
    assert hour0 not in pipeline.aggregator.window_stats
    assert pipeline.state_size()["windows"] == 2  # only the newest article's minute and hour


def test_a_late_article_counts_everywhere_but_in_its_closed_window():
    pipeline = Pipeline(lexical_settings(late_hours=1))
    pipeline.process(item(1, T0))
    pipeline.process(item(2, T0 + timedelta(hours=5)))
    late = pipeline.process(item(3, T0 + timedelta(minutes=1)))
    assert pipeline.aggregator.last_late
    assert sorted(r["kind"] for r in late.aggregates) == ["event", "outlet"]  # no window record restarts at 1
    assert one(late, "outlet")["articles"] == 3
    on_time = pipeline.process(item(4, T0 + timedelta(hours=4, minutes=30)))
    assert not pipeline.aggregator.last_late and len(on_time.aggregates) == 4
