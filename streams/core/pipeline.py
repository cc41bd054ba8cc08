"""The article pipeline as plain Python, in three stages that the Faust agents run on three topics:

1. ``Preparer`` (per raw partition, any worker): clean -> fingerprint -> embed -> extract, and the candidate
   keys;
2. ``Matcher`` (per partition of the keyed topic): verdicts against the held articles sharing a key;
3. ``Resolver`` (one partition): stories from the verdicts, events, aggregates, replays.

``Pipeline`` chains the three in one process for the evaluation, the benchmark and the unit tests,
so what is measured is what runs in production.
"""
from __future__ import annotations

import hashlib
import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from streams.core.match.decision import Decision, Link
from streams.core.match.held import Fingerprint, Member
from streams.core.match.index import MatchIndex
from streams.core.match.keys import keys_of, route
from streams.core.match.pair import compare
from streams.core.match.seen import Outcome, SeenIds
from streams.core.match.stories import Story, StoryBook
from streams.core.match.watermark import Mark, Watermark
from streams.core.messages import Idle, Keyed, KeyedMessage, Registration, Report, ResolveMessage, Tick
from streams.core.model import Article, BadRecord
from streams.core.observe import NoObserver, Observer
from streams.core.prepare import page
from streams.core.prepare.clean import Cleaner, lead
from streams.core.prepare.extract import Facts, extract
from streams.core.prepare.fingerprint import exact_key, minhashes, words
from streams.core.prepare.gazetteer import gazetteer
from streams.core.prepare.semantic import Embedder, shared_embedder
from streams.core.resolve.aggregates import Aggregator
from streams.core.resolve.catalog import load_catalog
from streams.core.resolve.events import Assignment, Event, EventIndex
from streams.settings import Settings

IN_PROCESS = 0
"""The one raw partition of ``Pipeline`` (in process, articles in publication order)."""


def text_key(article: Article) -> str:
    """Fingerprint of the raw title and text: tells a replay from an id reused for other text."""
    return hashlib.blake2b((article.title + "\x1f" + article.text).encode("utf-8", "replace"),
                           digest_size=10).hexdigest()


class Timing:
    """What a ``StageClock`` block took, known once the block is left."""

    seconds = 0.0


class StageClock:
    """Seconds spent per stage (for the benchmark) and the stage-duration histogram (``observe.STAGES``);
    ``observer`` gets the stages' metrics (default: none recorded)."""

    def __init__(self, observer: Observer | None = None) -> None:
        self.seconds: dict[str, float] = defaultdict(float)  # seconds per stage
        self.observer: Observer = observer or NoObserver()
        self.observe = True  # off while a stage's state is rebuilt from its topic

    @contextmanager
    def __call__(self, name: str, count: int = 1, histogram: bool = True) -> Iterator[Timing]:
        """Time a block that works on ``count`` articles; ``histogram=False``: the caller records it later."""
        timing = Timing()
        start = time.perf_counter()
        yield timing
        timing.seconds = time.perf_counter() - start
        self.seconds[name] += timing.seconds
        if histogram:
            self.record(name, timing.seconds, count)

    def record(self, name: str, seconds: float, count: int = 1) -> None:
        """One histogram observation per article: ``count`` articles shared ``seconds``."""
        if self.observe and count:
            for _ in range(count):
                self.observer.timing("stage_duration_seconds", seconds / count, stage=name)


@dataclass
class Prepared:
    """An article after the per-article work, ready to be matched and placed."""

    article: Article
    cleaned: str
    fingerprint: Fingerprint
    facts: Facts
    keys: list[str]
    text_key: str

    def routes(self, partitions: int) -> dict[int, list[str]]:
        return route(self.keys, partitions)

    def registration(self, partitions: list[int], mark: Mark, raw: tuple[int, int] | None = None) -> Registration:
        """The resolve-topic message announcing the article and the keyed partitions that will report on it
        (``raw``: the raw partition and offset it was read from)."""
        return Registration(self.article, self.text_key, mark, raw, self.cleaned, self.facts,
                            self.fingerprint.embedding, partitions)

    def keyed(self, keys: list[str], mark: Mark) -> Keyed:
        """The keyed-topic message for one partition: the fingerprint and the keys that partition owns."""
        return Keyed(self.fingerprint, keys, self.text_key, mark)


