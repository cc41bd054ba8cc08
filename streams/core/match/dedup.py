"""Dedup stage: does an article start a new story or join an existing one, and why.

Split in two so that it scales across workers (see streams/core/match/keys.py):
- ``MatchIndex`` (one per partition of the keyed topic) holds the fingerprints whose candidate keys that
  partition owns and judges each arriving article against the held ones sharing a key: the pair rule
  depends on the two articles only, so every pair is judged the same wherever it meets;
- ``StoryBook`` (one, fed by every partition's verdicts) joins articles linked by a verdict into stories:
  stories are the connected components of the "same story" links inside the window, which does not
  depend on the order the verdicts arrive in.

Three signals, cheapest first:
- exact: same normalised text;
- near-verbatim: MinHash-estimated 5-shingle Jaccard >= ``near_copy_jaccard`` (LSH finds candidates);
- paraphrase: lead-embedding cosine >= ``paraphrase_cosine``, or >= ``paraphrase_support_cosine`` with
  shared quotes and names as evidence (without the model: several shared quotes and names).
Only articles published within ``story_window_hours`` of each other are compared; older state is dropped.
"""
from __future__ import annotations

import base64
import heapq
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import orjson
from datasketch import LeanMinHash

from streams.core.match import evidence as ev
from streams.core.match.keyindex import KeyIndex
from streams.core.match.keyindex import pack as pack_keys
from streams.core.match.keys import candidate_keys, key_hash
from streams.core.match.seen import OWN_STORY
from streams.core.prepare.fingerprint import estimated_jaccard
from streams.settings import Settings

KIND_RANK = {"exact": 3, "near_verbatim": 2, "paraphrase": 1}
EVIDENCE_CANDIDATES = 1  # evidence for the best verdict of each partition (the resolver keeps the best)


@dataclass(frozen=True, slots=True)
class Member:
    """An article as a story member: who published it when."""

    article_id: str
    outlet: str
    timestamp: float


@dataclass(slots=True)
class Fingerprint:
    """What dedup keeps of an article while it is inside the window."""

    article_id: str
    outlet: str
    timestamp: float
    exact: str
    minhash: LeanMinHash
    embedding: np.ndarray | None
    quotes: list[str]
    entities: list[str]
    numbers: list[str]
    quote_norms: list[str] = field(default_factory=list)
    quote_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.quotes and not self.quote_norms:
            self.quote_norms = ev.normalise_quotes(self.quotes)
        if self.quote_norms and not self.quote_keys:
            self.quote_keys = frozenset(" ".join(q.split()[:3]) for q in self.quote_norms)

    @property
    def member(self) -> Member:
        return Member(self.article_id, self.outlet, self.timestamp)

    def to_wire(self) -> dict[str, Any]:
        """A JSON-ready form for the keyed topic (hash values and float16 vector as base64)."""
        return {"id": self.article_id, "outlet": self.outlet, "ts": self.timestamp, "exact": self.exact,
                "seed": int(self.minhash.seed), "scheme": self.minhash.scheme, "minhash": _b64(self.minhash.hashvalues.astype(np.uint64)),
                "embedding": None if self.embedding is None else _b64(self.embedding.astype(np.float16)),
                "quotes": self.quotes, "entities": self.entities, "numbers": self.numbers}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Fingerprint:
        hashvalues = np.frombuffer(base64.b64decode(data["minhash"]), dtype=np.uint64)
        embedding = data.get("embedding")
        return cls(data["id"], data["outlet"], float(data["ts"]), data["exact"],
                   LeanMinHash(seed=data["seed"], hashvalues=hashvalues, scheme=data["scheme"]),
                   None if embedding is None else np.frombuffer(base64.b64decode(embedding), dtype=np.float16),
                   data["quotes"], data["entities"], data["numbers"])


