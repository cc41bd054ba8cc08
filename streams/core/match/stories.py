"""Stories: ``StoryBook`` (one, fed by every keyed partition's verdicts) joins articles linked by a verdict
into stories. Stories are the connected components of the "same story" links inside the window, which does
not depend on the order the verdicts arrive in."""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from streams.core.match import packed
from streams.core.match.decision import Decision, Link, rank
from streams.core.match.held import Member
from streams.core.match.seen import OWN_STORY
from streams.core.match.watermark import Mark, Watermark
from streams.settings import DedupSettings

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
        detail = packed.pack({k: v for k, v in decision.as_dict().items() if k != "story_id"})
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
        return _members(self.entries)

    @property
    def outlets(self) -> list[str]:
        return sorted({e[1] for e in self.entries})

    def as_dict(self, listed: int | None = None) -> dict[str, Any]:
        """The story record: its members held, or the last ``listed`` placed of them; ``size`` counts all."""
        entries = self.entries if listed is None else self.entries[-listed:]
        return {"id": self.id, "canonical": self.canonical, "articles": [e[0] for e in entries],
                "size": self.size, "outlets": self.outlets, "members": _members(entries)}


def _members(entries: list[StoryEntry]) -> list[dict]:
    return [{"article": a, "outlet": o, "time": t, **packed.unpack(d)} for a, o, t, d in entries]


class StoryBook:
    """Stories as connected components of the verdicts, with the story records.

    A story keeps the id it was created with; when an article links two stories the older one absorbs
    the other (``merged`` tells the caller which story records to retract)."""

    def __init__(self, settings: DedupSettings, sources: int = 1) -> None:
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
        placed = [lk for lk in links if lk.other in self._story_of]
        for link in links:
            if link.other not in self._story_of:
                self._pending[link.other].append(link)
                heapq.heappush(self._pending_expiry, (link.timestamp, link.other))
        placed += [_reverse(lk, member) for lk in self._pending.pop(member.article_id, [])
                   if lk.article in self._story_of]
        placed.sort(key=lambda lk: rank(lk.decision), reverse=True)
        decision = placed[0].decision if placed else Decision(story_id="", kind="new")
        stories = {self._story_of[lk.other] for lk in placed}
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


def _reverse(link: Link, member: Member) -> Link:
    """A verdict seen from its other side: ``member`` arrived after ``link.article`` linked to it."""
    d = link.decision
    return Link(member.article_id, member.timestamp,
                Decision(story_id="", kind=d.kind, duplicate_of=link.article, jaccard=d.jaccard, cosine=d.cosine,
                         evidence=None if d.evidence is None else d.evidence.swapped()))
