"""Helpers for tests that run several real worker processes against the embedded broker."""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from streams.bench.probes import scrape
from streams.bench.stream import generate, load_pool
from streams.brokers.tansu import ensure_topics, free_port
from streams.runtime.outputs import Outputs, read_outputs_sync
from streams.runtime.publish import Publisher
from streams.settings import Settings
from streams.tools.demo import Worker, wait_assigned

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DATASET = ROOT.parent / "shared" / "datasets" / "giveme5w1h_news_cluster.jsonl"
REFERENCE_ARTICLES = 600
"""Size of the corpus that the SIGKILL, takeover and broker-fault tests run and compare with one undisturbed run:
enough records in flight at each kill (a batch is up to 32), small enough to keep each run short."""
REFERENCE_SEED = 5
SPLIT_IDLE_AFTER_S = 60.0
"""``idle_after_s`` of the runs that publish a stream in two parts, a pause between them: longer than any such pause
(a worker killed and its partitions taken over, a broker stopped for 30 s). A partition that went quiet in the pause
would otherwise be declared idle, and when the second part came, the articles of the partitions read first could be
placed ahead of older ones on the others: events and aggregates would follow another order than the undisturbed
run's (docs/faults.md). Each such run ends by waiting this long for its partitions to be declared idle."""


def corpus(n: int, seed: int = 11) -> list[dict]:
    """Seeds and dataset articles with generated verbatim, trimmed and paraphrased copies, by publication time."""
    pool = load_pool(SEEDS, DATASET if DATASET.exists() else None)
    records, _ = generate(n, pool, seed=seed, span_days=2)
    return records


def start_workers(settings: Settings, count: int, logs: Path) -> list[Worker]:
    ensure_topics(settings)
    workers = [Worker(settings.replace(metrics_port=free_port(), web_port=free_port()), logs / f"worker-{i}.log")
               for i in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.wait_metrics(timeout=90)
    return workers


def publish(settings: Settings, records: Sequence[dict]) -> None:
    """Publish ``records`` (in publication order) as the replayer does: with ticks (streams/core/ticks.py)."""
    publisher = Publisher(settings, ticks=True)
    try:
        for record in records:
            publisher.send(record)
        publisher.flush()
    finally:
        publisher.close()


def read_all(settings: Settings, ids: set[str], timeout: float = 240.0) -> Outputs:
    """The output topics once every id is in the enriched topic and the stories cover every id."""
    def done(outputs: Outputs) -> bool:
        covered = {a for s in outputs.stories.values() for a in s["articles"]}
        return ids <= set(outputs.enriched) and ids <= covered
    return read_outputs_sync(settings, done, timeout=timeout)


def story_sets(outputs: Outputs) -> set[frozenset[str]]:
    return {frozenset(s["articles"]) for s in outputs.stories.values()}


def undisturbed_run(settings: Settings, records: list[dict], tmp: Path) -> Outputs:
    """The outputs of ``records`` processed by one worker left alone: what a disturbed run must equal."""
    ensure_topics(settings)
    publish(settings, records)
    workers = start_workers(settings, 1, tmp)
    try:
        wait_assigned(workers)
        return read_all(settings, {r["id"] for r in records})
    finally:
        stop_all(workers)


def stop_all(workers: Sequence[Worker]) -> None:
    for worker in workers:
        worker.stop()


def metric(worker: Worker, name: str, **labels: str) -> float:
    """The sum of a series of this worker incarnation's /metrics over the labels not given (0 if it is down)."""
    try:
        return sum(v for series, have, v in scrape(worker.settings.metrics_port)
                   if series == name and all(have.get(k) == want for k, want in labels.items()))
    except OSError:
        return 0.0


def placed(worker: Worker, stage: str = "aggregates") -> float:
    """Articles this incarnation placed (``aggregates``: only the owner of the resolve partition places) or
    parsed (``parse``: every worker prepares its raw partitions)."""
    return metric(worker, "news_streams_articles_out_total", stage=stage)


def wait_placed(worker: Worker, at_least: float, timeout: float = 180.0, stage: str = "aggregates") -> None:
    deadline = time.monotonic() + timeout
    while placed(worker, stage) < at_least:
        assert time.monotonic() < deadline, f"worker stuck before {at_least}: {worker.log_path.read_text()[-2000:]}"
        time.sleep(0.1)


def kill_when(worker: Worker, at_least: float, timeout: float = 180.0, stage: str = "aggregates") -> None:
    wait_placed(worker, at_least, timeout, stage)
    worker.kill()


def summary(outputs: Outputs) -> dict:
    """What must equal an undisturbed run: stories, events (members and ids) and every aggregate record (but
    its ``version``: the resolve-topic offset, which redeliveries after a kill move on)."""
    events = {e["id"]: sorted(e["articles"]) for e in outputs.events.values()}
    aggregates = {key: {k: v for k, v in record.items() if k != "version"} for key, record in outputs.aggregates.items()}
    return {"stories": story_sets(outputs), "events": events, "aggregates": aggregates}


def assert_exactly_once(outputs: Outputs, ids: set[str]) -> None:
    """Every id enriched, and a member of exactly one story and one event; the message names what is not."""
    assert ids <= set(outputs.enriched), f"not enriched: {sorted(ids - set(outputs.enriched))[:10]}"
    for kind in ("stories", "events"):
        holders: dict[str, list[str]] = {}
        for key, record in getattr(outputs, kind).items():
            for article in record["articles"]:
                holders.setdefault(article, []).append(key)
        twice = {a: keys for a, keys in holders.items() if len(keys) > 1}
        missing = ids - set(holders)
        extra = set(holders) - ids
        assert not (twice or missing or extra), (
            f"{kind}: {len(twice)} in two records {dict(list(twice.items())[:3])}, "
            f"{len(missing)} in none {sorted(missing)[:5]}, {len(extra)} unknown {sorted(extra)[:5]}; "
            + "; ".join(f"{key}: {getattr(outputs, kind)[key]}" for keys in list(twice.values())[:1] for key in keys))
