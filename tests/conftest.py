"""Shared fixtures: an embedded Kafka-protocol broker on a free loopback port, and a real worker
that has processed the seed articles."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker, ensure_topics, free_port
from streams.demo import Worker
from streams.outputs import Outputs, read_outputs_sync
from streams.replay import replay
from streams.settings import Settings, load
from streams.sources.files import open_source

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
WRITTEN = ROOT / "tests" / "fixtures" / "written"
"""Articles written for the tests, with fictional outlets and times in metadata.json (not seeds)."""
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """A Tansu broker for the whole test session (memory only, gone when stopped)."""
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "broker.log") as running:
        yield running


def kafka_settings(bootstrap: str, tmp: Path, **changes) -> Settings:
    """Settings with topic names and app id unique to one test, so tests never see each other's data."""
    tag = uuid.uuid4().hex[:8]
    base = load(env={})
    values = dict(
        bootstrap=bootstrap, app_id=f"news-streams-{tag}", topic_raw=f"raw-{tag}", topic_enriched=f"enriched-{tag}",
        topic_stories=f"stories-{tag}", topic_events=f"events-{tag}", topic_aggregates=f"aggregates-{tag}",
        topic_dead=f"dead-{tag}", topic_keyed=f"keyed-{tag}", topic_resolve=f"resolve-{tag}", partitions=2,
        metrics_port=free_port(), web_port=free_port(), data_dir=str(tmp / f"worker-{tag}"),
        catalog="")
    return base.replace(**{**values, **changes})


@dataclass
class RunningWorker:
    settings: Settings
    worker: Worker
    published: int
    outputs: Outputs

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.metrics_port}/metrics"

    def read(self, done, timeout: float = 90.0) -> Outputs:
        return read_outputs_sync(self.settings, done, timeout=timeout)


def complete(published: int):
    return lambda o: len(o.enriched) + len(o.dead) >= published and bool(o.events)


@pytest.fixture(scope="session")
def seeded_worker(broker, tmp_path_factory):
    """A real worker process that has processed every seed article (outputs read from the topics)."""
    tmp = tmp_path_factory.mktemp("seeded")
    settings = kafka_settings(broker.bootstrap, tmp)
    ensure_topics(settings)
    worker = Worker(settings, tmp / "worker.log").start()
    try:
        worker.wait_metrics()
        summary = replay(settings, open_source(SEEDS))
        outputs = read_outputs_sync(settings, complete(summary.published), timeout=120)
        assert len(outputs.enriched) == summary.published, (tmp / "worker.log").read_text()[-3000:]
        yield RunningWorker(settings, worker, summary.published, outputs)
    finally:
        worker.stop()
