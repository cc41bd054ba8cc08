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


def test_the_iso_fast_path_reads_what_dateutil_reads():
    """``read_date`` reads the common ISO 8601 shapes with ``datetime.fromisoformat``: the same moment and
    offset as dateutil on every such string, and dateutil still reads (or refuses) the rest."""
    import random

    from dateutil import parser as date_parser

    from streams.core.dates import PLAIN_ISO

    rng = random.Random(5)
    values = ["2024-02-29", "2016-05-29T00:00:00+00:00", "2016-05-29 06:25:04.973040+00:00", "2023-10-19T08:30Z",
              "2023-10-19T08:30:15.5-05:30", "1999-12-31T23:59:59.999999+14:00"]
    for _ in range(2000):
        day = f"{rng.randint(1900, 2100):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        clock = rng.choice(["", f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                            f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
                            f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
                            f".{rng.randint(0, 999999):0{rng.randint(1, 6)}d}"])
        zone = rng.choice(["", "Z", f"{rng.choice('+-')}{rng.randint(0, 14):02d}:{rng.choice(['00', '30', '45'])}"]) \
            if clock else ""
        values.append(day + clock + zone)
    for value in values:
        assert PLAIN_ISO.fullmatch(value), value
        expected = date_parser.parse(value)
        expected = expected if expected.tzinfo is not None else expected.replace(tzinfo=UTC)
        got = read_date(value)
        assert got == expected and got.utcoffset() == expected.utcoffset(), value
    assert not PLAIN_ISO.fullmatch("Thu, 19 Oct 2023 08:30:00 GMT") and not PLAIN_ISO.fullmatch("19.10.2023")
    with pytest.raises(DateError):
        read_date("2023-02-30")  # the fast path declines, dateutil refuses it with its reason
    assert read_date("Thu, 19 Oct 2023 08:30:00 GMT") == datetime(2023, 10, 19, 8, 30, tzinfo=UTC)
