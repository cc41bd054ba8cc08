"""The whole article pipeline as plain Python: clean -> fingerprint -> dedup -> events -> aggregates.

The Faust agents, the evaluation commands and the benchmark all call this one object,
so what is measured is what runs in production.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from streams import metrics
from streams.aggregates import Aggregator
from streams.catalog import load_catalog
from streams.clean import Cleaner, lead
from streams.dedup import Decision, Fingerprint, Story, StoryIndex
from streams.events import Assignment, Event, EventIndex
from streams.extract import Facts, extract
from streams.fingerprint import exact_key, minhash, words
from streams.model import Article, BadRecord
from streams.semantic import Embedder, shared_embedder
from streams.settings import Settings

SEEN_IDS_KEPT = 500_000


def _text_key(article: Article) -> str:
    """Fingerprint of the raw title and text: tells a replay from an id reused for other text."""
    return hashlib.blake2b((article.title + "\x1f" + article.text).encode("utf-8", "replace"),
                           digest_size=10).hexdigest()


@dataclass
class Result:
    """Everything the pipeline decided about one article."""

    article: Article
    facts: Facts | None = None
    decision: Decision | None = None
    story: Story | None = None
    assignment: Assignment | None = None
    event: Event | None = None
    aggregates: list[dict] = field(default_factory=list)
    replayed: bool = False
    story_id: str = ""
    event_ids: list[str] = field(default_factory=list)

    @property
    def duplicate_kind(self) -> str | None:
        return self.decision.kind if self.decision and self.decision.is_duplicate else None

    def enriched(self) -> dict[str, Any]:
        """The enriched-articles record."""
        return {**self.article.as_dict(), "story_id": self.story_id, "event_ids": self.event_ids,
                "duplicate_of": self.decision.duplicate_of if self.decision else None,
                "duplicate_kind": self.duplicate_kind,
                "dedup": self.decision.as_dict() if self.decision else None,
                "facts": self.facts.as_dict() if self.facts else None,
                "sent_at": self.article.sent_at, "processed_at": time.time()}


@dataclass
class PairScore:
    similarity: float
    same_story: bool
    decision: Decision


class Pipeline:
    """Stateful, single-threaded article processor. Not thread-safe; one per worker."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder if embedder is not None else (shared_embedder() if settings.semantic else None)
        self.cleaner = Cleaner()
        self.stories = StoryIndex(settings)
        self.events = EventIndex(settings, load_catalog(settings.catalog))
        self.aggregator = Aggregator(settings.window_seconds, settings.top_events)
        self.seconds: Counter = Counter()  # cumulative seconds per stage, for the benchmark
        self._seen: OrderedDict[str, tuple[str, str, list[str]]] = OrderedDict()

    @contextmanager
    def _stage(self, name: str, count: int = 1) -> Iterator[None]:
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.seconds[name] += elapsed
        metrics.STAGE_SECONDS.labels(name).observe(elapsed / count)

    def process(self, article: Article) -> Result:
        return self.process_batch([article])[0]

    def process_batch(self, articles: Sequence[Article]) -> list[Result | BadRecord]:
        """Process articles in order; the embedding model runs once per run of distinct ids.

        A replay (known id, same text) returns the earlier decision and changes nothing;
        a known id with different text comes back as ``BadRecord('id_conflict')``.
        """
        results: list[Result | BadRecord] = []
        run: list[Article] = []
        for article in articles:
            if any(article.id == other.id for other in run):  # a repeat must see the first one placed
                results += self._process_distinct(run)
                run = []
            run.append(article)
        return results + self._process_distinct(run)

    def _process_distinct(self, articles: Sequence[Article]) -> list[Result | BadRecord]:
        fresh, out = [], []
        for article in articles:
            known = self._seen.get(article.id)
            out.append(known)
            if known is None:
                fresh.append(article)
        prepared = iter(self._prepare(fresh))
        results: list[Result | BadRecord] = []
        for article, known in zip(articles, out):
            if known is not None:
                results.append(self._replayed(article, known))
                continue
            cleaned, fp, facts = next(prepared)
            results.append(self._place(article, cleaned, fp, facts))
        return results

    def _replayed(self, article: Article, known: tuple[str, str, list[str]]) -> Result | BadRecord:
        text_key, story_id, event_ids = known
        if text_key != _text_key(article):
            return BadRecord("id_conflict", f"id {article.id} was already used for a different text")
        metrics.REPLAYED_SKIPPED.inc()
        return Result(article=article, replayed=True, story_id=story_id, event_ids=event_ids)

    def _prepare(self, articles: Sequence[Article]) -> list[tuple[str, Fingerprint, Facts]]:
        if not articles:
            return []
        with self._stage("clean", len(articles)):
            cleaned = [self.cleaner.clean(a.text, a.source) for a in articles]
        with self._stage("fingerprint", len(articles)):
            tokens = [words(text) for text in cleaned]
            sketches = [minhash(t) for t in tokens]
            vectors = [None] * len(articles)
            if self.embedder is not None:
                vectors = list(self.embedder.encode([lead(a.title, c) for a, c in zip(articles, cleaned)]))
        with self._stage("extract", len(articles)):
            facts = [extract(a.title, c, a.published) for a, c in zip(articles, cleaned)]
        return [(c, Fingerprint(a.id, a.source, a.timestamp, exact_key(t), s, v, f.quotes,
                                f.people + f.organisations, f.numbers), f)
                for a, c, t, s, v, f in zip(articles, cleaned, tokens, sketches, vectors, facts)]

    def _place(self, article: Article, cleaned: str, fp: Fingerprint, facts: Facts) -> Result:
        with self._stage("dedup"):
            decision, story = self.stories.add(fp)
        with self._stage("events"):
            assignment, event = self.events.assign(article.id, story.id, article.source, article.timestamp,
                                                   facts, article.title + ". " + cleaned, fp.embedding)
        with self._stage("aggregates"):
            records = self.aggregator.update(article.source, article.timestamp, decision, story, assignment, event)
        self._remember(article, story.id, [event.id])
        self._count(article, decision, assignment, event)
        return Result(article=article, facts=facts, decision=decision, story=story, assignment=assignment,
                      event=event, aggregates=records, story_id=story.id, event_ids=[event.id])

    def _remember(self, article: Article, story_id: str, event_ids: list[str]) -> None:
        self._seen[article.id] = (_text_key(article), story_id, event_ids)
        if len(self._seen) > SEEN_IDS_KEPT:
            self._seen.popitem(last=False)

    def _count(self, article: Article, decision: Decision, assignment: Assignment, event: Event) -> None:
        outlet = metrics.OUTLET_LABEL(article.source)
        metrics.OUTLET_ARTICLES.labels(outlet).inc()
        if decision.is_duplicate:
            metrics.DUPLICATES.labels(decision.kind).inc()
            if self.stories.stories[decision.story_id].canonical_outlet != article.source:
                metrics.OUTLET_REWRITES.labels(outlet).inc()
        else:
            metrics.STORIES_CREATED.inc()
        if assignment.created:
            metrics.EVENTS_CREATED.labels(event.type).inc()
        metrics.EVENT_ARTICLES.labels(event.catalog.id if event.catalog else "other").inc()

    def compare(self, a: Article, b: Article) -> PairScore:
        """Dedup's decision rule on one pair of articles (for the pair evaluation)."""
        (_, fa, _), (_, fb, _) = self._prepare([a, b])
        decision = self.stories.compare(fa, fb)
        similarity = decision.cosine if decision.cosine is not None else (decision.jaccard or 0.0)
        return PairScore(similarity=similarity, same_story=decision.is_duplicate, decision=decision)

    def state_size(self) -> dict[str, int]:
        return {**self.stories.state_size(), **self.events.state_size(), **self.aggregator.state_size(),
                "seen_ids": len(self._seen)}
