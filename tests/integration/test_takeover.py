"""Issue #7: workers killed with SIGKILL mid-stream lose nothing and count nothing twice.

Each stage rebuilds its state from its own input partition when it (re)takes it (streams/runtime/rebuild.py), and
records processed but not committed before the kill are processed again (at-least-once) into state that is
idempotent by article id. Lexical mode keeps the runs short; the keyed/resolve machinery is the same.

Every run publishes the whole corpus before its workers start. A worker declares a raw partition idle when
it has read it to its end and it stayed quiet for ``idle_after_s`` (so that the partition stops holding back
the watermark); with workers already waiting on empty topics, whether a partition is declared idle just
before its first articles arrive is a race, and when it is, the articles of the other partitions are placed
ahead of its older ones: events and aggregates then follow another order than in the run they are compared
with. Published first, no partition is ever idle before its last article has been read.
"""
from __future__ import annotations

import time

import pytest

from streams.brokers.tansu import ensure_topics
from tests.conftest import kafka_settings
from tests.integration.workers import (
    assert_exactly_once,
    corpus,
    kill_when,
    publish,
    read_all,
    start_workers,
    stop_all,
    summary,
    undisturbed_run,
    wait_assigned,
)

pytestmark = pytest.mark.kafka
ARTICLES = 2000


@pytest.fixture(scope="module")
def records():
    return corpus(ARTICLES, seed=5)


@pytest.fixture(scope="module")
def undisturbed(broker, tmp_path_factory, records):
    tmp = tmp_path_factory.mktemp("undisturbed")
    return undisturbed_run(kafka_settings(broker.bootstrap, tmp, semantic=False, partitions=4), records, tmp)


def test_sigkill_during_replay_loses_nothing_and_counts_nothing_twice(broker, tmp_path, records, undisturbed):
    settings = kafka_settings(broker.bootstrap, tmp_path, semantic=False, partitions=4)
    ensure_topics(settings)
    publish(settings, records)
    worker = start_workers(settings, 1, tmp_path)[0]
    try:
        wait_assigned([worker])
        for _ in range(3):  # each incarnation places a fifth of the articles, then dies
            kill_when(worker, len(records) / 5)
            worker.start()
            worker.wait_metrics(timeout=90)
            time.sleep(0.5)  # the killed worker's output so far is on the topics; the new one rebuilds
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
    finally:
        stop_all([worker])
    log = worker.log_path.read_text()
    assert log.count("rebuilt state of") >= 3, "the restarted worker must rebuild state from the topics"
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)


def test_second_worker_takes_over_a_killed_ones_partitions(broker, tmp_path, records, undisturbed):
    settings = kafka_settings(broker.bootstrap, tmp_path, semantic=False, partitions=4)
    ensure_topics(settings)
    publish(settings, records)
    workers = start_workers(settings, 2, tmp_path)
    try:
        wait_assigned(workers)
        kill_when(workers[0], 0.3 * len(records) / 2, stage="parse")  # after its first offset commits
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
    finally:
        stop_all(workers)
    # the survivor was assigned the killed worker's partitions (it rebuilds those whose offsets were committed)
    assert workers[1].log_path.read_text().count("Setting newly assigned partitions") >= 2
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)
