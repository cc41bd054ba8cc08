"""Features of an (article, candidate event) pair: who, what, where, when, and text similarity.

Every feature is a number, 0 when the fact is unknown on either side (unknown is never a mismatch: it is
its own value, the all-zero one of its group). The pair classifier (``event_model``) weighs them; the
names below are the keys of its weights file.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from streams.core.prepare import names as person_names
from streams.core.prepare.extract import Facts, compatible_types
from streams.core.prepare.gazetteer import Place
from streams.core.resolve import tfidf

if TYPE_CHECKING:
    from streams.core.resolve.events import Event

DAY = 86400.0
SHORT_WORDS = 50
"""An article whose title and text hold fewer words is a headline-only item (title, maybe a summary)."""
EXACT_DATE_SOURCES = frozenset({"explicit", "weekday", "month_day", "relative"})
RECURRING_TYPES = frozenset({"summit", "call", "visit", "bilateral_meeting"})
GAP_SCALE_DAYS = 365.0

TEXT = ("tfidf",)
FACTS = ("short", "tfidf_short", "actors_shared", "actors_apart", "orgs_shared", "orgs_apart",
         "place_same", "place_within", "place_same_country", "place_other_country",
         "date_same", "date_near", "date_far", "seen_gap", "type_same", "type_conflict", "type_conflict_recurring")
NAMES = {"lexical": TEXT + FACTS, "semantic": ("embedding", "embedding_short") + TEXT + FACTS}
"""The features of each mode, in the order of the weights."""
SIGNS = {"tfidf": 1, "embedding": 1, "actors_shared": 1, "orgs_shared": 1, "place_same": 1, "place_within": 1,
         "date_same": 1, "type_same": 1, "actors_apart": -1, "orgs_apart": -1, "place_other_country": -1,
         "date_far": -1, "seen_gap": -1, "type_conflict": -1, "type_conflict_recurring": -1}
"""The direction a fact can push the decision (+1 towards "same event", -1 away); the others are free (the
short-item terms, two cities of one country, dates 2-7 days apart). Fitting keeps each weight on its side
(0 when the data would want the other one), so every contribution reads the way the fact does."""


class Article:
    """What the features need of the article being placed, computed once for all its candidate events."""

    def __init__(self, facts: Facts, text: str, vector: tfidf.SparseVector, embedding: np.ndarray | None,
                 timestamp: float) -> None:
        self.facts = facts
        self.vector = vector
        self.embedding = embedding
        self.timestamp = timestamp
        self.short = len(text.split()) < SHORT_WORDS
        self.actor_keys = person_names.keys(facts.actors)
        self.orgs = set(facts.organisations[:5])


def features(event: Event, article: Article, semantic: bool) -> dict[str, float]:
    """The named features of joining ``article`` to ``event``."""
    out = {"tfidf": tfidf.cosine(article.vector, event.unit_centroid), "short": float(article.short)}
    out["tfidf_short"] = out["tfidf"] * out["short"]
    if semantic:
        out["embedding"] = _embedding_cosine(article.embedding, event.embedding)
        out["embedding_short"] = out["embedding"] * out["short"]
    out.update(_overlap("actors", article.actor_keys, set(event.actor_keys)))
    out.update(_overlap("orgs", article.orgs, set(event.organisations)))
    out.update(place_relation(article.facts.location, event.location))
    out.update(_dates(article.facts, event))
    out["seen_gap"] = _seen_gap(article.timestamp, event)
    out.update(_types(article.facts.event_type, event.type))
    return out


def _embedding_cosine(embedding: Any, centroid: Any) -> float:
    if embedding is None or centroid is None:
        return 0.0
    norm = float(np.linalg.norm(centroid)) or 1.0
    return float(embedding @ centroid) / norm


def _overlap(name: str, mine: set[str], theirs: set[str]) -> dict[str, float]:
    """Shared names (0, 0.5 for one, 1 for two or more) and, when both sides name some, none shared."""
    shared = len(mine & theirs)
    return {f"{name}_shared": min(shared, 2) / 2, f"{name}_apart": float(bool(mine and theirs and not shared))}


def place_relation(a: Place | None, b: Place | None) -> dict[str, float]:
    """Where the two places stand in the hierarchy city < (state) < country: the same place; one within the
    other (a city in the other's country: Astana and Kazakhstan); two cities of one country; two countries.
    Unknown on either side: all zero."""
    out = {"place_same": 0.0, "place_within": 0.0, "place_same_country": 0.0, "place_other_country": 0.0}
    if a is None or b is None:
        return out
    if a.country_code != b.country_code:
        out["place_other_country"] = 1.0
    elif a == b:
        out["place_same"] = 1.0
    elif a.kind == "country" or b.kind == "country":
        out["place_within"] = 1.0
    else:
        out["place_same_country"] = 1.0
    return out


def _dates(facts: Facts, event: Event) -> dict[str, float]:
    """The gap between the article's event date and the event's nearest one, both stated or anchored on a
    publication date or dateline: within a day, within a week, further. Unknown on either side: all zero."""
    out = {"date_same": 0.0, "date_near": 0.0, "date_far": 0.0}
    day = facts.event_date
    days = event.exact_dates
    if day is None or day.how not in EXACT_DATE_SOURCES or not days:
        return out
    gap = min(abs((day.day - d).days) for d in days)
    out["date_same" if gap <= 1 else "date_near" if gap <= 7 else "date_far"] = 1.0
    return out


def _seen_gap(timestamp: float, event: Event) -> float:
    """How far the article is from the event's coverage in publication time (0 inside it), log-scaled so
    that a year is 1."""
    days = max(0.0, event.first_seen - timestamp, timestamp - event.last_seen) / DAY
    return math.log1p(days) / math.log1p(GAP_SCALE_DAYS)


def _types(mine: str, theirs: str) -> dict[str, float]:
    out = {"type_same": 0.0, "type_conflict": 0.0, "type_conflict_recurring": 0.0}
    if mine == "other" or theirs == "other":
        return out
    if compatible_types(mine, theirs):
        out["type_same"] = 1.0
    else:
        out["type_conflict"] = 1.0
        out["type_conflict_recurring"] = float(mine in RECURRING_TYPES or theirs in RECURRING_TYPES)
    return out
