"""`streams bench`: the shape of its JSON report (no timing assertions: machines differ)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from streams import bench
from streams.bench import STAGES, main

LATENCY_KEYS = ("p50", "p95", "p99", "max")


def _run(capsys, argv: list[str]) -> dict:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    return json.loads(out)


@pytest.mark.kafka
def test_end_to_end_report_shape(capsys):
    report = _run(capsys, ["--articles", "40", "--semantic", "off", "--json"])
    assert report["articles"] == 40
    assert report["workers"] == 1 and report["semantic"] is False and report["rate"] is None
    assert report["articles_per_s"] > 0
    latency = report["latency_s"]
    assert set(LATENCY_KEYS) <= set(latency)
    values = [latency[k] for k in LATENCY_KEYS]
    assert all(isinstance(v, float) and v >= 0 for v in values)
    assert values == sorted(values)  # p50 <= p95 <= p99 <= max
    assert set(STAGES) <= set(report["stages"])
    assert all(v >= 0 for v in report["stages"].values())
    assert report["peak_rss_bytes"] > 0
    assert report["state"]["seen_ids"] == 40
    assert sum(report["dedup_kinds"].values()) == 40
    assert sum(report["mix"].values()) == 40


def test_micro_report_shape(capsys):
    report = _run(capsys, ["--micro", "--articles", "60", "--semantic", "off", "--json"])
    assert report["mode"] == "micro"
    assert report["articles"] == 60 and report["semantic"] is False
    assert report["articles_per_s"] > 0
    assert set(STAGES) <= set(report["stages"])
    assert report["state"]["seen_ids"] == 60
    assert report["state_per_article"]["seen_ids"] == 1.0
    assert report["bad_records"] == 0
    assert sum(report["dedup_kinds"].values()) == 60
    assert report["dedup_kinds"].get("new", 0) < 60  # the variants give dedup real work


@pytest.mark.parametrize("argv", [
    ["--articles", "0"], ["--articles", "many"], ["--workers", "0"], ["--workers", "1,x"], ["--semantic", "maybe"],
    ["--rate", "-5"], ["--no-such-flag"], ["--micro", "--workers", "2"], ["--bootstrap", "nohostport"],
    ["--dataset", "/no/such/file.jsonl"],
])
def test_bad_flags_exit_2_with_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--articles" in capsys.readouterr().out


def test_generated_articles_are_deterministic_and_varied():
    pool = bench.load_pool(bench.ROOT / "seeds", None)
    first, mix = bench.generate(50, pool, seed=3)
    again, _ = bench.generate(50, pool, seed=3)
    assert first == again
    assert len(first) == 50 and len({r["id"] for r in first}) == 50
    assert mix["original"] == len(pool) and sum(mix.values()) == 50
    times = [datetime.fromisoformat(r["published"]) for r in first]
    assert times == sorted(times)
    text = pool[0]["text"]
    assert len(bench.trimmed(text)) < len(text)
    assert bench.trimmed("one paragraph only") == "one paragraph only"


def test_percentiles_are_ordered():
    got = bench.percentiles([0.5, 0.1, 0.3, 2.0, 0.2])
    assert got["p50"] == 0.3 and got["max"] == 2.0
    assert got["p50"] <= got["p95"] <= got["p99"] <= got["max"]
    assert bench.percentiles([])["p50"] is None
