"""streams/core/wire.py and Fingerprint/Decision wire forms: what the stages send each other comes back equal."""
from datetime import UTC, date, datetime

import numpy as np
import orjson
import pytest

from streams.core import wire
from streams.core.match.decision import Decision
from streams.core.match.evidence import Evidence
from streams.core.match.held import Fingerprint
from streams.core.match.pair import judge
from streams.core.model import Article
from streams.core.prepare.extract import extract
from streams.core.prepare.fingerprint import exact_key, minhash, words
from streams.settings import load

TEXT = ('ASTANA, July 4 (Example Wire) - Chinese President Xi Jinping met Russian President Vladimir Putin on '
        'Thursday at a summit of the Shanghai Cooperation Organisation. "We oppose small yards with high fences," '
        'Xi said. Trade reached 240 billion dollars last year.')


def fingerprint(embedding: np.ndarray | None = None) -> Fingerprint:
    tokens = words(TEXT)
    return Fingerprint("a1", "wire.example.org", 1720080000.0, exact_key(tokens), minhash(tokens), embedding,
                       ["We oppose small yards with high fences"], ["Xi Jinping", "Vladimir Putin"], ["240"])


def test_fingerprint_round_trip_keeps_what_judging_needs():
    vector = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    fp = fingerprint(vector)
    back = Fingerprint.from_wire(wire.from_tagged(wire.to_tagged(fp.to_wire())))
    assert np.array_equal(back.minhash.hashvalues, fp.minhash.hashvalues)
    assert np.allclose(back.embedding.astype(np.float32), vector, atol=1e-3)
    assert (back.quotes, back.entities, back.numbers, back.exact) == (fp.quotes, fp.entities, fp.numbers, fp.exact)
    assert judge(back, fp, load({}, semantic=True).dedup).kind == "exact"


def test_lexical_fingerprint_has_no_vector():
    assert Fingerprint.from_wire(fingerprint().to_wire()).embedding is None


def test_decision_round_trip():
    decision = Decision("story-a", "paraphrase", "b", 0.12345, 0.8761,
                        Evidence([{"a": "x y", "b": "x z", "score": 0.9}], ["Xi Jinping"], ["240"]))
    back = Decision.from_dict(decision.as_dict())
    assert back.as_dict() == decision.as_dict()
    assert back.evidence.quotes[0]["b"] == "x z"


def test_facts_round_trip():
    facts = extract("Xi meets Putin at SCO summit", TEXT, datetime(2024, 7, 4, 12, tzinfo=UTC))
    back = wire.from_tagged(wire.to_tagged(facts))
    assert back == facts
    assert isinstance(back.event_date.day, date)


def test_article_round_trip_drops_text_only():
    article = Article("a1", "Title", "body", "wire.example.org", "http://x", datetime(2024, 7, 4, tzinfo=UTC),
                      sent_at=1.5)
    back = wire.article_from_wire(wire.article_to_wire(article))
    assert (back.id, back.title, back.source, back.published, back.sent_at, back.text) == \
        ("a1", "Title", "wire.example.org", article.published, 1.5, "")


def test_every_stage_message_round_trips_through_the_codec():
    from streams.core.messages import Idle, Keyed, Registration, Report

    article = Article("a1", "Title", "body", "wire.example.org", "http://x", datetime(2024, 7, 4, tzinfo=UTC))
    facts = extract("Xi meets Putin at SCO summit", TEXT, datetime(2024, 7, 4, 12, tzinfo=UTC))
    decision = Decision("story-a", "exact", "b", 1.0, None, Evidence([], ["Xi Jinping"], []))
    keyed = wire.decode(wire.encode(Keyed(fingerprint(), ["k1", "k2"], "t1", (1, 5.0))))
    assert (keyed.keys, keyed.text_key, keyed.mark, keyed.fp.article_id) == (["k1", "k2"], "t1", (1, 5.0), "a1")
    reg = wire.decode(wire.encode(Registration(article, "t1", (0, None), (0, 7), "clean", facts, None, [0, 2])))
    assert (reg.article.id, reg.mark, reg.raw, reg.cleaned, reg.facts, reg.partitions) == \
        ("a1", (0, None), (0, 7), "clean", facts, [0, 2])
    report = wire.decode(wire.encode(Report("a1", "t1", 5.0, 2, 1, [decision], 0.25)))
    assert (report.article_id, report.partition, report.source, report.seconds) == ("a1", 2, 1, 0.25)
    assert report.links[0].as_dict() == decision.as_dict()
    assert wire.decode(wire.encode(Idle(3))) == Idle(3)


