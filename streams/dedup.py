"""Dedup stage: does an article start a new story or join an existing one, and why.

Three signals, cheapest first:
- exact: same normalised text;
- near-verbatim: MinHash-estimated 5-shingle Jaccard >= ``near_copy_jaccard`` (LSH finds candidates);
- paraphrase: lead-embedding cosine >= ``paraphrase_cosine``, or >= ``paraphrase_support_cosine`` with
  shared quotes and names as evidence (without the model: several shared quotes and names).
Only articles published within ``story_window_hours`` of each other are compared; older state is dropped.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from streams import evidence as ev
from streams.fingerprint import NUM_PERM, estimated_jaccard
from streams.settings import Settings
from streams.vectors import VectorStore

KIND_RANK = {"exact": 3, "near_verbatim": 2, "paraphrase": 1}
EVIDENCE_CANDIDATES = 5


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

    def __post_init__(self) -> None:
        if self.quotes and not self.quote_norms:
            self.quote_norms = ev.normalise_quotes(self.quotes)

    @property
    def quote_keys(self) -> set[str]:
        """First three words of each quote: a cheap blocking key for the lexical paraphrase rule."""
        return {" ".join(q.split()[:3]) for q in self.quote_norms}


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

    def as_dict(self) -> dict[str, Any]:
        return {"story_id": self.story_id, "kind": self.kind, "duplicate_of": self.duplicate_of,
                "similarity": {"jaccard_5shingle": _round(self.jaccard), "lead_cosine": _round(self.cosine)},
                "evidence": (self.evidence or ev.Evidence()).as_dict()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class Story:
    """A story: its canonical (earliest published) article and every member with why it joined."""

    id: str
    canonical: str
    canonical_outlet: str
    canonical_time: float
    members: list[dict] = field(default_factory=list)
    last_time: float = 0.0

    def add(self, fp: Fingerprint, decision: Decision) -> None:
        self.members.append({"article": fp.article_id, "outlet": fp.outlet, "time": fp.timestamp,
                             **{k: v for k, v in decision.as_dict().items() if k != "story_id"}})
        self.last_time = max(self.last_time, fp.timestamp)
        if fp.timestamp < self.canonical_time:
            self.canonical, self.canonical_outlet, self.canonical_time = fp.article_id, fp.outlet, fp.timestamp

    @property
    def outlets(self) -> list[str]:
        return sorted({m["outlet"] for m in self.members})

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "canonical": self.canonical, "articles": [m["article"] for m in self.members],
                "outlets": self.outlets, "members": self.members}


class StoryIndex:
    """Online story clustering over a sliding publication-time window."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.window = settings.story_window_hours * 3600
        self._lsh = MinHashLSH(threshold=settings.near_copy_jaccard, num_perm=NUM_PERM)
        self._held: dict[str, Fingerprint] = {}
        self._exact: dict[str, str] = {}
        self._vectors: VectorStore | None = None
        self._story_of: dict[str, str] = {}
        self.stories: dict[str, Story] = {}
        self._expiry: list[tuple[float, str]] = []
        self._by_quote: dict[str, set[str]] = {}
        self.watermark = 0.0

    def __len__(self) -> int:
        return len(self._held)

    def story_of(self, article_id: str) -> str | None:
        return self._story_of.get(article_id)

    def add(self, fp: Fingerprint) -> tuple[Decision, Story]:
        """Place one article; the caller has already skipped replays of known ids."""
        decision = self._decide(fp)
        story = self.stories.get(decision.story_id)
        if story is None:
            story = Story(decision.story_id, fp.article_id, fp.outlet, fp.timestamp)
            self.stories[story.id] = story
        story.add(fp, decision)
        self._hold(fp, decision.story_id)
        self._expire(fp.timestamp)
        return decision, story

    def compare(self, a: Fingerprint, b: Fingerprint) -> Decision:
        """The decision rule applied to one pair (used by the pair evaluation)."""
        return self._judge(a, b, explain=True) or Decision(story_id="", kind="new",
                                               jaccard=estimated_jaccard(a.minhash, b.minhash),
                                               cosine=_cosine(a, b))

    # -- decision -------------------------------------------------------------------------------
    def _decide(self, fp: Fingerprint) -> Decision:
        best: Decision | None = None
        for other in self._candidates(fp):
            decision = self._judge(fp, self._held[other])
            if decision and (best is None or _rank(decision) > _rank(best)):
                best = decision
        if best is None:
            return Decision(story_id=f"story-{fp.article_id}", kind="new")
        best.story_id = self._story_of[best.duplicate_of]
        if best.evidence is None:
            best.evidence = _evidence(fp, self._held[best.duplicate_of])
        return best

    def _candidates(self, fp: Fingerprint) -> list[str]:
        found: dict[str, None] = {}
        if fp.exact in self._exact:
            found[self._exact[fp.exact]] = None
        near = [k for k in self._lsh.query(fp.minhash) if k in self._held]
        near.sort(key=lambda k: -estimated_jaccard(fp.minhash, self._held[k].minhash))
        found.update(dict.fromkeys(near[:EVIDENCE_CANDIDATES]))
        if fp.embedding is not None and self._vectors is not None:
            for key, _ in self._vectors.search(fp.embedding, self.settings.paraphrase_support_cosine,
                                               EVIDENCE_CANDIDATES):
                found[key] = None
        elif fp.embedding is None:
            found.update(dict.fromkeys(self._lexical_candidates(fp)))
        return [k for k in found if k in self._held and abs(self._held[k].timestamp - fp.timestamp) <= self.window]

    def _lexical_candidates(self, fp: Fingerprint) -> list[str]:
        """Without embeddings: held articles sharing a quote prefix, most shared prefixes first."""
        counts: dict[str, int] = {}
        for key in fp.quote_keys:
            for other in self._by_quote.get(key, ()):
                counts[other] = counts.get(other, 0) + 1
        return sorted(counts, key=lambda k: -counts[k])[:EVIDENCE_CANDIDATES]

    def _judge(self, a: Fingerprint, b: Fingerprint, explain: bool = False) -> Decision | None:
        """Kind of match between ``a`` and ``b`` or None. Evidence (the costly part) is computed only
        where the rule needs it; ``_decide`` fills it in for the winning match."""
        s = self.settings
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
        elif cosine is None or cosine >= s.paraphrase_support_cosine:
            evidence = _evidence(a, b)
            quotes, names = (2, 2) if cosine is not None else (3, 3)
            if len(evidence.quotes) >= quotes and len(evidence.entities) >= names:
                kind = "paraphrase"
        if kind is None:
            return None
        return Decision(story_id="", kind=kind, duplicate_of=b.article_id, jaccard=jaccard, cosine=cosine,
                        evidence=evidence if evidence is not None else _evidence(a, b) if explain else None)

    # -- state ----------------------------------------------------------------------------------
    def _hold(self, fp: Fingerprint, story_id: str) -> None:
        self._held[fp.article_id] = fp
        self._story_of[fp.article_id] = story_id
        self._exact.setdefault(fp.exact, fp.article_id)
        self._lsh.insert(fp.article_id, fp.minhash, check_duplication=False)
        if fp.embedding is None:
            for key in fp.quote_keys:
                self._by_quote.setdefault(key, set()).add(fp.article_id)
        if fp.embedding is not None:
            if self._vectors is None:
                self._vectors = VectorStore(len(fp.embedding))
            self._vectors.add(fp.article_id, fp.embedding)
        heapq.heappush(self._expiry, (fp.timestamp, fp.article_id))

    def _expire(self, timestamp: float) -> None:
        self.watermark = max(self.watermark, timestamp)
        horizon = self.watermark - self.window
        while self._expiry and self._expiry[0][0] < horizon:
            _, key = heapq.heappop(self._expiry)
            fp = self._held.pop(key, None)
            if fp is None:
                continue
            self._lsh.remove(key)
            if self._vectors is not None:
                self._vectors.remove(key)
            if self._exact.get(fp.exact) == key:
                del self._exact[fp.exact]
            for quote_key in fp.quote_keys:
                holders = self._by_quote.get(quote_key)
                if holders is not None:
                    holders.discard(key)
                    if not holders:
                        del self._by_quote[quote_key]
            story_id = self._story_of.pop(key)
            story = self.stories.get(story_id)
            if story is not None and story.last_time < horizon:
                del self.stories[story_id]

    def state_size(self) -> dict[str, int]:
        return {"dedup_articles": len(self._held), "stories": len(self.stories),
                "vector_bytes": self._vectors.nbytes if self._vectors else 0}


def _evidence(a: Fingerprint, b: Fingerprint) -> ev.Evidence:
    return ev.collect(a.quotes, b.quotes, a.entities, b.entities, a.numbers, b.numbers, a.quote_norms, b.quote_norms)


def _cosine(a: Fingerprint, b: Fingerprint) -> float | None:
    if a.embedding is None or b.embedding is None:
        return None
    return float(np.dot(a.embedding.astype(np.float32), b.embedding.astype(np.float32)))


def _rank(decision: Decision) -> tuple:
    return KIND_RANK[decision.kind], decision.jaccard or 0.0, decision.cosine or 0.0
