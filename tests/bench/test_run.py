"""`streams bench`: the shape of its JSON report (no timing assertions: machines differ)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from streams.bench import longrun, probes, stream
from streams.bench import run as bench
from streams.bench.run import STAGES, main
from tests.conftest import skip_without_apache_kafka

LATENCY_KEYS = ("p50", "p95", "p99", "max")


def _run(capsys, argv: list[str]) -> dict:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    return json.loads(out)


@pytest.mark.kafka
@pytest.mark.parametrize("broker", ["tansu", pytest.param("kafka", marks=pytest.mark.apache_kafka)])
def test_end_to_end_report_shape(capsys, broker):
    if broker == "kafka":
        skip_without_apache_kafka()
    report = _run(capsys, ["--articles", "40", "--semantic", "off", "--broker", broker, "--json"])
    assert report["broker"].startswith("Apache Kafka 4.4.0" if broker == "kafka" else "embedded broker (Tansu)")
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
    _assert_reference(report, 40)


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
    assert report["stories"] == report["dedup_kinds"]["new"] and 0 < report["events"] <= report["stories"]
    _assert_reference(report, 60)
    assert report["reference_cpu_ratio"] > 0


def _assert_reference(report: dict, articles: int) -> None:
    """The plain datasketch script ran over the same articles; the pipeline's throughput is a multiple of it."""
    reference = report["reference"]
    assert reference["articles"] == articles and reference["articles_per_s"] > 0
    assert 0 < reference["duplicates"] < articles
    assert report["reference_ratio"] == pytest.approx(report["articles_per_s"] / reference["articles_per_s"],
                                                      rel=0.01)


@pytest.mark.parametrize("argv", [
    ["--articles", "0"], ["--articles", "many"], ["--workers", "0"], ["--workers", "1,x"], ["--semantic", "maybe"],
    ["--rate", "-5"], ["--no-such-flag"], ["--micro", "--workers", "2"], ["--bootstrap", "nohostport"],
    ["--dataset", "/no/such/file.jsonl"], ["--long-run", "--workers", "2"], ["--long-run", "--micro"],
    ["--every", "10"], ["--long-run", "--every", "0"], ["--long-run", "--articles", "10", "--every", "20"],
])
def test_bad_flags_exit_2_with_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "--articles" in capsys.readouterr().out


def test_generated_articles_are_deterministic_and_varied():
    pool = stream.load_pool(bench.ROOT / "seeds", None)
    first, mix = stream.generate(50, pool, seed=3)
    again, _ = stream.generate(50, pool, seed=3)
    assert first == again
    assert len(first) == 50 and len({r["id"] for r in first}) == 50
    assert mix["original"] == len(pool) and sum(mix.values()) == 50
    times = [datetime.fromisoformat(r["published"]) for r in first]
    assert times == sorted(times)
    text = pool[0]["text"]
    assert len(stream.trimmed(text)) < len(text)
    assert stream.trimmed("one paragraph only") == "one paragraph only"


def test_percentiles_are_ordered():
    got = probes.percentiles([0.5, 0.1, 0.3, 2.0, 0.2])
    assert got["p50"] == 0.3 and got["max"] == 2.0
    assert got["p50"] <= got["p95"] <= got["p99"] <= got["max"]
    assert probes.percentiles([])["p50"] is None


LONG_RUN = ["--long-run", "--articles", "150", "--every", "50", "--dataset", "none", "--semantic", "off"]
CHECKPOINT_FIELDS = {"articles", "day", "rss_bytes", "state", "state_bytes", "held", "rejected",
                     "bytes_per_held_article", "per_article_bytes_per_held_article", "bytes_per_event"}


def test_long_run_prints_the_table_and_a_verdict(capsys, monkeypatch):
    monkeypatch.setenv("STREAMS_EVENT_RETENTION_DAYS", "20")  # the seeds' stream fills that in ~100 articles
    assert main(LONG_RUN) == 0
    out = capsys.readouterr().out
    assert out.startswith("bench long run: 150 articles")
    assert len([line for line in out.splitlines() if line.split()[:1] in (["50"], ["100"], ["150"])]) == 3
    assert "window full at" in out and "verdict: memory" in out


def test_long_run_json_has_the_checkpoints_and_the_verdict(capsys, monkeypatch):
    monkeypatch.setenv("STREAMS_EVENT_RETENTION_DAYS", "20")
    report = _run(capsys, LONG_RUN + ["--json"])
    assert report["mode"] == "long-run" and report["articles"] == 150
    checkpoints = report["checkpoints"]
    assert [c["articles"] for c in checkpoints] == [0, 50, 100, 150]
    assert all(CHECKPOINT_FIELDS <= set(c) for c in checkpoints)
    last = checkpoints[-1]
    assert last["rss_bytes"] > 0 and last["rejected"] == 0 and last["held"] > 0
    assert {"match", "stories", "replay", "events"} <= set(last["state_bytes"])
    assert last["state"]["seen_ids"] < 150  # ids older than the horizon were forgotten
    assert [c["day"] for c in checkpoints] == sorted(c["day"] for c in checkpoints)
    verdict = report["verdict"]
    assert verdict["window_full_at"] in (50, 100) and isinstance(verdict["flat"], bool)
    assert {"rss_growth_bytes", "state_growth_bytes", "rss_growth_per_10k_bytes"} <= set(verdict)


def test_long_run_stream_keeps_time_advancing_with_fresh_ids():
    pool = stream.load_pool(bench.ROOT / "seeds", None)
    records = list(longrun.stream(pool, 60, cycle_days=10.0))
    assert len(records) == 60 and len({r["id"] for r in records}) == 60
    times = [datetime.fromisoformat(r["published"]) for r in records]
    assert times == sorted(times) and (times[-1] - times[0]).days > 30
    assert records == list(longrun.stream(pool, 60, cycle_days=10.0))  # deterministic


def test_default_paths_are_found_from_the_repository():
    """The seeds and the shared datasets are located from the source tree, not from a machine's absolute path."""
    assert (bench.ROOT / "seeds").is_dir() and (bench.ROOT / "streams" / "bench" / "run.py").is_file()
    assert bench.DEFAULT_DATASET == bench.ROOT.parent / "shared" / "datasets" / "giveme5w1h_news_cluster.jsonl"
