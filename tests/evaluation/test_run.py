"""The eval runners and dataset loaders on tiny JSONL files written to tmp_path."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from streams.evaluation.datasets import DatasetError, detect_kind, load_clustering, load_pairs
from streams.evaluation.run import EXIT_NOT_SCORED, NotScored, format_report, main, require_scored, shingle_jaccard

QUAKE = ("A magnitude 6.4 earthquake struck the coast of southern Peru early on Tuesday, collapsing homes in "
         "three villages near Arequipa and cutting power to thousands of residents, the national emergency "
         "office said. Rescue teams were searching the rubble for survivors and the president flew to the region "
         "to oversee relief efforts, promising aid to families who lost their homes.")
ELECTION = ("Voters in Norway went to the polls on Monday in a parliamentary election expected to return the "
            "governing coalition to power, with the prime minister campaigning on tax cuts and oil revenue while "
            "the opposition Labour party promised more spending on schools and hospitals across the country.")
FINAL = ("Bayern Munich won the Champions League final in Lisbon on Sunday, beating Paris Saint-Germain one goal "
         "to nil after a second-half header by Kingsley Coman, completing a treble of trophies for the German "
         "club in a season interrupted for months by the coronavirus pandemic.")

CLUSTER_RECORDS = [
    {"id": "q2", "title": "Quake hits southern Peru", "text": QUAKE, "published": "2020-03-03T09:00:00Z",
     "source": "wire.example", "label": "peru_quake"},
    {"id": "q1", "title": "Earthquake strikes Peru", "text": QUAKE, "published": "2020-03-03T08:00:00Z",
     "source": "news.example", "label": "peru_quake"},
    {"id": "e1", "title": "Norway votes in parliamentary election", "text": ELECTION,
     "published": "2020-03-03T10:00:00+02:00", "source": "news.example", "label": "norway_election"},
    {"id": "f1", "title": "Bayern win Champions League final", "text": FINAL, "published": None,
     "source": "sport.example", "label": "ucl_final"},
]
PAIR_RECORDS = [
    {"a": "Earthquake strikes Peru\n" + QUAKE, "b": "Quake hits southern Peru\n" + QUAKE, "label": 1.0,
     "pair_id": "p1", "lang_a": "en", "lang_b": "en"},
    {"a": "Earthquake strikes Peru\n" + QUAKE, "b": "Norway votes\n" + ELECTION, "label": 4.0,
     "pair_id": "p2", "lang_a": "en", "lang_b": "en"},
    {"a": ELECTION, "b": FINAL, "label": 3.5, "pair_id": "p3", "lang_a": "en", "lang_b": "en"},
    {"a": "Erdbeben in Peru", "b": "Wahl in Norwegen", "label": 4.0, "pair_id": "p4", "lang_a": "de", "lang_b": "de"},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def cluster_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "cluster.jsonl", CLUSTER_RECORDS)


@pytest.fixture
def pair_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", PAIR_RECORDS)


# --------------------------------------------------------------------------- loaders (no pipeline needed)

def test_load_clustering_sorts_by_time_missing_last(cluster_file: Path) -> None:
    ids = [r["id"] for r in load_clustering(cluster_file)]
    # e1 at 10:00+02:00 is 08:00Z, tied with q1, which comes first in the file; f1 has no date
    assert ids == ["q1", "e1", "q2", "f1"]


def test_load_clustering_is_stable_for_ties(tmp_path: Path) -> None:
    records = [{"id": str(i), "title": "t", "text": "x", "published": "2020-01-01T00:00:00", "label": "a"}
               for i in range(5)]
    records.insert(2, {"id": "early", "title": "t", "text": "x", "published": "2019-12-31", "label": "a"})
    records.append({"id": "nodate", "title": "t", "text": "x", "label": "a"})
    records.insert(0, {"id": "baddate", "title": "t", "text": "x", "published": "someday", "label": "a"})
    ids = [r["id"] for r in load_clustering(write_jsonl(tmp_path / "t.jsonl", records))]
    assert ids == ["early", "0", "1", "2", "3", "4", "baddate", "nodate"]


def test_load_pairs_filters_languages(pair_file: Path) -> None:
    assert [p["pair_id"] for p in load_pairs(pair_file)] == ["p1", "p2", "p3"]
    assert [p["pair_id"] for p in load_pairs(pair_file, ("de", "de"))] == ["p4"]
    assert len(load_pairs(pair_file, None)) == 4


def test_detect_kind(cluster_file: Path, pair_file: Path, tmp_path: Path) -> None:
    assert detect_kind(cluster_file) == "clustering"
    assert detect_kind(pair_file) == "pairs"
    with pytest.raises(DatasetError, match="expected a clustering"):
        detect_kind(write_jsonl(tmp_path / "other.jsonl", [{"x": 1}]))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(DatasetError, match="no records"):
        detect_kind(empty)


def test_dataset_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "title": "t", "text": "x", "label": "a"}\n{not json\n')
    for call in (lambda: load_clustering(tmp_path / "missing.jsonl"), lambda: load_clustering(bad),
                 lambda: load_pairs(bad), lambda: load_clustering(tmp_path)):
        with pytest.raises(DatasetError) as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(DatasetError, match="line 2: not valid JSON"):
        load_clustering(bad)
    with pytest.raises(DatasetError, match="no such file"):
        load_pairs(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetError, match="missing field"):
        load_clustering(write_jsonl(tmp_path / "nolabel.jsonl", [{"id": "1", "title": "t", "text": "x"}]))
    with pytest.raises(DatasetError, match="label must be a number"):
        load_pairs(write_jsonl(tmp_path / "p.jsonl", [{"a": "x", "b": "y", "label": "high"}]))


def test_shingle_jaccard() -> None:
    assert shingle_jaccard(QUAKE, QUAKE.upper()) == 1.0
    assert shingle_jaccard("one two three four five", "one two three four six") == 0.0
    # 6 words -> 2 shingles each, one shared: 1/3
    assert shingle_jaccard("a b c d e f", "a b c d e g") == pytest.approx(1 / 3)
    assert shingle_jaccard("", "") == 0.0


def test_main_missing_dataset_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("dedup", "events"):
        assert main([command, "--dataset", str(tmp_path / "missing.jsonl"), "--json"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("error: ") and captured.err.count("\n") == 1


def test_main_events_rejects_pair_file(pair_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--dataset", str(pair_file)]) == 2
    assert "clustering dataset" in capsys.readouterr().err


def test_main_usage_errors_return_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["dedup"]) == 2
    assert main(["dedup", "--dataset", "x.jsonl", "--limit", "0"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()


def test_format_report_is_readable() -> None:
    result = {"dataset": "d.jsonl", "pairwise": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3},
              "bcubed": {"precision": 1.0, "recall": 0.75, "f1": 6 / 7}, "ari": 0.5, "articles": 4,
              "articles_per_s": 12.5, "rejected": {}}
    text = format_report(result, "Event tagging")
    assert text.splitlines()[0] == "Event tagging"
    assert "pairwise" in text and "F1 0.667" in text and "ARI" in text and "articles: 4" in text


# --------------------------------------------------------------------------- through the real Pipeline

@pytest.fixture
def pipeline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streams.core.pipeline")
    # The lexical path is enough for these records and keeps the test fast.
    monkeypatch.setenv("STREAMS_SEMANTIC", "false")


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(argv + ["--json"]) == 0
    captured = capsys.readouterr()
    return orjson.loads(captured.out)


def test_eval_dedup_clustering(pipeline_env: None, cluster_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(["dedup", "--dataset", str(cluster_file)], capsys)
    assert result["articles"] == 4
    assert result["gold_clusters"] == 3
    assert 1 <= result["predicted_clusters"] <= 4
    for name in ("pairwise", "bcubed"):
        assert set(result[name]) == {"precision", "recall", "f1"}
        assert all(0.0 <= v <= 1.0 for v in result[name].values())
    assert result["articles_per_s"] > 0
    # the two wire copies of the quake story are the one near-copy pair, and the pipeline joins them
    assert result["near_copy_pairs"] == 1
    assert result["near_copy_pairs_joined"] == 1
    assert result["cross_event_merges"] == 0
    assert result["pairwise"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_eval_events_clustering(pipeline_env: None, cluster_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(["events", "--dataset", str(cluster_file)], capsys)
    assert result["articles"] == 4
    assert -1.0 <= result["ari"] <= 1.0
    assert set(result["bcubed"]) == {"precision", "recall", "f1"}
    assert {"pairwise", "articles_per_s", "predicted_clusters", "gold_clusters"} <= result.keys()
    limited = run_json(["events", "--dataset", str(cluster_file), "--limit", "2"], capsys)
    assert limited["articles"] == 2


def test_eval_dedup_pairs(pipeline_env: None, pair_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(["dedup", "--dataset", str(pair_file)], capsys)
    assert result["pairs"] == 3  # the de-de pair is filtered out
    assert result["gold_same"] == 1
    assert {"precision", "recall", "f1", "pearson"} <= result.keys()
    assert -1.0 <= result["pearson"] <= 1.0
    # the verbatim copy is the most similar pair, so similarity rises as the label falls
    assert result["pearson"] > 0
    assert result["recall"] == 1.0


def test_text_report(pipeline_env: None, cluster_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", "--dataset", str(cluster_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Story dedup") and "bcubed" in out and "near copies" in out


# --------------------------------------------------------------------------- an evaluation that scores nothing fails

def test_nothing_scored_is_an_error(pipeline_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # records without a title are rejected (missing_title): nothing is left to score
    untitled = [{"id": f"u{i}", "text": QUAKE, "published": "2020-03-03T08:00:00Z", "label": "q"} for i in range(3)]
    path = write_jsonl(tmp_path / "untitled.jsonl", untitled)
    for command in ("events", "dedup"):
        assert main([command, "--dataset", str(path)]) == EXIT_NOT_SCORED
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1
        assert captured.err.startswith("error: no articles scored: 3 of 3 rejected (missing_title 3)")


def test_most_rejected_is_an_error(pipeline_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    untitled = [{"id": f"u{i}", "text": QUAKE, "published": "2020-03-03T08:00:00Z", "label": "q"} for i in range(3)]
    path = write_jsonl(tmp_path / "mostly-untitled.jsonl", CLUSTER_RECORDS[:2] + untitled)
    assert main(["events", "--dataset", str(path), "--json"]) == EXIT_NOT_SCORED
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "most articles rejected: 3 of 5 (missing_title 3)" in captured.err
    # half or fewer rejected still scores (2 of 4 rejected here), with the rejections reported
    path = write_jsonl(tmp_path / "half.jsonl", CLUSTER_RECORDS[:2] + untitled[:2])
    result = run_json(["events", "--dataset", str(path)], capsys)
    assert result["articles"] == 2 and result["rejected"] == {"missing_title": 2}


def test_require_scored_limits() -> None:
    require_scored(4, Counter({"empty_body": 2}))  # exactly half: still scored
    with pytest.raises(NotScored, match="most pairs rejected: 3 of 4"):
        require_scored(4, Counter({"x": 3}), "pairs")
    with pytest.raises(NotScored, match="no articles scored: 0 of 0"):
        require_scored(0, Counter())


def test_eval_set_flag(tmp_path: Path, cluster_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(["events", "--dataset", str(cluster_file), "--set", "semantic=false"], capsys)
    assert result["articles"] == 4
    assert main(["events", "--dataset", str(cluster_file), "--set", "no_such=1"]) == 2
    assert main(["events", "--dataset", str(cluster_file), "--set", "semantic"]) == 2
    assert capsys.readouterr().err.count("\n") == 2
