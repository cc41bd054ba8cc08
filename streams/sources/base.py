"""The source interface shared by the replayer and the feed poller."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Protocol

RawRecord = dict[str, Any]
"""A raw article: ``id``, ``title``, ``text``, and optionally ``source``, ``url``, ``published`` (ISO 8601)."""


class Source(Protocol):
    """Anything that yields raw article records."""

    name: str

    def records(self) -> Iterator[RawRecord]:
        """Yield records in the order they should be published."""
        ...


def article_id(record: RawRecord) -> str:
    """Stable id: the record's own id, else a hash of its URL (if any) and content.

    The same text from the same URL always gets the same id, so a replay or a
    restarted poller publishes the same keys and downstream state stays idempotent.
    """
    given = record.get("id")
    if isinstance(given, str) and given.strip():
        return given.strip()
    digest = hashlib.sha256()
    for part in (record.get("url") or "", record.get("title") or "", record.get("text") or ""):
        digest.update(str(part).encode("utf-8", "replace"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:16]