class Held:
    """A fingerprint as a match index holds it for the window: what the pair rule reads on every candidate
    as is, the evidence (quotes, names, numbers: read only for the few pairs that need evidence) packed into
    one compressed JSON value, the quote keys as a tuple. ~1.5 KB instead of ~4.5 KB an article."""

    __slots__ = ("article_id", "outlet", "timestamp", "exact", "minhash", "embedding", "_quote_keys", "_packed")

    def __init__(self, fp: Fingerprint) -> None:
        self.article_id, self.outlet, self.timestamp = fp.article_id, fp.outlet, fp.timestamp
        self.exact, self.minhash, self.embedding = fp.exact, fp.minhash, fp.embedding
        self._quote_keys = tuple(sorted(fp.quote_keys))
        self._packed = zlib.compress(orjson.dumps([fp.quotes, fp.entities, fp.numbers, fp.quote_norms]), 1)

    @property
    def quote_keys(self) -> frozenset[str]:
        return frozenset(self._quote_keys)

    @property
    def member(self) -> Member:
        return Member(self.article_id, self.outlet, self.timestamp)

    @property
    def quotes(self) -> list[str]:
        return _unpack(self._packed)[0]

    @property
    def entities(self) -> list[str]:
        return _unpack(self._packed)[1]

    @property
    def numbers(self) -> list[str]:
        return _unpack(self._packed)[2]

    @property
    def quote_norms(self) -> list[str]:
        return _unpack(self._packed)[3]


@lru_cache(maxsize=256)
def _unpack(packed: bytes) -> tuple[list[str], ...]:
    """The evidence lists of a held fingerprint (cached: one pair reads all four, a candidate meets several)."""
    return tuple(orjson.loads(zlib.decompress(packed)))


@dataclass
class Decision:
    """The story an article belongs to and the figures and evidence behind it."""

    story_id: str
    kind: str  # "new", "exact", "near_verbatim", "paraphrase"
    duplicate_of: str | None = None
    jaccard: float | None = None
    cosine: float | None = None
    evidence: ev.Evidence | None = field(default_factory=ev.Evidence)

    @property
    def is_duplicate(self) -> bool:
        return self.kind != "new"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """Inverse of :meth:`as_dict` (figures come back rounded to three decimals)."""
        evidence = data.get("evidence")
        return cls(story_id=data.get("story_id") or "", kind=data["kind"], duplicate_of=data.get("duplicate_of"),
                   jaccard=data["similarity"]["jaccard_5shingle"], cosine=data["similarity"]["lead_cosine"],
                   evidence=None if evidence is None else ev.Evidence(
                       evidence["shared_quotes"], evidence["shared_entities"], evidence["shared_numbers"]))

    def as_dict(self) -> dict[str, Any]:
        return {"story_id": self.story_id, "kind": self.kind, "duplicate_of": self.duplicate_of,
                "similarity": {"jaccard_5shingle": _round(self.jaccard), "lead_cosine": _round(self.cosine)},
                "evidence": (self.evidence or ev.Evidence()).as_dict()}


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


StoryEntry = tuple[str, str, float, bytes]
"""A story member as held: article id, outlet, publication time, and why it joined (compressed JSON)."""


@dataclass
class Story:
    """A story: its canonical (earliest published) article and every member with why it joined.

    Members are held compactly and only while they are less than the per-article horizon old (a story
    that keeps getting copies for weeks would otherwise grow without end); ``size`` counts them all."""

    id: str
    canonical: str
    canonical_outlet: str
    canonical_time: float
    entries: list[StoryEntry] = field(default_factory=list)
    last_time: float = 0.0
    size: int = 0

    def add(self, fp: Member, decision: Decision) -> None:
        detail = zlib.compress(orjson.dumps({k: v for k, v in decision.as_dict().items() if k != "story_id"}), 1)
        self.entries.append((fp.article_id, fp.outlet, fp.timestamp, detail))
        self.size += 1
        self.last_time = max(self.last_time, fp.timestamp)
        if fp.timestamp < self.canonical_time:
            self.canonical, self.canonical_outlet, self.canonical_time = fp.article_id, fp.outlet, fp.timestamp

    def absorb(self, other: Story) -> None:
        self.entries += other.entries
        self.size += other.size
        self.last_time = max(self.last_time, other.last_time)
        if other.canonical_time < self.canonical_time:
            self.canonical, self.canonical_outlet, self.canonical_time = \
                other.canonical, other.canonical_outlet, other.canonical_time

    def prune(self, cutoff: float) -> None:
        """Drop the members published before ``cutoff`` (they stay counted in ``size``)."""
        if self.entries and self.entries[0][2] < cutoff:  # the oldest come first, merged ones aside
            self.entries = [e for e in self.entries if e[2] >= cutoff]

    @property
    def articles(self) -> list[str]:
        return [e[0] for e in self.entries]

    @property
    def members(self) -> list[dict]:
        return [{"article": a, "outlet": o, "time": t, **orjson.loads(zlib.decompress(d))} for a, o, t, d in self.entries]

    @property
    def outlets(self) -> list[str]:
        return sorted({e[1] for e in self.entries})

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "canonical": self.canonical, "articles": self.articles, "size": self.size,
                "outlets": self.outlets, "members": self.members}


