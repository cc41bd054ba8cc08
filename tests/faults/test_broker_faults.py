"""The broker missing at worker start, and restarted under a running worker (real processes, one port).

One worker is started on a port where nothing listens yet; the embedded broker comes up there a few seconds later.
The same worker then sees that broker restarted: the embedded broker keeps everything in memory, so it comes back
without topics, offsets or consumer groups. The worker cannot carry on with state that refers to topics that no
longer exist: it says so in one line and exits with code 3; a restarted worker (what a supervisor does) recreates
the topics and processes what is replayed next. Checked through the output topics, /metrics and the worker log.
"""
from __future__ import annotations

import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from streams.brokers.tansu import EmbeddedBroker, ensure_topics, free_port
from streams.runtime.publish import Publisher
from streams.settings import Settings
from streams.sources.files import open_source
from streams.tools.demo import Worker
from streams.tools.replay import replay
from tests.conftest import SEEDS, kafka_settings
from tests.faults.helpers import WIDE_HORIZON_HOURS, article, metrics, read_until, wait_metrics, wait_until

pytestmark = pytest.mark.kafka

EXIT_BROKER_LOST = 3
SEED_COUNT = 5
SECRET = "Pa55word-in-the-environment"


@dataclass
class Site:
    """A port, the broker on it (replaced when restarted) and the workers started against it."""

    port: int
    tmp: Path
    settings: Settings
    broker: EmbeddedBroker | None = None
    workers: list[Worker] = field(default_factory=list)

    def start_broker(self) -> EmbeddedBroker:
        self.broker = EmbeddedBroker(port=self.port, log_path=self.tmp / "broker.log").start()
        return self.broker

    def start_worker(self) -> Worker:
        worker = Worker(self.settings, self.tmp / f"worker-{len(self.workers) + 1}.log").start()
        self.workers.append(worker)
        return worker

    @property
    def worker(self) -> Worker:
        return self.workers[-1]

    def log(self, worker: Worker | None = None) -> str:
        return (worker or self.worker).log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broker-faults")
    port = free_port()
    # PLAINTEXT, but with secrets set: they travel to the worker in its environment and must never reach its log
    site = Site(port, tmp, kafka_settings(f"127.0.0.1:{port}", tmp, semantic=False, connect_timeout_s=60,
                                          sasl_username="pipeline", sasl_password=SECRET, ssl_password=SECRET,
                                          replay_horizon_hours=WIDE_HORIZON_HOURS))
    try:
        yield site
    finally:
        for worker in site.workers:
            worker.stop()
        if site.broker:
            site.broker.stop()


@pytest.fixture(scope="module")
def late_broker(site: Site) -> Site:
    """A worker started before its broker; the broker comes up after the worker said it is waiting."""
    worker = site.start_worker()
    assert wait_until(lambda: "waiting for Kafka" in site.log(), timeout=20), site.log()
    assert worker.process.poll() is None, site.log()
    site.start_broker()
    wait_metrics(worker)
    summary = replay(site.settings, open_source(SEEDS))
    assert summary.published == SEED_COUNT and summary.failed == 0
    outputs = read_until(site.settings, lambda o: len(o.enriched) >= SEED_COUNT, timeout=90)
    assert len(outputs.enriched) == SEED_COUNT, site.log()[-3000:]
    return site


def test_worker_waits_for_a_broker_that_is_not_up_yet_then_processes(late_broker: Site):
    log = late_broker.log()
    assert late_broker.worker.process.poll() is None, "the worker stopped"
    assert "Traceback" not in log
    waiting = [line for line in log.splitlines() if "waiting for Kafka" in line]
    assert waiting == [f"streams worker: waiting for Kafka at {late_broker.settings.bootstrap} (up to 60s; "
                       f"connect_timeout_s)"]
    assert re.search(r"Kafka at \S+ answered after \d+s", log)
    values = metrics(late_broker.settings)
    assert values[("news_streams_worker_up", ())] == 1
    assert values[("news_streams_articles_in_total", (("stage", "parse"),))] == SEED_COUNT


def test_a_paused_broker_is_an_outage_the_worker_rides_out(late_broker: Site):
    """SIGSTOP keeps the broker's state (like a network partition or a slow real broker): the worker must neither
    exit nor lose anything, and must process what arrives after the pause."""
    site = late_broker
    site.broker.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(6)  # longer than the broker watch's interval and request timeouts of a few clients
        assert site.worker.process.poll() is None, site.log()[-3000:]
    finally:
        site.broker.process.send_signal(signal.SIGCONT)
    fresh = [article(f"after-pause-{n}", 300 + n) for n in range(5)]
    publisher = Publisher(site.settings)
    for record in fresh:
        publisher.send(record)
    publisher.flush()
    publisher.close()
    outputs = read_until(site.settings, lambda o: {r["id"] for r in fresh} <= set(o.enriched), timeout=90)
    assert {r["id"] for r in fresh} <= set(outputs.enriched), site.log()[-3000:]
    assert site.worker.process.poll() is None
    assert "lost the worker's state" not in site.log()


def test_broker_restart_stops_the_worker_with_one_clear_line_and_a_restarted_worker_carries_on(late_broker: Site):
    site = late_broker
    first = site.worker
    site.broker.stop()
    time.sleep(2)  # an outage long enough for the clients to notice
    site.start_broker()  # same port, empty: no topics, no offsets, no groups

    first.process.wait(timeout=60)
    assert first.process.returncode == EXIT_BROKER_LOST, site.log(first)[-3000:]
    log = site.log(first)
    assert "Traceback" not in log
    lost = [line for line in log.splitlines() if "lost the worker's state" in line]
    assert len(lost) == 1 and "error: the broker at" in lost[0] and "exit code 3" in lost[0], lost
    # the outage is a few readable lines, not the clients' ~75 error lines a second
    outage = log[log.index("connection trouble"):] if "connection trouble" in log else ""
    errors = [line for line in outage.splitlines() if "[ERROR]" in line]
    assert len(errors) <= 10, "\n".join(errors[:20])

    second = site.start_worker()  # what a supervisor does
    wait_metrics(second)
    ensure_topics(site.settings)  # as `streams replay` does
    fresh = [article(f"after-restart-{n}", 500 + n) for n in range(20)]
    publisher = Publisher(site.settings)
    for record in fresh:
        publisher.send(record)
    publisher.flush()
    publisher.close()
    summary = replay(site.settings, open_source(SEEDS))  # the seeds again: the new broker never saw them
    assert summary.failed == 0
    want = {r["id"] for r in fresh} | set(read_seed_ids())
    outputs = read_until(site.settings, lambda o: want <= set(o.enriched), timeout=90)
    assert want <= set(outputs.enriched), site.log(second)[-3000:]
    assert second.process.poll() is None
    assert "Traceback" not in site.log(second)


def test_worker_logs_never_print_the_secrets(late_broker: Site):
    for worker in late_broker.workers:
        assert SECRET not in late_broker.log(worker)


def read_seed_ids() -> list[str]:
    return sorted(p.stem for p in SEEDS.iterdir() if p.suffix in (".txt", ".json") and p.stem != "metadata")
