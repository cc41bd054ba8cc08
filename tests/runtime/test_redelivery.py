"""streams/runtime/redelivery.py and rebuild.Progress: which records a worker processes, skips or rebuilds first.

A partition's local state is trusted only while the worker holds the partition without a break; the run over a
real broker where this matters (a paused worker dropped from the group, its partitions processed by another,
then handed back) is tests/integration/test_takeover.py::test_a_worker_joining_mid_replay_...."""
from __future__ import annotations

from streams.runtime.rebuild import Progress
from streams.runtime.redelivery import Redelivery
from tests.articles import lexical_settings

RAW = ("raw", 0)
RESOLVE = ("resolve", 0)


def applied(progress: Progress, key: tuple[str, int], last: int) -> None:
    for offset in range(last + 1):
        assert progress.verdict(*key, offset) in ("process", "skip")
        progress.done(*key, offset)


def test_records_already_applied_are_skipped_and_a_gap_is_rebuilt():
    progress = Progress()
    assert progress.verdict(*RAW, 0) == "process"
    assert progress.verdict(*RAW, 5) == "rebuild"  # taken over at a committed offset: rebuild up to it first
    applied(progress, RAW, 9)
    assert progress.verdict(*RAW, 7) == "skip"  # redelivered after a rebalance
    assert progress.verdict(*RAW, 10) == "process"
    assert progress.verdict(*RAW, 12) == "rebuild"


def test_a_partition_held_without_a_break_keeps_its_state_and_one_handed_back_is_rebuilt():
    progress = Progress()
    applied(progress, RAW, 9)
    applied(progress, RESOLVE, 9)
    progress.keep({RAW})  # resolve went to another worker
    assert progress.verdict(*RAW, 5) == "skip"
    # handed back: the other worker may have sent older story records after this one's; even a record this worker
    # applied, or offset 0 (nothing committed), rebuilds first
    assert progress.verdict(*RESOLVE, 5) == "rebuild"
    assert progress.verdict(*RESOLVE, 0) == "rebuild"
    progress.done(*RESOLVE, 5)  # rebuilt up to 5 and processed it
    assert progress.verdict(*RESOLVE, 6) == "process"


def test_a_gap_in_the_group_generations_rebuilds_every_partition():
    redelivery = Redelivery(lexical_settings())
    redelivery.assigned({RAW, RESOLVE}, generation=0)
    applied(redelivery.progress, RAW, 9)
    applied(redelivery.progress, RESOLVE, 9)
    redelivery.assigned({RAW, RESOLVE}, generation=1)  # an ordinary rebalance: both held without a break
    assert redelivery.progress.verdict(*RESOLVE, 9) == "skip"
    # paused past the session timeout: dropped (generation 2 ran without this worker), joined again at 3
    redelivery.assigned({RAW, RESOLVE}, generation=3)
    assert redelivery.progress.verdict(*RAW, 9) == "rebuild"
    assert redelivery.progress.verdict(*RESOLVE, 3) == "rebuild"


class _Stub:
    """Attributes by keyword: stands in for the Faust app's consumer chain and for stream events."""

    def __init__(self, **attrs: object) -> None:
        self.__dict__.update(attrs)


def app_in_generation(generation: int) -> _Stub:
    coordinator = _Stub(generation=generation)
    return _Stub(consumer=_Stub(_thread=_Stub(_consumer=_Stub(_coordinator=coordinator))))


def events_of(generation: int) -> list[_Stub]:
    return [_Stub(message=_Stub(generation_id=generation, topic="resolve", partition=0))]


def test_a_batch_fetched_before_the_group_dropped_the_worker_is_not_sent_and_its_partition_is_rebuilt():
    from streams.runtime.agents import Worker
    from tests.runtime.test_batches import make_worker

    worker, _ = make_worker()
    assert not worker.dropped(events_of(3))  # no consumer to ask (tests without Kafka): never dropped
    worker.app = app_in_generation(3)
    assert not worker.dropped(events_of(3))
    worker.app = app_in_generation(-1)  # paused past the session timeout: aiokafka reset its generation
    assert worker.dropped(events_of(3))
    applied(worker.redelivery.progress, RESOLVE, 9)
    worker.redelivery.forget({RESOLVE})
    assert worker.redelivery.progress.verdict(*RESOLVE, 9) == "rebuild"
    assert isinstance(worker, Worker)
