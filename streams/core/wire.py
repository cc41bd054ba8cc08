"""The codec of what travels between the stages (streams/core/messages.py), with orjson.

``encode(message)`` -> bytes and ``decode(bytes, *allowed)`` -> message are the one way the stages write and read
their topics; ``encode_output`` writes the output and dead-letter records. Between the stages records carry
batches: ``pack(encoded messages, limit)`` -> batch records of at most ``limit`` bytes and ``BATCH_ITEMS`` items,
``unpack(record, *allowed)`` -> the messages of a record (a bad item is a ``BadItem`` in its place). Inside a message, facts are tagged
dataclasses (only those listed in ``TYPES`` are rebuilt on the way back, so a record never turns into an
arbitrary object), vectors are base64 float16, fingerprints and decisions use their own wire forms
(streams/core/match/held.py, decision.py).
"""
from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import orjson

from streams.core.match.decision import Decision
from streams.core.match.held import Fingerprint
from streams.core.messages import (
    Batch,
    DeadLetter,
    Idle,
    Keyed,
    KeyedMessage,
    Message,
    Registration,
    Report,
    ResolveMessage,
    Tick,
)
from streams.core.model import Article
from streams.core.prepare.extract import EventDate, Facts
from streams.core.prepare.gazetteer import Place

TYPES: dict[str, type] = {"Facts": Facts, "Place": Place, "EventDate": EventDate}
BATCH_ITEMS = 1024  # the most messages one batch record holds (an output's version counts items below it)
_OPEN, _CLOSE = b'{"type":"batch","items":[', b"]}"
ENVELOPE = len(_OPEN) + len(_CLOSE)  # the bytes a batch record adds around its items


class WireError(ValueError):
    """A stage record that cannot be decoded."""


class BadItem(WireError):
    """An item of a batch record that cannot be decoded; ``value`` is the item's JSON."""

    def __init__(self, message: str, value: bytes) -> None:
        super().__init__(message)
        self.value = value


@functools.cache
def _field_names(name: str) -> tuple[str, ...]:
    """The fields of the dataclass ``TYPES[name]``."""
    return tuple(f.name for f in dataclasses.fields(TYPES[name]))


