"""Headline-only items get their own text-similarity thresholds.

A title (maybe with a one-line summary) shares few words with an event's other coverage and its embedding
sits further from the event's centroid than a full article's, so the cut that suits articles splits
headline-only stories. An item whose title and text hold fewer than ``SHORT_WORDS`` words is *short*: it
joins an event at ``event_similarity_short`` (``event_similarity_short_lexical`` in TF-IDF mode), and its
strong threshold (dormant events, soft conflicts) is the articles' strong one lowered by the same amount.
The two short thresholds are chosen on development corpora reduced to their titles
(``streams.evaluation.loco.title_only``), never on the corpus they are scored on.
"""
from __future__ import annotations

from streams.core.resolve.event_features import SHORT_WORDS
from streams.settings import EventSettings


def is_short(text: str) -> bool:
    """A headline-only item: title and text together under ``SHORT_WORDS`` words."""
    return len(text.split()) < SHORT_WORDS


def thresholds(settings: EventSettings, semantic: bool, short: bool) -> tuple[float, float]:
    """The plain and strong similarity an item needs to join an event (the strong one never below the plain)."""
    plain = settings.event_similarity if semantic else settings.event_similarity_lexical
    strong = max(plain, settings.event_similarity_strong if semantic else settings.event_similarity_strong_lexical)
    if not short:
        return plain, strong
    low = settings.event_similarity_short if semantic else settings.event_similarity_short_lexical
    return low, max(low, strong - (plain - low))
