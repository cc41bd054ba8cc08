"""The two pieces behind the worker's behaviour in a broker outage, without a broker: the watch that tells a
restarted memory-only broker (state lost) from an outage, and the log filter that keeps an outage readable."""
from __future__ import annotations

import logging

from streams.brokers.tansu import UNKNOWN_TOPIC, BrokerWatch, KafkaOutageLog, topic_ids
from streams.settings import load


class FakeAdmin:
    """describe_topics answers from a dict name -> (error code, topic id)."""

    def __init__(self, topics: dict[str, tuple[int, str]]) -> None:
        self.topics = topics

    def describe_topics(self, names: list[str]) -> list[dict]:
        return [{"name": n, "error_code": self.topics.get(n, (UNKNOWN_TOPIC, ""))[0],
                 "topic_id": self.topics.get(n, (0, ""))[1]} for n in names]


def watch(admin: FakeAdmin) -> BrokerWatch:
    """A watch that started against ``admin`` (its thread is not started)."""
    w = BrokerWatch(load(env={}), ["raw", "keyed"], on_lost=lambda reason: None)
    w.known = topic_ids(admin, w.topics)
    return w


def test_same_topics_are_no_loss():
    admin = FakeAdmin({"raw": (0, "id-1"), "keyed": (0, "id-2")})
    assert watch(admin).check(admin) == ""


def test_a_missing_topic_is_a_loss():
    w = watch(FakeAdmin({"raw": (0, "id-1"), "keyed": (0, "id-2")}))
    assert w.check(FakeAdmin({"keyed": (0, "id-2")})) == "topic raw is gone"


def test_a_recreated_topic_is_a_loss():
    w = watch(FakeAdmin({"raw": (0, "id-1"), "keyed": (0, "id-2")}))
    assert "keyed was deleted and created again" in w.check(FakeAdmin({"raw": (0, "id-1"), "keyed": (0, "id-9")}))


def test_other_errors_such_as_a_leader_election_are_not_a_loss():
    w = watch(FakeAdmin({"raw": (0, "id-1"), "keyed": (0, "id-2")}))
    assert w.check(FakeAdmin({"raw": (5, ""), "keyed": (0, "id-2")})) == ""


def test_brokers_without_topic_ids_only_count_missing_topics():
    zero = "AAAAAAAAAAAAAAAAAAAAAA"
    w = watch(FakeAdmin({"raw": (0, zero), "keyed": (0, zero)}))
    assert w.check(FakeAdmin({"raw": (0, zero), "keyed": (0, zero)})) == ""


def record(text: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("aiokafka", level, __file__, 1, text, (), None)


def test_outage_is_one_line_then_one_when_back():
    f = KafkaOutageLog("b:9092")
    first = record("Unable connect to node with id 111: [Errno 111] Connect call failed")
    assert f.filter(first) and "Kafka at b:9092: connection trouble" in first.getMessage()
    assert not any(f.filter(record("Unable to update metadata from [111]")) for _ in range(500))
    back = record("Discovered coordinator 111 for group g", logging.INFO)
    assert f.filter(back) and "is back" in back.getMessage() and "500 repeats" in back.getMessage()
    again = record("Unable connect to node with id 111")
    assert f.filter(again) and "connection trouble" in again.getMessage()  # a new outage is told again


def test_a_long_outage_is_reminded(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("streams.brokers.tansu.time.monotonic", lambda: clock[0])
    f = KafkaOutageLog("b:9092", repeat_s=60.0, quiet_s=15.0)
    assert f.filter(record("Unable connect to node"))
    shown = []
    for _ in range(130):  # one error a second for 130 s
        clock[0] += 1.0
        r = record("Unable connect to node")
        if f.filter(r):
            shown.append(r.getMessage())
    assert len(shown) == 2 and all("still failing" in s for s in shown)


def test_other_messages_pass_unchanged():
    f = KafkaOutageLog("b:9092")
    r = record("Joined group 'g' (generation 1)", logging.INFO)
    assert f.filter(r) and r.getMessage() == "Joined group 'g' (generation 1)"


def test_a_loss_counts_only_when_two_checks_in_a_row_see_it():
    """Apache Kafka just restarted may answer before its metadata is loaded (a topic unknown for a moment)."""
    w = BrokerWatch(load(env={}), ["raw"], on_lost=lambda reason: None)
    assert not w.confirm("topic raw is gone")
    assert w.confirm("topic raw is gone")
    assert not w.confirm("topic keyed is gone")
