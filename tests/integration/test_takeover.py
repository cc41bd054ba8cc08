"""Issue #7: workers killed with SIGKILL mid-stream lose nothing and count nothing twice.

Each stage rebuilds its state from its own input partition when it (re)takes it (streams/runtime/rebuild.py), and
records processed but not committed before the kill are processed again (at-least-once) into state that is
idempotent by article id. Lexical mode keeps the runs short; the keyed/resolve machinery is the same.

On the embedded broker these are smoke tests: one SIGKILL (its rebuild goes through the embedded broker's own
offset workaround), one of two workers killed once the group has committed offsets, a second worker joining
mid-replay (a rebalance with batch records in flight), and a worker paused past its session timeout that gets
partitions back after another worker processed them. Repeated SIGKILLs (ten)
and broker failures are proven on Apache Kafka (tests/faults/test_apache_kafka_faults.py). Both compare with
the session's one undisturbed run of the same 600 articles (``undisturbed`` in tests/conftest.py).

Every run publishes the corpus before its workers start; the runs that kill a worker keep back the last third
(the latest by publication time) and publish it once one worker alone holds every partition again, so that the
worker taking over has records left on every partition (and rebuilds those it takes over) however fast the
killed one was, and declare a partition idle only after ``SPLIT_IDLE_AFTER_S`` of quiet, longer than that pause. A worker declares a raw partition idle when
it has read it to its end and it stayed quiet for ``idle_after_s`` (so that the partition stops holding back
the watermark); with workers already waiting on empty topics, whether a partition is declared idle just
before its first articles arrive is a race, and when it is, the articles of the other partitions are placed
ahead of its older ones: events and aggregates then follow another order than in the run they are compared
with. Published first, no partition is ever idle before its last article has been read.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from streams.brokers.tansu import connect_admin, ensure_topics
from streams.settings import Settings
from streams.tools.demo import Worker, wait_assigned
from tests.conftest import reference_settings
from tests.integration.workers import (
    SPLIT_IDLE_AFTER_S,
    assert_exactly_once,
    metric,
    placed,
    publish,
    read_all,
    start_workers,
    stop_all,
    summary,
    wait_placed,
)

pytestmark = pytest.mark.kafka
KILLS = 1  # a smoke test on the embedded broker: test_apache_kafka_faults kills a worker ten times on Apache Kafka


def test_sigkill_during_replay_loses_nothing_and_counts_nothing_twice(broker, tmp_path, reference_records,
                                                                      undisturbed):
    records = reference_records
    settings = reference_settings(broker.bootstrap, tmp_path, idle_after_s=SPLIT_IDLE_AFTER_S)
    ensure_topics(settings)
    head, tail = split(records)
    publish(settings, head)
    worker = start_workers(settings, 1, tmp_path)[0]
    try:
        wait_assigned([worker])
        for _ in range(KILLS):  # each incarnation places a third of the articles and commits, then dies
            kill_after_a_commit(worker, settings, len(records) / 3, stage="aggregates", topic=settings.topic_resolve,
                                partitions=1)
            publish(settings, tail)
            worker.start()
            worker.wait_metrics(timeout=90)
            time.sleep(0.5)  # the killed worker's output so far is on the topics; the new one rebuilds
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
        rebuilds = metric(worker, "news_streams_state_rebuilds_total")
    finally:
        stop_all([worker])
    log = worker.log_path.read_text()
    assert log.count("rebuilt state of") >= KILLS, "the restarted worker must rebuild state from the topics"
    assert rebuilds >= 1, "the last incarnation's rebuilds are counted on /metrics"
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)


def split(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """The first two thirds by publication time, published first, and the last third, kept back."""
    cut = 2 * len(records) // 3
    return records[:cut], records[cut:]


def committed(settings: Settings, topic: str) -> int:
    """Partitions of ``topic`` (the raw or the resolve topic) for which the worker group has committed an offset."""
    from kafka import TopicPartition

    admin = connect_admin(settings)
    try:
        count = 1 if topic == settings.topic_resolve else settings.partitions
        wanted = [TopicPartition(topic, p) for p in range(count)]
        offsets = admin.list_group_offsets({settings.app_id: wanted})[settings.app_id]
    finally:
        admin.close()
    return sum(1 for meta in offsets.values() if meta.offset > 0)


def kill_after_a_commit(worker: Worker, settings: Settings, count: float, stage: str, topic: str, partitions: int,
                        timeout: float = 180.0) -> None:
    """SIGKILL ``worker`` once it has got ``count`` articles through ``stage`` and the group has committed offsets
    on ``partitions`` partitions of ``topic``."""
    deadline = time.monotonic() + timeout
    while placed(worker, stage) < count or committed(settings, topic) < partitions:
        assert time.monotonic() < deadline, f"no commit: {worker.log_path.read_text()[-2000:]}"
        time.sleep(0.2)
    worker.kill()


def wait_holds_all(worker: Worker, timeout: float = 120.0) -> None:
    """Until ``worker`` was assigned partitions a second time: the group dropped the killed worker."""
    deadline = time.monotonic() + timeout
    while worker.log_path.read_text().count("Setting newly assigned partitions") < 2:
        assert time.monotonic() < deadline, f"no rebalance: {worker.log_path.read_text()[-2000:]}"
        time.sleep(0.2)


def test_second_worker_takes_over_a_killed_ones_partitions(broker, tmp_path, reference_records, undisturbed):
    records = reference_records
    settings = reference_settings(broker.bootstrap, tmp_path, idle_after_s=SPLIT_IDLE_AFTER_S)
    ensure_topics(settings)
    head, tail = split(records)
    publish(settings, head)
    workers = start_workers(settings, 2, tmp_path)
    try:
        wait_assigned(workers)
        # raw offsets committed on at least three of the four partitions: at least one of the killed worker's
        kill_after_a_commit(workers[0], settings, 0.3 * len(head) / 2, stage="parse", topic=settings.topic_raw,
                            partitions=3)
        wait_holds_all(workers[1])
        publish(settings, tail)
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
    finally:
        stop_all(workers)
    # the survivor was assigned the killed worker's partitions and rebuilt those whose offsets were committed
    survivor = workers[1].log_path.read_text()
    assert survivor.count("Setting newly assigned partitions") >= 2
    assert f"rebuilt state of {settings.topic_raw}[" in survivor
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)


@contextmanager
def paused(worker: Worker) -> Iterator[None]:
    """``worker`` stopped (SIGSTOP) for the block, and resumed (SIGCONT) after it whatever happens."""
    os.kill(worker.popen.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(worker.popen.pid, signal.SIGCONT)


def test_a_worker_joining_mid_replay_loses_nothing_and_counts_nothing_twice(broker, tmp_path, reference_records,
                                                                           undisturbed):
    """A rebalance with batch records in flight: a second worker joins while the first is a third through the
    replay. The first is paused (SIGSTOP) while the second starts, so that the join cannot come after the end of
    the replay, and resumed: the partitions are shared out between the two, each rebuilds what it takes over from
    the batch records of its input partitions and skips those already folded in."""
    records = reference_records
    settings = reference_settings(broker.bootstrap, tmp_path)
    ensure_topics(settings)
    publish(settings, records)
    workers = start_workers(settings, 1, tmp_path / "first")
    try:
        wait_assigned(workers)
        wait_placed(workers[0], len(records) / 3, stage="parse")
        with paused(workers[0]):
            workers += start_workers(settings, 1, tmp_path / "second")
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
        parsed = [placed(worker, "parse") for worker in workers]
    finally:
        stop_all(workers)
    assert parsed[1] > 0, "the second worker must have taken raw partitions over mid-replay"
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)


def test_a_worker_paused_past_its_session_and_handed_partitions_back_loses_nothing(broker, tmp_path,
                                                                                   reference_records, undisturbed):
    """A worker paused (SIGSTOP) longer than the group session timeout is dropped from the group; a second worker
    takes every partition over and processes the records after the committed offsets again, sending story, event
    and aggregate records of an earlier state than those the paused worker had sent. Resumed, the first worker
    joins again (a gap in the group generations) and partitions are shared out: whatever it gets back it rebuilds
    before processing, instead of skipping the records it had applied, so the newest state is sent again and the
    older records are not left as the latest; and it sends nothing for the records it had fetched before it was
    dropped (``Worker.dropped``), which would be older states than the new owner's, sent after them."""
    records = reference_records
    settings = reference_settings(broker.bootstrap, tmp_path)
    ensure_topics(settings)
    publish(settings, records)
    workers = start_workers(settings, 1, tmp_path / "first")
    try:
        wait_assigned(workers)
        wait_placed(workers[0], len(records) / 4)
        with paused(workers[0]):
            workers += start_workers(settings, 1, tmp_path / "second")
            wait_placed(workers[1], 1)  # the first worker was dropped: the second owns the resolve partition
        outputs = read_all(settings, {r["id"] for r in records}, timeout=400)
    finally:
        stop_all(workers)
    assert_exactly_once(outputs, {r["id"] for r in records})
    assert summary(outputs) == summary(undisturbed)
    # the scenario took place: the group dropped the first worker (whether it joined again before the outputs were
    # complete depends on timing)
    assert "Heartbeat session expired" in workers[0].log_path.read_text()
