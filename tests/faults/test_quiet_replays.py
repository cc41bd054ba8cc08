"""Replays are idempotent and quiet, under the default two-week replay horizon: a file spanning three years is
published once, then nine more times (`streams replay --loop 9`). Stories, events and aggregates stay exactly
as after the first pass, no dead letter appears (the old articles are years behind their partition: their ids
were forgotten, 8 bytes of each kept to recognise them), every replayed record is answered as a replay, and
the worker counts them (news_streams_articles_replayed_total) and says so in its log."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams.brokers.tansu import ensure_topics
from tests.conftest import kafka_settings
from tests.faults.helpers import article, listening_addresses, metrics, read_until, start_worker, streams

pytestmark = pytest.mark.kafka

COUNT = 80
LOOPS = 9
START = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)


def parsed(settings) -> float:
    return metrics(settings).get(("news_streams_articles_in_total", (("stage", "parse"),)), 0.0)


def records() -> list[dict]:
    """Two weeks apart (three years in all); every fourth one copied by another outlet a day later."""
    out = []
    for n in range(COUNT):
        record = article(f"multi-{n:03d}", n, published=(START + timedelta(days=14 * n)).isoformat())
        out.append(record)
        if n % 4 == 0:
            out.append({**record, "id": f"copy-{n:03d}", "source": "copies.example",
                        "published": (START + timedelta(days=14 * n + 1)).isoformat()})
    return out


def test_a_multi_year_file_replayed_ten_times_changes_nothing_and_adds_no_dead_letter(broker, tmp_path):
    settings = kafka_settings(broker.bootstrap, tmp_path, semantic=False)  # default replay horizon
    ensure_topics(settings)
    items = records()
    path = tmp_path / "multi-year.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in items) + b"\n")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        assert listening_addresses(settings.metrics_port) == {"127.0.0.1"}  # bind_address: loopback by default
        assert listening_addresses(settings.web_port) == {"127.0.0.1"}  # Faust's web server too
        first = streams("replay", str(path), settings=settings)
        assert first.returncode == 0, first.stderr
        ids = {r["id"] for r in items}
        once = read_until(settings, lambda o: ids <= set(o.enriched), timeout=120)
        assert ids <= set(once.enriched) and not once.dead, once.dead[:3]
        assert any(r["duplicate_kind"] for r in once.enriched.values())

        again = streams("replay", str(path), "--loop", str(LOOPS), settings=settings, timeout=120)
        assert again.returncode == 0, again.stderr
        total = len(items) * (1 + LOOPS)
        after = read_until(settings, lambda o: o.enriched_records >= total and parsed(settings) >= total,
                           timeout=240)
        values = metrics(settings)
    finally:
        worker.stop()
    assert not after.dead, f"{len(after.dead)} dead letters, e.g. {after.dead[:2]}"
    assert after.stories == once.stories
    assert after.events == once.events
    assert after.aggregates == once.aggregates
    for ident, answers in after.enriched_all.items():
        decided = [r for r in answers if not r["replay"]]
        assert len(decided) == 1 and decided[0]["dedup"] is not None, ident
        assert len(answers) == 1 + LOOPS, (ident, len(answers))
        assert len({tuple(r["raw"]) for r in answers}) == len(answers), "two answers for one raw record"
    assert values[("news_streams_articles_replayed_total", ())] == len(items) * LOOPS
    assert not any(name == "news_streams_dead_letters_total" and v for (name, _), v in values.items())
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "records recognised as replays and skipped" in log
