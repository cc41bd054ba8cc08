"""Event stage: online clustering of articles into real-world events, gated on facts.

An article joins the best-scoring event whose text similarity clears a threshold, unless a
*sure* fact contradicts it. Sure facts are a place from a dateline or named in the lead
(different country, or city when both name one) and, for events that recur with the same
actors (summits, calls, visits, meetings), event dates further apart than
``event_date_tolerance_days``. Weaker evidence only raises the bar: an event last covered more
than ``event_window_days`` ago (dormant, kept for ``event_retention_days``), or a date that
disagrees for a storyline type (attack, disaster, ...), needs the *strong* similarity
(``event_similarity_strong``) -- coverage of one story runs for weeks and its later articles
date their own developments. Text similarity alone would merge look-alikes such as two SCO
summits with the same leaders, which is why place and date gates stay hard for those.

With ``event_decision=model`` the text threshold is replaced by a pair classifier (``event_model``, over
``event_features``: who, what, where, when and text similarity): the article joins the most probable event
at ``event_join_probability`` or more, after the same hard gates (``event_hard_gates``); each member keeps the
features and their contributions as its ``evidence``.
"""
from __future__ import annotations

import hashlib
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

import numpy as np
import orjson

from streams.core.match.seen import packed_json
from streams.core.prepare import names as person_names
from streams.core.prepare.extract import Facts, compatible_types
from streams.core.prepare.gazetteer import Place
from streams.core.resolve import corroboration, event_features, event_model, short_items, tfidf
from streams.core.resolve.catalog import Catalog, CatalogEvent
from streams.settings import DedupSettings, EventSettings

DAY = 86400.0
TYPE_MISMATCH_PENALTY = 0.1
EXACT_DATE_SOURCES = frozenset({"explicit", "weekday", "month_day", "relative"})
SURE_LOCATION_SOURCES = frozenset({"dateline", "lead"})
RECURRING_TYPES = frozenset({"summit", "call", "visit", "bilateral_meeting"})
FACTS_KEPT = 100
"""Per event and kind of fact (names, places, dates...), the most frequent kept once there are twice as many."""
SWEEP_EVERY = 1000
"""Every this many articles, events not updated since the previous sweep drop the members that left the
per-article horizon (an updated event drops them itself). Counted in articles, not time, so that an event
updated by an article of the batch being emitted is never changed by a later article of the same batch."""

MemberEntry = tuple[float, str, str, bytes]
"""An event member as held: publication time, article id, story id, the rest of its record (a JSON list)."""
MEMBER_FIELDS = ("article", "story", "outlet", "event_date", "event_date_source", "matched", "evidence")