class Marks:
    """The prepare stage's event-time progress per raw partition: the newest trusted publication time read.

    Only trusted publication times move it. An article without one (undated, unreadable, implausibly far
    in the future or past) gets its partition's progress as its stand-in event time (None while the
    partition has had no dated article: the resolver then picks one), so it can neither drag the watermark
    forward for everyone nor make the articles after it late."""

    def __init__(self) -> None:
        self.newest: dict[int, float] = {}

    def mark(self, source: int, article: Article) -> Mark:
        if article.trusted:
            timestamp = article.timestamp
            self.newest[source] = max(self.newest.get(source, timestamp), timestamp)
        else:
            article.stand_in = self.newest.get(source)
        return source, self.newest.get(source)

    def tick(self, source: int, when: float) -> float:
        """A publisher's tick (streams/core/ticks.py): the partition has passed ``when``, as if an article of
        that time came. Returns the partition's progress."""
        self.newest[source] = max(self.newest.get(source, when), when)
        return self.newest[source]

    def drop(self, source: int) -> None:
        self.newest.pop(source, None)


def report(article_id: str, text_key_: str, timestamp: float, partition: int, links: list[Link],
           source: int | None = None, seconds: float = 0.0) -> Report:
    """The resolve-topic message with one keyed partition's verdicts on an article (``source``: its raw
    partition; ``seconds``: the partition's match time)."""
    return Report(article_id, text_key_, timestamp, partition, source, [link.decision for link in links], seconds)


class Preparer:
    """Stage 1: the costly per-article work.

    Its one piece of state is what the cleaner has learnt (banner lines repeated across an outlet's
    articles), and that changes the cleaned text, so the fingerprints and candidate keys. It is kept per
    raw partition (``source``) and is a fold of that partition in offset order: an article is prepared
    the same whichever worker prepares it and whatever else that worker read before, and a worker that
    takes a partition over rebuilds its cleaner with :meth:`learn` (streams/runtime/rebuild.py)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, clock: StageClock | None = None):
        self.settings = settings
        self.embedder = embedder if embedder is not None else (shared_embedder() if settings.semantic else None)
        self.cleaners: dict[int, Cleaner] = {}
        self.clock = clock or StageClock()

    def load(self) -> None:
        """Load what preparing reads from disk (the place names; the embedding model in semantic mode) now,
        rather than in the first batch (~0.6 s of CPU for the place names alone)."""
        gazetteer()
        if self.embedder is not None:
            self.embedder.load()

    def cleaner(self, source: int = 0) -> Cleaner:
        """The cleaner of one raw partition (created empty on first use)."""
        if source not in self.cleaners:
            self.cleaners[source] = Cleaner()
        return self.cleaners[source]

    def learn(self, source: int, articles: Sequence[Article]) -> None:
        """Rebuild: let the partition's cleaner see articles it had seen before, without preparing them."""
        cleaner = self.cleaner(source)
        for article in articles:
            article, _ = page.read(article)
            cleaner.clean(article.text, article.source, article.title)

    def drop(self, source: int) -> None:
        """Forget what one raw partition's cleaner learnt (before rebuilding it from the partition)."""
        self.cleaners.pop(source, None)

    def prepare(self, articles: Sequence[Article], sources: Sequence[int] | None = None) -> list[Prepared]:
        """Prepare articles in order; ``sources``: the raw partition of each (all 0 when not given)."""
        if not articles:
            return []
        sources = sources if sources is not None else [0] * len(articles)
        with self.clock("clean", len(articles)):
            read = [page.read(a) for a in articles]
            articles = [a for a, _ in read]
            cleaned = [self.cleaner(s).clean(a.text, a.source, a.title) for a, s in zip(articles, sources)]
        with self.clock("fingerprint", len(articles)):
            tokens = [words(text) for text in cleaned]
            sketches = minhashes(tokens)
            vectors = [None] * len(articles)
            if self.embedder is not None:
                vectors = list(self.embedder.encode([lead(a.title, c) for a, c in zip(articles, cleaned)]))
        with self.clock("extract", len(articles)):
            facts = [_facts(a, c, dateline) for a, c, (_, dateline) in zip(articles, cleaned, read)]
        out = []
        for a, c, t, s, v, f in zip(articles, cleaned, tokens, sketches, vectors, facts):
            v = None if v is None else v.astype(np.float16)  # as it travels: every stage derives the same keys
            fp = Fingerprint(a.id, a.source, a.timestamp, exact_key(t), s, v, f.quotes,
                             f.people + f.organisations, f.numbers)
            out.append(Prepared(a, c, fp, f, keys_of(fp, self.settings.dedup), text_key(a)))
        return out


