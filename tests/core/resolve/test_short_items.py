"""streams/core/resolve/short_items.py: a headline-only item is held to its own similarity thresholds.

Similarities are set exactly with hand-made unit embeddings (cosine with ``vec(1.0)`` = the argument)."""
from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from streams.core.prepare.extract import Facts
from streams.core.resolve import short_items
from streams.core.resolve.events import EventIndex
from streams.settings import Settings

T0 = datetime(2024, 3, 7, 12, tzinfo=UTC).timestamp()
S = Settings(event_similarity=0.53, event_similarity_strong=0.65, event_similarity_short=0.4,
             event_similarity_lexical=0.18, event_similarity_strong_lexical=0.2,
             event_similarity_short_lexical=0.06)
ARTICLE = " ".join(["word"] * short_items.SHORT_WORDS)
HEADLINE = "Earthquake strikes the coast of Chile"


def vec(cosine: float) -> np.ndarray:
    return np.array([cosine, math.sqrt(max(0.0, 1 - cosine * cosine)), 0.0], dtype=np.float32)


def test_is_short_counts_words() -> None:
    assert short_items.is_short(HEADLINE)
    assert not short_items.is_short(ARTICLE)


def test_thresholds_of_articles_and_short_items() -> None:
    assert short_items.thresholds(S.events, True, False) == (0.53, 0.65)
    assert short_items.thresholds(S.events, False, False) == (0.18, 0.2)
    low, strong = short_items.thresholds(S.events, True, True)
    assert low == 0.4 and strong == pytest.approx(0.65 - (0.53 - 0.4))  # strong lowered by the same amount
    low, strong = short_items.thresholds(S.events, False, True)
    assert low == 0.06 and strong == pytest.approx(0.08)


def test_the_strong_threshold_is_never_below_the_plain_one() -> None:
    settings = S.replace(event_similarity_strong=0.5, event_similarity_short=0.45)
    assert short_items.thresholds(settings.events, True, False) == (0.53, 0.53)
    assert short_items.thresholds(settings.events, True, True) == (0.45, 0.45)


@pytest.mark.parametrize(("text", "joins"), [(HEADLINE, True), (ARTICLE, False)])
def test_a_headline_joins_where_an_article_would_not(text: str, joins: bool) -> None:
    index = EventIndex(S.events)
    _, first = index.assign("a", "story-a", "a.example", T0, Facts(), "first report " + ARTICLE, vec(1.0))
    assignment, second = index.assign("b", "story-b", "b.example", T0 + 60, Facts(), text, vec(0.47))
    assert (second.id == first.id) is joins and assignment.created is not joins
