"""streams/core/prepare/extract.py: background in the lead (old dates, photo captions, venues named after cities)
does not become the event's date or place."""
from __future__ import annotations

from datetime import UTC, date, datetime

from streams.core.prepare.extract import EventDate, event_date_of, event_type, extract, strip_caption

PUB = datetime(2018, 1, 2, 15, tzinfo=UTC)  # a Tuesday


def test_recent_date_wins_over_an_earlier_background_date():
    text = "A year after the Dec. 31, 2016 attack, police said on Monday the zone would return."
    assert event_date_of(text, PUB) == EventDate(date(2018, 1, 1), "weekday", "Monday")


def test_only_a_background_date_is_marked_past():
    found = event_date_of("The deal, first announced on Nov. 2, 2017, still stands.", PUB)
    assert (found.day, found.how, found.inferred) == (date(2017, 11, 2), "past", True)


def test_without_publication_date_the_first_date_is_kept():
    assert event_date_of("It opened on July 4, 2016.", None) == EventDate(date(2016, 7, 4), "explicit", "July 4, 2016")
    assert event_date_of("Nothing dated here.", PUB) is None


def test_photo_caption_is_stripped():
    paragraph = ("FILE - In this Dec. 20, 2015, file photo, Arizona Cardinals coach Bruce Arians meets with "
                 "quarterback Carson Palmer in Philadelphia. Arians announced his retirement on Monday.")
    assert strip_caption(paragraph) == "Arians announced his retirement on Monday."
    assert strip_caption("In this photo taken on Monday, a man waves. Text follows.") == "Text follows."
    assert strip_caption("Police said on Monday the road was closed.") == "Police said on Monday the road was closed."


def test_caption_gives_neither_date_nor_place():
    text = ("FILE - In this Dec. 20, 2015, file photo, coach Bruce Arians meets with quarterback Carson Palmer "
            "in Philadelphia. Arians announced his retirement on Monday.\n\nHe coached five seasons.")
    found = extract("Arians retires", text, PUB)
    assert found.event_date == EventDate(date(2018, 1, 1), "weekday", "Monday")
    assert found.location_source not in ("dateline", "lead")  # at most a weak mention, never a gate


def test_venue_named_after_a_city_is_not_that_city():
    found = extract("Chaos at a concert and a frantic search at Mandalay Bay",
                    "A gunman fired on a music festival in Las Vegas on Sunday night.", PUB)
    assert found.location is not None and found.location.label == "Las Vegas, United States"


def test_possessive_city_in_the_lead():
    found = extract("Leaders meet", "The leaders met in Beijing's Great Hall of the People on Monday.", PUB)
    assert found.location is not None and found.location.label == "Beijing, China"
    assert found.location_source == "lead"


def test_holding_talks_is_a_bilateral_meeting():
    assert event_type("Putin and Xi hold talks on energy", "The two leaders discussed trade.") == "bilateral_meeting"