def _facts(article: Article, cleaned: str, dateline: page.Said | None) -> Facts:
    """Facts of one article; without a publication time its relative dates resolve against the page's
    dateline, if it has one, else they stay unknown."""
    anchor = article.published or (date.fromisoformat(dateline.value) if dateline else None)
    facts = extract(article.title, cleaned, anchor)
    if dateline is not None:
        facts.dateline, facts.dateline_text = dateline.value, dateline.evidence
    return facts


class Matcher:
    """Stage 2: one ``MatchIndex`` per keyed partition this worker owns; ``sources``: raw partitions."""

    def __init__(self, settings: Settings, clock: StageClock | None = None, sources: int = 1,
                 partitions: int | None = None) -> None:
        self.settings = settings
        self.sources = sources
        self.partitions = settings.partitions if partitions is None else partitions  # of the keyed topic
        self.clock = clock or StageClock()
        self.indexes: dict[int, MatchIndex] = {}

    def match(self, partition: int, fp: Fingerprint, keys: list[str], mark: Mark | None = None) -> list[Link]:
        return self.timed_match(partition, fp, keys, mark)[0]

    def timed_match(self, partition: int, fp: Fingerprint, keys: list[str],
                    mark: Mark | None = None) -> tuple[list[Link], float]:
        """The links and the seconds taken; the histogram gets the article's match time once, from the
        resolver, which adds up the time of every keyed partition the article went to."""
        with self.clock("match", histogram=False) as timing:
            links = self._index(partition).match(fp, keys, mark)
        return links, timing.seconds

    def hold(self, partition: int, message: KeyedMessage) -> None:
        """Rebuild: hold without judging (the verdicts were sent before)."""
        if not isinstance(message, Idle):
            self._index(partition).hold(message.fp, message.keys, message.mark)

    def handle(self, partition: int, message: KeyedMessage) -> Report | None:
        """A keyed message in, the report for the resolver out. An idle notice (only workers before idle
        notices went to the resolver alone wrote them here) changes nothing: see ``MatchIndex``."""
        if isinstance(message, Idle):
            return None
        fp = message.fp
        links, seconds = self.timed_match(partition, fp, message.keys, message.mark)
        return report(fp.article_id, message.text_key, fp.timestamp, partition, links, message.mark[0], seconds)

    def drop(self, partition: int) -> None:
        self.indexes.pop(partition, None)

    def _index(self, partition: int) -> MatchIndex:
        if partition not in self.indexes:
            self.indexes[partition] = MatchIndex(self.settings.dedup, self.sources, partition, self.partitions)
        return self.indexes[partition]

    def state_size(self) -> dict[str, int]:
        sizes: Counter = Counter()
        for index in self.indexes.values():
            sizes.update(index.state_size())
        return dict(sizes)


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
    raw: tuple[int, int] | None = None  # raw partition and offset of the record this result answers
    version: int | None = None  # resolve offset * BATCH_ITEMS + index in the record of the message that produced it
    story_id: str | None = ""
    event_ids: list[str] = field(default_factory=list)
    merged_stories: list[str] = field(default_factory=list)

    @property
    def record_version(self) -> int | None:
        """The enriched record's version: the offset of the raw record it answers (the raw topic is keyed by
        article id, so it grows with every new record of an id); the resolve offset without one."""
        return self.raw[1] if self.raw is not None else self.version

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
                "sent_at": self.article.sent_at, "seen_at": self.article.seen_at,
                "event_time": self.article.timestamp, "replay": self.replayed,
                "raw": None if self.raw is None else list(self.raw), "version": self.record_version,
                "processed_at": time.time()}