@dataclass
class Event:
    """An event record that grows as coverage arrives. What is derived from its counters (type, place,
    dates, label) is remembered until ``changed()``, which whatever updates the counters calls."""

    id: str
    first_seen: float
    last_seen: float
    catalog: CatalogEvent | None = None
    types: Counter = field(default_factory=Counter)
    actors: Counter = field(default_factory=Counter)
    actor_keys: Counter = field(default_factory=Counter)  # the actors' name keys (spelling variants as one)
    names: Counter = field(default_factory=Counter)
    places: Counter = field(default_factory=Counter)
    sure_places: Counter = field(default_factory=Counter)
    dates: Counter = field(default_factory=Counter)
    entities: Counter = field(default_factory=Counter)
    organisations: Counter = field(default_factory=Counter)
    entries: deque[MemberEntry] = field(default_factory=deque)  # in placement order
    size: int = 0  # every member ever, including those no longer held
    story_members: Counter = field(default_factory=Counter)  # story -> members held
    story_count: int = 0  # stories ever
    touched: int = 0  # the index of the article that last joined
    outlets: set[str] = field(default_factory=set)
    centroid_terms: array = field(default_factory=lambda: array("i"))
    centroid_weights: array = field(default_factory=lambda: array("d"))
    unit_centroid: tfidf.SparseVector = field(default_factory=dict)
    embedding: np.ndarray | None = None
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def changed(self) -> None:
        """Forget the derived values: the counters changed."""
        self.derived.clear()

    def _remembered(self, name: str, compute: Any) -> Any:
        if name not in self.derived:
            self.derived[name] = compute()
        return self.derived[name]

    @property
    def centroid(self) -> tfidf.SparseVector:
        """The TF-IDF centroid before normalising, held as two arrays (as a dict of 240 terms: ~15 KB)."""
        return dict(zip(self.centroid_terms, self.centroid_weights))

    @centroid.setter
    def centroid(self, vector: tfidf.SparseVector) -> None:
        self.centroid_terms, self.centroid_weights = array("i", vector.keys()), array("d", vector.values())

    @property
    def members(self) -> list[dict]:
        """The members still held (the last ``replay_horizon_hours`` of publication time)."""
        return _members(self.entries)

    @property
    def articles(self) -> list[str]:
        return [e[1] for e in self.entries]

    @property
    def stories(self) -> set[str]:
        """The stories of the members still held."""
        return set(self.story_members)

    def add(self, timestamp: float, article_id: str, story_id: str, rest: list[Any]) -> None:
        """``rest``: the member's other ``MEMBER_FIELDS``, in order."""
        self.entries.append((timestamp, article_id, story_id, packed_json(rest)))
        self.size += 1
        if story_id not in self.story_members:
            self.story_count += 1
        self.story_members[story_id] += 1

    def prune(self, cutoff: float) -> list[str]:
        """Drop the members published before ``cutoff`` (oldest placed first); returns stories left with none."""
        gone = []
        while self.entries and self.entries[0][0] < cutoff:
            story = self.entries.popleft()[2]
            self.story_members[story] -= 1
            if self.story_members[story] <= 0:
                del self.story_members[story]
                gone.append(story)
        return gone

    @property
    def type(self) -> str:
        return self._remembered("type", self._type)

    def _type(self) -> str:
        known = [(t, n) for t, n in self.types.most_common() if t != "other"]
        return known[0][0] if known else "other"

    @property
    def location(self) -> Place | None:
        return self._remembered("location", self._location)

    def _location(self) -> Place | None:
        places = self.sure_places or self.places
        return places.most_common(1)[0][0] if places else None

    @property
    def sure_location(self) -> Place | None:
        """The most frequent sure place (a dateline or named in the lead)."""
        return self._remembered("sure_location", lambda: self.sure_places.most_common(1)[0][0]
                                if self.sure_places else None)

    @property
    def exact_dates(self) -> list[date]:
        """The stated or inferred dates of the members, sorted (a new list: the caller may change it)."""
        return list(self._remembered("exact_dates", lambda: tuple(sorted(
            d for (d, how) in self.dates if how in EXACT_DATE_SOURCES))))

    @property
    def exact_days(self) -> frozenset[date]:
        """The same dates as a set, for membership tests."""
        return self._remembered("exact_days", lambda: frozenset(self.exact_dates))

    @property
    def date_range(self) -> tuple[date, date] | None:
        days = self.exact_dates or sorted(d for d, _ in self.dates)
        return (days[0], days[-1]) if days else None

    @property
    def date_source(self) -> str | None:
        """Where the event date comes from: "text" (stated), "inferred" (a weekday or relative date resolved
        against a publication date or dateline), "catalog" (a watched event's own date), None (unknown)."""
        if self.dates:
            return "inferred" if self.date_inferred else "text"
        return "catalog" if self.catalog is not None and self.catalog.date_from else None

    @property
    def main_date(self) -> date | None:
        return self._remembered("main_date", self._main_date)

    def _main_date(self) -> date | None:
        if not self.dates and self.catalog is not None:
            return self.catalog.date_from
        exact: Counter = Counter()  # each day's members, days in the order first seen
        for (day, how), n in self.dates.items():
            if how in EXACT_DATE_SOURCES and n > 0:
                exact[day] += n
        if exact:
            return exact.most_common(1)[0][0]
        span = self.date_range
        return span[0] if span else None

    @property
    def date_inferred(self) -> bool:
        """True when no member states the date outright (it came from weekdays or publication dates)."""
        return not any(how == "explicit" for (_, how) in self.dates)

    @property
    def label(self) -> str:
        return self._remembered("label", self._label)

    def _label(self) -> str:
        if self.catalog is not None:
            return self.catalog.name
        name = self.names.most_common(1)[0][0] if self.names else self.type.replace("_", " ").capitalize()
        parts = [name]
        if not self.names and self.actors:
            parts.append(" – ".join(sorted(a for a, _ in person_names.fold(self.actors).most_common(2))))
        if self.location is not None:
            parts.append(self.location.label)
        if self.main_date is not None:
            parts.append(self.main_date.isoformat())
        return " · ".join(parts)

    def as_dict(self, listed: int | None = None) -> dict[str, Any]:
        """The event record: its members held, or the last ``listed`` placed of them, and their stories;
        ``size`` and ``outlets`` count every member."""
        span = self.date_range
        entries = list(self.entries if listed is None else islice(self.entries, max(0, len(self.entries) - listed),
                                                                  None))
        return {
            "id": self.id, "label": self.label, "type": self.type,
            "catalog_id": self.catalog.id if self.catalog else None,
            "actors": [a for a, _ in person_names.fold(self.actors).most_common(5)],
            "location": self.location.label if self.location else None,
            "date": self.main_date.isoformat() if self.main_date else None,
            "date_range": [span[0].isoformat(), span[1].isoformat()] if span else None,
            "date_inferred": self.date_inferred if self.dates else None, "date_source": self.date_source,
            "first_seen": self.first_seen, "last_seen": self.last_seen,
            "articles": [e[1] for e in entries], "size": self.size, "stories": sorted({e[2] for e in entries}),
            "outlets": sorted(self.outlets), "members": _members(entries),
        }


