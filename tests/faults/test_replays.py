"""Replays and a killed replayer, through real `streams replay` processes, the broker and a worker (on the embedded
broker and on Apache Kafka).

The seeds are replayed twice, then a replayer publishing a JSONL file is SIGKILLed part-way and started again
from the top. Nothing may be counted twice: each article gets one decision (one enriched record with its dedup
decision; redeliveries come out as replays without one), appears once in one story and once in one event, and the
outlet, event and window aggregates count it once.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from streams.brokers.tansu import ensure_topics
from streams.runtime.outputs import Outputs
from streams.settings import Settings
from streams.tools.demo import Worker
from tests.conftest import WRITTEN as SEEDS  # dated articles (2022-2025), not the undated seeds
from tests.conftest import kafka_settings
from tests.faults.helpers import (
    ROOT,
    article,
    clean_env,
    count_records,
    lines,
    metrics,
    read_until,
    start_worker,
    streams,
)

pytestmark = pytest.mark.kafka

SEED_COUNT = 5
JSONL_COUNT = 300


BASE = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def parsed(settings: Settings) -> float:
    """Raw records the worker has read (news_streams_articles_in_total{stage="parse"})."""
    return metrics(settings).get(("news_streams_articles_in_total", (("stage", "parse"),)), 0.0)


@dataclass
class Replayed:
    settings: Settings
    worker: Worker
    ids: set[str]
    raw_records: int  # every record that reached the raw topic, killed replayer included
    killed_published: int  # what the killed replayer got onto the topic before it died
    summaries: list[str]
    outputs: Outputs
    metrics: dict


@pytest.fixture(scope="module")
def replayed(any_broker, tmp_path_factory) -> Replayed:
    tmp = tmp_path_factory.mktemp("replays")
    # The written articles span 2022-2025: replayed again after the 2025 one, the 2022 one is years behind its
    # partition, beyond the default horizon (two weeks): it is recognised as a replay of a forgotten id, not too_late.
    # Story and event records list every member here (by default the last 200), so that the tests below can
    # check each article's placement in them.
    settings = kafka_settings(any_broker.bootstrap, tmp, semantic=False, record_members=10 * JSONL_COUNT)
    ensure_topics(settings)
    worker = start_worker(settings, tmp / "worker.log")
    try:
        summaries = []
        for _ in range(2):  # the same seeds, twice
            result = streams("replay", str(SEEDS), settings=settings)
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
            summaries.append(result.stdout.strip())

        jsonl = tmp / "articles.jsonl"
        # in publication order, a minute apart (08:00 to 12:59): see the last test for late articles
        records = [article(f"feed-{n:03d}", n, published=(BASE + timedelta(minutes=n)).isoformat())
                   for n in range(JSONL_COUNT)]
        jsonl.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
        killed = subprocess.Popen([sys.executable, "-m", "streams", "replay", str(jsonl), "--rate", "30"],
                                  cwd=ROOT, env=clean_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while count_records(settings, settings.topic_raw, timeout=3) < 2 * SEED_COUNT + 20:
            assert time.monotonic() < deadline and killed.poll() is None, "the replayer published nothing"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        killed_published = count_records(settings, settings.topic_raw) - 2 * SEED_COUNT

        result = streams("replay", str(jsonl), settings=settings)  # started again, from the top
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        summaries.append(result.stdout.strip())

        ids = {p.stem for p in SEEDS.glob("*.txt")} | {r["id"] for r in records}
        raw_records = 2 * SEED_COUNT + killed_published + JSONL_COUNT
        outputs = read_until(settings, lambda o: ids <= set(o.enriched) and parsed(settings) >= raw_records,
                             timeout=120)
        assert parsed(settings) == raw_records, "the worker did not see every delivery"
        yield Replayed(settings, worker, ids, raw_records, killed_published, summaries, outputs, metrics(settings))
    finally:
        worker.stop()


def test_replayer_reports_its_own_counts(replayed: Replayed):
    assert replayed.summaries[0].startswith(f"replay: published {SEED_COUNT} records (0 failed)")
    assert replayed.summaries[1].startswith(f"replay: published {SEED_COUNT} records (0 failed)")
    assert replayed.summaries[2].startswith(f"replay: published {JSONL_COUNT} records (0 failed)")
    assert all(len(lines(s)) == 1 for s in replayed.summaries)
    assert 0 < replayed.killed_published < JSONL_COUNT, "the replayer was not killed part-way"


def test_each_article_has_one_decision(replayed: Replayed):
    """One enriched record carries the article's dedup decision; a redelivery may come out again as a replay
    (no decision, the same story and event), or not at all when it meets the first copy still in flight. A
    replay of an article further behind than the replay horizon, whose id was forgotten once its partition moved
    on (the 2022 written article, when the 2025 one on its partition was placed before the replay came), is
    answered without story and events: recognised, not placed again and not too_late."""
    outputs = replayed.outputs
    assert set(outputs.enriched) == replayed.ids
    assert outputs.enriched_records <= replayed.raw_records
    newest = max(r["event_time"] for r in outputs.enriched.values())
    horizon = replayed.settings.replay_horizon_hours * 3600
    for ident, records in outputs.enriched_all.items():
        decided = [r for r in records if r["dedup"] is not None]
        assert len(decided) == 1, (ident, len(decided))
        assert decided[0]["story_id"] and decided[0]["event_ids"], decided[0]
        for again in records:
            forgotten = again["replay"] and again["event_time"] < newest - horizon
            assert (again["story_id"] and again["event_ids"]) or forgotten, again
    assert not outputs.dead, outputs.dead[:3]


def test_each_article_is_in_one_story_once(replayed: Replayed):
    members = Counter(a for story in replayed.outputs.stories.values() for a in story["articles"])
    assert set(members) == replayed.ids
    assert set(members.values()) == {1}, [a for a, n in members.items() if n > 1][:5]
    assert sum(story["size"] for story in replayed.outputs.stories.values()) == len(replayed.ids)


def test_each_article_is_in_one_event_once(replayed: Replayed):
    members = Counter(a for event in replayed.outputs.events.values() for a in event["articles"])
    assert set(members) == replayed.ids
    assert set(members.values()) == {1}, [a for a, n in members.items() if n > 1][:5]
    assert sum(event["size"] for event in replayed.outputs.events.values()) == len(replayed.ids)


def test_aggregates_count_each_article_once(replayed: Replayed):
    outputs = replayed.outputs
    by_kind: dict[str, list[dict]] = {}
    for record in outputs.aggregates.values():
        by_kind.setdefault(record["kind"], []).append(record)
    per_outlet = Counter(r["source"] for r in outputs.enriched.values())
    assert {r["key"]: r["articles"] for r in by_kind["outlet"]} == dict(per_outlet)
    events = {e["id"]: len(e["articles"]) for e in outputs.events.values()}
    assert {r["key"]: r["articles"] for r in by_kind["event"]} == events
    for size in {r["size_s"] for r in by_kind["window"]}:
        assert sum(r["articles"] for r in by_kind["window"] if r["size_s"] == size) == len(replayed.ids), size


def test_worker_metrics_count_each_article_once(replayed: Replayed):
    values = replayed.metrics
    new = values[("news_streams_stories_created_total", ())]
    joined = sum(v for (name, _), v in values.items() if name == "news_streams_duplicates_total")
    assert new + joined == len(replayed.ids)
    per_outlet = sum(v for (name, _), v in values.items() if name == "news_streams_outlet_articles_total")
    assert per_outlet == len(replayed.ids)
    assert 0 < values[("news_streams_articles_replayed_total", ())] <= replayed.raw_records - len(replayed.ids)


# Last in this module (it adds an article after the snapshot above).
def test_a_late_article_adds_to_its_window_instead_of_restarting_it(replayed: Replayed):
    settings = replayed.settings
    windows = {k: r for k, r in replayed.outputs.aggregates.items() if k.startswith("window:3600s@")}
    key = f"window:3600s@{int(BASE.timestamp())}"
    before = windows[key]["articles"]
    late = article("late-1", 9999, published=(BASE + timedelta(seconds=30)).isoformat())
    result = streams("replay", str(write_jsonl(settings, [late])), settings=settings)
    assert result.returncode == 0, result.stderr
    outputs = read_until(settings, lambda o: "late-1" in o.enriched, timeout=30)
    assert outputs.aggregates[key]["articles"] == before + 1


def write_jsonl(settings: Settings, records: list[dict]) -> Path:
    path = Path(settings.data_dir).parent / f"late-{len(records)}.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path
