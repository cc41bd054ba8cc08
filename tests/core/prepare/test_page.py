"""streams/core/prepare/page.py and the single-page cleaning rules: outlet and dateline from the text, or unknown."""
from __future__ import annotations

import pytest

from streams.core.model import Article
from streams.core.prepare.clean import Cleaner, split_title
from streams.core.prepare.page import dateline_of, outlet_of, read

BODY = "The minister said on Monday that the talks would resume next week."


@pytest.mark.parametrize("lines, outlet, rule", [
    (["Why you can trust Example Times", BODY], "Example Times", "trust box"),
    ([BODY, "This article was generated with Examplewire Assist and reviewed by an editor."], "Examplewire",
     "credit line"),
    ([BODY, "© 2024 Example Herald. All rights reserved."], "Example Herald", "copyright line"),
    ([BODY, "Example Daily", "Subscribe to our newsletter for the morning briefing."], "Example Daily",
     "site name above a newsletter sign-up"),
])
def test_outlet_named_by_the_page(lines, outlet, rule):
    said = outlet_of("", "\n".join(lines))
    assert (said.value, said.rule) == (outlet, rule)


def test_no_outlet_without_evidence():
    assert outlet_of("", f"{BODY}\n\nReuters reported the talks.\n\nRecent News") is None  # a source is not the outlet


def test_url_host_first():
    assert outlet_of("https://www.example.org/world/1", "Why you can trust Example Times").value == "example.org"


@pytest.mark.parametrize("line, day", [
    ("by | Oct 19, 2023 | News", "2023-10-19"),
    ("Published 2 November 2023", "2023-11-02"),
    ("Updated: 2024-07-04 10:30 GMT", "2024-07-04"),
])
def test_dateline_near_the_top(line, day):
    assert dateline_of(f"{line}\n{BODY}").value == day


def test_a_date_in_a_sentence_is_not_a_dateline():
    assert dateline_of("The treaty was signed on Oct 19, 2023 in Geneva by both ministers after long talks.") is None


def test_read_keeps_the_records_own_source_and_time():
    article = Article(id="a", title="T", text="Why you can trust Example Times\n" + BODY, source="given.example.org")
    assert read(article)[0].source == "given.example.org"
    unknown = Article(id="b", title="T", text="Why you can trust Example Times\nby | Oct 19, 2023 | News\n" + BODY)
    filled, dateline = read(unknown)
    assert (filled.source, filled.source_evidence) == ("Example Times", "trust box: Why you can trust Example Times")
    assert dateline.value == "2023-10-19"


def test_title_after_furniture_and_repeated_title_dropped():
    page = "close\nclose\n\nBig Headline Here\n\nBig Headline Here\n\n" + BODY
    title, body = split_title(page)
    assert title == "Big Headline Here"
    assert Cleaner().clean(body, title=title) == BODY


@pytest.mark.parametrize("line", [
    "Click Here Now! Click Here Now! Click Here Now!", "Reading Time:3 minutes", "52", "01:54", "loading",
    "Photo source: Example Images", "Photo courtesy: Example Stock", "#Newsletter Exclusive / Jane Doe",
    "NEXT: An unrelated headline about something else", "Also Read | An unrelated headline",
    "This story was created with Examplewire Assist and edited by Jane Doe", "beijing olympics",
    "You have Successfully Subscribed!", "Why you can trust Example Times", "by | Oct 19, 2023 | News",
])
def test_single_page_furniture_is_removed(line):
    assert Cleaner().clean(f"{BODY}\n\n{line}\n\n{BODY} Again.") == f"{BODY}\n\n{BODY} Again."


def test_photo_credit_after_a_caption_is_cut():
    caption = "Leaders attend the summit in Example City on Friday. Photo: Example Agency"
    assert Cleaner().clean(f"{caption}\n\n{BODY}") == f"Leaders attend the summit in Example City on Friday.\n\n{BODY}"


def test_footer_after_the_last_sentence_is_dropped():
    assert Cleaner().clean(f"{BODY}\n\nExample Daily\n\nGet the Daily in your inbox\n\nShare This") == BODY