Output = tuple[str, bytes, Any]
"""(topic kind: enriched, stories, events or aggregates; key; JSON-able value, None for a tombstone)."""


def outputs(results: Sequence[Result], listed: int | None = None) -> list[Output]:
    """The keyed records a batch of results makes: every enriched article, then each story, event and
    aggregate key once with its last value (story and event records list their last ``listed`` members, all
    held when None).

    Stories, events and aggregates are compacted topics where the latest value per key wins, and several
    articles of one batch often update the same story, event and windows: sending only the last value
    cuts the records sent per article without changing what a reader of the topics ends with. Enriched
    articles are a stream (a decision, then maybe replays of the same id): each is sent."""
    enriched: list[Output] = []
    latest: dict[tuple[str, bytes], tuple[Any, int | None]] = {}

    def put(kind: str, key: str, value: Any, version: int | None = None) -> None:
        latest.pop((kind, key.encode()), None)  # re-insert: the order follows the last update
        latest[(kind, key.encode())] = (value, version)

    for result in results:
        enriched.append(("enriched", result.article.id.encode(), result.enriched()))
        if result.replayed:
            continue
        assert result.story is not None and result.event is not None  # every placed article has both
        for merged in result.merged_stories:
            put("stories", merged, None)
        put("stories", result.story.id, result.story, result.version)
        put("events", result.event.id, result.event, result.version)
        for record in result.aggregates:
            put("aggregates", f"{record['kind']}:{record['key']}", record, result.version)
    return enriched + [(kind, key, _value(value, version, listed))
                       for (kind, key), (value, version) in latest.items()]


def _value(value: Story | Event | dict | None, version: int | None, listed: int | None) -> dict | None:
    """An output's value as sent. A story or event is written out once per batch, for its last update only: the
    results of a batch all point at the same objects, already as the whole batch left them."""
    if value is None:
        return None
    data = value if isinstance(value, dict) else value.as_dict(listed)
    return data if version is None else {**data, "version": version}


@dataclass
class Pending:
    """An article the resolver has heard of but cannot place yet: it waits for every partition's report."""

    registration: Registration | None = None
    reports: dict[tuple[str, int], list[Decision]] = field(default_factory=dict)
    first_seen: float = 0.0
    replays: list[Registration] = field(default_factory=list)  # replays that came while it was in flight
    match_seconds: float = 0.0  # summed over the keyed partitions' reports

    def complete(self) -> bool:
        reg = self.registration
        return reg is not None and all((reg.text_key, p) in self.reports for p in reg.partitions)


