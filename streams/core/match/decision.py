"""A verdict on an article: ``Decision`` (the story it joins, the kind of match, the figures and evidence
behind it, with its wire form) and ``Link`` (a verdict between two articles, as the match stage sends it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.core.match import evidence as ev

KIND_RANK = {"exact": 3, "near_verbatim": 2, "paraphrase": 1}


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
                   evidence=None if evidence is None else ev.Evidence.from_dict(evidence))

    def as_dict(self) -> dict[str, Any]:
        return {"story_id": self.story_id, "kind": self.kind, "duplicate_of": self.duplicate_of,
                "similarity": {"jaccard_5shingle": _round(self.jaccard), "lead_cosine": _round(self.cosine)},
                "evidence": (self.evidence or ev.Evidence()).as_dict()}


def rank(decision: Decision) -> tuple:
    """Sort key of verdicts, best last: the kind of match, then the figures."""
    return KIND_RANK[decision.kind], decision.jaccard or 0.0, decision.cosine or 0.0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(slots=True)
class Link:
    """A verdict: ``article`` is the same story as ``decision.duplicate_of``."""

    article: str
    timestamp: float
    decision: Decision

    @property
    def other(self) -> str:
        """The article ``article`` is linked to (a verdict always names one)."""
        return self.decision.duplicate_of or ""
