"""Faults on Apache Kafka (KRaft, the jars of `make kafka`), with real worker processes; each test prints its figures.

- a worker SIGKILLed 10 times mid-stream: every article comes out once, and stories, events (ids included) and
  every aggregate record equal those of an undisturbed run (the session's one, on the embedded broker, shared
  with test_takeover: the outputs depend on the records and settings, not on the engine);
- the single-node broker stopped for 30 s under a running worker and started again on the same data: the worker
  rides the outage out and resumes, nothing is lost or counted twice;
- one broker of a three-node cluster (replication 3, min.insync.replicas 2) killed mid-stream: no loss, and the
  longest stretch without progress is reported beside the group session timeout (reported, not asserted: the
  project's tests make no wall-clock assertions; the machine is shared).

Lexical mode and a few hundred articles keep each run short. As in test_takeover, the corpus is published before
the workers start (see there why).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from streams.brokers.apache_kafka import ApacheKafka
from streams.brokers.tansu import connect_admin, ensure_topics
from streams.runtime.outputs import Outputs
from streams.settings import Settings
from streams.tools.demo import Worker, wait_assigned
from tests.conftest import reference_settings, skip_without_apache_kafka
from tests.integration.workers import (
    REFERENCE_ARTICLES,
    SPLIT_IDLE_AFTER_S,
    assert_exactly_once,
    kill_when,
    placed,
    publish,
    read_all,
    start_workers,
    stop_all,
    summary,
)

pytestmark = [pytest.mark.kafka, pytest.mark.apache_kafka]
ARTICLES = REFERENCE_ARTICLES
KILLS = 10
PER_INCARNATION = 20  # articles each killed incarnation places before it dies (a batch may add up to 32 more)
OUTAGE_S = 30.0
SESSION_TIMEOUT_S = 10.0  # Faust broker_session_timeout (streams/runtime/app.py)


@pytest.fixture(scope="module")
def records(request):
    skip_without_apache_kafka()  # before the corpus and ``undisturbed`` (embedded broker) are made for nothing
    return request.getfixturevalue("reference_records")


settings_for = reference_settings


def damage(outputs: Outputs, ids: set[str]) -> tuple[int, int]:
    """(articles lost, story or event memberships counted more than once)."""
    lost = len(ids - set(outputs.enriched))
    twice = 0
    for kind in ("stories", "events"):
        members = [a for record in getattr(outputs, kind).values() for a in record["articles"]]
        twice += len(members) - len(set(members))
    return lost, twice


@dataclass
class Progress:
    """Samples of a worker's placed-article counter, to find the longest stretch without progress."""

    worker: Worker
    samples: list[tuple[float, float]] = field(default_factory=list)

    def sample(self) -> float:
        value = placed(self.worker)
        self.samples.append((time.monotonic(), value))
        return value

    def until(self, at_least: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.sample() < at_least:
            code = self.worker.process.poll()
            assert code is None, f"worker exited ({code}): {self.worker.log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"stuck below {at_least}: {self.worker.log_path.read_text()[-3000:]}"
            time.sleep(0.2)

    def longest_stall(self, since: float) -> float:
        """Longest time the counter stood still after ``since`` (up to its last change)."""
        stall, last_change, last_value = 0.0, since, None
        for at, value in self.samples:
            if at < since:
                last_value = value
                continue
            if value != last_value:
                stall, last_change, last_value = max(stall, at - last_change), at, value
        return stall


def test_ten_sigkills_lose_nothing_and_count_nothing_twice(apache_kafka, tmp_path, records, undisturbed, figure):
    settings = settings_for(apache_kafka.bootstrap, tmp_path)
    ids = {r["id"] for r in records}
    ensure_topics(settings)
    publish(settings, records)
    worker = start_workers(settings, 1, tmp_path)[0]
    started = time.monotonic()
    restarts = []
    try:
        wait_assigned([worker])
        for _ in range(KILLS):
            kill_when(worker, PER_INCARNATION)
            begun = time.monotonic()
            worker.start()
            worker.wait_metrics(timeout=90)
            restarts.append(time.monotonic() - begun)
        outputs = read_all(settings, ids, timeout=300)
    finally:
        stop_all([worker])
    lost, twice = damage(outputs, ids)
    rebuilt = worker.log_path.read_text().count("rebuilt state of")
    figure(f"apache kafka, worker SIGKILLed {KILLS}x mid-stream: {len(ids)} articles, {lost} lost, {twice} counted "
           f"twice, stories/events/aggregates equal to the undisturbed run: {summary(outputs) == summary(undisturbed)}; "
           f"{rebuilt} partition rebuilds; {time.monotonic() - started:.0f}s in all")
    assert rebuilt >= KILLS, "each restarted worker must rebuild state from the topics"
    assert (lost, twice) == (0, 0)
    assert_exactly_once(outputs, ids)
    assert summary(outputs) == summary(undisturbed)


def test_single_broker_stopped_30s_then_restarted(tmp_path, records, undisturbed, figure):
    skip_without_apache_kafka()
    ids = {r["id"] for r in records}
    with ApacheKafka(tmp_path / "kafka") as kafka:
        settings = settings_for(kafka.bootstrap, tmp_path, idle_after_s=SPLIT_IDLE_AFTER_S)
        ensure_topics(settings)
        # The stream comes in two halves (in publication order, so the outputs are those of one replay): the
        # first before the outage, the second once the broker is back, so the worker has work left to resume
        # however fast it got through the first half while the broker was shutting down. No partition is
        # declared idle in between (SPLIT_IDLE_AFTER_S): a CI run placed the second half in another order.
        half = len(records) // 2
        publish(settings, records[:half])
        worker = start_workers(settings, 1, tmp_path)[0]
        try:
            wait_assigned([worker])
            progress = Progress(worker)
            progress.until(ARTICLES / 8, timeout=180)
            before = progress.sample()
            kafka.stop_node(0)
            down = time.monotonic()
            while time.monotonic() - down < OUTAGE_S:
                assert worker.process.poll() is None, worker.log_path.read_text()[-3000:]
                time.sleep(1)
            during = progress.sample()
            kafka.start_node(0)
            kafka.wait_ready()
            back = time.monotonic()
            publish(settings, records[half:])
            progress.until(max(during + 1, half + 1), timeout=180)
            resumed = time.monotonic() - back
            outputs = read_all(settings, ids, timeout=300)
            alive = worker.process.poll() is None
        finally:
            stop_all([worker])
            kill_all(kafka)
    lost, twice = damage(outputs, ids)
    figure(f"apache kafka, single broker stopped {OUTAGE_S:.0f}s mid-stream (after {before:.0f} of {len(ids)} "
           f"articles): worker alive {alive}, progress resumed {resumed:.1f}s after the broker was back, {lost} lost, "
           f"{twice} counted twice, equal to the undisturbed run: {summary(outputs) == summary(undisturbed)}")
    assert alive
    assert (lost, twice) == (0, 0)
    assert_exactly_once(outputs, ids)
    assert summary(outputs) == summary(undisturbed)


@pytest.fixture(scope="module")
def three_brokers(tmp_path_factory):
    skip_without_apache_kafka()
    with ApacheKafka(tmp_path_factory.mktemp("kafka-3"), nodes=3, min_insync=2) as cluster:
        yield cluster
        kill_all(cluster)


def kill_all(cluster: ApacheKafka) -> None:
    """SIGKILL every node: a throw-away cluster needs no controlled shutdown (two nodes left waiting for each
    other took half a minute)."""
    for index in range(len(cluster.members)):
        cluster.stop_node(index, kill=True)


def resolve_leader(settings: Settings) -> int:
    """The node id leading the resolve topic's one partition (the stage every article passes through)."""
    admin = connect_admin(settings)
    try:
        topic = admin.describe_topics([settings.topic_resolve])[0]
        return topic["partitions"][0]["leader_id"]
    finally:
        admin.close()


def test_one_broker_of_three_killed_mid_stream(three_brokers, tmp_path, records, undisturbed, figure):
    settings = settings_for(three_brokers.bootstrap, tmp_path, replication=3)
    ids = {r["id"] for r in records}
    ensure_topics(settings)
    publish(settings, records)
    worker = start_workers(settings, 1, tmp_path)[0]
    try:
        wait_assigned([worker])
        progress = Progress(worker)
        progress.until(ARTICLES / 4, timeout=180)
        leader = resolve_leader(settings)
        killed_at = time.monotonic()
        three_brokers.stop_node(leader - 1, kill=True)
        progress.until(ARTICLES, timeout=300)
        stall = progress.longest_stall(killed_at)
        outputs = read_all(settings, ids, timeout=300)
    finally:
        stop_all([worker])
    lost, twice = damage(outputs, ids)
    figure(f"apache kafka, 1 of 3 brokers (node {leader}, leader of the resolve partition) SIGKILLed mid-stream: "
           f"{lost} lost, {twice} counted twice, longest stall {stall:.1f}s (group session timeout "
           f"{SESSION_TIMEOUT_S:.0f}s), equal to the undisturbed run: {summary(outputs) == summary(undisturbed)}")
    assert (lost, twice) == (0, 0)
    assert_exactly_once(outputs, ids)
    assert summary(outputs) == summary(undisturbed)
