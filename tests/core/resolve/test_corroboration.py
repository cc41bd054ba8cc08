"""streams/core/resolve/corroboration.py: the same event date and a shared actor (or the same sure place) lower
the similarity an item needs to join an active event; unknown facts never do.

Similarities are set exactly with hand-made unit embeddings (cosine with ``vec(1.0)`` = the argument)."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pytest

from streams.core.prepare.extract import EventDate, Facts
from streams.core.prepare.gazetteer import gazetteer
from streams.core.resolve.events import EventIndex
from streams.settings import Settings

T0 = datetime(2024, 3, 7, 12, tzinfo=UTC).timestamp()
S = Settings(event_similarity=0.53, event_similarity_strong=0.65, event_corroborated_factor=0.75)
BELOW = 0.45  # under the plain threshold 0.53, over 0.75 * 0.53 ~ 0.40
DAY = date(2024, 3, 6)
TEXT = " ".join(["word"] * 60)  # an article, not a headline-only item


def vec(cosine: float) -> np.ndarray:
    return np.array([cosine, math.sqrt(max(0.0, 1 - cosine * cosine)), 0.0], dtype=np.float32)


def facts(day: date | None = DAY, actors: tuple[str, ...] = ("Jane Doe",), kind: str = "attack",
          place: str = "") -> Facts:
    location = gazetteer().lookup(place) if place else None
    return Facts(event_type=kind, event_date=EventDate(day, "explicit") if day else None, actors=list(actors),
                 location=location, location_source="dateline" if location else "")


def joins(first: Facts, second: Facts, settings: Settings = S) -> tuple[bool, list[str]]:
    index = EventIndex(settings.events)
    _, a = index.assign("a", "story-a", "a.example", T0, first, TEXT, vec(1.0))
    assignment, b = index.assign("b", "story-b", "b.example", T0 + 3600, second, TEXT, vec(BELOW))
    return a.id == b.id, assignment.matched


def test_same_date_and_shared_actor_join_below_the_plain_threshold() -> None:
    joined, why = joins(facts(), facts())
    assert joined and "corroborated:date+actor" in why


def test_same_date_and_same_dateline_city_join() -> None:
    joined, why = joins(facts(actors=(), place="Lyon"), facts(actors=(), place="Lyon"))
    assert joined and "corroborated:date+place" in why


@pytest.mark.parametrize("second", [
    facts(day=None),                         # unknown date: no corroboration (and no mismatch)
    facts(day=date(2024, 3, 1)),             # another day
    facts(actors=("John Roe",)),             # nobody shared
    facts(kind="summit"),                    # an attack is not a summit
])
def test_one_fact_alone_does_not_lower_the_bar(second: Facts) -> None:
    assert joins(facts(), second)[0] is False


def test_factor_one_switches_it_off() -> None:
    assert joins(facts(), facts(), S.replace(event_corroborated_factor=1.0))[0] is False
