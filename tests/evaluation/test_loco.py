"""Leave-one-corpus-out evaluation and the TF-IDF single-pass baseline, on the committed samples
(tests/evaluation/data) in lexical mode with a small grid."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.evaluation import baseline, loco
from streams.evaluation.run import main
from streams.settings import Settings, SettingsError

DATA = Path(__file__).parent / "data"
SMALL_GRID = ["--grid", "event_similarity_lexical=0.08,0.11,0.2", "--grid", "event_similarity_strong_lexical=0.15"]


def test_points_skip_a_strong_threshold_below_the_plain_one() -> None:
    grid = {"event_similarity_lexical": (0.1, 0.2), "event_similarity_strong_lexical": (0.15, 0.3)}
    assert loco.points(grid) == [
        {"event_similarity_lexical": 0.1, "event_similarity_strong_lexical": 0.15},
        {"event_similarity_lexical": 0.1, "event_similarity_strong_lexical": 0.3},
        {"event_similarity_lexical": 0.2, "event_similarity_strong_lexical": 0.3}]


def test_grid_for_the_mode_and_unknown_names() -> None:
    assert set(loco.grid_for(Settings(semantic=False))) == set(loco.GRIDS["lexical"])
    assert set(loco.grid_for(Settings())) == set(loco.GRIDS["semantic"])
    with pytest.raises(SettingsError, match="unknown setting"):
        loco.grid_for(Settings(), {"no_such_threshold": (0.1,)})


def test_choose_uses_only_the_tuning_corpora() -> None:
    scores = {"a": [0.9, 0.1, 0.5], "b": [0.2, 0.8, 0.5], "c": [0.1, 0.9, 0.0]}
    assert loco.choose(scores, ["b", "c"]) == 1
    assert loco.choose(scores, ["a"]) == 0
    assert loco.choose(scores, ["a", "b"]) == 0  # 0.55 vs 0.45 vs 0.5
    assert loco.choose(scores, []) is None


def corpus(name: str, origins: set[str], tune: bool = True) -> loco.Prepared:
    return loco.Prepared(name, "", tune, [], [], frozenset(origins), [])


def test_tuning_sets_leave_out_overlapping_and_untuned_corpora() -> None:
    sets = loco.tuning_sets([corpus("a", {"x:1"}), corpus("b", {"x:2"}), corpus("ref", {"x:1", "x:2"}, tune=False),
                             corpus("p", {"y:1"})])
    assert sets == {"a": ["b", "p"], "b": ["a", "p"], "ref": ["p"], "p": ["a", "b"]}


def test_baseline_single_pass() -> None:
    records = [{"title": "Earthquake strikes Chile coast", "text": "A strong earthquake struck the Chilean coast."},
               {"title": "Chile earthquake", "text": "The earthquake struck the Chilean coast on Monday."},
               {"title": "Central bank raises interest rates", "text": "The bank raised rates by half a point."}]
    vecs = baseline.vectors(records)
    assert baseline.single_pass(vecs, 0.2) == [0, 0, 1]
    assert baseline.single_pass(vecs, 1.01) == [0, 1, 2]
    assert baseline.single_pass(vecs, 0.0) == [0, 0, 1]  # joining takes at least one shared term


@pytest.fixture
def lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMS_SEMANTIC", "false")


def test_loco_on_the_samples(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(DATA), "--json", *SMALL_GRID]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["mode"] == "lexical" and result["grid_points"] == 2  # 0.2 > 0.15 is skipped
    rows = {row["corpus"]: row for row in result["corpora"]}
    assert set(rows) == {"long", "headlines", "lookalike", "pairs"}
    for name, row in rows.items():
        others = set(rows) - {name}
        titles = {f"{o}-titles" for o in others if o != "headlines"}  # headlines is title-only already
        assert name not in row["tuned_on"] and sorted(row["tuned_on"]) == sorted(others | titles)
        assert row["articles_thresholds_from"] == ", ".join(o for o in row["tuned_on"] if o in others - {"headlines"})
        assert row["thresholds"]["event_similarity_lexical"] in (0.08, 0.11)
        assert row["thresholds"]["event_similarity_short_lexical"] in loco.SHORT_GRIDS["lexical"][
            "event_similarity_short_lexical"]
        assert row["thresholds_from"] == ", ".join(row["tuned_on"])
        for key in ("pipeline", "defaults", "best_on_itself", "baseline", "baseline_best_on_itself"):
            assert 0.0 <= row[key]["f1"] <= 1.0 and 0.0 <= row[key]["precision"] <= 1.0
        assert row["baseline"]["threshold"] in baseline.THRESHOLDS
        assert row["best_on_itself"]["f1"] >= row["pipeline"]["f1"]
        assert row["baseline_best_on_itself"]["f1"] >= row["baseline"]["f1"]
    assert rows["headlines"]["articles"] > 0 and rows["headlines"]["rejected"] == {}


def test_loco_defaults_match_the_plain_events_evaluation(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The grid re-runs only the resolver on prepared articles: at the defaults it must agree with `eval events`."""
    assert main(["events", "--loco", "--corpora", str(DATA), "--json", *SMALL_GRID]) == 0
    rows = {row["corpus"]: row for row in orjson.loads(capsys.readouterr().out)["corpora"]}
    for name in ("lookalike", "headlines"):
        assert main(["events", "--dataset", str(DATA / f"{name}.jsonl"), "--json"]) == 0
        plain = orjson.loads(capsys.readouterr().out)
        assert rows[name]["defaults"]["f1"] == pytest.approx(plain["bcubed"]["f1"])
        assert rows[name]["defaults"]["predicted_events"] == plain["predicted_clusters"]


