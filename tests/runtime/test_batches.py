"""streams/runtime/agents.py: records between the stages carry batches (no broker: the agents' batch functions with
stand-in topics that keep what is sent). The same paths over a real broker: tests/integration, tests/faults."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import orjson

from streams.core import wire
from streams.core.messages import Idle, Keyed, Registration, Report, Tick
from streams.core.model import BadRecord
from streams.core.ticks import tick_value
from streams.runtime.agents import Worker, encode_outputs
from streams.settings import Settings
from streams.sources.files import DirectorySource
from tests.articles import SEEDS, lexical_settings, run_seeds

PARTITIONS = 2


class Topic:
    """Keeps what is sent to it: (key, value, partition)."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes | None, bytes | None, int | None]] = []

    async def send(self, key: bytes | None = None, value: bytes | None = None, partition: int | None = None) -> None:
        self.sent.append((key, value, partition))


def make_worker(settings: Settings | None = None) -> tuple[Worker, dict[str, Topic]]:
    topics = {kind: Topic() for kind in ("raw", "keyed", "resolve", "enriched", "stories", "events", "aggregates",
                                         "dead")}
    return Worker(None, settings or lexical_settings(partitions=PARTITIONS), topics), topics


def seed_values() -> list[bytes]:
    """The five seeds as raw records, in publication order (as the replayer sends them)."""
    records = sorted(DirectorySource(SEEDS).records(), key=lambda r: r["published"])
    return [orjson.dumps(record) for record in records]


def prepare(worker: Worker, values: Sequence[bytes | None]) -> None:
    asyncio.run(worker.prepare_batch([(b"k", value, 0, offset) for offset, value in enumerate(values)]))


def keyed_records(topics: dict[str, Topic]) -> list[tuple[int, bytes, bytes]]:
    return [(partition, key, value) for key, value, partition in topics["keyed"].sent]


def resolve_log(worker: Worker, topics: dict[str, Topic]) -> list[bytes]:
    """The resolve partition after prepare and match: the registrations' batch records, one batch of reports
    per match batch, and the idle notices of every raw partition (so that every article is placed)."""
    reports, bad = worker.match_all(keyed_records(topics))
    assert bad == []
    return ([value for _, value, _ in topics["resolve"].sent]
            + wire.pack(reports, worker.settings.internal_record_bytes)
            + [wire.encode(Idle(source)) for source in range(PARTITIONS)])


def resolve(worker: Worker, log: list[bytes], start: int = 0) -> list:
    return worker.resolve_all([(b"k", value, offset) for offset, value in enumerate(log) if offset >= start])


def placed(out: list) -> dict[str, object]:
    return {result.article.id: result for _, _, result, _ in out if not hasattr(result, "reason")}


