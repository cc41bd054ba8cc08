"""Fitting the event pair classifier on the committed samples, and leave-one-corpus-out with a refit per fold."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.core.resolve import event_features, event_model
from streams.evaluation.run import main

DATA = Path(__file__).parent / "data"


@pytest.fixture
def lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMS_SEMANTIC", "false")


def test_fit_events_writes_weights_with_their_corpora(lexical: None, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "weights.json"
    assert main(["fit-events", "--corpora", str(DATA), "--on", "long,lookalike", "--out", str(out), "--json"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["trained_on"] == ["long", "lookalike"] and result["mode"] == "lexical"
    assert set(result["pairs"]) == {"long", "lookalike"}
    assert all(c["pairs"] > c["same_event"] > 0 for c in result["pairs"].values())
    model = event_model.load("lexical", out)
    assert model.trained_on == ("long", "lookalike") and set(model.weights) == set(event_features.NAMES["lexical"])
    assert model.weights["tfidf"] > 0  # more shared words, more likely the same event


def test_fit_events_errors_are_one_line(lexical: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit-events", "--corpora", str(DATA), "--on", "nosuch", "--out", str(tmp_path / "w.json")]) == 2
    assert "no corpus named nosuch" in capsys.readouterr().err
    assert main(["events", "--dataset", str(DATA / "long.jsonl"), "--set", "event_decision=model",
                 "--set", f"event_weights={tmp_path / 'missing.json'}"]) == 2
    assert capsys.readouterr().err.startswith("error: event weights")


def test_loco_refits_the_model_without_the_left_out_corpus(lexical: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--loco", "--corpora", str(DATA), "--json", "--set", "event_decision=model",
                 "--grid", "event_join_probability=0.4,0.6"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["decision"] == "model" and result["grid_points"] == 2
    for row in result["corpora"]:
        assert row["corpus"] not in row["weights"]["trained_on"]
        assert row["weights"]["trained_on"] == row["tuned_on"]
        assert row["thresholds"]["event_join_probability"] in (0.4, 0.6)
        for key in ("pipeline", "defaults", "best_on_itself", "baseline"):
            assert 0.0 <= row[key]["f1"] <= 1.0
    assert main(["events", "--loco", "--corpora", str(DATA), "--limit", "10", "--set", "event_decision=model",
                 "--grid", "event_join_probability=0.5"]) == 0
    assert "tuned on: headlines, lookalike, pairs" in capsys.readouterr().out
    assert main(["events", "--loco", "--corpora", str(DATA), "--set", "event_decision=model",
                 "--grid", "event_similarity_lexical=0.1"]) == 2
