"""Records derived from a raw record fit what the worker may send, or the raw record is refused as too_large."""
from __future__ import annotations

import orjson

from streams.core import wire
from streams.core.model import parse_raw
from streams.core.pipeline import Preparer
from streams.settings import Settings

PARAGRAPH = ('The council of Lyon voted on plan number {n} on Monday. "We will build the depot number {n} by '
             'spring," said Councillor Marie Dupont of the Green Party. It would cost {n} million euros, according '
             'to the Ministry of Finance in Paris. ')


def sized_record(ident: str, size: int) -> bytes:
    """A valid, quote-heavy article whose raw JSON is exactly ``size`` bytes."""
    record = {"id": ident, "title": f"A long council report {ident}", "source": "long.example",
              "published": "2025-03-01T08:00:00+00:00", "text": ""}
    parts, total, n = [], 0, 0
    while total < size:
        part = PARAGRAPH.format(n=n)
        parts.append(part)
        total += len(part)
        n += 1
    record["text"] = "".join(parts)
    value = orjson.dumps(record)
    record["text"] = record["text"][: len(record["text"]) - (len(value) - size)]  # now at most size bytes
    record["text"] += " " * (size - len(orjson.dumps(record)))  # one byte a space
    value = orjson.dumps(record)
    assert len(value) == size
    return value


def test_the_internal_limit_covers_what_an_article_at_the_raw_limit_turns_into():
    settings = Settings(semantic=False, max_record_bytes=300_000)
    value = sized_record("at-limit", settings.max_record_bytes)
    [prepared] = Preparer(settings).prepare([parse_raw(value, settings.max_record_bytes)])
    registration = wire.encode(prepared.registration([0, 1, 2, 3], (0, 1.0), (0, 5)))
    keyed = [wire.encode(prepared.keyed(keys, (0, 1.0))) for keys in prepared.routes(4).values()]
    assert len(registration) > len(value)  # it carries the cleaned text and more
    assert max(len(registration), *map(len, keyed)) <= settings.internal_record_bytes
    assert settings.internal_record_bytes < settings.producer_request_bytes


def test_a_derived_record_over_the_limit_is_named_in_the_reason():
    from streams.runtime.dead_letters import oversized

    assert oversized([b"x" * 10, b"y" * 20], 20) == ""
    why = oversized([b"x" * 10, b"y" * 21], 20)
    assert "21 bytes" in why and "20" in why