def test_a_batch_of_one_is_one_record_per_topic_partition_and_one_result():
    worker, topics = make_worker()
    prepare(worker, seed_values()[:1])
    [(_, registrations, _)] = topics["resolve"].sent
    [registration] = wire.decode_resolve(registrations)
    assert isinstance(registration, Registration) and registration.raw == (0, 0)
    assert sorted(p for _, _, p in topics["keyed"].sent) == sorted(registration.partitions)
    for _, value, _ in topics["keyed"].sent:
        [keyed] = wire.decode_keyed(value)
        assert isinstance(keyed, Keyed) and keyed.fp.article_id == registration.article.id
    reports, _ = worker.match_all(keyed_records(topics))
    [report_record] = wire.pack(reports, worker.settings.internal_record_bytes)
    assert [type(m) for m in wire.decode_resolve(report_record)] == [Report] * len(registration.partitions)
    log = resolve_log(worker, topics)
    out = resolve(worker, log)
    [result] = placed(out).values()
    assert result.decision.kind == "new" and result.raw == (0, 0)
    assert result.version % wire.BATCH_ITEMS < len(wire.unpack(log[result.version // wire.BATCH_ITEMS]))
    assert topics["dead"].sent == []


def test_a_batch_mixing_good_and_bad_records_dead_letters_the_bad_and_sends_the_good():
    worker, topics = make_worker()
    seeds = seed_values()
    values = [seeds[0], b"not json", seeds[1], b'{"text": "no title"}', *seeds[2:], None]
    prepare(worker, values)
    letters = [orjson.loads(value) for _, value, _ in topics["dead"].sent]
    assert [(d["reason"], d["raw"]) for d in letters] == [("not_json", [0, 1]), ("missing_title", [0, 3]),
                                                          ("wrong_shape", [0, 7])]
    [(_, registrations, _)] = topics["resolve"].sent
    good = [orjson.loads(v)["id"] for v in seeds]
    assert [m.article.id for m in wire.decode_resolve(registrations)] == good
    assert [m.raw[1] for m in wire.decode_resolve(registrations)] == [0, 2, 4, 5, 6]
    assert len(topics["keyed"].sent) <= PARTITIONS  # one record per keyed partition for the whole batch
    results = placed(resolve(worker, resolve_log(worker, topics)))
    _, in_process = run_seeds(lexical_settings(partitions=PARTITIONS))
    assert {i: r.decision.as_dict() for i, r in results.items()} == \
        {i: r.decision.as_dict() for i, r in in_process.items()}  # the same decisions as in process


def test_a_tick_in_a_batch_follows_its_articles_to_the_resolver_and_moves_its_partition_mark():
    worker, topics = make_worker()
    seeds = seed_values()
    newest = max(orjson.loads(v)["published"] for v in seeds)
    from streams.core.dates import parse_date

    when = parse_date(newest)[0].timestamp() + 60
    values = [seeds[0], tick_value(when - 3600 * 24 * 365 * 10), b"not json", *seeds[1:], tick_value(when)]
    prepare(worker, values)
    assert [orjson.loads(v)["reason"] for _, v, _ in topics["dead"].sent] == ["not_json"]  # the ticks are not
    [(_, registrations, _)] = topics["resolve"].sent
    messages = wire.decode_resolve(registrations)
    assert [type(m) for m in messages] == [Registration] * len(seeds) + [Tick]
    assert messages[-1] == Tick(0, when)  # one per raw partition: its newest mark
    assert worker.stages.marks.newest == {0: when}
    rebuilt, _ = make_worker()
    asyncio.run(rebuilt.fold_raw(0)(values))  # a worker taking the partition over reads the ticks too
    assert rebuilt.stages.marks.newest == {0: when}
    reports, _ = worker.match_all(keyed_records(topics))
    log = [registrations, *wire.pack(reports, worker.settings.internal_record_bytes),
           wire.encode(Tick(1, when))]  # the other raw partition's tick: no idle notice needed
    assert sorted(placed(resolve(worker, log))) == sorted(orjson.loads(v)["id"] for v in seeds)


def test_a_tick_far_ahead_of_now_is_a_dead_letter_and_moves_nothing():
    worker, topics = make_worker()
    ahead = time.time() + 3 * 86400  # past max_future_skew_hours (24)
    prepare(worker, [tick_value(5.0), tick_value(ahead)])
    [letter] = [orjson.loads(v) for _, v, _ in topics["dead"].sent]
    assert letter["reason"] == "untrusted_tick" and letter["raw"] == [0, 1]
    assert [wire.decode_resolve(v) for _, v, _ in topics["resolve"].sent] == [[Tick(0, 5.0)]]
    rebuilt, _ = make_worker()
    asyncio.run(rebuilt.fold_raw(0)([tick_value(5.0), tick_value(ahead)]))
    assert rebuilt.stages.marks.newest == {0: 5.0}


def test_a_batch_of_ticks_only_sends_them_alone():
    from streams.runtime.metrics import REGISTRY

    def counted(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(f"news_streams_{name}_total", labels) or 0.0

    worker, topics = make_worker()
    before = counted("ticks"), counted("articles_in", stage="parse")
    prepare(worker, [tick_value(5.0), tick_value(7.0)])
    assert (counted("ticks"), counted("articles_in", stage="parse")) == (before[0] + 2, before[1])
    assert [wire.decode_resolve(v) for _, v, _ in topics["resolve"].sent] == [[Tick(0, 7.0)]]
    assert topics["keyed"].sent == [] and topics["dead"].sent == []


def test_a_batch_over_the_record_limit_is_split_and_an_article_too_large_alone_is_dead_lettered(monkeypatch):
    limit = 9_000  # the largest registration of a seed is under 5 KB, two are over it
    monkeypatch.setattr(Settings, "internal_record_bytes", property(lambda self: limit))
    worker, topics = make_worker()
    seeds = seed_values()
    huge = orjson.loads(seeds[0])
    huge.update(id="huge", text=" ".join(f"Paragraph {n} of a very long council report." for n in range(300)))
    values = [seeds[0], seeds[1], orjson.dumps(huge), *seeds[2:]]
    prepare(worker, values)
    [letter] = [orjson.loads(value) for _, value, _ in topics["dead"].sent]
    assert (letter["reason"], letter["raw"]) == ("too_large", [0, 2]) and "9000" in letter["detail"]
    records = [value for _, value, _ in topics["resolve"].sent]
    assert len(records) > 1 and all(len(r) <= limit for r in records)
    good = [orjson.loads(v)["id"] for v in seeds]
    assert [m.article.id for r in records for m in wire.decode_resolve(r)] == good
    assert all(len(v) <= limit for _, v, _ in topics["keyed"].sent)
    assert sorted(placed(resolve(worker, resolve_log(worker, topics)))) == sorted(good)


def test_a_malformed_internal_record_or_item_is_a_dead_letter_and_the_rest_goes_on():
    worker, topics = make_worker()
    prepare(worker, seed_values()[:2])
    keyed = keyed_records(topics)
    partition, _, value = keyed[0]
    broken = value[:-2] + b',{"type":"keyed"}]}'  # a good batch with one bad item at its end
    reports, bad = worker.match_all([(partition, b"k", b"not json"), (partition, b"k", broken), *keyed[1:]])
    assert [why.reason for _, _, why in bad] == ["bad_internal_record"] * 2
    assert bad[1][1] == b'{"type":"keyed"}'  # the bad item, not the whole batch
    assert len(reports) == sum(len(wire.unpack(v)) for _, _, v in keyed)  # every good fingerprint judged
    log = [value for _, value, _ in topics["resolve"].sent]
    log[0] = log[0][:-2] + b',{"type":"article"}]}'
    log = [b"[]", *log, *wire.pack(reports, 10_000_000), *[wire.encode(Idle(s)) for s in range(PARTITIONS)]]
    out = resolve(worker, log)
    letters = [result for _, _, result, _ in out if hasattr(result, "reason")]
    assert [letter.reason for letter in letters] == ["bad_internal_record"] * 2
    assert len(placed(out)) == 2


def test_state_rebuilt_from_batch_records_gives_the_same_outputs_with_the_same_versions():
    worker, topics = make_worker()
    seeds = seed_values()
    prepare(worker, seeds[:3])
    prepare(worker, seeds[3:])
    log = resolve_log(worker, topics)
    first = resolve(worker, log)
    cut = len(log) - 1 - PARTITIONS  # after some registrations, before the last batch of reports
    again, _ = make_worker()
    asyncio.run(again.fold_resolve()(log[:cut]))
    rest = resolve(again, log, start=cut)
    expected = [(kind, key, value) for kind, key, value in _outputs(first) if value and value.get("version", -1) >=
                cut * wire.BATCH_ITEMS]
    got = _outputs(rest)
    assert expected and [item for item in expected if item not in got] == []
    versions = [value["version"] for kind, _, value in got if kind == "stories" and value]
    assert versions == sorted(versions)


def test_a_keyed_partition_rebuilt_from_batch_records_judges_as_before():
    worker, topics = make_worker()
    seeds = seed_values()
    prepare(worker, seeds[:2])
    prepare(worker, seeds[2:])
    keyed = keyed_records(topics)
    reports, _ = worker.match_all(keyed)
    again, _ = make_worker()
    cut = len(keyed) // 2
    for partition in range(PARTITIONS):
        asyncio.run(again.fold_keyed(partition)([v for p, _, v in keyed[:cut] if p == partition]))
    later, _ = again.match_all(keyed[cut:])
    assert verdicts(later) == verdicts(reports[len(reports) - len(later):])
    assert any(links for _, _, links in verdicts(later))  # a later article met one held from the rebuild


def verdicts(reports: list[bytes]) -> list[tuple[str, int, list]]:
    return [(r["id"], r["partition"], r["links"]) for r in map(orjson.loads, reports)]


def _outputs(out: list) -> list[tuple[str, bytes, dict | None]]:
    from streams.core.pipeline import outputs

    results = [result for _, _, result, _ in out if not hasattr(result, "reason")]
    return [(kind, key, _stable(value)) for kind, key, value in outputs(results)]


def _stable(value: dict | None) -> dict | None:
    return None if value is None else {k: v for k, v in value.items() if k not in ("processed_at", "seen_at")}



def test_resolving_and_encoding_in_one_hop_gives_what_the_two_steps_gave():
    worker, topics = make_worker()
    prepare(worker, seed_values())
    log = resolve_log(worker, topics)
    again, again_topics = make_worker()
    prepare(again, seed_values())
    records = [(b"k", value, offset) for offset, value in enumerate(resolve_log(again, again_topics))]
    handled, results, encoded = again.resolve_encode(records)
    two_steps = resolve(worker, log)
    assert [(k, v, type(out)) for k, v, out, _ in handled] == [(k, v, type(out)) for k, v, out, _ in two_steps]
    assert [r.article.id for r in results] == list(placed(two_steps)) and len(results) == len(seed_values())
    assert untimed(encoded) == untimed(encode_outputs(list(placed(two_steps).values())))  # type: ignore[arg-type]


def untimed(records: list) -> list:
    """Output records without the times that differ between two runs (``processed_at``, ``seen_at``)."""
    def value(raw: bytes | None) -> object:
        return None if raw is None else {k: v for k, v in orjson.loads(raw).items() if k not in ("processed_at", "seen_at")}
    return [(kind, key, value(raw)) for kind, key, raw in records]


def test_a_parse_batch_keeps_its_order_and_names_the_bad_records():
    worker, _ = make_worker()
    good = seed_values()[:2]
    parsed = worker.parse_all([(b"k", good[0], 0, 0), (b"k", b"not json", 0, 1), (None, None, 0, 2),
                               (b"k", good[1], 0, 3)])
    assert [type(p).__name__ for p in parsed] == ["Article", "BadRecord", "BadRecord", "Article"]
    assert [p.id for p in parsed if not isinstance(p, BadRecord)] == [worker.parse(v).id for v in good]


def test_the_batch_size_is_a_setting():
    assert Settings().batch_size == 32 and Settings(batch_size=256).batch_size == 256