def test_a_tick_travels_in_a_resolve_batch_and_nowhere_else():
    from streams.core.messages import Keyed, Tick

    assert orjson.loads(wire.encode(Tick(2, 1_700_000_000.25))) == {"type": "tick", "source": 2,
                                                                     "when": 1_700_000_000.25}
    record = wire.pack([wire.encode(Tick(0, 5.0)), wire.encode(Tick(1, 6.5))], 10_000)[0]
    assert wire.decode_resolve(record) == [Tick(0, 5.0), Tick(1, 6.5)]
    with pytest.raises(ValueError, match="does not belong"):
        wire.decode(wire.encode(Tick(0, 5.0)), Keyed)
    assert type(wire.decode_keyed(record)[0]).__name__ == "BadItem"


def test_one_idle_shape_and_the_codec_refuses_what_does_not_belong():
    from streams.core.messages import Idle, Keyed, Registration, Report

    assert orjson.loads(wire.encode(Idle(3))) == {"type": "idle", "source": 3}
    assert wire.decode(b'{"idle": 3}', Keyed, Idle) == Idle(3)  # written by a worker before messages had types
    with pytest.raises(ValueError, match="does not belong"):
        wire.decode(wire.encode(Idle(3)), Keyed)
    for bad in (b"[1, 2]", b'{"type": "nonsense"}', b"not json", None):
        with pytest.raises(ValueError):
            wire.decode(bad, Registration, Report, Idle)
    with pytest.raises(KeyError):
        wire.decode(b'{"type": "report"}', Registration, Report, Idle)


def test_a_dead_letter_keeps_its_fields():
    from streams.core.model import BadRecord
    from streams.runtime.dead_letters import DEAD_VALUE_BYTES, dead_letter

    record = orjson.loads(wire.encode_output(dead_letter(b"x" * (DEAD_VALUE_BYTES + 1), BadRecord("bad_json", "why"),
                                                         (1, 9))))
    assert set(record) == {"reason", "detail", "at", "raw", "value", "value_bytes", "value_truncated"}
    assert (record["raw"], record["value_bytes"], record["value_truncated"]) == ([1, 9], DEAD_VALUE_BYTES + 1, True)
    assert set(orjson.loads(wire.encode_output(dead_letter(None, BadRecord("too_late", "why"))))) == \
        {"reason", "detail", "at", "raw"}


def test_a_batch_record_holds_messages_in_order_and_splits_by_size_and_count(monkeypatch):
    from streams.core.messages import Batch, Idle, Keyed, Report
    from streams.runtime.dead_letters import oversized  # the worker's check that an article's item fits a record

    items = [wire.encode(Report(f"a{i}", "t", 5.0, 1, 0, [], 0.0)) for i in range(10)]
    [one] = wire.pack(items, 1_000_000)
    assert [m.article_id for m in wire.unpack(one, Report)] == [f"a{i}" for i in range(10)]
    assert wire.decode(one) == Batch(wire.unpack(one))
    limit = wire.ENVELOPE + 3 * len(items[0]) + 2  # three items and their commas
    records = wire.pack(items, limit)
    assert [len(wire.unpack(r)) for r in records] == [3, 3, 3, 1]
    assert all(len(r) <= limit for r in records)
    assert [m for r in records for m in wire.unpack(r)] == wire.unpack(one)
    assert wire.pack([], 100) == []
    assert not oversized([items[0]], limit, wire.ENVELOPE) and oversized([b"x" * limit], limit, wire.ENVELOPE)
    monkeypatch.setattr(wire, "BATCH_ITEMS", 4)
    assert [len(wire.unpack(r)) for r in wire.pack(items, 1_000_000)] == [4, 4, 2]
    assert wire.unpack(wire.encode(Idle(2)), Keyed, Idle) == [Idle(2)]  # a plain record: one message


def test_a_bad_item_of_a_batch_is_named_in_its_place_and_the_others_are_read():
    from streams.core.messages import Batch, Idle, Keyed, Registration, Report

    good = wire.encode(Report("a1", "t", 5.0, 1, 0, [], 0.0))
    record = (b'{"type":"batch","items":[' + good + b',{"type":"report"},' + wire.encode(Idle(1)) + b","
              + wire.encode(Keyed(fingerprint(), ["k"], "t", (0, 1.0))) + b',3,' + good + b"]}")
    messages = wire.unpack(record, Registration, Report, Idle)
    assert [type(m).__name__ for m in messages] == ["Report", "BadItem", "Idle", "BadItem", "BadItem", "Report"]
    assert "does not belong" in str(messages[3]) and orjson.loads(messages[1].value) == {"type": "report"}
    with pytest.raises(ValueError):
        wire.decode(record, Batch, Registration, Report, Idle)  # decode is strict
    for bad in (b'{"type":"batch"}', b'{"type":"batch","items":3}', b"not json"):
        with pytest.raises(ValueError):
            wire.unpack(bad, Report)
    with pytest.raises(ValueError, match="does not belong"):
        wire.decode(wire.pack([good], 1000)[0], Report)
