"""streams/core/wire.py and Fingerprint/Decision wire forms: what the stages send each other comes back equal."""
from datetime import UTC, date, datetime

import numpy as np

from streams.core import wire
from streams.core.match.dedup import Decision, Fingerprint, judge
from streams.core.match.evidence import Evidence
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
    assert judge(back, fp, load({}, semantic=True)).kind == "exact"


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
