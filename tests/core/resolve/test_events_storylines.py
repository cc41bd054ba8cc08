"""streams/core/resolve/events.py: storylines (attacks, leaks, crashes...) gather coverage over weeks, while events
that recur with the same actors (summits, calls, visits, meetings) stay apart on their sure facts.

The text similarity is controlled exactly with hand-made unit embeddings, so each test states the
cosine it relies on relative to the shipped thresholds."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pytest

from streams.core.prepare.extract import EventDate, Facts
from streams.core.prepare.gazetteer import gazetteer
from streams.core.resolve.events import EventIndex
from streams.settings import Settings

DAY = 86400.0
T0 = datetime(2024, 3, 7, 12, tzinfo=UTC).timestamp()
S = Settings()


def vec(cosine: float) -> np.ndarray:
    """A unit vector whose cosine with ``vec(1.0)`` is ``cosine``."""
    return np.array([cosine, math.sqrt(max(0.0, 1 - cosine * cosine)), 0.0], dtype=np.float32)


def facts(kind: str = "attack", day: date | None = None, how: str = "weekday", place: str = "",
          source: str = "dateline") -> Facts:
    location = gazetteer().lookup(place) if place else None
    return Facts(event_type=kind, event_date=EventDate(day, how) if day else None,
                 location=location, location_source=source if location else "")


def two(first: Facts, second: Facts, cosine: float, days_later: float = 0.0, settings: Settings = S):
    """Index two articles (different stories); return both events and the second assignment."""
    index = EventIndex(settings.events)
    _, a = index.assign("a", "story-a", "a.example", T0, first, "first report", vec(1.0))
    assignment, b = index.assign("b", "story-b", "b.example", T0 + days_later * DAY, second, "second report",
                                 vec(cosine))
    return a, b, assignment


def between(low: float, high: float) -> float:
    assert low < high
    return (low + high) / 2


RELATED = between(S.event_similarity, S.event_similarity_strong)  # related story, not surely the same
STRONG = between(S.event_similarity_strong, 1.0)  # surely the same story


def test_shipped_thresholds_are_ordered():
    assert S.event_similarity < S.event_similarity_strong
    assert S.event_similarity_lexical < S.event_similarity_strong_lexical
    assert S.event_retention_days > S.event_window_days


def test_related_article_joins_an_active_event():
    a, b, assignment = two(facts(), facts(), RELATED, days_later=2)
    assert b.id == a.id and assignment.created is False


def test_dormant_event_needs_the_strong_similarity():
    later = S.event_window_days + 10
    a, b, _ = two(facts(), facts(), RELATED, days_later=later)
    assert b.id != a.id
    a, b, _ = two(facts(), facts(), STRONG, days_later=later)
    assert b.id == a.id


def test_window_counts_from_the_last_article_of_the_event():
    index = EventIndex(S.events)
    step = S.event_window_days * 0.8
    ids = {index.assign(str(n), f"story-{n}", "x.example", T0 + n * step * DAY, facts(), "report", vec(1.0))[1].id
           for n in range(4)}
    assert len(ids) == 1  # 2.4 windows after the first article, still active through the later ones
    assert index._open(next(iter(index.events.values())), T0 + 3 * step * DAY + S.event_window_days * DAY * 0.9)


def test_beyond_retention_nothing_joins_and_the_event_is_dropped():
    a, b, _ = two(facts(), facts(), 0.99, days_later=S.event_retention_days + 5)
    assert b.id != a.id


def test_expired_events_leave_the_index():
    index = EventIndex(S.events)
    index.assign("a", "story-a", "a.example", T0, facts(), "report", vec(1.0))
    index.assign("b", "story-b", "b.example", T0 + (S.event_retention_days + 5) * DAY, facts(), "report", vec(0.0))
    assert index.state_size() == {"events": 1, "event_stories": 1, "event_members": 1}


def test_storyline_dates_within_the_window_do_not_disagree():
    a, b, assignment = two(facts(day=date(2024, 3, 7)), facts(day=date(2024, 3, 3)), RELATED, days_later=1)
    assert b.id == a.id and not any(m.startswith("despite") for m in assignment.matched)


def test_storyline_dates_further_apart_need_the_strong_similarity():
    first, second = facts(day=date(2024, 3, 7)), facts(day=date(2024, 2, 20))
    a, b, _ = two(first, second, RELATED, days_later=1)
    assert b.id != a.id
    a, b, assignment = two(first, second, STRONG, days_later=1)
    assert b.id == a.id and any(m.startswith("despite:date") for m in assignment.matched)


@pytest.mark.parametrize("kind", ["summit", "call", "visit", "bilateral_meeting"])
def test_recurring_events_on_other_dates_never_merge(kind):
    a, b, _ = two(facts(kind, date(2024, 3, 7)), facts(kind, date(2024, 3, 4)), 0.99, days_later=1)
    assert b.id != a.id


def test_recurring_events_in_other_countries_never_merge():
    a, b, _ = two(facts("summit", place="Astana"), facts("summit", place="Samarkand"), 0.99)
    assert b.id != a.id
    a, b, _ = two(facts("summit", place="Astana"), facts("summit", place="Almaty", source="lead"), 0.99)
    assert b.id != a.id  # same country, other city


def test_storyline_reported_from_another_country_needs_the_strong_similarity():
    shooting, reaction = facts(place="Las Vegas"), facts(place="London")  # a dateline is where the reporter is
    a, b, _ = two(shooting, reaction, RELATED)
    assert b.id != a.id
    a, b, assignment = two(shooting, reaction, STRONG)
    assert b.id == a.id and any(m.startswith("despite:country") for m in assignment.matched)


def test_weak_places_never_keep_events_apart():
    a, b, _ = two(facts("summit", place="Astana"), facts("summit", place="Samarkand", source="mentions"), RELATED)
    assert b.id == a.id


def test_type_mismatch_penalty_only_separates_recurring_kinds():
    just_above = S.event_similarity + 0.05  # the 0.1 penalty would take it below the threshold
    a, b, _ = two(facts("attack"), facts("economy"), just_above)  # a hack typed two ways
    assert b.id == a.id
    a, b, _ = two(facts("call"), facts("visit"), just_above)
    assert b.id != a.id


def test_lexical_thresholds_apply_without_embeddings():
    settings = S.replace(semantic=False)
    index = EventIndex(settings.events)
    text = "Equifax breach exposed data of millions of customers, the credit bureau said on Thursday."
    _, a = index.assign("a", "story-a", "a.example", T0, facts(), text, None)
    _, b = index.assign("b", "story-b", "b.example", T0 + (S.event_window_days + 3) * DAY, facts(), text, None)
    assert b.id == a.id  # identical text: strong enough to reopen the dormant event