def _members(entries: Iterable[MemberEntry]) -> list[dict]:
    return [dict(zip(MEMBER_FIELDS, (a, s, *orjson.loads(rest)))) for _, a, s, rest in entries]


@dataclass
class Assignment:
    event_id: str
    created: bool
    score: float | None
    matched: list[str]
    evidence: dict[str, Any] | None = None
    """The model decision's figures: probability, threshold, and each feature's value and contribution."""


class EventIndex:
    """Online event clustering with fact gates, a catalog and a bounded set of open events."""

    def __init__(self, settings: EventSettings, catalog: Catalog | None = None,
                 replay_horizon_hours: float = DedupSettings().replay_horizon_hours, semantic: bool = False) -> None:
        self.settings = settings
        self.catalog = catalog or Catalog()
        self.vectorizer = tfidf.OnlineTfidf()
        self.events: dict[str, Event] = {}
        self._event_of_story: dict[str, str] = {}
        self.window = settings.event_window_days * DAY
        self.retention = max(settings.event_retention_days * DAY, self.window)
        self.members_kept = replay_horizon_hours * 3600  # members listed in event records
        self.newest = float("-inf")
        self._placed = 0
        self._swept_at = 0
        self.model = event_model.load("semantic" if semantic else "lexical", settings.event_weights) \
            if settings.event_decision == "model" else None

    def assign(self, article_id: str, story_id: str, outlet: str, timestamp: float, facts: Facts,
               text: str, embedding: np.ndarray | None = None) -> tuple[Assignment, Event]:
        """Tag one article with an event, creating the event if none matches."""
        self.newest = max(self.newest, timestamp)
        self._placed += 1
        vector = self.vectorizer.vector(text)
        event, score, matched, watched, evidence = self._find(story_id, timestamp, facts, text, vector, embedding)
        created = event is None
        if event is None:
            event = self._create(article_id, timestamp, watched)
        self._update(event, article_id, story_id, outlet, timestamp, facts, vector, embedding, matched, evidence)
        self._expire(timestamp)
        return Assignment(event.id, created, score, matched, evidence), event

    # -- matching -------------------------------------------------------------------------------
    def _find(self, story_id: str, timestamp: float, facts: Facts, text: str, vector: tfidf.SparseVector,
              embedding: np.ndarray | None) -> tuple[Event | None, float | None, list[str], CatalogEvent | None,
                                                    dict[str, Any] | None]:
        if story_id in self._event_of_story and self._event_of_story[story_id] in self.events:
            return self.events[self._event_of_story[story_id]], None, ["same story"], None, None
        hit = self.catalog.match(text[:1500], facts, self.settings.event_date_tolerance_days)
        if hit is not None:
            watched, why = hit
            return self.events.get(watched.id), None, why, watched, None
        if self.model is not None:
            article = event_features.Article(facts, text, vector, embedding, timestamp)
            best, p, why, evidence = self._find_by_model(self.model, article, facts, vector, embedding)
            return best, p, why, None, evidence
        best, best_score, best_why = self._find_by_threshold(timestamp, facts, vector, embedding,
                                                             short_items.is_short(text))
        return best, best_score, best_why, None, None

    def _candidates(self, timestamp: float) -> list[Event]:
        """The events an article may join: retained ones that are not watched catalog events."""
        return [e for e in self.events.values() if e.catalog is None and self._retained(e, timestamp)]

    def _find_by_model(self, model: event_model.EventModel, article: event_features.Article, facts: Facts,
                       vector: tfidf.SparseVector, embedding: np.ndarray | None
                       ) -> tuple[Event | None, float | None, list[str], dict[str, Any] | None]:
        """The event with the highest probability of "same event", if it reaches ``event_join_probability``
        (sure facts first keep events apart when ``event_hard_gates``). Evidence: the features of the pair
        decided on (the event joined, or for a new event the most probable one it did not join)."""
        semantic = model.mode == "semantic"
        needed = self.settings.event_join_probability
        scored = []  # (p, contributions, features, event, the hard gate that keeps them apart or "")
        for event in self._candidates(article.timestamp):
            gate = ""
            if self.settings.event_hard_gates:
                conflict, hard = _conflict(event, facts, self.settings.event_date_tolerance_days,
                                           self.settings.event_window_days)
                gate = conflict if hard else ""
            features = event_features.features(event, article, semantic)
            scored.append((*model.probability(features), features, event, gate))
        joinable = [item for item in scored if not item[4]]
        best = max(joinable, key=lambda item: item[0]) if joinable else None
        if best is not None and best[0] >= needed:
            p, contributions, features, event, _ = best
            why = [f"p:{p:.2f}"] + self._why(event, facts, *self._similarity(event, facts, vector, embedding)[1:])
            return event, p, why, _evidence(model, p, needed, features, contributions, event.id, "joined")
        if not scored:
            return None, None, [], None
        # A new event: the most probable event it did not join, and why (a sure fact, or too low a probability).
        p, contributions, features, event, gate = max(scored, key=lambda item: item[0])
        why = [f"apart:{event.id}:{gate}", f"p:{p:.2f}"] if gate else [f"apart:{event.id}:p {p:.2f}"]
        outcome = f"kept apart: {gate}" if gate else "closest, not joined"
        return None, None, why, _evidence(model, p, needed, features, contributions, event.id, outcome)

    def _find_by_threshold(self, timestamp: float, facts: Facts, vector: tfidf.SparseVector,
                           embedding: np.ndarray | None, short: bool = False
                           ) -> tuple[Event | None, float | None, list[str]]:
        """``short``: a headline-only item, held to its own thresholds (``short_items``)."""
        threshold, strong = short_items.thresholds(self.settings, embedding is not None, short)
        best, best_score, best_text, best_notes = None, threshold, (0.0, ""), []
        kept_apart: list[tuple[Event, str]] = []
        for event in self._candidates(timestamp):
            conflict, hard = _conflict(event, facts, self.settings.event_date_tolerance_days,
                                       self.settings.event_window_days)
            if hard:
                kept_apart.append((event, conflict))
                continue
            score, text_score, signal = self._similarity(event, facts, vector, embedding)
            # A dormant event or a disagreeing (soft) date asks for the strong similarity.
            plain = not conflict and self._open(event, timestamp)
            needed = threshold if plain else strong
            why_lower = self._corroborated(event, facts) if plain else ""  # facts may lower the plain one
            needed *= self.settings.event_corroborated_factor if why_lower else 1.0
            if score >= needed and (best is None or score >= best_score):
                best, best_score, best_text = event, score, (text_score, signal)
                best_notes = ([f"despite:{conflict}"] if conflict else []) \
                    + ([f"corroborated:{why_lower}"] if why_lower and needed < threshold else [])
        if best is None:
            return None, None, self._apart(kept_apart, facts, vector, embedding, threshold)
        return best, best_score, self._why(best, facts, *best_text) + best_notes

    def _corroborated(self, event: Event, facts: Facts) -> str:
        if self.settings.event_corroborated_factor >= 1.0:
            return ""
        return corroboration.corroborated(event, facts, self.settings.event_date_tolerance_days)

    def _apart(self, kept_apart: list[tuple[Event, str]], facts: Facts, vector: tfidf.SparseVector,
               embedding: np.ndarray | None, threshold: float) -> list[str]:
        """Evidence of a new event: the most similar event that a sure fact kept it apart from, and which fact
        ("apart:<event id>:place" ...), when its text alone would have joined it."""
        scored = [(self._similarity(e, facts, vector, embedding)[0], e, why) for e, why in kept_apart]
        close = [(score, e, why) for score, e, why in scored if score >= threshold]
        if not close:
            return []
        score, event, why = max(close, key=lambda item: item[0])
        return [f"apart:{event.id}:{why}", f"similarity:{score:.2f}"]

    def _open(self, event: Event, timestamp: float) -> bool:
        """Active: covered within ``event_window_days`` of this article (either side)."""
        return event.first_seen - self.window <= timestamp <= event.last_seen + self.window

    def _retained(self, event: Event, timestamp: float) -> bool:
        """Still joinable (with the strong similarity when not active): within ``event_retention_days``."""
        return event.first_seen - self.retention <= timestamp <= event.last_seen + self.retention

    def _similarity(self, event: Event, facts: Facts, vector: tfidf.SparseVector,
                    embedding: np.ndarray | None) -> tuple[float, float, str]:
        """(score, text similarity, its signal): the text similarity to the event's centroid (lead embedding if
        available, else TF-IDF), lowered in the score when the event types cannot be the same happening."""
        if embedding is not None and event.embedding is not None:
            norm = float(np.linalg.norm(event.embedding)) or 1.0
            text_score, signal = float(embedding @ event.embedding) / norm, "embedding"
        else:
            text_score, signal = tfidf.cosine(vector, event.unit_centroid), "tfidf"
        score = text_score
        if facts.event_type != "other" and event.type != "other" \
                and not compatible_types(facts.event_type, event.type) and (facts.event_type in RECURRING_TYPES or event.type in RECURRING_TYPES):
            score -= TYPE_MISMATCH_PENALTY
        return score, text_score, signal

    @staticmethod
    def _why(event: Event, facts: Facts, text_score: float, signal: str) -> list[str]:
        """What an article shares with the event it joined: the text similarity, names, actors, type, place, day
        (worked out for the chosen event only)."""
        names = set(facts.people[:6]) | set(facts.organisations[:4])
        why = [f"{signal}:{text_score:.2f}"] + [f"entity:{n}" for n in sorted(n for n in names if n in event.entities)[:5]]
        shared = person_names.keys(facts.actors) & event.actor_keys.keys()
        if shared:
            why.append(f"actors:{len(shared)}")
        if facts.event_type != "other" and compatible_types(facts.event_type, event.type):
            why.append(f"type:{facts.event_type}")
        if facts.location is not None and facts.location == event.location:
            why.append(f"place:{facts.location.label}")
        if facts.event_date is not None and facts.event_date.day in event.exact_days:
            why.append(f"date:{facts.event_date.day.isoformat()}")
        return why

    # -- fitting the pair classifier (streams/evaluation/fit_events.py) -----------------------------
    def candidate_features(self, facts: Facts, text: str, timestamp: float, embedding: np.ndarray | None,
                           semantic: bool) -> tuple[tfidf.SparseVector, list[tuple[Event, dict[str, float]]]]:
        """The article's TF-IDF vector (the online IDF learns the text, as in ``assign``) and the features
        of every event it could join (those the hard gates leave, when ``event_hard_gates``)."""
        self.newest = max(self.newest, timestamp)
        self._placed += 1
        vector = self.vectorizer.vector(text)
        article = event_features.Article(facts, text, vector, embedding, timestamp)
        out = []
        for event in self._candidates(timestamp):
            if self.settings.event_hard_gates and _conflict(event, facts, self.settings.event_date_tolerance_days,
                                                            self.settings.event_window_days)[1]:
                continue
            out.append((event, event_features.features(event, article, semantic)))
        return vector, out

    def put(self, event_id: str | None, article_id: str, outlet: str, timestamp: float, facts: Facts,
            vector: tfidf.SparseVector, embedding: np.ndarray | None) -> Event:
        """Place the article in a known event (``event_id``; None or unknown: a new one), as ``assign`` would
        have: the gold placement that fitting replays."""
        event = self.events.get(event_id or "") or self._create(article_id, timestamp, None)
        self._update(event, article_id, article_id, outlet, timestamp, facts, vector, embedding, [])
        self._expire(timestamp)
        return event

    # -- state ----------------------------------------------------------------------------------
    def _create(self, article_id: str, timestamp: float, watched: CatalogEvent | None) -> Event:
        event_id = watched.id if watched else "event-" + hashlib.sha1(article_id.encode()).hexdigest()[:12]
        event = Event(id=event_id, first_seen=timestamp, last_seen=timestamp, catalog=watched)
        self.events[event.id] = event
        return event

    def _update(self, event: Event, article_id: str, story_id: str, outlet: str, timestamp: float,
                facts: Facts, vector: tfidf.SparseVector, embedding: np.ndarray | None, matched: list[str],
                evidence: dict[str, Any] | None = None) -> None:
        event.first_seen = min(event.first_seen, timestamp)
        event.last_seen = max(event.last_seen, timestamp)
        event.types[facts.event_type] += 1
        event.actors.update(facts.actors)
        event.actor_keys.update(person_names.keys(facts.actors))
        event.entities.update(set(facts.people[:8]) | set(facts.organisations[:5]))
        event.organisations.update(set(facts.organisations[:5]))
        if facts.name_hint:
            event.names[facts.name_hint] += 1
        if facts.location is not None:
            event.places[facts.location] += 1
            if facts.location_source in SURE_LOCATION_SOURCES:
                event.sure_places[facts.location] += 1
        if facts.event_date is not None:
            event.dates[(facts.event_date.day, facts.event_date.how)] += 1
        event.centroid = tfidf.add_into(event.centroid, vector)
        event.unit_centroid = tfidf.normalise(event.centroid)
        if embedding is not None:
            event.embedding = embedding.astype(np.float32) if event.embedding is None \
                else event.embedding + embedding.astype(np.float32)
        event.add(timestamp, article_id, story_id, [
            outlet, facts.event_date.day.isoformat() if facts.event_date else None,
            facts.event_date.how if facts.event_date else None, matched, evidence])
        event.outlets.add(outlet)
        event.touched = self._placed
        self._forget_stories(event, event.prune(self.newest - self.members_kept))
        for counter in (event.actors, event.actor_keys, event.entities, event.organisations, event.names,
                        event.places, event.sure_places, event.dates):
            _cap(counter)
        event.changed()
        self._event_of_story[story_id] = event.id

    def _expire(self, timestamp: float) -> None:
        """Drop events dormant for ``event_retention_days``, and members older than the per-article horizon
        (``replay_horizon_hours``) behind the newest article (see ``SWEEP_EVERY``)."""
        horizon = timestamp - self.retention
        for key in [k for k, e in self.events.items() if e.last_seen < horizon and e.catalog is None]:
            event = self.events.pop(key)
            self._forget_stories(event, list(event.story_members))
        if self._placed - self._swept_at >= SWEEP_EVERY:
            for event in self.events.values():
                if event.touched <= self._swept_at:
                    self._forget_stories(event, event.prune(self.newest - self.members_kept))
            self._swept_at = self._placed

    def _forget_stories(self, event: Event, stories: Any) -> None:
        for story in stories:
            if self._event_of_story.get(story) == event.id:
                del self._event_of_story[story]

    def state_size(self) -> dict[str, int]:
        return {"events": len(self.events), "event_stories": len(self._event_of_story),
                "event_members": sum(len(e.entries) for e in self.events.values())}

    def member_parts(self) -> list[object]:
        """The per-article part of the state (members held, story -> event), for measuring its bytes."""
        return [self._event_of_story, *(part for e in self.events.values() for part in (e.entries, e.story_members))]


