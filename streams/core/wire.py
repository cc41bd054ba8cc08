"""JSON forms of what travels between the stages (articles, facts, vectors), with orjson.

Only the dataclasses listed in ``TYPES`` are rebuilt on the way back; anything else is refused,
so a record never turns into an arbitrary object.
"""
from __future__ import annotations

import base64
import dataclasses
from datetime import date, datetime
from typing import Any

import numpy as np

from streams.core.model import Article
from streams.core.prepare.extract import EventDate, Facts
from streams.core.prepare.gazetteer import Place

TYPES: dict[str, type] = {"Facts": Facts, "Place": Place, "EventDate": EventDate}


class WireError(ValueError):
    """A stage record that cannot be decoded."""


def encode(value: Any) -> Any:
    """Dataclasses and dates as tagged JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in TYPES:
            raise WireError(f"{name} cannot travel between stages")
        return {"__t": name, **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, date):
        return {"__d": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__d" in value:
        return date.fromisoformat(value["__d"])
    if "__t" in value:
        kind = TYPES.get(value["__t"])
        if kind is None:
            raise WireError(f"unknown type {value['__t']!r}")
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: decode(v) for k, v in value.items() if k in names})
    return {k: decode(v) for k, v in value.items()}


def vector_to_wire(vector: np.ndarray | None) -> str | None:
    if vector is None:
        return None
    return base64.b64encode(np.ascontiguousarray(vector.astype(np.float16)).tobytes()).decode("ascii")


def vector_from_wire(data: str | None) -> np.ndarray | None:
    return None if data is None else np.frombuffer(base64.b64decode(data), dtype=np.float16)


def article_to_wire(article: Article) -> dict[str, Any]:
    """Everything of an article but its text (the stages after preparation do not need it)."""
    return {**article.as_dict(), "sent_at": article.sent_at, "seen_at": article.seen_at,
            "stand_in": article.stand_in}


def article_from_wire(data: dict[str, Any]) -> Article:
    published = data.get("published")
    return Article(id=data["id"], title=data["title"], text="", source=data["source"],
                   source_evidence=data.get("source_evidence") or "", url=data.get("url") or "",
                   published=datetime.fromisoformat(published) if published else None,
                   sent_at=data.get("sent_at"), date_error=data.get("date_error") or "",
                   seen_at=data.get("seen_at") or 0.0, stand_in=data.get("stand_in"))