class Resolver:
    """Stage 3: turns registrations and reports (in the order of the resolve topic) into placed articles.

    Articles are placed in publication order, not in the order their reports happen to complete: an
    article waits until every raw partition has passed its publication time or is idle (the
    ``Watermark``; ``idle`` records come from the prepare stage when it read a partition to its end, ``tick``
    records when a publisher in publication order promised a partition nothing older).
    Placement, and so the online event clustering and the aggregates, then do not depend on which worker
    ran ahead, as long as no partition was declared idle before articles still to come on it
    (docs/faults.md); ``ordered=False`` places on completion.

    Placed ids are remembered until their raw partition is ``replay_horizon_hours`` further in publication
    time (``SeenIds``); an article that far behind its partition is dead-lettered as ``too_late`` (it could
    be a replay of a forgotten id), and the reports on it are dropped."""

    def __init__(self, settings: Settings, clock: StageClock | None = None, sources: int = 1) -> None:
        self.settings = settings
        self.clock = clock or StageClock()
        self.book = StoryBook(settings.dedup, sources)
        self.events = EventIndex(settings.events, load_catalog(settings.catalog), settings.replay_horizon_hours,
                                 semantic=settings.semantic)
        self.aggregator = Aggregator(settings.aggregates, settings.late_hours * 3600)
        self.pending: dict[str, Pending] = {}
        self.watermark = Watermark(sources, settings.max_skew_hours * 3600)
        self.ordered = settings.ordered_resolve
        self._queue: list[tuple[float, str]] = []  # registered, not placed: (publication time, id)
        self._unregistered: dict[int, list[tuple[float, str]]] = {}  # per raw partition: reports, no registration
        self._undated: list[str] = []  # registered without a trusted time, before any partition had one
        self.seen = SeenIds(settings.replay_horizon_hours * 3600)

    # -- the resolve topic ----------------------------------------------------------------------
    def handle(self, message: ResolveMessage) -> list[Result | BadRecord]:
        """One resolve-topic message in; the articles it lets go (or a dead letter) out."""
        if isinstance(message, Idle):
            self.watermark.rest(message.source)
            return self._release()
        if isinstance(message, Tick):
            self._passed((message.source, message.when))
            return self._release()
        if isinstance(message, Report):
            return self._report(message)
        record = message
        article = record.article
        article_id = article.id
        raw = record.raw
        known = self.seen.get(article_id)
        if known is not None:
            return self._replayed(article, record.text_key, known, raw)
        pending = self.pending.get(article_id)
        if pending is not None and pending.registration is not None:
            if pending.registration.text_key != record.text_key:
                return [BadRecord("id_conflict", f"id {article_id} was already used for a different text")]
            if raw is not None and raw != pending.registration.raw:
                pending.replays.append(record)  # a replay of an article in flight: answered once it is placed
            return []  # else the same raw record again (a redelivery): it gets its one answer when placed
        source = record.mark[0]
        self._passed(record.mark)
        if not article.trusted:
            if self.seen.was_forgotten(article_id, record.text_key):  # never too late: check it here
                self.pending.pop(article_id, None)
                return [self._replay(article, None, (), raw)] + self._release()
            article.stand_in = self._stand_in(article)
            if article.stand_in is None:  # nothing dated read anywhere yet: wait for the first mark
                self._pending(article_id).registration = record
                self._undated.append(article_id)
                return self._release()
        elif self.seen.too_late(source, article.timestamp):
            self.pending.pop(article_id, None)  # its reports, if any came first
            if self.seen.was_forgotten(article_id, record.text_key):
                return [self._replay(article, None, (), raw)] + self._release()
            return [self._too_late(article)] + self._release()
        self._pending(article_id).registration = record
        heapq.heappush(self._queue, (article.timestamp, article_id))
        return self._release()

    def _report(self, record: Report) -> list[Result | BadRecord]:
        """One keyed partition's verdicts; the first report per partition counts (a redelivered fingerprint
        finds itself held and reports nothing). Dropped for a placed article or one too late to be placed."""
        article_id, source = record.article_id, record.source
        pending = self.pending.get(article_id)
        if self.seen.get(article_id) is not None:
            return []
        if source is not None and (pending is None or pending.registration is None) \
                and self.seen.too_late(source, record.timestamp):
            return []
        if pending is None:
            pending = self._pending(article_id)
            if source is not None:
                heapq.heappush(self._unregistered.setdefault(source, []), (record.timestamp, article_id))
        if (record.text_key, record.partition) not in pending.reports:
            pending.reports[(record.text_key, record.partition)] = record.links
            pending.match_seconds += record.seconds
        return self._release()

    def _pending(self, article_id: str) -> Pending:
        if article_id not in self.pending:
            self.pending[article_id] = Pending(first_seen=time.time())
        return self.pending[article_id]

    def _stand_in(self, article: Article) -> float | None:
        """The event time of an article without a trusted publication time: its raw partition's progress
        (set by the prepare stage), else how far every partition got; never later than the time it was first
        seen. None while no partition has had a dated article (it waits for one, or for every partition to be
        idle: then the stream has no dated article and the time it was first seen stands in). Either way it
        neither moves the watermark nor arrives late."""
        when = article.stand_in
        if when is None and self.watermark.marks:
            when = self.watermark.value
        return None if when is None else min(when, article.seen_at)

    def _date_undated(self) -> None:
        """Give the undated articles that waited for a first mark their stand-in time, and queue them."""
        if not self._undated:
            return
        all_idle = len(self.watermark.idle) >= self.watermark.sources
        if not self.watermark.marks and not all_idle:
            return
        for article_id in self._undated:
            reg = self.pending[article_id].registration
            assert reg is not None  # undated articles are registered ones
            article = reg.article
            when = self._stand_in(article)
            article.stand_in = article.seen_at if when is None else when
            heapq.heappush(self._queue, (article.stand_in, article_id))
        self._undated = []

    def _passed(self, mark: Mark) -> None:
        """A raw partition reached a publication time (an article's mark, or a tick): the watermark and that
        partition's replay cutoff move with it."""
        self.watermark.see(mark)
        self._advance(mark[0])

    def _advance(self, source: int) -> None:
        """Move a raw partition's replay cutoff with the newest publication time it reached; forget the reports
        on its articles that can no longer be placed (a registration comes before its partition moves on)."""
        if source not in self.watermark.marks:
            return
        self.seen.advance(source, self.watermark.marks[source])
        unregistered = self._unregistered.get(source, [])
        while unregistered and self.seen.too_late(source, unregistered[0][0]):
            article_id = heapq.heappop(unregistered)[1]
            pending = self.pending.get(article_id)
            if pending is not None and pending.registration is None:
                del self.pending[article_id]

    def _too_late(self, article: Article) -> BadRecord:
        hours = self.settings.replay_horizon_hours
        return BadRecord("too_late", f"article {article.id} published at {_iso(article.timestamp)} is more than "
                                     f"{hours:g} h (replay_horizon_hours) behind articles its raw partition already "
                                     "had: its id may be forgotten, so placing it could count it twice")

    @property
    def waiting(self) -> int:
        """Registered articles not placed yet."""
        return len(self._queue) + len(self._undated)

    def _release(self) -> list[Result | BadRecord]:
        """Place the complete articles at the head of the queue, oldest publication time first."""
        out: list[Result | BadRecord] = []
        self._date_undated()
        if not self.ordered:
            ready = sorted(item for item in self._queue if self.pending[item[1]].complete())
            for item in ready:
                self._queue.remove(item)
                out += self._settle(item[1])
            heapq.heapify(self._queue)
            return out
        mark = self.watermark.value
        if not self.watermark.marks and len(self.watermark.idle) >= self.watermark.sources:
            mark = float("inf")  # every partition read to its end and none had a dated article: all undated
        while self._queue and self._queue[0][0] <= mark and self.pending[self._queue[0][1]].complete():
            out += self._settle(heapq.heappop(self._queue)[1])
        return out

    def _settle(self, article_id: str) -> list[Result]:
        """Place a complete article; answer the replays of it that came while it waited."""
        pending = self.pending.pop(article_id)
        reg = pending.registration
        assert reg is not None  # placed when complete, so registered
        article = reg.article
        links = [Link(article.id, article.timestamp, decision)
                 for p in reg.partitions for decision in pending.reports[(reg.text_key, p)]]
        self.clock.record("match", pending.match_seconds)
        result = self.place(article, reg.text_key, reg.cleaned, reg.facts, reg.embedding, links, reg.mark, reg.raw)
        return [result] + [self._replay(again.article, result.story_id, tuple(result.event_ids), again.raw)
                           for again in pending.replays]

    # -- placing --------------------------------------------------------------------------------
    def known(self, article: Article) -> Result | BadRecord | None:
        """The earlier outcome for an id already placed (a replay), a conflict, too late, or None."""
        known = self.seen.get(article.id)
        if known is not None:
            return self._replayed(article, text_key(article), known, None)[0]
        if not article.trusted:
            if self.seen.was_forgotten(article.id, text_key(article)):
                return self._replay(article, None, (), None)
            stand_in = self._stand_in(article)
            article.stand_in = article.seen_at if stand_in is None else stand_in
            return None
        if not self.seen.too_late(IN_PROCESS, article.timestamp):
            return None
        if self.seen.was_forgotten(article.id, text_key(article)):
            return self._replay(article, None, (), None)
        return self._too_late(article)

    def place(self, article: Article, text_key_: str, cleaned: str, facts: Facts, embedding: Any,
              links: list[Link], mark: Mark | None = None, raw: tuple[int, int] | None = None) -> Result:
        member = Member(article.id, article.source, article.timestamp)
        if mark is None:  # in process (Pipeline): one source, articles in publication order, each its own mark
            mark = (IN_PROCESS, article.timestamp if article.trusted else self.watermark.marks.get(IN_PROCESS))
            self._passed(mark)
        with self.clock("place"):
            decision, story, merged = self.book.place(member, _best_first(links), mark)
        with self.clock("events"):
            assignment, event = self.events.assign(article.id, story.id, article.source, article.timestamp,
                                                   facts, article.title + ". " + cleaned, embedding)
        with self.clock("aggregates"):
            records = self.aggregator.update(article.source, article.timestamp, decision, story, assignment, event)
        self.seen.remember(article.id, mark[0], article.timestamp, Outcome(text_key_, story.id, (event.id,), raw))
        if self.clock.observe:
            self._count(article, decision, story, assignment, event)
        return Result(article=article, facts=facts, decision=decision, story=story, assignment=assignment,
                      event=event, aggregates=records, story_id=story.id, event_ids=[event.id],
                      merged_stories=merged, raw=raw)

    def _replayed(self, article: Article, key: str, known: Outcome,
                  raw: tuple[int, int] | None) -> list[Result | BadRecord]:
        """A registration of an id already placed: a conflict (other text), a redelivery of the raw record
        that was placed (nothing: it has its answer), or a replay (answered, counted once as a replay)."""
        if known.text_key != key:
            return [BadRecord("id_conflict", f"id {article.id} was already used for a different text")]
        if raw is not None and raw == known.raw:
            return []
        return [self._replay(article, known.story_id, known.event_ids, raw)]

    def _replay(self, article: Article, story_id: str | None, event_ids: tuple[str, ...],
                raw: tuple[int, int] | None) -> Result:
        """The answer to a replay: no new decision, nothing counted again; story and events when still known
        (None for a replay of an id forgotten beyond the horizon)."""
        if self.clock.observe:
            self.clock.observer.increment("articles_replayed")
        return Result(article=article, replayed=True, story_id=story_id, event_ids=list(event_ids), raw=raw)

    def _count(self, article: Article, decision: Decision, story: Story, assignment: Assignment,
               event: Event) -> None:
        observer = self.clock.observer
        observer.increment("outlet_articles", outlet=article.source)
        if decision.is_duplicate:
            observer.increment("duplicates", kind=decision.kind)
            if story.canonical_outlet != article.source:
                observer.increment("outlet_rewrites", outlet=article.source)
        else:
            observer.increment("stories_created")
        if assignment.created:
            observer.increment("events_created", event_type=event.type)
        observer.increment("event_articles", event=event.catalog.id if event.catalog else "other")
        if self.aggregator.last_late:
            observer.increment("articles_late_for_window")

    def state_size(self) -> dict[str, int]:
        return {**self.book.state_size(), **self.events.state_size(), **self.aggregator.state_size(),
                "seen_ids": len(self.seen), "pending": len(self.pending), "waiting": self.waiting}

    def state_parts(self) -> dict[str, list[object]]:
        """The objects holding the resolver's state, by part (for measuring their bytes)."""
        return {"stories": [self.book], "replay": [self.seen],
                "pending": [self.pending, self._queue, self._unregistered, self.watermark],
                "event_members": self.events.member_parts(), "tfidf": [self.events.vectorizer],
                "events": [self.events], "aggregates": [self.aggregator]}


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _best_first(links: list[Link]) -> list[Link]:
    """Several partitions may report the same pair: keep one verdict per other article."""
    best: dict[str, Link] = {}
    for link in links:
        other = link.decision.duplicate_of or ""
        if other not in best or link.decision.evidence and not best[other].decision.evidence:
            best[other] = link
    return list(best.values())


