"""The article record and its validation: raw bytes or dicts in, an ``Article`` or a ``BadRecord`` out."""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from streams.core.dates import FUTURE_SKEW_S, PAST_S, parse_date
from streams.sources.base import article_id

MAX_TITLE_CHARS = 1000
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
WORD = re.compile(r"\w")


class BadRecord(ValueError):
    """A raw record that cannot become an article; ``reason`` is a short, bounded code."""

    REASONS = ("not_json", "bad_encoding", "wrong_shape", "missing_title", "empty_body", "too_large",
               "id_conflict", "bad_internal_record", "untrusted_tick")

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Article:
    """One news article after validation (text not yet cleaned)."""

    id: str
    title: str
    text: str
    source: str = "unknown"
    url: str = ""
    published: datetime | None = None
    sent_at: float | None = None
    date_error: str = ""
    seen_at: float = field(default_factory=time.time)
    source_evidence: str = ""  # where an outlet read from the page was found ("" when the record gave it)
    stand_in: float | None = None
    """For an article without a trusted publication time: the event time it is placed at (the newest trusted
    publication time its raw partition had reached), so it neither moves the watermark nor arrives late."""

    @property
    def trusted(self) -> bool:
        """Whether the article carries a publication time the pipeline trusts."""
        return self.published is not None

    @property
    def timestamp(self) -> float:
        """Publication time if trusted, else the stand-in event time, else the time the pipeline first saw it."""
        if self.published is not None:
            return self.published.timestamp()
        return self.stand_in if self.stand_in is not None else self.seen_at

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source,
                "source_evidence": self.source_evidence or None, "url": self.url,
                "published": self.published.isoformat() if self.published else None,
                "published_trusted": self.published is not None,
                "date_error": self.date_error or None}


def visible(text: str) -> bool:
    """Whether ``text`` has a character that shows: not only whitespace, NUL, control, format (zero-width)
    or separator characters. Stops at the first visible one."""
    return any(unicodedata.category(ch)[0] not in "CZ" for ch in text)


def parse_raw(value: bytes | str | None, max_bytes: int = 2_000_000, future_s: float = FUTURE_SKEW_S,
              past_s: float = PAST_S) -> Article:
    """Validate one raw-topic value. Raises ``BadRecord`` with a reason code."""
    if value is None:
        raise BadRecord("wrong_shape", "empty message")
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if len(value) > max_bytes:
        raise BadRecord("too_large", f"{len(value)} bytes > {max_bytes}")
    if value.startswith(UTF8_BOM):  # a UTF-8 byte order mark is still UTF-8: accept it
        value = value[len(UTF8_BOM):]
    if value.startswith(UTF16_BOMS):
        raise BadRecord("bad_encoding", "UTF-16 (byte order mark), expected UTF-8")
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord("bad_encoding", f"not UTF-8 at byte {exc.start}") from None
    nul = value.find(b"\x00")
    if nul >= 0:  # valid UTF-8, but JSON never holds a raw NUL: UTF-16/32 without a BOM, or binary
        raise BadRecord("bad_encoding", f"NUL byte at {nul} (UTF-16/32 or binary?), expected UTF-8")
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise BadRecord("not_json", str(exc)[:120]) from None
    return parse_article(record, future_s, past_s)


def _text_field(record: dict, *names: str) -> Any:
    for name in names:
        if record.get(name) not in (None, ""):
            return record[name]
    return None


def headline_text(title: str, summary: Any) -> str:
    """The text of a headline-only item (no body: many feeds carry nothing else): its one-line summary if it
    has one, else the title. A title without a single word and nothing else is ``empty_body``."""
    if isinstance(summary, str) and visible(summary):
        return summary
    if not WORD.search(title):
        raise BadRecord("empty_body", "no body, no summary and a title without words")
    return title


def parse_article(record: Any, future_s: float = FUTURE_SKEW_S, past_s: float = PAST_S) -> Article:
    """Validate a decoded record (a dict with a title and, usually, a text). Raises ``BadRecord``.

    A record with a title and no body is a headline-only item: its text is its summary or its title.
    A publication time is trusted only within ``future_s`` after / ``past_s`` before the time the record
    was sent (``sent_at``, when it is not after now) or else seen; otherwise ``published`` is None and
    ``date_error`` says why."""
    if not isinstance(record, dict):
        raise BadRecord("wrong_shape", f"expected a JSON object, got {type(record).__name__}")
    title = _text_field(record, "title", "headline")
    text = _text_field(record, "text", "body", "content")
    if title is not None and not isinstance(title, str) or text is not None and not isinstance(text, str):
        raise BadRecord("wrong_shape", "title and text must be strings")
    if not title or not visible(title):
        raise BadRecord("missing_title")
    if not text or not visible(text):
        text = headline_text(title, _text_field(record, "summary", "description"))
    sent_at = record.get("sent_at")
    sent_at = float(sent_at) if isinstance(sent_at, (int, float)) and not isinstance(sent_at, bool) else None
    seen_at = time.time()
    reference = sent_at if sent_at is not None and 0 < sent_at <= seen_at else seen_at
    published, date_error = parse_date(record.get("published"), reference, future_s, past_s)
    return Article(
        id=article_id(record), title=title.strip()[:MAX_TITLE_CHARS], text=text,
        source=str(record.get("source") or "unknown")[:200], url=str(record.get("url") or "")[:2000],
        published=published, date_error=date_error, sent_at=sent_at, seen_at=seen_at)
