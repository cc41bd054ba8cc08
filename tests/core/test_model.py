"""streams/core/model.py: raw records become an Article or a BadRecord with a bounded reason code."""
from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from streams.core.dates import parse_date
from streams.core.model import Article, BadRecord, parse_article, parse_raw

GOOD = {"id": "a-1", "title": " Quake hits Chile ", "text": "A strong earthquake struck Chile on Monday.",
        "source": "example.org", "url": "https://example.org/quake", "published": "2024-07-04T11:20:00+02:00",
        "sent_at": 1720000000.5}


def reason_of(value, **kwargs) -> str:
    with pytest.raises(BadRecord) as err:
        parse_raw(value, **kwargs)
    assert err.value.reason in BadRecord.REASONS
    return err.value.reason


def test_good_json_becomes_an_article():
    article = parse_raw(orjson.dumps(GOOD))
    assert isinstance(article, Article)
    assert article.id == "a-1"
    assert article.title == "Quake hits Chile"  # stripped
    assert article.text == GOOD["text"]
    assert article.source == "example.org" and article.url == GOOD["url"]
    assert article.published == datetime(2024, 7, 4, 9, 20, tzinfo=UTC)  # normalised to UTC
    assert article.timestamp == article.published.timestamp()
    assert article.sent_at == 1720000000.5
    assert article.date_error == ""


def test_text_input_and_alternative_field_names():
    article = parse_raw(orjson.dumps({"headline": "Title", "body": "Body text."}).decode())
    assert (article.title, article.text, article.source, article.published) == ("Title", "Body text.", "unknown", None)
    assert article.timestamp == article.seen_at  # no publication date: when the pipeline saw it


def test_not_json():
    assert reason_of(b"this is not json {") == "not_json"
    assert reason_of(b"") == "not_json"


def test_invalid_utf8_is_bad_encoding():
    assert reason_of(b'{"title": "caf\xe9", "text": "x"}') == "bad_encoding"


def test_lone_surrogate_in_text_input_is_bad_encoding():
    assert reason_of('{"title": "t", "text": "\ud800"}') == "bad_encoding"


@pytest.mark.parametrize("value", [b"[1, 2]", b'"just a string"', b"42", b"null", None])
def test_json_that_is_not_an_object_is_wrong_shape(value):
    assert reason_of(value) == "wrong_shape"


def test_non_string_title_or_text_is_wrong_shape():
    assert reason_of(orjson.dumps({"title": 5, "text": "x"})) == "wrong_shape"
    assert reason_of(orjson.dumps({"title": "t", "text": ["x"]})) == "wrong_shape"


@pytest.mark.parametrize("record", [{"text": "Body."}, {"title": "", "text": "Body."}, {"title": "  \n", "text": "Body."}])
def test_missing_title(record):
    assert reason_of(orjson.dumps(record)) == "missing_title"


@pytest.mark.parametrize("record", [{"title": "Quake hits Chile"}, {"title": "Quake hits Chile", "text": ""},
                                    {"title": "Quake hits Chile", "text": " \n\t "}])
def test_headline_only_item_is_an_article_whose_text_is_its_title(record):
    article = parse_raw(orjson.dumps(record))
    assert article.title == article.text == "Quake hits Chile"


def test_headline_only_item_with_a_summary_takes_the_summary_as_text():
    summary = "A magnitude 7.1 earthquake struck off the coast of Chile on Monday."
    for name in ("summary", "description"):
        article = parse_raw(orjson.dumps({"title": "Quake hits Chile", "text": " ", name: summary}))
        assert article.title == "Quake hits Chile" and article.text == summary
    body = parse_raw(orjson.dumps({"title": "T", "text": "The body.", "summary": summary}))
    assert body.text == "The body."  # a body wins over the summary


@pytest.mark.parametrize("record", [{"title": "***"}, {"title": " - ", "text": ""}, {"title": "…", "summary": " "}])
def test_no_body_and_a_title_without_words_is_empty_body(record):
    assert reason_of(orjson.dumps(record)) == "empty_body"


def test_too_large_is_checked_in_bytes_before_anything_else():
    record = orjson.dumps({"title": "T", "text": "é" * 60})  # 120 bytes of text, 60 characters
    assert reason_of(record, max_bytes=100) == "too_large"
    assert reason_of(b"\xff" * 101, max_bytes=100) == "too_large"
    assert parse_raw(record, max_bytes=len(record)).text == "é" * 60  # exactly at the limit is fine


def test_unreadable_date_keeps_the_article_with_date_error():
    article = parse_raw(orjson.dumps({**GOOD, "published": "the day after tomorrow"}))
    assert article.published is None
    assert "unreadable date" in article.date_error
    assert article.as_dict()["date_error"] == article.date_error


def test_non_text_date_keeps_the_article_with_date_error():
    article = parse_article({**GOOD, "published": 1720000000})
    assert article.published is None and "int" in article.date_error


def test_out_of_range_utc_offset_is_a_date_error_not_a_crash():
    article = parse_raw(orjson.dumps({**GOOD, "published": "2024-07-04T11:20:00+99:00"}))
    assert article.published is None and article.date_error


def test_naive_date_is_taken_as_utc():
    assert parse_date("2024-07-04 11:20") == (datetime(2024, 7, 4, 11, 20, tzinfo=UTC), "")
    assert parse_date("") == (None, "")
    assert parse_date(None) == (None, "")


def test_id_from_content_is_stable_and_content_dependent():
    record = {"title": "Same title", "text": "Same text.", "url": "https://example.org/x"}
    first, again = parse_article(dict(record)), parse_article(dict(record))
    assert first.id == again.id and len(first.id) == 16
    assert parse_article({**record, "text": "Other text."}).id != first.id
    assert parse_article({**record, "url": "https://example.org/y"}).id != first.id
    assert parse_article({**record, "id": "  given-id "}).id == "given-id"
    assert parse_article({**record, "id": "   "}).id == first.id  # a blank id is no id