def judge(a: Fingerprint, b: Fingerprint, settings: Settings, explain: bool = False) -> Decision | None:
    """Kind of match between ``a`` and ``b`` (``duplicate_of`` = b) or None; depends on the two articles
    only, not on which arrived first: the rule always runs later-published against earlier (quote
    matching is greedy, so its direction could otherwise change the verdict).

    Evidence (the costly part) is computed only where the rule needs it, or when ``explain``."""
    if (a.timestamp, a.article_id) < (b.timestamp, b.article_id):
        seen_from_b = _judge(b, a, settings, explain)
        if seen_from_b is None:
            return None
        return Decision(story_id="", kind=seen_from_b.kind, duplicate_of=b.article_id, jaccard=seen_from_b.jaccard,
                        cosine=seen_from_b.cosine, evidence=_swap(seen_from_b.evidence))
    return _judge(a, b, settings, explain)


def _judge(a: Fingerprint, b: Fingerprint, settings: Settings, explain: bool) -> Decision | None:
    s = settings
    jaccard = estimated_jaccard(a.minhash, b.minhash)
    cosine = _cosine(a, b)
    evidence = None
    kind = None
    if a.exact == b.exact:
        kind = "exact"
    elif jaccard >= s.near_copy_jaccard:
        kind = "near_verbatim"
    elif cosine is not None and cosine >= s.paraphrase_cosine:
        kind = "paraphrase"
    elif cosine is None and not a.quote_keys & b.quote_keys:
        pass  # without the model the rule needs shared quotes, and shared quotes share a first words key
    elif cosine is None or cosine >= s.paraphrase_support_cosine:
        quotes, names = (2, 2) if cosine is not None else (3, 3)
        if len(set(a.entities) & set(b.entities)) >= names:  # cheap gate before the quote matching
            evidence = _evidence(a, b)
            if len(evidence.quotes) >= quotes:
                kind = "paraphrase"
    if kind is None:
        return None
    return Decision(story_id="", kind=kind, duplicate_of=b.article_id, jaccard=jaccard, cosine=cosine,
                    evidence=evidence if evidence is not None else _evidence(a, b) if explain else None)


def compare(a: Fingerprint, b: Fingerprint, settings: Settings) -> Decision:
    """The decision rule on one pair, with its figures and evidence even when it says "new" (pair evaluation)."""
    return judge(a, b, settings, explain=True) or Decision(
        story_id="", kind="new", jaccard=estimated_jaccard(a.minhash, b.minhash), cosine=_cosine(a, b))


def keys_of(fp: Fingerprint, settings: Settings) -> list[str]:
    """Every candidate key of a fingerprint (streams/core/match/keys.py)."""
    return candidate_keys(fp.exact, fp.minhash.hashvalues, fp.embedding, fp.quote_keys, settings.near_copy_jaccard)


@dataclass(slots=True)
class Link:
    """A verdict: ``article`` is the same story as ``decision.duplicate_of``."""

    article: str
    timestamp: float
    decision: Decision


Mark = tuple[int, float | None]
"""(raw partition, newest trusted publication time that partition has reached, None before the first):
event-time progress of a source."""


