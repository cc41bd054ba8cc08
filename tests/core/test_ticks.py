"""streams/core/ticks.py: the tick record of a publisher in publication order, and when it ticks."""
from __future__ import annotations

import math

import pytest

from streams.core.model import BadRecord, parse_raw
from streams.core.ticks import TickClock, tick_time, tick_value

DAY = 86400.0
NOW = 1_790_000_000.0  # 2026-09-21


def test_a_tick_value_round_trips_exactly():
    for when in (0.0, 1_700_000_000.123456, NOW + 0.1, -5.5):
        assert tick_time(tick_value(when)) == when


@pytest.mark.parametrize("value", [None, b"", b'{"title": "t", "text": "x"}', b"\x00tick:", b"\x00tick:soon",
                                   b"\x00tick:nan", b"\x00tick:inf", b"\x00tick:\xff", b"tick:12.5"])
def test_anything_else_is_not_a_tick(value):
    assert tick_time(value) is None


def test_a_tick_is_never_read_as_an_article():
    with pytest.raises(BadRecord) as bad:
        parse_raw(tick_value(NOW))
    assert bad.value.reason == "bad_encoding"  # the NUL byte no article holds


def clock(every: float = 0.1) -> TickClock:
    return TickClock(every, future_s=DAY, past_s=30 * 365 * DAY)


def iso(when: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(when, UTC).isoformat()


def test_it_ticks_with_the_newest_trusted_time_once_per_interval_and_at_the_end():
    ticks = clock()
    assert ticks.due(0.0) is None  # nothing dated sent yet
    ticks.sent({"published": iso(NOW - 60)}, NOW)
    assert ticks.due(10.0) == NOW - 60
    ticks.sent({"published": iso(NOW - 30)}, NOW)
    assert ticks.due(10.05) is None  # within the interval
    assert ticks.due(10.2) == NOW - 30
    assert ticks.due(20.0) is None  # nothing newer sent: nothing new to say
    ticks.sent({"published": iso(NOW - 20)}, NOW)
    assert ticks.due(20.21, final=True) == NOW - 20  # the publisher is done: whatever the interval


def test_undated_and_untrusted_times_move_nothing():
    ticks = clock()
    ticks.sent({"published": iso(NOW - 60)}, NOW)
    ticks.sent({"title": "no date"}, NOW)
    ticks.sent({"published": "not a date"}, NOW)
    ticks.sent({"published": iso(NOW + 3 * DAY)}, NOW)  # too far after it was sent: the worker does not trust it
    ticks.sent({"_raw": b"bytes"}, NOW)
    assert ticks.due(1.0) == NOW - 60


def test_a_source_out_of_order_stops_ticking_for_good():
    ticks = clock()
    ticks.sent({"published": iso(NOW - 60)}, NOW)
    assert ticks.due(1.0) == NOW - 60
    ticks.sent({"published": iso(NOW - 120)}, NOW)  # older than a time already sent: no promise holds
    ticks.sent({"published": iso(NOW)}, NOW)
    assert ticks.due(5.0) is None and ticks.due(6.0, final=True) is None


def test_no_interval_no_ticks():
    ticks = clock(every=0.0)
    ticks.sent({"published": iso(NOW)}, NOW)
    assert ticks.due(math.inf, final=True) is None
