"""What the matcher keeps of an article: ``Member`` (who published it when), ``Fingerprint`` (the record the
prepare stage sends, with its wire form) and ``Held`` (a fingerprint packed for the window)."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import LeanMinHash

from streams.core.match import evidence as ev
from streams.core.match import packed


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
                "seed": int(self.minhash.seed), "scheme": self.minhash.scheme,
                "minhash": _b64(self.minhash.hashvalues.astype(np.uint64)),
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
        self._packed = packed.pack([fp.quotes, fp.entities, fp.numbers, fp.quote_norms])

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


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


@lru_cache(maxsize=256)
def _unpack(data: bytes) -> tuple[list[str], ...]:
    """The evidence lists of a held fingerprint (cached: one pair reads all four, a candidate meets several)."""
    return tuple(packed.unpack(data))
