"""streams/sources/files.py: directory and JSONL sources, stable ids, nothing dropped silently."""
from __future__ import annotations

import json

import orjson
import pytest

from streams.core.model import parse_article
from streams.sources.files import DirectorySource, JsonlSource, SourceError, open_source
from tests.articles import SEED_IDS, SEEDS


def test_directory_source_on_seeds():
    source = open_source(SEEDS)
    assert isinstance(source, DirectorySource)
    records = list(source.records())
    assert [r["id"] for r in records] == list(SEED_IDS)  # file stems, sorted; metadata/catalog skipped
    metadata = json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
    for record in records:
        assert record["source"] == metadata[record["id"]]["source"]
        assert record["published"] == metadata[record["id"]]["published"]
        assert record["title"] and "\n" not in record["title"]
        assert record["text"] and not record["text"].startswith("\n")
        parse_article(record)  # every seed is a valid article
    assert records[0]["title"].startswith("Xi tells Putin at SCO summit")


def test_directory_without_metadata(tmp_path):
    (tmp_path / "b.txt").write_text("Second title\n\nSecond body.\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First title\nFirst body.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    records = list(DirectorySource(tmp_path).records())
    assert records == [{"title": "First title", "text": "First body.", "id": "a"},
                       {"title": "Second title", "text": "Second body.", "id": "b"}]


def test_record_fields_win_over_metadata(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"title": "T", "text": "Body.", "source": "own.example"}))
    (tmp_path / "metadata.json").write_text(json.dumps({
        "_about": "not a record", "x": {"source": "sidecar.example", "published": "2024-01-01T00:00:00Z"}}))
    [record] = DirectorySource(tmp_path).records()
    assert record["source"] == "own.example"
    assert record["published"] == "2024-01-01T00:00:00Z"
    assert record["id"] == "x"


def test_bad_metadata_is_a_source_error(tmp_path):
    (tmp_path / "a.txt").write_text("Title\nBody.")
    (tmp_path / "metadata.json").write_text("{not json")
    with pytest.raises(SourceError, match="metadata.json"):
        list(DirectorySource(tmp_path).records())


def test_malformed_json_file_in_directory_is_reported_not_a_crash(tmp_path):
    (tmp_path / "broken.json").write_text('{"title": "x", "text": ')
    try:
        records = list(DirectorySource(tmp_path).records())
    except SourceError:
        return
    assert len(records) == 1 and "_raw" in records[0]


def test_jsonl_source_assigns_stable_ids_and_passes_bad_lines_through(tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [
        orjson.dumps({"title": "Quake", "text": "A quake struck.", "url": "https://example.org/q"}),
        orjson.dumps({"id": "given", "title": "Given", "text": "Has its own id."}),
        b"this is not json {",
        b"",
        b"[1, 2, 3]",
        orjson.dumps({"title": "No text field"}),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    source = open_source(path)
    assert isinstance(source, JsonlSource)
    first, again = list(source.records()), list(JsonlSource(path).records())
    assert first == again  # stable across runs
    assert len(first) == 5  # the blank line is the only thing skipped
    assert len(first[0]["id"]) == 16 and first[0]["id"] == parse_article(first[0]).id
    assert first[1]["id"] == "given"
    assert first[2] == {"_raw": b"this is not json {"}
    assert first[3] == {"_raw": b"[1, 2, 3]"}  # not an object: passed on raw for the dead-letter topic
    assert first[4] == {"title": "No text field"}


def test_jsonl_ids_depend_on_content(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(orjson.dumps({"title": "T", "text": "one"}) + b"\n" + orjson.dumps({"title": "T", "text": "two"}))
    ids = [r["id"] for r in JsonlSource(path).records()]
    assert len(set(ids)) == 2


def test_open_source_missing_path(tmp_path):
    with pytest.raises(SourceError, match="no such directory or JSONL file"):
        open_source(tmp_path / "does-not-exist")