def to_tagged(value: Any) -> Any:
    """Dataclasses and dates as tagged JSON values."""
    if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        name = type(value).__name__
        if name not in TYPES:
            raise WireError(f"{name} cannot travel between stages")
        return {"__t": name, **{f: to_tagged(getattr(value, f)) for f in _field_names(name)}}
    if isinstance(value, date):
        return {"__d": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [to_tagged(v) for v in value]
    if isinstance(value, dict):
        return {k: to_tagged(v) for k, v in value.items()}
    return value


def from_tagged(value: Any) -> Any:
    if isinstance(value, list):
        return [from_tagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__d" in value:
        return date.fromisoformat(value["__d"])
    if "__t" in value:
        kind = TYPES.get(value["__t"])
        if kind is None:
            raise WireError(f"unknown type {value['__t']!r}")
        names = _field_names(value["__t"])
        return kind(**{k: from_tagged(v) for k, v in value.items() if k in names})
    return {k: from_tagged(v) for k, v in value.items()}


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


# -- the messages ------------------------------------------------------------------------------------
def _mark(value: Any) -> tuple[int, float | None]:
    source, when = value
    return int(source), None if when is None else float(when)


def _pair(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


def _to_json(message: Message) -> dict[str, Any]:
    if isinstance(message, Keyed):
        return {"fp": message.fp.to_wire(), "keys": message.keys, "text_key": message.text_key,
                "mark": list(message.mark)}
    if isinstance(message, Registration):
        return {"article": article_to_wire(message.article), "text_key": message.text_key,
                "mark": list(message.mark), "raw": None if message.raw is None else list(message.raw),
                "cleaned": message.cleaned, "facts": to_tagged(message.facts),
                "embedding": vector_to_wire(message.embedding), "partitions": message.partitions}
    if isinstance(message, Report):
        return {"id": message.article_id, "text_key": message.text_key, "ts": message.timestamp,
                "partition": message.partition, "source": message.source,
                "links": [decision.as_dict() for decision in message.links], "seconds": message.seconds}
    if isinstance(message, Idle):
        return {"source": message.source}
    if isinstance(message, Tick):
        return {"source": message.source, "when": message.when}
    if isinstance(message, DeadLetter):
        record: dict[str, Any] = {"reason": message.reason, "detail": message.detail, "at": message.at,
                                  "raw": None if message.raw is None else list(message.raw)}
        if message.value is not None:
            record.update(value=message.value, value_bytes=message.value_bytes,
                          value_truncated=message.value_truncated)
        return record
    raise WireError(f"{type(message).__name__} is not a message")


def _from_json(kind: str, data: dict[str, Any]) -> Message:
    if kind == "keyed":
        return Keyed(Fingerprint.from_wire(data["fp"]), list(data["keys"]), data["text_key"], _mark(data["mark"]))
    if kind == "article":
        facts = from_tagged(data["facts"])
        if not isinstance(facts, Facts):
            raise WireError("a registration's facts are not Facts")
        return Registration(article_from_wire(data["article"]), data["text_key"], _mark(data["mark"]),
                            _pair(data.get("raw")), data["cleaned"], facts, vector_from_wire(data["embedding"]),
                            [int(p) for p in data["partitions"]])
    if kind == "report":
        source = data.get("source")
        return Report(data["id"], data["text_key"], float(data["ts"]), int(data["partition"]),
                      None if source is None else int(source), [Decision.from_dict(d) for d in data["links"]],
                      float(data.get("seconds") or 0.0))
    if kind == "idle":
        return Idle(int(data["source"]))
    if kind == "tick":
        return Tick(int(data["source"]), float(data["when"]))
    raise WireError(f"unknown message type {kind!r}")


def encode(message: Message) -> bytes:
    """A stage message as the bytes of its topic record (a ``Batch`` as one record, whatever its size)."""
    if isinstance(message, Batch):
        return _join([encode(item) for item in message.items])
    return orjson.dumps({"type": message.TYPE, **_to_json(message)})


def _join(items: Sequence[bytes]) -> bytes:
    return _OPEN + b",".join(items) + _CLOSE


def pack(items: Sequence[bytes], limit: int) -> list[bytes]:
    """Encoded messages (``encode``) as batch records, in order: each record at most ``limit`` bytes and
    ``BATCH_ITEMS`` items. An item that does not fit a record on its own travels alone (the worker
    dead-letters such an article first: ``dead_letters.oversized`` with ``ENVELOPE``)."""
    records: list[bytes] = []
    group: list[bytes] = []
    size = ENVELOPE
    for item in items:
        if group and (size + 1 + len(item) > limit or len(group) >= BATCH_ITEMS):
            records.append(_join(group))
            group, size = [], ENVELOPE
        size += len(item) + (1 if group else 0)
        group.append(item)
    if group:
        records.append(_join(group))
    return records


def decode(data: bytes | None, *allowed: type) -> Message:
    """The message in a stage's topic record; ``WireError`` (a ValueError) if it is not one of ``allowed``
    (any message when none is given) or cannot be read; a batch record is a ``Batch`` if ``Batch`` is allowed,
    every item of it checked against the other ``allowed`` types. Keyed records written before messages had a
    type (``{"fp": ...}``, ``{"idle": n}``) are read too, so a worker can rebuild from topics an older one
    wrote."""
    record = _load(data)
    if record.get("type") == Batch.TYPE:
        if allowed and Batch not in allowed:
            raise WireError("a batch message does not belong on this topic")
        items = _items(record, tuple(t for t in allowed if t is not Batch))
        for item in items:
            if isinstance(item, BadItem):
                raise item
        return Batch(cast(list[Keyed | Registration | Report | Tick], items))
    return _message(record, allowed)


def unpack(data: bytes | None, *allowed: type) -> list[Message | BadItem]:
    """The messages of a stage's topic record, in order: the items of a batch record (an item that cannot be
    read, or is not one of ``allowed``, is a ``BadItem`` in its place) or the one message of a plain record.
    ``WireError`` if the record itself cannot be read."""
    record = _load(data)
    if record.get("type") == Batch.TYPE:
        return _items(record, allowed)
    return [_message(record, allowed)]


def _load(data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise WireError("a stage record without a value")
    record = orjson.loads(data)
    if not isinstance(record, dict):
        raise WireError("a stage record that is not a JSON object")
    return record


def _items(record: dict[str, Any], allowed: tuple[type, ...]) -> list[Message | BadItem]:
    items = record.get("items")
    if not isinstance(items, list):
        raise WireError("a batch record without a list of items")
    out: list[Message | BadItem] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict) or item.get("type") in (Batch.TYPE, None):
                raise WireError("not a typed message")
            out.append(_message(item, allowed))
        except (ValueError, KeyError, TypeError) as exc:
            out.append(BadItem(f"batch item {index}: {exc}", orjson.dumps(item)))
    return out


def _message(record: dict[str, Any], allowed: tuple[type, ...]) -> Message:
    kind = record.get("type")
    if kind is None and "idle" in record:  # the keyed topic's former idle notice
        kind, record = "idle", {"source": record["idle"]}
    elif kind is None and "fp" in record:  # the keyed topic's former fingerprint record
        kind = "keyed"
    message = _from_json(str(kind), record)
    if allowed and not isinstance(message, allowed):
        raise WireError(f"a {kind} message does not belong on this topic")
    return message


def decode_keyed(data: bytes | None) -> list[KeyedMessage | BadItem]:
    """A keyed-topic record's messages: ``Keyed`` (a batch of them) or ``Idle``."""
    return cast(list[KeyedMessage | BadItem], unpack(data, Keyed, Idle))


def decode_resolve(data: bytes | None) -> list[ResolveMessage | BadItem]:
    """A resolve-topic record's messages: ``Registration`` and ``Tick`` or ``Report`` (a batch of them) or
    ``Idle``."""
    return cast(list[ResolveMessage | BadItem], unpack(data, Registration, Report, Idle, Tick))


def encode_output(value: DeadLetter | dict[str, Any] | None) -> bytes | None:
    """An output or dead-letter record (no type field: the topic says what it is); None stays a tombstone."""
    if value is None:
        return None
    return orjson.dumps(_to_json(value) if isinstance(value, DeadLetter) else value)

