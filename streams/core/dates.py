"""Dates as records, feeds and pages write them: one reader for ISO 8601 / RFC 2822 strings (``read_date``)
and the trust checks a publication time must pass before the pipeline orders articles by it (``parse_date``)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as date_parser

MAX_DATE_CHARS = 100
"""Longer date strings are not parsed (a 2 MB one blocked dateutil, and the event loop, for ~10 s)."""
FUTURE_SKEW_S = 24 * 3600.0
"""Default: a publication time more than this after the article was sent/seen is not trusted."""
PAST_S = 10_950 * 86400.0
"""Default: a publication time more than this (~30 years) before the article was sent/seen is not trusted."""


PLAIN_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:\d{2})?")
"""The ISO 8601 shapes feeds and records mostly carry, which ``datetime.fromisoformat`` reads as dateutil does
(checked in tests/core/test_dates.py) at a twentieth of the cost; anything else goes to dateutil."""


class DateError(ValueError):
    """A date string that cannot be read; the message says why."""


def read_date(value: Any) -> datetime:
    """The moment an ISO 8601 / RFC 2822 date string names, with the offset it gives (none given = UTC).

    Raises ``DateError`` for a value that is not text, is longer than ``MAX_DATE_CHARS``, or is unreadable."""
    if not isinstance(value, str):
        raise DateError(f"date is {type(value).__name__}, not text")
    if len(value) > MAX_DATE_CHARS:
        raise DateError(f"date string of {len(value)} characters (more than {MAX_DATE_CHARS}) not parsed")
    parsed = _plain_iso(value)
    if parsed is None:
        try:
            parsed = date_parser.parse(value)
        except (ValueError, OverflowError) as exc:
            raise DateError(f"unreadable date {value[:40]!r} ({exc.__class__.__name__})") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _plain_iso(value: str) -> datetime | None:
    """``value`` read by ``datetime.fromisoformat`` if it has one of the ``PLAIN_ISO`` shapes, else None."""
    if not PLAIN_ISO.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # 2023-02-30, 25:00: dateutil says why
        return None


def read_date_or_none(value: Any) -> datetime | None:
    """``read_date``, or None for a missing, blank or unreadable value."""
    if value is None or isinstance(value, str) and not value.strip():
        return None
    try:
        return read_date(value.strip() if isinstance(value, str) else value)
    except DateError:
        return None


def parse_date(value: Any, now: float | None = None, future_s: float = FUTURE_SKEW_S,
               past_s: float = PAST_S) -> tuple[datetime | None, str]:
    """A publication time in UTC and the error text ("" when fine, or when there is no date at all).

    With ``now`` (seconds since epoch), a date more than ``future_s`` after it or ``past_s`` before it is
    not trusted either: (None, why)."""
    if value in (None, ""):
        return None, ""
    try:
        parsed = read_date(value).astimezone(UTC)
    except DateError as exc:
        return None, str(exc)
    except (ValueError, OverflowError) as exc:  # a moment that cannot be put in UTC (year 1 at +01:00, say)
        return None, f"unreadable date {value[:40]!r} ({exc.__class__.__name__})"
    if now is not None:
        when = parsed.timestamp()
        if when > now + future_s:
            return None, f"date {value[:40]!r} is more than {future_s / 3600:g} h in the future (max_future_skew_hours)"
        if when < now - past_s:
            return None, f"date {value[:40]!r} is more than {past_s / 86400:g} days in the past (max_past_days)"
    return parsed, ""