@dataclass
class PairScore:
    similarity: float
    same_story: bool
    decision: Decision


class Pipeline:
    """The three stages in one process with one keyed partition. Not thread-safe.
    ``observer``: where the stages' metrics go (default: nowhere; the benchmark passes Prometheus's)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 observer: Observer | None = None) -> None:
        self.settings = settings
        self.clock = StageClock(observer)
        self.preparer = Preparer(settings, embedder, self.clock)
        self.matcher = Matcher(settings, self.clock, partitions=1)
        self.resolver = Resolver(settings, self.clock)

    @property
    def seconds(self) -> dict[str, float]:
        return self.clock.seconds

    @property
    def embedder(self) -> Embedder | None:
        return self.preparer.embedder

    @property
    def stories(self) -> StoryBook:
        return self.resolver.book

    @property
    def events(self) -> EventIndex:
        return self.resolver.events

    @property
    def aggregator(self) -> Aggregator:
        return self.resolver.aggregator

    def process(self, article: Article) -> Result | BadRecord:
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
        known = [self.resolver.known(a) for a in articles]
        prepared = iter(self.preparer.prepare([a for a, k in zip(articles, known) if k is None]))
        results: list[Result | BadRecord] = []
        for _article, earlier in zip(articles, known):
            if earlier is not None:
                results.append(earlier)
                continue
            p = next(prepared)
            links, seconds = self.matcher.timed_match(0, p.fingerprint, p.keys)
            self.clock.record("match", seconds)
            results.append(self.resolver.place(p.article, p.text_key, p.cleaned, p.facts, p.fingerprint.embedding,
                                               links))
        return results

    def compare(self, a: Article, b: Article) -> PairScore:
        """Dedup's decision rule on one pair of articles (for the pair evaluation)."""
        pa, pb = self.preparer.prepare([a, b])
        decision = compare(pa.fingerprint, pb.fingerprint, self.settings.dedup)
        similarity = decision.cosine if decision.cosine is not None else (decision.jaccard or 0.0)
        return PairScore(similarity=similarity, same_story=decision.is_duplicate, decision=decision)

    def state_size(self) -> dict[str, int]:
        return {**self.matcher.state_size(), **self.resolver.state_size()}

    def state_parts(self) -> dict[str, list[object]]:
        """Every object holding state between articles, by part: the match indexes, the resolver's parts
        and the cleaners' learnt banners."""
        return {"match": [self.matcher.indexes], **self.resolver.state_parts(), "cleaner": [self.preparer.cleaners]}