def _cap(counter: Counter) -> None:
    """Keep the ``FACTS_KEPT`` most frequent values once a counter holds twice as many."""
    if len(counter) > 2 * FACTS_KEPT:
        top = counter.most_common(FACTS_KEPT)
        counter.clear()
        counter.update(dict(top))


def _evidence(model: event_model.EventModel, p: float, needed: float, features: dict[str, float],
              contributions: dict[str, float], event_id: str, outcome: str) -> dict[str, Any]:
    """What a member shows of the model decision: the probability against the threshold, the intercept,
    and every known feature with its value and its contribution to the log-odds."""
    return {"decision": "model", "outcome": outcome, "event": event_id, "probability": round(p, 4),
            "threshold": needed, "intercept": round(model.intercept, 4), "trained_on": list(model.trained_on),
            "features": {name: {"value": round(value, 4), "contribution": round(contributions.get(name, 0.0), 4)}
                         for name, value in features.items() if value}}


def _conflict(event: Event, facts: Facts, tolerance_days: float, window_days: float = 0.0) -> tuple[str, bool]:
    """Why the article may not belong to the event ('' if nothing contradicts it), and whether
    that is hard (sure facts: never joined) or soft (only a strong text similarity joins)."""
    # Summits, calls and visits recur with the same actors and words: their city and date decide.
    # A storyline (attack, crash, leak...) is covered for weeks from several places, each article
    # dating its own news: there a city or date that disagrees only raises the bar.
    recurring = facts.event_type in RECURRING_TYPES and event.type in RECURRING_TYPES
    if recurring and not compatible_types(facts.event_type, event.type):
        return f"type {facts.event_type}/{event.type}", True  # a call is not a summit, whoever took part
    location = event.sure_location
    if facts.location is not None and facts.location_source in SURE_LOCATION_SOURCES and location is not None:
        if facts.location.country_code != location.country_code:
            return f"country {facts.location.country}/{location.country}", recurring
        if facts.location.kind == "city" and location.kind == "city" and facts.location != location:
            return f"city {facts.location.name}/{location.name}", recurring
    day = facts.event_date
    if day is not None and day.how in EXACT_DATE_SOURCES and event.exact_dates:
        gap = min(abs((day.day - d).days) for d in event.exact_dates)
        if gap > (tolerance_days if recurring else max(tolerance_days, window_days)):
            return f"date {day.day.isoformat()}, {gap} days off", recurring
    return "", False
