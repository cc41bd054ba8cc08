"""streams/bench/decisions.py: the pipeline's decisions dumped per article, and two dumps compared."""
from __future__ import annotations

import orjson

from streams.bench import decisions
from streams.bench.run import ROOT
from streams.bench.stream import generate, load_pool
from tests.articles import lexical_settings


def _records(n: int) -> list[dict]:
    records, _ = generate(n, load_pool(ROOT / "seeds", None), seed=3)
    return records


def test_the_same_stream_gives_the_same_decisions_and_a_change_is_found() -> None:
    records = _records(40)
    first = list(decisions.decisions(lexical_settings(), records))
    again = list(decisions.decisions(lexical_settings(), records))  # a fresh pipeline: the same
    assert len(first) == 40
    assert all(name not in line for line in first for name in decisions.CLOCK_FIELDS)
    assert {line["duplicate_kind"] for line in first} - {None}  # the stream has copies
    differing, firsts = decisions.compare(first, again)
    assert not differing and not firsts
    changed = [dict(line) for line in again]
    changed[5]["story_id"] = "story-other"
    differing, firsts = decisions.compare(first, changed)
    assert differing == {"story_id": 1} and firsts["story_id"][0] == 5
    assert decisions.compare(first, again[:-1])[0]["articles"] == 1


def test_compare_command_exit_codes(tmp_path, capsys) -> None:
    lines = list(decisions.decisions(lexical_settings(), _records(12)))
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    before.write_bytes(b"".join(orjson.dumps(line, default=str) + b"\n" for line in lines))
    after.write_bytes(before.read_bytes())
    assert decisions.main(["compare", str(before), str(after)]) == 0
    assert "the same decisions: 12 articles" in capsys.readouterr().out
    lines[0]["event_ids"] = ["event-x"]
    after.write_bytes(b"".join(orjson.dumps(line, default=str) + b"\n" for line in lines))
    assert decisions.main(["compare", str(before), str(after)]) == 1
    assert "event_ids" in capsys.readouterr().out
