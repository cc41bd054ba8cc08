"""Size limits that agree end to end: what the raw topic accepts (``max_record_bytes``, 2 MB) every record derived
from it can carry (the worker's producer and the topics it creates allow ``producer_request_bytes``), or it is
dead-lettered as ``too_large`` before anything is sent. Valid quote-heavy articles of 1.2 MB and of exactly
2,000,000 bytes come out enriched (a ~1 MB article used to crash the prepare stage and lose its batch); one byte
more is one ``too_large`` dead letter; the small articles around them all come out; the worker stays up."""
from __future__ import annotations

import pytest

from streams.brokers.tansu import ensure_topics
from streams.runtime.publish import Publisher
from tests.conftest import kafka_settings
from tests.core.test_size_guard import sized_record
from tests.faults.helpers import article, read_until, start_worker

pytestmark = pytest.mark.kafka


def test_records_at_the_limit_come_out_and_one_byte_over_is_one_dead_letter(broker, tmp_path):
    settings = kafka_settings(broker.bootstrap, tmp_path, semantic=False, partitions=1)
    limit = settings.max_record_bytes
    ensure_topics(settings)
    big = {"big-1200k": sized_record("big-1200k", 1_200_000), "big-at-limit": sized_record("big-at-limit", limit)}
    over = sized_record("big-over", limit + 1)
    small = [article(f"small-{n:02d}", n) for n in range(20)]
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        publisher = Publisher(settings)
        for record in small[:10]:
            publisher.send(record)
        for ident, value in [*big.items(), ("big-over", over)]:
            publisher.send_bytes(value, key=ident.encode())
        for record in small[10:]:
            publisher.send(record)
        publisher.flush()
        publisher.close()
        want = {r["id"] for r in small} | set(big)
        outputs = read_until(settings, lambda o: want <= set(o.enriched) and o.dead, timeout=180)
        alive = worker.process.poll() is None
    finally:
        worker.stop()
    assert [len(big["big-at-limit"]), len(over)] == [limit, limit + 1]
    assert want <= set(outputs.enriched), sorted(want - set(outputs.enriched))
    assert outputs.dead_keys == ["big-over"]
    [letter] = outputs.dead
    assert letter["reason"] == "too_large" and letter["value_bytes"] == limit + 1 and letter["raw"] == [0, 12]
    assert outputs.enriched["big-at-limit"]["story_id"] and outputs.enriched["big-at-limit"]["raw"] == [0, 11]
    assert alive
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "MessageSizeTooLarge" not in log and "Traceback" not in log