def test_loco_text_table(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(DATA), "--limit", "12", *SMALL_GRID]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Event tagging, leave one corpus out (lexical mode")
    assert "tuned on: headlines, lookalike, pairs" in out and "TF-IDF single-pass" in out


def test_loco_errors_are_one_line(lexical: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(tmp_path)]) == 2
    assert "run `python -m streams eval build-corpora` first" in capsys.readouterr().err
    assert main(["events", "--loco", "--corpora", str(DATA), "--grid", "no_such=0.1"]) == 2
    assert main(["events"]) == 2
    assert main(["events", "--loco", "--grid", "event_similarity=high"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting" in err and "needs --dataset" in err


def test_loco_corpus_mostly_rejected_is_an_error(lexical: None, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from streams.evaluation.corpora import Corpus, write
    from streams.evaluation.run import EXIT_NOT_SCORED

    untitled = [{"id": f"u{i}", "text": "A body without a title.", "label": "x", "origin": f"t:{i}"} for i in range(3)]
    write([Corpus("untitled", "broken", "records without titles", untitled)], tmp_path)
    assert main(["events", "--loco", "--corpora", str(tmp_path)]) == EXIT_NOT_SCORED
    err = capsys.readouterr().err
    assert err.startswith("error: corpus untitled: no articles scored: 3 of 3 rejected (missing_title 3)")
    assert err.count("\n") == 1


def test_one_setting_for_all_tuned_corpora(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(DATA), "--json", *SMALL_GRID]) == 0
    result = orjson.loads(capsys.readouterr().out)
    on_all = result["best_on_all_tuned"]
    assert sorted(on_all["tuned_on"]) == ["headlines", "long", "long-titles", "lookalike", "lookalike-titles",
                                          "pairs", "pairs-titles"]
    assert on_all["mean_f1"] == pytest.approx(sum(on_all["f1"][n] for n in on_all["tuned_on"]) / 7)
    assert result["derived"] == {"long-titles": "long", "lookalike-titles": "lookalike", "pairs-titles": "pairs"}


def test_title_only_keeps_the_title_and_the_origin() -> None:
    records = [{"id": "a", "title": "Quake hits Chile", "text": "A strong quake...", "description": "Quake.",
                "published": "2020-01-02T03:04:05", "source": "example.org", "label": "q", "origin": "f:a"}]
    assert loco.title_only(records) == [{"id": "a:title", "title": "Quake hits Chile",
                                         "published": "2020-01-02T03:04:05", "source": "example.org",
                                         "label": "q", "origin": "f:a"}]


def test_a_title_only_version_is_never_tuned_on_for_its_source_or_what_overlaps_it() -> None:
    long, titles = corpus("long", {"g:1"}), corpus("long-titles", {"g:1"})
    titles.derived_from = "long"
    sets = loco.tuning_sets([long, titles, corpus("ref", {"g:1", "g:2"}, tune=False), corpus("p", {"s:1"})])
    assert sets["long"] == ["p"] and sets["ref"] == ["p"] and sets["p"] == ["long", "long-titles"]


def test_choose_takes_the_simplest_of_near_equals() -> None:
    """Within TIE of the best mean, the point closest to the plain rule wins (noise does not pick a threshold)."""
    scores = {"a": [0.9500, 0.9502, 0.90]}
    assert loco.choose(scores, ["a"]) == 1
    assert loco.choose(scores, ["a"], cost=[0.0, 0.1, 0.0]) == 0
    assert loco.choose({"a": [0.90, 0.95]}, ["a"], cost=[0.0, 0.1]) == 1  # a real difference still counts


def test_departure_from_the_plain_rule() -> None:
    assert loco.departure({"event_similarity_lexical": 0.24, "event_similarity_strong_lexical": 0.4}) == \
        pytest.approx(0.16)
    assert loco.departure({"event_similarity": 0.53, "event_similarity_strong": 0.6, "event_similarity_short": 0.4}) \
        == pytest.approx(0.07 + 0.13)
    assert loco.short_values_at({"event_similarity_lexical": 0.24}, loco.SHORT_GRIDS["lexical"])[-1] == 0.24


def test_grid_can_set_the_short_item_values(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(DATA), "--json", "--limit", "12", *SMALL_GRID,
                 "--grid", "event_similarity_short_lexical=0.05"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["grid"]["event_similarity_short_lexical"] == [0.05]
    for row in result["corpora"]:  # the value given, or the articles' own (no short rule)
        assert row["thresholds"]["event_similarity_short_lexical"] in (0.05, 0.08, 0.11)
