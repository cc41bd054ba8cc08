"""streams/bench/reference.py: the plain datasketch script the bench compares the pipeline with."""
from __future__ import annotations

import pytest

from streams.bench import reference
from streams.bench.stream import load_pool, trimmed
from tests.articles import REAL_SEEDS


def _records() -> list[dict]:
    pool = load_pool(REAL_SEEDS, None)[:3]
    original, other, third = ({"id": r["id"], "title": r["title"], "text": r["text"]} for r in pool)
    copy = {**original, "id": "copy"}
    cut = {**original, "id": "cut", "text": trimmed(original["text"])}
    return [original, other, copy, third, cut]


def test_reference_finds_the_copies_of_earlier_articles():
    records = _records()
    found = reference.near_duplicates(records)
    assert found[0] is None and found[1] is None  # nothing earlier to copy
    assert found[2] == records[0]["id"]  # a verbatim copy
    assert found[4] in (records[0]["id"], "copy")  # a trimmed copy of the same text


def test_reference_report_and_ratio():
    report = reference.run_reference(_records())
    assert report["articles"] == 5 and report["duplicates"] >= 2
    assert report["articles_per_s"] > 0 and "128 permutations" in report["script"]
    assert reference.ratio(2 * report["articles_per_s"], report) == 2.0
    assert reference.ratio(None, report) is None
    assert report["cpu_ms_per_article"] > 0
    assert reference.cpu_ratio(report["cpu_ms_per_article"] / 3, report) == pytest.approx(3.0, rel=0.01)


def test_shingles_are_five_word_grams_of_lowercased_words():
    assert reference.shingles("A b, C d e F") == {b"a b c d e", b"b c d e f"}
    assert reference.shingles("Too short") == {b"too short"}
    assert reference.shingles("") == set()
