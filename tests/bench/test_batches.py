"""The Pipeline's batch API on the bench stream: the same decisions whatever the batch size, and a batch that
mixes good records with dead letters answers each in place (no timing: machines differ)."""
from __future__ import annotations

from streams.bench.stream import generate, load_pool
from streams.core.model import Article, BadRecord, parse_article
from streams.core.pipeline import Pipeline, Result
from tests.articles import REAL_SEEDS, lexical_settings


def _stream(n: int = 48) -> list[Article]:
    records, _ = generate(n, load_pool(REAL_SEEDS, None), seed=11)
    return [parse_article(r) for r in records]


def _outcome(result: Result | BadRecord) -> tuple:
    if isinstance(result, BadRecord):
        return ("bad", result.reason)
    assert result.decision is not None
    return (result.article.id, result.decision.kind, result.decision.duplicate_of, result.story_id,
            tuple(result.event_ids), result.replayed)


def _run(articles: list[Article], batch: int) -> list[tuple]:
    pipeline = Pipeline(lexical_settings())
    out: list[Result | BadRecord] = []
    for i in range(0, len(articles), batch):
        out += pipeline.process_batch(articles[i:i + batch])
    return [_outcome(r) for r in out]


def test_batches_of_one_decide_as_a_batch_of_all():
    articles = _stream()
    one_by_one = _run(articles, 1)
    assert _run(articles, len(articles)) == one_by_one
    assert _run(articles, 7) == one_by_one
    kinds = {outcome[1] for outcome in one_by_one}
    assert "new" in kinds and kinds & {"exact", "near_verbatim", "paraphrase"}  # dedup had work


def test_a_batch_of_one_article():
    [result] = Pipeline(lexical_settings()).process_batch(_stream(1))
    assert isinstance(result, Result) and result.decision is not None and result.decision.kind == "new"
    assert result.story_id and result.event_ids


def test_a_batch_mixing_good_records_and_dead_letters():
    """An id reused for another text is a dead letter in its place; a replay gets the earlier answer; the
    good articles around them are decided as they would be without them."""
    articles = _stream(12)
    first, other = articles[0], articles[5]
    conflict = parse_article({"id": first.id, "title": other.title, "text": other.text,
                              "published": other.published.isoformat() if other.published else None})
    replay = parse_article({"id": first.id, "title": first.title, "text": first.text,
                            "published": first.published.isoformat() if first.published else None})
    mixed = articles[:3] + [conflict] + articles[3:8] + [replay] + articles[8:]
    results = Pipeline(lexical_settings()).process_batch(mixed)
    assert len(results) == len(mixed)
    bad = results[3]
    assert isinstance(bad, BadRecord) and bad.reason == "id_conflict"
    again = results[9]
    assert isinstance(again, Result) and again.replayed and again.story_id == _story(results[0])
    good = [_outcome(r) for i, r in enumerate(results) if i not in (3, 9)]
    assert good == _run(articles, len(articles))


def _story(result: Result | BadRecord) -> str | None:
    assert isinstance(result, Result)
    return result.story_id
