"""Bad input on the raw topic, through the real broker and a real worker process.

More than 10,000 malformed records (not JSON, JSON of the wrong shape, missing or empty title and body, binary
garbage, latin-1 / UTF-16 / UTF-32 bytes, tombstones, ids reused for another text) are mixed with a few hundred good
articles (some with an impossible date, some behind a UTF-8 byte order mark). Checked from the output topics and the
worker's /metrics only: every good article comes out enriched once, every bad record comes out as one dead letter
with the expected reason, and news_streams_dead_letters_total counts them by reason.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pytest
from kafka import KafkaProducer

from streams.brokers.tansu import ensure_topics
from streams.runtime.outputs import Outputs
from streams.runtime.publish import Publisher
from streams.settings import Settings
from streams.tools.demo import Worker
from tests.conftest import kafka_settings
from tests.faults.helpers import WIDE_HORIZON_HOURS, article, dead_letter_counts, metrics, read_until, start_worker

pytestmark = pytest.mark.kafka

COPIES = 460  # of each bad template below: 23 templates -> 10,580 bad records
GOOD = 300
BAD_DATES = ("2024-13-45T10:00:00Z", "31/31/2031", "2024-02-30", "the day after tomorrow-ish", 12345)
BOM = b"\xef\xbb\xbf"


def _json(**fields: object) -> bytes:
    return orjson.dumps(fields)


def _latin1(n: int) -> bytes:
    return f'{{"id": "l1-{n}", "title": "Café résumé {n}", "text": "Naïve façade, número {n}"}}'.encode("latin-1")


def _garbage(n: int) -> bytes:
    rng = random.Random(n)
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(64 + n % 200))


BAD: list[tuple[str, Callable[[int], bytes | None]]] = [
    ("not_json", lambda n: b"this is not json {" + str(n).encode()),
    ("not_json", lambda n: b'{"title": "cut off %d", "text": "the record ends in the mid' % n),
    ("not_json", lambda n: b"<html><body><p>page %d</p></body></html>" % n),
    ("not_json", lambda n: b""),
    ("wrong_shape", lambda n: b"[%d, 2, 3]" % n),
    ("wrong_shape", lambda n: b"%d" % n),
    ("wrong_shape", lambda n: b'"just a string %d"' % n),
    ("wrong_shape", lambda n: b"null"),
    ("wrong_shape", lambda n: None),  # a tombstone on the raw topic
    ("wrong_shape", lambda n: _json(id=f"ws-{n}", title=n, text="A body of text.")),
    ("wrong_shape", lambda n: _json(id=f"ws-{n}", title="A title", text=["a", "list", "body"])),
    ("missing_title", lambda n: _json(id=f"mt-{n}", text=f"A body without a title {n}.")),
    ("missing_title", lambda n: _json(id=f"mt-{n}", title="", text=f"A body with an empty title {n}.")),
    ("missing_title", lambda n: _json(id=f"mt-{n}", title="  \n\t", text=f"A body with a blank title {n}.")),
    ("empty_body", lambda n: _json(id=f"eb-{n}", title="***")),  # a headline-only item needs a word
    ("empty_body", lambda n: _json(id=f"eb-{n}", title=" - ", text="")),
    ("empty_body", lambda n: _json(id=f"eb-{n}", title="…", body=" \t\n ")),
    ("bad_encoding", _latin1),
    ("bad_encoding", lambda n: _json(id=f"u16-{n}", title="UTF-16", text=f"body {n}").decode().encode("utf-16")),
    ("bad_encoding", lambda n: _json(id=f"u16le-{n}", title="UTF-16-LE", text=f"b {n}").decode().encode("utf-16-le")),
    ("bad_encoding", lambda n: _json(id=f"u32-{n}", title="UTF-32", text=f"body {n}").decode().encode("utf-32")),
    ("bad_encoding", _garbage),
    ("bad_encoding", lambda n: b"\x00\x00\x00\x07binary frame %d\x00\x01\x02" % n),
]


def _had_value(key: str) -> bool:
    """Whether the bad record ``bad-TT-NNNN`` had a value (every template but the tombstone)."""
    return BAD[int(key.split("-")[1])][1](0) is not None


@dataclass
class Batch:
    """What was sent and what came out."""

    settings: Settings
    worker: Worker
    good: dict[str, dict]  # id -> the record as published
    bad_dates: set[str]
    expected: dict[str, str]  # key of a bad record -> expected reason
    conflicts: set[str]  # ids sent a second time with another text
    outputs: Outputs
    metrics: dict


@pytest.fixture(scope="module")
def batch(broker, tmp_path_factory) -> Batch:
    """A lexical-mode worker that has processed the whole mixed batch (outputs and metrics read once)."""
    tmp = tmp_path_factory.mktemp("bad-input")
    settings = kafka_settings(broker.bootstrap, tmp, semantic=False, replay_horizon_hours=WIDE_HORIZON_HOURS)
    ensure_topics(settings)
    worker = start_worker(settings, tmp / "worker.log")
    try:
        good: dict[str, dict] = {}
        sends: list[tuple[bytes | None, bytes | None, dict | None]] = []
        for n in range(GOOD):
            record = article(f"good-{n:04d}", n)
            good[record["id"]] = record
            sends.append((None, None, record))
        bad_dates = set()
        for n, value in enumerate(BAD_DATES * 4):
            record = article(f"date-{n:02d}", 1000 + n, published=value)
            good[record["id"]] = record
            bad_dates.add(record["id"])
            sends.append((None, None, record))
        for n in range(10):  # a UTF-8 byte order mark in front of good JSON: still UTF-8, accepted
            record = article(f"bom-{n:02d}", 2000 + n)
            good[record["id"]] = record
            sends.append((record["id"].encode(), BOM + orjson.dumps(record), None))
        expected: dict[str, str] = {}
        for t, (reason, make) in enumerate(BAD):
            for n in range(COPIES):
                key = f"bad-{t:02d}-{n:04d}"
                expected[key] = reason
                sends.append((key.encode(), make(n), None))
        random.Random(7).shuffle(sends)

        publisher = Publisher(settings)
        for key, value, record in sends:
            if record is not None:
                publisher.send(record)
            else:
                publisher.send_bytes(value, key=key)
        publisher.flush()
        conflicts = {f"good-{n:04d}" for n in range(0, GOOD, 15)}
        for ident in sorted(conflicts):  # same id, other text, after the original (same key: same partition)
            publisher.send({**good[ident], "text": good[ident]["text"] + " A different ending."})
        publisher.flush()
        publisher.close()

        n_dead = len(expected) + len(conflicts)
        outputs = read_until(settings, lambda o: len(o.enriched) >= len(good) and len(o.dead) >= n_dead,
                             timeout=180)
        assert worker.process.poll() is None, (tmp / "worker.log").read_text()[-3000:]
        yield Batch(settings, worker, good, bad_dates, expected, conflicts, outputs, metrics(settings))
    finally:
        worker.stop()


def test_every_good_article_comes_out_enriched_once(batch: Batch):
    assert set(batch.outputs.enriched) == set(batch.good)
    assert batch.outputs.enriched_records == len(batch.good), "an article was enriched twice"
    for ident, record in batch.outputs.enriched.items():
        assert record["title"] == batch.good[ident]["title"].strip()
        assert record["story_id"] and record["event_ids"], record


def test_every_bad_record_is_one_dead_letter_with_its_reason(batch: Batch):
    got: dict[str, list[str]] = {}
    for key, letter in zip(batch.outputs.dead_keys, batch.outputs.dead):
        got.setdefault(key, []).append(letter["reason"])
    wrong = {key: (reason, got.get(key)) for key, reason in batch.expected.items() if got.get(key) != [reason]}
    assert not wrong, f"{len(wrong)} bad records without their one dead letter, e.g. {list(wrong.items())[:5]}"
    assert {key: got[key] for key in batch.conflicts} == {key: ["id_conflict"] for key in batch.conflicts}
    assert len(batch.outputs.dead) == len(batch.expected) + len(batch.conflicts), "extra dead letters"
    for key, letter in zip(batch.outputs.dead_keys, batch.outputs.dead):
        assert letter["reason"] and "detail" in letter
        if key in batch.expected and _had_value(key):
            assert "value" in letter, letter  # the original record travels with its reason


def test_dead_letter_metric_counts_each_reason(batch: Batch):
    want = Counter(batch.expected.values())
    want["id_conflict"] += len(batch.conflicts)
    assert dead_letter_counts(batch.metrics) == dict(want)


def test_bad_encodings_are_named_in_the_detail(batch: Batch):
    details = {key: letter["detail"] for key, letter in zip(batch.outputs.dead_keys, batch.outputs.dead)}
    assert "not UTF-8" in details["bad-17-0000"]  # latin-1
    assert "UTF-16" in details["bad-18-0000"]  # with a byte order mark
    assert "NUL byte" in details["bad-19-0000"]  # UTF-16-LE without one


def test_impossible_date_keeps_the_article_with_a_date_error(batch: Batch):
    """Documented behaviour: an unreadable date does not lose the article; ``published`` is null and
    ``date_error`` says why (the pipeline then uses the time it first saw the article)."""
    for ident in batch.bad_dates:
        record = batch.outputs.enriched[ident]
        assert record["published"] is None
        assert record["date_error"], record
    readable = [r for i, r in batch.outputs.enriched.items() if i not in batch.bad_dates]
    assert all(r["published"] and not r["date_error"] for r in readable)


def test_worker_is_still_up_and_says_so(batch: Batch):
    assert batch.worker.process.poll() is None
    assert batch.metrics[("news_streams_worker_up", ())] == 1


# A dead letter carries at most 64 KB of the record (and its full size), so even 10 MB stays under the 1 MB limit.
def test_a_10mb_body_is_dead_lettered_and_the_worker_goes_on(batch: Batch):
    settings = batch.settings
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, max_request_size=16_000_000)
    huge = orjson.dumps(article("huge-1", 1, text="x" * 10_000_000))
    producer.send(settings.topic_raw, key=b"huge-1", value=huge, partition=0)
    after = article("after-huge", 7)
    producer.send(settings.topic_raw, key=b"after-huge", value=orjson.dumps(after), partition=0)
    producer.flush()
    producer.close()
    outputs = read_until(settings, lambda o: "after-huge" in o.enriched and "huge-1" in o.dead_keys, timeout=15)
    assert "after-huge" in outputs.enriched
    letter = outputs.dead[outputs.dead_keys.index("huge-1")]
    assert letter["reason"] == "too_large"
    assert len(orjson.dumps(letter)) < 1_000_000