class Watermark:
    """How far in publication time every raw partition has got: the newest time all of them passed.

    State older than this minus window and lateness can go, and the resolver places articles up to it.
    Taking the minimum over the raw partitions (as Flink does) keeps both independent of which worker
    runs ahead. A partition whose worker said it is idle (read to its end) does not hold the others
    back until it gets data again; ``max_skew`` bounds how far a silent one can."""

    def __init__(self, sources: int, max_skew: float) -> None:
        self.sources = sources
        self.max_skew = max_skew
        self.marks: dict[int, float] = {}
        self.idle: set[int] = set()

    def see(self, mark: Mark) -> float:
        source, when = mark
        if when is None:  # the partition has had no article with a trusted publication time yet
            return self.value
        self.marks[source] = max(self.marks.get(source, when), when)
        self.idle.discard(source)
        return self.value

    def rest(self, source: int) -> float:
        """The source read everything it had: it no longer holds the watermark back."""
        self.idle.add(source)
        return self.value

    @property
    def value(self) -> float:
        if not self.marks:
            return 0.0
        newest = max(self.marks.values())
        if len(set(self.marks) | self.idle) < self.sources:
            return max(0.0, newest - self.max_skew)
        busy = [when for source, when in self.marks.items() if source not in self.idle]
        return max(min(busy), newest - self.max_skew) if busy else newest


_NO_KEYS = np.empty(0, dtype=np.uint64)


def key_hashes(keys: list[str]) -> np.ndarray:
    """Sorted hashes of keys (``keys.key_hash``: the owning partition can be read off the high half)."""
    return np.array(sorted({key_hash(k) for k in keys}), dtype=np.uint64)


def owner(a: np.ndarray, b: np.ndarray, partitions: int) -> int:
    """The partition that judges a pair: the one owning the smallest key (by hash) the two share.

    ``a`` and ``b`` are sorted (``key_hashes``): a binary search of ``a`` in ``b``, not a set intersection."""
    if not len(a) or not len(b):
        return -1
    at = np.minimum(np.searchsorted(b, a), len(b) - 1)
    shared = np.flatnonzero(b[at] == a)
    return int(a[shared[0]] >> np.uint64(32)) % partitions if len(shared) else -1


