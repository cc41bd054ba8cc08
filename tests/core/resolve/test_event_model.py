"""The event pair classifier: its features (who, what, where, when), its weights file, and the evidence a
member shows."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from streams.core.model import Article
from streams.core.prepare.extract import EventDate, Facts
from streams.core.prepare.gazetteer import Place
from streams.core.resolve import event_features, event_model
from streams.core.resolve.events import Event
from tests.articles import lexical_settings, run_seeds

ASTANA = Place("Astana", "KZ", "Kazakhstan", "city")
KAZAKHSTAN = Place("Kazakhstan", "KZ", "Kazakhstan", "country")
ALMATY = Place("Almaty", "KZ", "Kazakhstan", "city")
TASHKENT = Place("Tashkent", "UZ", "Uzbekistan", "city")


def test_place_relation_follows_the_hierarchy() -> None:
    def relation(a, b):
        return [k for k, v in event_features.place_relation(a, b).items() if v]

    assert relation(ASTANA, ASTANA) == ["place_same"]
    assert relation(ASTANA, KAZAKHSTAN) == relation(KAZAKHSTAN, ASTANA) == ["place_within"]
    assert relation(ASTANA, ALMATY) == ["place_same_country"]
    assert relation(ASTANA, TASHKENT) == ["place_other_country"]
    assert relation(None, TASHKENT) == relation(ASTANA, None) == []  # unknown is not a mismatch


def event_with(**facts) -> Event:
    event = Event(id="e1", first_seen=0.0, last_seen=0.0)
    for day in facts.get("days", ()):
        event.dates[(day, "explicit")] += 1
    event.types[facts.get("type", "other")] += 1
    event.actor_keys.update(facts.get("actor_keys", ()))
    return event


def view(facts: Facts, text: str = "A title. " + "word " * 60, timestamp: float = 0.0) -> event_features.Article:
    return event_features.Article(facts, text, {}, None, timestamp)


def test_dates_types_and_actors() -> None:
    event = event_with(days=[date(2024, 7, 4)], type="summit", actor_keys=["vladimir putin"])
    near = Facts(event_date=EventDate(date(2024, 7, 5), "explicit"), event_type="summit", actors=["Wladimir Putin"])
    far = Facts(event_date=EventDate(date(2024, 9, 5), "weekday"), event_type="call", actors=["Xi Jinping"])
    unknown = Facts()
    f_near, f_far, f_unknown = (event_features.features(event, view(f), semantic=False) for f in (near, far, unknown))
    assert f_near["date_same"] == 1 and f_near["type_same"] == 1 and f_near["actors_shared"] == 0.5
    assert f_far["date_far"] == 1 and f_far["type_conflict"] == f_far["type_conflict_recurring"] == 1
    assert f_far["actors_apart"] == 1
    assert not any(f_unknown[k] for k in ("date_same", "date_near", "date_far", "type_same", "type_conflict",
                                          "actors_shared", "actors_apart"))
    assert f_unknown["short"] == 0 and event_features.features(event, view(unknown, "A title only"), False)["short"] == 1
    assert set(f_near) == set(event_features.NAMES["lexical"])


def test_contributions_add_up_to_the_probability() -> None:
    model = event_model.EventModel("lexical", -2.0, {n: 0.0 for n in event_features.NAMES["lexical"]} |
                                   {"tfidf": 10.0, "place_other_country": -3.0})
    p, contributions = model.probability({"tfidf": 0.5, "place_other_country": 1.0, "short": 1.0})
    assert contributions == {"tfidf": 5.0, "place_other_country": -3.0}
    assert p == pytest.approx(1 / (1 + 2.718281828459045 ** -(-2.0 + 5.0 - 3.0)))


def test_packaged_weights_say_what_they_were_fitted_on() -> None:
    data = orjson.loads(event_model.PACKAGED.read_bytes())
    for mode, entry in data["models"].items():
        model = event_model.load(mode)
        assert model.trained_on and "giveme5w1h" not in model.trained_on
        assert set(model.weights) == set(event_features.NAMES[mode]) and model.weights[
            "embedding" if mode == "semantic" else "tfidf"] > 0
        assert entry["pairs"]


def test_a_weights_file_for_other_features_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(orjson.dumps({"models": {"lexical": {"intercept": 0, "weights": {"tfidf": 1}}}}))
    with pytest.raises(event_model.WeightsError, match="refit"):
        event_model.load("lexical", path)
    with pytest.raises(event_model.WeightsError, match="no model for semantic"):
        event_model.load("semantic", path)
    with pytest.raises(event_model.WeightsError, match="No such file"):
        event_model.load("lexical", tmp_path / "missing.json")


def test_members_show_the_features_and_their_contributions() -> None:
    one = Article(id="a1", title="Earthquake of magnitude 7 strikes Chile coast near Valparaiso",
                  text="VALPARAISO, Chile - A strong earthquake of magnitude 7 struck the Chilean coast near "
                       "Valparaiso on Monday, officials said.", source="one.example.org")
    two = Article(id="a2", title="Strong earthquake strikes Chile near Valparaiso, officials say",
                  text="SANTIAGO, Chile - An earthquake of magnitude 7 hit the coast near Valparaiso on Monday, "
                       "Chilean officials said, and rescuers searched collapsed homes.", source="two.example.org")
    results = run_seeds(lexical_settings(event_decision="model"), [one, two])[1]
    assert results["a1"].event.id == results["a2"].event.id
    evidence = results["a2"].assignment.evidence
    assert evidence["decision"] == "model" and evidence["outcome"] == "joined"
    assert evidence["probability"] >= evidence["threshold"]
    assert evidence["features"]["tfidf"]["contribution"] > 0
    assert "place_same_country" in evidence["features"]  # Valparaiso and Santiago: two cities of Chile
    total = evidence["intercept"] + sum(f["contribution"] for f in evidence["features"].values())
    assert 1 / (1 + 2.718281828459045 ** -total) == pytest.approx(evidence["probability"], abs=1e-3)
    member = results["a2"].event.members[-1]
    assert member["evidence"] == evidence


def test_seeds_with_the_model_decision_are_four_events_and_say_why() -> None:
    from tests.core.test_seeds import UZBEKISTAN, real_seeds

    results = run_seeds(lexical_settings(event_decision="model"), real_seeds())[1]
    assert len({r.event.id for r in results.values()}) == 4
    uzbekistan = results[UZBEKISTAN].assignment
    assert uzbekistan.created and any("country Uzbekistan/Kazakhstan" in m for m in uzbekistan.matched)
    assert uzbekistan.evidence["outcome"] == "kept apart: country Uzbekistan/Kazakhstan"
    assert uzbekistan.evidence["features"]["place_other_country"]["value"] == 1.0
