"""streams/core/dates.py: the one reader of date strings, used by records, feeds, pages and datasets."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.core.dates import MAX_DATE_CHARS, DateError, parse_date, read_date, read_date_or_none
from streams.evaluation.datasets import publication_time
from streams.sources.pages import iso8601


def test_read_date_keeps_the_offset_the_text_gives_and_takes_none_as_utc():
    assert read_date("2024-07-04T11:20:00+05:00") == datetime(2024, 7, 4, 11, 20, tzinfo=timezone(timedelta(hours=5)))
    assert read_date("Thu, 04 Jul 2024 11:20:00 GMT") == datetime(2024, 7, 4, 11, 20, tzinfo=UTC)
    assert read_date("2024-07-04 11:20") == datetime(2024, 7, 4, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize(("value", "why"), [(20240704, "date is int, not text"),
                                            ("7" * (MAX_DATE_CHARS + 1), f"more than {MAX_DATE_CHARS}"),
                                            ("not a date", "unreadable date 'not a date'")])
def test_read_date_says_why_it_cannot(value, why):
    with pytest.raises(DateError, match=why):
        read_date(value)


def test_read_date_or_none_for_missing_blank_or_unreadable():
    assert [read_date_or_none(v) for v in (None, "", "  ", "soon", 3)] == [None] * 5
    assert read_date_or_none(" 2024-07-04 ") == datetime(2024, 7, 4, tzinfo=UTC)


def test_parse_date_gives_utc_and_the_reason_for_a_refusal():
    assert parse_date("2024-07-04T11:20:00+05:00") == (datetime(2024, 7, 4, 6, 20, tzinfo=UTC), "")
    assert parse_date("soon") == (None, "unreadable date 'soon' (ParserError)")
    assert parse_date("0001-01-01T00:30:00+01:00")[0] is None  # before the first moment a datetime holds in UTC


def test_every_reader_of_dates_reads_the_same_moment():
    text = "2024-07-04T11:20:00+05:00"
    moment = datetime(2024, 7, 4, 6, 20, tzinfo=UTC)
    assert parse_date(text)[0] == moment
    assert publication_time(text) == moment.timestamp()
    assert datetime.fromisoformat(iso8601(text) or "") == moment
    assert iso8601(text) == "2024-07-04T11:20:00+05:00"  # the page's own offset is kept