class MatchIndex:
    """The fingerprints held by one partition of the keyed topic, indexed by the keys it owns.

    ``sources``: how many raw partitions feed it (see ``Watermark``). Two articles sharing keys owned by
    several partitions meet on each of them; the pair is judged only on ``partition``, of ``partitions``,
    if it owns the smallest key they share (in key-hash order), so each pair is judged once in the group."""

    def __init__(self, settings: Settings, sources: int = 1, partition: int = 0, partitions: int = 1) -> None:
        self.settings = settings
        self.partition = partition
        self.partitions = partitions
        self.window = settings.story_window_hours * 3600
        self.keep = self.window + settings.late_hours * 3600
        self._held: dict[str, tuple[Held, bytes, np.ndarray]] = {}  # id -> (fingerprint, keys held, all keys)
        self._by_key = KeyIndex()
        self._expiry: list[tuple[float, str]] = []
        self.watermark = Watermark(sources, settings.max_skew_hours * 3600)

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._held

    def match(self, fp: Fingerprint, keys: list[str], mark: Mark | None = None) -> list[Link]:
        """Verdicts of ``fp`` against the held articles sharing a key, best first; then hold ``fp``.

        An id already held is not judged again (a replay, or a redelivery after a crash)."""
        if fp.article_id in self._held:
            return []
        packed, every = pack_keys(keys), self._all_keys(fp)
        links = [Link(fp.article_id, fp.timestamp, d) for d in self._judge_candidates(fp, packed, every)]
        self._hold(fp, packed, mark, every)
        return links

    def _judge_candidates(self, fp: Fingerprint, packed: bytes, every: np.ndarray) -> list[Decision]:
        found = self._by_key.holders_of(packed)
        decisions = []
        # in publication order: which of equally good verdicts comes first does not depend on the index layout
        for other in sorted(found, key=lambda a: (self._held[a][0].timestamp, a)):
            held, _, theirs = self._held[other]
            if self.partitions > 1 and owner(every, theirs, self.partitions) != self.partition:
                continue  # another partition judges this pair
            if abs(held.timestamp - fp.timestamp) <= self.window:
                decision = judge(fp, held, self.settings)
                if decision is not None:
                    decisions.append(decision)
        decisions.sort(key=_rank, reverse=True)
        for decision in decisions[:EVIDENCE_CANDIDATES]:
            if decision.evidence is None:
                decision.evidence = _evidence(fp, self._held[decision.duplicate_of][0])
        return decisions

    def rest(self, source: int) -> None:
        """A raw partition is idle (see ``Watermark``)."""
        self.watermark.rest(source)

    def hold(self, fp: Fingerprint, keys: list[str], mark: Mark | None = None) -> None:
        """Keep ``fp`` inside the window (also used to rebuild the index from the topic)."""
        if fp.article_id not in self._held:
            self._hold(fp, pack_keys(keys), mark, self._all_keys(fp))

    def _hold(self, fp: Fingerprint, packed: bytes, mark: Mark | None, every: np.ndarray) -> None:
        self._held[fp.article_id] = (Held(fp), packed, every)
        self._by_key.add(packed, fp.article_id)
        heapq.heappush(self._expiry, (fp.timestamp, fp.article_id))
        self._expire(mark or (0, fp.timestamp))

    def _all_keys(self, fp: Fingerprint) -> np.ndarray:
        """Hashes of every key of ``fp`` (on every partition), sorted: to find who owns a pair."""
        return key_hashes(keys_of(fp, self.settings)) if self.partitions > 1 else _NO_KEYS

    def _expire(self, mark: Mark) -> None:
        horizon = self.watermark.see(mark) - self.keep
        while self._expiry and self._expiry[0][0] < horizon:
            _, article_id = heapq.heappop(self._expiry)
            held = self._held.pop(article_id, None)
            if held is not None:
                self._by_key.remove(held[1], article_id)

    def state_size(self) -> dict[str, int]:
        vectors = sum(held[0].embedding.nbytes for held in self._held.values() if held[0].embedding is not None)
        return {"dedup_articles": len(self._held), "dedup_keys": len(self._by_key), "vector_bytes": vectors}


class StoryBook:
    """Stories as connected components of the verdicts, with the story records.

    A story keeps the id it was created with; when an article links two stories the older one absorbs
    the other (``merged`` tells the caller which story records to retract)."""

    def __init__(self, settings: Settings, sources: int = 1) -> None:
        self.window = settings.story_window_hours * 3600
        self.keep = self.window + settings.late_hours * 3600
        self.members_kept = max(self.keep, settings.replay_horizon_hours * 3600)
        self.stories: dict[str, Story] = {}
        self._story_of: dict[str, str] = {}
        self._pending: dict[str, list[Link]] = defaultdict(list)  # links to articles not placed yet
        self._pending_expiry: list[tuple[float, str]] = []
        self._created: dict[str, int] = {}
        self._expiry: list[tuple[float, str]] = []
        self.watermark = Watermark(sources, settings.max_skew_hours * 3600)

    def __len__(self) -> int:
        return len(self._story_of)

    def story_of(self, article_id: str) -> str | None:
        return self._story_of.get(article_id)

    def place(self, member: Member, links: list[Link], mark: Mark | None = None) -> tuple[Decision, Story, list[str]]:
        """Place one article given its verdicts against earlier-held articles.

        Returns the article's decision (its best verdict), its story, and the ids of stories merged away."""
        placed = [lk for lk in links if lk.decision.duplicate_of in self._story_of]
        for link in links:
            if link.decision.duplicate_of not in self._story_of:
                self._pending[link.decision.duplicate_of].append(link)
                heapq.heappush(self._pending_expiry, (link.timestamp, link.decision.duplicate_of))
        placed += [_reverse(lk, member) for lk in self._pending.pop(member.article_id, [])
                   if lk.article in self._story_of]
        placed.sort(key=lambda lk: _rank(lk.decision), reverse=True)
        decision = placed[0].decision if placed else Decision(story_id="", kind="new")
        stories = {self._story_of[lk.decision.duplicate_of] for lk in placed}
        story = self._survivor(stories, member)
        merged = [s for s in stories if s != story.id]
        for old in merged:
            self._absorb(story, self.stories.pop(old))
        decision.story_id = story.id
        story.add(member, decision)
        self._story_of[member.article_id] = story.id
        heapq.heappush(self._expiry, (member.timestamp, member.article_id))
        self._expire(mark or (0, member.timestamp))
        story.prune(self.watermark.value - self.members_kept)
        return decision, story, merged

    def _survivor(self, stories: set[str], member: Member) -> Story:
        if not stories:
            story = Story(OWN_STORY + member.article_id, member.article_id, member.outlet, member.timestamp)
            self.stories[story.id] = story
            self._created[story.id] = len(self._created)
            return story
        return self.stories[min(stories, key=lambda s: self._created[s])]

    def _absorb(self, story: Story, other: Story) -> None:
        for article in other.articles:
            if article in self._story_of:
                self._story_of[article] = story.id
        story.absorb(other)
        self._created.pop(other.id, None)

    def _expire(self, mark: Mark) -> None:
        horizon = self.watermark.see(mark) - self.keep
        while self._expiry and self._expiry[0][0] < horizon:
            _, article_id = heapq.heappop(self._expiry)
            self._pending.pop(article_id, None)
            story_id = self._story_of.pop(article_id, None)
            story = self.stories.get(story_id) if story_id else None
            if story is not None and story.last_time < horizon:
                del self.stories[story.id]
                self._created.pop(story.id, None)
        while self._pending_expiry and self._pending_expiry[0][0] < horizon:
            _, other = heapq.heappop(self._pending_expiry)  # links to an article that never came
            links = [lk for lk in self._pending.pop(other, []) if lk.timestamp >= horizon]
            if links:
                self._pending[other] = links

    def state_size(self) -> dict[str, int]:
        return {"stories": len(self.stories), "story_articles": len(self._story_of)}


class StoryIndex:
    """Match and place in one process (one partition): the evaluation, benchmark and tests use it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.matches = MatchIndex(settings)
        self.book = StoryBook(settings)

    @property
    def stories(self) -> dict[str, Story]:
        return self.book.stories

    def __len__(self) -> int:
        return len(self.matches)

    def story_of(self, article_id: str) -> str | None:
        return self.book.story_of(article_id)

    def add(self, fp: Fingerprint) -> tuple[Decision, Story]:
        decision, story, _ = self.book.place(fp.member, self.matches.match(fp, keys_of(fp, self.settings)))
        return decision, story

    def compare(self, a: Fingerprint, b: Fingerprint) -> Decision:
        return compare(a, b, self.settings)

    def state_size(self) -> dict[str, int]:
        return {**self.matches.state_size(), **self.book.state_size()}


def _reverse(link: Link, member: Member) -> Link:
    """A verdict seen from its other side: ``member`` arrived after ``link.article`` linked to it."""
    d = link.decision
    return Link(member.article_id, member.timestamp,
                Decision(story_id="", kind=d.kind, duplicate_of=link.article, jaccard=d.jaccard, cosine=d.cosine,
                         evidence=_swap(d.evidence)))


def _swap(evidence: ev.Evidence | None) -> ev.Evidence | None:
    if evidence is None:
        return None
    return ev.Evidence([{"a": q["b"], "b": q["a"], "score": q["score"]} for q in evidence.quotes],
                       evidence.entities, evidence.numbers)


def _evidence(a: Fingerprint, b: Fingerprint) -> ev.Evidence:
    return ev.collect(a.quotes, b.quotes, a.entities, b.entities, a.numbers, b.numbers, a.quote_norms, b.quote_norms)


def _cosine(a: Fingerprint, b: Fingerprint) -> float | None:
    if a.embedding is None or b.embedding is None:
        return None
    return float(np.dot(a.embedding.astype(np.float32), b.embedding.astype(np.float32)))


def _rank(decision: Decision) -> tuple:
    return KIND_RANK[decision.kind], decision.jaccard or 0.0, decision.cosine or 0.0
