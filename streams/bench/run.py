"""Benchmarks: the whole Kafka pipeline end to end, or the plain-Python pipeline in process.

CLI (wired as ``python -m streams bench ...``)::

    python -m streams bench [--articles N] [--workers K[,K...]] [--semantic on|off] [--rate R]
                            [--bootstrap HOST:PORT] [--dataset FILE.jsonl] [--json] [--micro]
    python -m streams bench --long-run [--articles N] [--every N] [--semantic on|off] [--json]

End to end: a local broker (``--broker tansu`` or ``kafka``; none with ``--bootstrap``), fresh topics, K worker processes,
N generated articles published at full speed (or ``--rate`` per second), and every enriched
output read back. Reported: throughput (first publish -> last enriched ``processed_at``),
publish->tagged latency percentiles (``processed_at - sent_at`` of each enriched record),
per-stage ms/article from the workers' ``/metrics``, worker CPU per article, peak worker RSS
(``VmHWM``) and state size per article. ``--workers 1,2`` runs once per value and adds
``scaling`` = throughput(largest K) / throughput(smallest K).

``--micro``: ``Pipeline.process_batch`` over the same articles in batches of 32, no Kafka:
articles/s, ms/article per stage (``Pipeline.seconds``) and ``Pipeline.state_size()`` per
article. This is the number that shows a regression without broker noise.

``--long-run``: memory over a long stream whose publication time keeps advancing, in process
(``streams.bench.longrun``): RSS and state bytes every ``--every`` articles, and whether they stay flat
once the state's window is full.

The articles are deterministic (seeded RNG): the seed articles and, when present, a labelled
news dataset, plus variants so dedup has real work: verbatim copies (new id, other outlet),
trimmed copies (last 30% of paragraphs dropped) and paraphrase-like copies (sentences
shuffled inside paragraphs, a few words swapped or replaced), published hours to days after
their original so the story window matters.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import orjson

from streams.bench import reference
from streams.bench.errors import BenchError, UsageError
from streams.bench.probes import STAGES, by_label, percentiles, proc_cpu_seconds, proc_status, stage_ms
from streams.bench.stream import DEFAULT_SPAN_DAYS, MICRO_BATCH, generate, load_pool
from streams.runtime import metrics
from streams.runtime.topics import unique_names
from streams.settings import Settings, SettingsError, assignments, load
from streams.tools.args import positive
from streams.tools.progress import progress

EXIT_FAILED = 1
EXIT_USAGE = 2
ROOT = Path(__file__).resolve().parents[2]
"""The repository (or the installed package's parent)."""
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "giveme5w1h_news_cluster.jsonl"
"""The labelled dataset beside the repository (``../shared/datasets``), used when present; ``--dataset`` overrides."""
WARM_UP_ARTICLES = 8

# --------------------------------------------------------------------------- measurements

def _per_article(state: dict[str, float], n: int) -> dict[str, float]:
    return {k: round(v / n, 4) for k, v in state.items()} if n else {}


# --------------------------------------------------------------------------- micro benchmark

def run_micro(settings: Settings, records: Sequence[dict], batch: int = MICRO_BATCH,
              say: Callable[..., None] = print) -> dict[str, Any]:
    """``Pipeline.process_batch`` over the articles, in process: no Kafka, no Faust."""
    from streams.core.model import BadRecord, parse_article
    from streams.core.pipeline import Pipeline

    articles = [parse_article(r) for r in records]
    # Warm-up on a throwaway pipeline: model load, gazetteers, regex caches are not per-article costs.
    say(f"bench: warming up on {min(WARM_UP_ARTICLES, len(records))} articles"
        f"{' (loading the embedding model, ~10 s)' if settings.semantic else ''}")
    start = time.perf_counter()
    Pipeline(settings, observer=metrics.PROMETHEUS).process_batch([parse_article(r) for r in records[:WARM_UP_ARTICLES]])
    warm_up_s = time.perf_counter() - start
    pipeline = Pipeline(settings, observer=metrics.PROMETHEUS)  # timed with the metrics the worker records
    say(f"bench: micro, {len(articles)} articles in batches of {batch}, semantic "
        f"{'on' if settings.semantic else 'off'} (warm-up {warm_up_s:.1f} s)")
    rss_before = proc_status(os.getpid(), "VmRSS") or 0
    cpu = wall = 0.0
    results: list = []
    peak: dict[str, float] = {}
    for i in progress(range(0, len(articles), batch), (len(articles) + batch - 1) // batch, "batches"):
        cpu_before, start = time.process_time(), time.perf_counter()
        results += pipeline.process_batch(articles[i:i + batch])
        wall += time.perf_counter() - start
        cpu += time.process_time() - cpu_before
        for key, value in pipeline.state_size().items():
            peak[key] = max(peak.get(key, 0.0), float(value))
    rss_after = proc_status(os.getpid(), "VmRSS") or 0
    n = len(articles)
    stages = {name: round(1000 * pipeline.seconds[name] / n, 3)
              for name in sorted(pipeline.seconds, key=lambda s: STAGES.index(s) if s in STAGES else 99)}
    stages["other"] = round(max(0.0, 1000 * wall / n - sum(stages.values())), 3)
    state = {k: float(v) for k, v in pipeline.state_size().items()}
    placed = [r for r in results if not isinstance(r, BadRecord)]
    kinds = Counter(r.decision.kind for r in placed if r.decision)
    return {
        "mode": "micro", "articles": n, "batch": batch, "semantic": settings.semantic,
        "seconds": round(wall, 3), "articles_per_s": round(n / wall, 2) if wall else None,
        "ms_per_article": round(1000 * wall / n, 3), "cpu_ms_per_article": round(1000 * cpu / n, 3),
        "warm_up_s": round(warm_up_s, 2), "stages": stages,
        "state": state, "state_per_article": _per_article(state, n),
        "state_peak": peak, "state_peak_per_article": _per_article(peak, n),
        "rss_growth_bytes": rss_after - rss_before, "peak_rss_bytes": proc_status(os.getpid(), "VmHWM"),
        "dedup_kinds": dict(kinds), "bad_records": len(results) - len(placed),
        "stories": len({r.story_id for r in placed if r.story_id}),
        "events": len({e for r in placed for e in r.event_ids}),
    }


# --------------------------------------------------------------------------- end to end

class StateSampler(threading.Thread):
    """Scrapes the workers' state gauges every second while outputs are read; keeps the peak
    (summed over workers). The state at the end of a finite stream is not its steady state."""

    def __init__(self, workers: list, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="bench-state-sampler")
        self.workers, self.interval = workers, interval
        self.peak: dict[str, dict[str, float]] = {"entries": {}, "bytes": {}}
        self._stop_event = threading.Event()

    def sample(self, scraped: list) -> None:
        for kind, name in (("entries", "news_streams_state_entries"), ("bytes", "news_streams_state_bytes")):
            total: dict[str, float] = {}
            for samples in scraped:
                for key, value in by_label(samples, name, "state").items():
                    total[key] = total.get(key, 0.0) + value
            for key, value in total.items():
                self.peak[kind][key] = max(self.peak[kind].get(key, 0.0), value)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sample([w.metrics() for w in self.workers])

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def _unique_settings(base: Settings, partitions: int) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return base.replace(app_id=f"news-streams-bench-{tag}", **unique_names(tag, prefix="bench-"),
                        partitions=partitions)


def _ports(count: int) -> list[int]:
    from streams.brokers.tansu import free_port

    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _publish(settings: Settings, records: Sequence[dict], rate: float | None) -> tuple[float, float]:
    """Publish every record; returns (wall-clock start, seconds taken)."""
    from streams.runtime.publish import Publisher

    publisher = Publisher(settings, ticks=True)  # the generated stream is in publication order
    try:
        start_wall, start = time.time(), time.monotonic()
        for n, record in enumerate(records):
            if rate:
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            publisher.send(record)
        publisher.flush()
        return start_wall, time.monotonic() - start
    finally:
        publisher.close()


def _wait_state(workers: list, processed: int, timeout: float = 7.0) -> list:
    """Scrape every worker until the state gauges (refreshed by a 5 s timer) cover every article."""
    deadline = time.monotonic() + timeout
    while True:
        scraped = [w.metrics() for w in workers]
        seen = sum(by_label(s, "news_streams_state_entries", "state").get("seen_ids", 0.0) for s in scraped)
        if seen >= processed or time.monotonic() >= deadline:
            return scraped
        time.sleep(0.5)


def run_e2e(base: Settings, records: Sequence[dict], workers: int, rate: float | None, workdir: Path,
            timeout: float, partitions: int, say: Callable[..., None] = print) -> dict[str, Any]:
    from streams.brokers.tansu import ensure_topics
    from streams.runtime.outputs import read_outputs_sync
    from streams.tools.demo import NotAssigned, Worker, wait_assigned

    n = len(records)
    settings = _unique_settings(base, partitions)
    ensure_topics(settings)
    procs = []
    try:
        for k in range(workers):
            metrics_port, web_port = _ports(2)
            own = settings.replace(metrics_port=metrics_port, web_port=web_port,
                                   data_dir=str(workdir / f"{settings.app_id}-{k}"))
            procs.append(Worker(own, workdir / f"{settings.app_id}-{k}.log").start())
        say(f"bench: waiting for {workers} worker(s) to start and join the consumer group")
        for worker in procs:
            worker.wait_metrics()
        try:
            wait_assigned(procs, timeout=60.0, settle=1.5)
        except NotAssigned as exc:
            say(f"bench: warning: {exc}; publishing anyway")
        except RuntimeError as exc:
            raise BenchError(str(exc)) from None
        cpu_before = [proc_cpu_seconds(w.popen.pid) or 0.0 for w in procs]
        say(f"bench: {workers} worker(s) ready; publishing {n} articles "
            f"{f'at {rate:g}/s' if rate else 'at full speed'} to {settings.topic_raw}")
        sampler = StateSampler(procs)
        sampler.start()
        try:
            start_wall, publish_s = _publish(settings, records, rate)
            say(f"bench: published; waiting for the {n} articles to come out of the pipeline"
                f"{' (each worker loads the embedding model as it starts)' if settings.semantic else ''}")
            # the enriched articles and dead letters are all it measures: the story, event and aggregate records
            # (~5 an article) would cost the bench's own process CPU the workers share the machine with
            outputs = read_outputs_sync(settings, lambda o: len(o.enriched) + len(o.dead) >= n, timeout=timeout,
                                        only=("enriched", "dead"))
        finally:
            sampler.stop()
        for worker in procs:
            try:
                worker.check_running()
            except RuntimeError as exc:
                raise BenchError(str(exc)) from None
        if len(outputs.enriched) + len(outputs.dead) < n:
            raise BenchError(f"timed out after {timeout:.0f}s: {len(outputs.enriched)} of {n} articles enriched, "
                             f"{len(outputs.dead)} dead letters; see {procs[0].log_path}")
        cpu_after = [proc_cpu_seconds(w.popen.pid) or 0.0 for w in procs]
        scraped = _wait_state(procs, len(outputs.enriched))
        sampler.sample(scraped)
        rss = [proc_status(w.popen.pid, "VmHWM") for w in procs]
    finally:
        for worker in procs:
            worker.stop()

    enriched = list(outputs.enriched.values())
    processed = [r["processed_at"] for r in enriched if isinstance(r.get("processed_at"), (int, float))]
    latencies = [r["processed_at"] - r["sent_at"] for r in enriched
                 if isinstance(r.get("processed_at"), (int, float)) and isinstance(r.get("sent_at"), (int, float))]
    done = len(enriched)
    span = max(processed) - start_wall if processed else 0.0
    first, last = (min(processed), max(processed)) if processed else (0.0, 0.0)
    samples = [s for worker_samples in scraped for s in worker_samples]
    state = by_label(samples, "news_streams_state_entries", "state")
    state_bytes = by_label(samples, "news_streams_state_bytes", "state")
    stages = stage_ms(samples)
    cpu = sum(a - b for a, b in zip(cpu_after, cpu_before))
    kinds = Counter(r.get("duplicate_kind") or "new" for r in enriched)
    return {
        "mode": "e2e", "articles": done, "published": n, "dead_letters": len(outputs.dead),
        "redelivered": outputs.enriched_records - done, "workers": workers, "partitions": partitions,
        "semantic": settings.semantic, "rate": rate,
        "seconds": round(span, 3), "articles_per_s": round(done / span, 2) if span > 0 else None,
        "publish_s": round(publish_s, 3), "first_output_s": round(first - start_wall, 3) if processed else None,
        "articles_per_s_after_first_output": round((done - 1) / (last - first), 2) if last > first else None,
        "latency_s": percentiles(latencies),
        "stages": stages, "pipeline_ms_per_article": round(sum(stages.values()), 3),
        "worker_cpu_ms_per_article": round(1000 * cpu / done, 3) if done else None,
        "peak_rss_bytes": max((r for r in rss if r is not None), default=None),
        "worker_peak_rss_bytes": rss,
        "state": state, "state_per_article": _per_article(state, done),
        "state_bytes": state_bytes, "state_bytes_per_article": _per_article(state_bytes, done),
        "state_peak": sampler.peak["entries"], "state_peak_per_article": _per_article(sampler.peak["entries"], done),
        "state_bytes_peak": sampler.peak["bytes"],
        "dedup_kinds": dict(kinds),
    }


# --------------------------------------------------------------------------- report

def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:.1f} MB"


def _fmt(value: Any, unit: str = "", digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def render(result: dict[str, Any]) -> str:
    lines: list[str] = []
    mix = result.get("mix", {})
    mix_text = ", ".join(f"{v} {k}" for k, v in mix.items())
    semantic = "on" if result["semantic"] else "off"
    if result.get("mode") == "micro":
        lines.append(f"bench micro: {result['articles']} articles ({mix_text}), semantic {semantic}, "
                     f"batches of {result['batch']}, no Kafka")
        lines.append(f"  throughput    {result['articles_per_s']:.1f} articles/s ({result['seconds']:.2f} s, "
                     f"{result['ms_per_article']:.2f} ms/article wall, {result['cpu_ms_per_article']:.2f} ms CPU)")
        lines += _reference_lines(result, result)
        lines.append(f"  warm-up       {result['warm_up_s']:.2f} s on a throwaway pipeline (not timed"
                     f"{'; includes the model load' if result['semantic'] else ''})")
        lines += _stage_lines(result["stages"])
        lines.append(f"  memory        peak RSS {_mb(result['peak_rss_bytes'])}, "
                     f"RSS growth while processing {_mb(result['rss_growth_bytes'])} "
                     f"({result['rss_growth_bytes'] / max(1, result['articles']) / 1024:.1f} KB/article)")
        lines += _state_lines(result)
        lines.append("  dedup         " + ", ".join(f"{k} {v}" for k, v in sorted(result["dedup_kinds"].items()))
                     + f"; {result['stories']} stories, {result['events']} events")
        return "\n".join(lines)
    runs = result.get("runs") or [result]
    for run in runs:
        rate = f"{run['rate']:g}/s" if run["rate"] else "full speed"
        lines.append(f"bench: {run['articles']} of {run['published']} articles ({mix_text}), semantic {semantic}, "
                     f"{run['workers']} worker(s), {run['partitions']} partitions, {rate}")
        lines.append(f"  throughput    {_fmt(run['articles_per_s'], ' articles/s', 1)} (first publish -> last "
                     f"enriched: {run['seconds']:.2f} s; publish took {run['publish_s']:.2f} s; first output after "
                     f"{_fmt(run['first_output_s'], ' s', 2)}; {_fmt(run['articles_per_s_after_first_output'], '', 1)}"
                     f" articles/s after it)")
        lines += _reference_lines(run, result)
        lat = run["latency_s"]
        lines.append(f"  latency       publish->tagged p50 {_fmt(lat['p50'], ' s')}  p95 {_fmt(lat['p95'], ' s')}  "
                     f"p99 {_fmt(lat['p99'], ' s')}  max {_fmt(lat['max'], ' s')}")
        lines += _stage_lines(run["stages"])
        lines.append(f"  worker CPU    {_fmt(run['worker_cpu_ms_per_article'], ' ms/article', 2)} (all workers; "
                     f"pipeline stages {run['pipeline_ms_per_article']:.2f})")
        broker = f"; broker {_mb(run['broker_peak_rss_bytes'])}" if run.get("broker_peak_rss_bytes") else ""
        lines.append(f"  peak RSS      {_mb(run['peak_rss_bytes'])} (per worker: "
                     f"{', '.join(_mb(r) for r in run['worker_peak_rss_bytes'])}{broker})")
        lines += _state_lines(run)
        lines.append("  dedup         " + ", ".join(f"{k} {v}" for k, v in sorted(run["dedup_kinds"].items()))
                     + f"; dead letters {run['dead_letters']}, redelivered {run['redelivered']}")
    if result.get("scaling") is not None:
        lines.append(f"scaling: {result['scaling']:.2f}x throughput from {min(r['workers'] for r in runs)} to "
                     f"{max(r['workers'] for r in runs)} workers")
    return "\n".join(lines)


def _reference_lines(run: dict[str, Any], result: dict[str, Any]) -> list[str]:
    baseline = result.get("reference")
    if not baseline:
        return []
    ratio, by_cpu = run.get("reference_ratio"), run.get("reference_cpu_ratio")
    cpu = f" ({_fmt(by_cpu, 'x', 2)} by CPU time per article)" if by_cpu is not None else ""
    return [f"  reference     {_fmt(baseline['articles_per_s'], ' articles/s', 1)} by the plain script "
            f"({baseline['script']}; {baseline['duplicates']} duplicates): the pipeline does "
            f"{_fmt(ratio, 'x', 2)} of it{cpu}"]


def _stage_lines(stages: dict[str, float]) -> list[str]:
    if not stages:
        return ["  stages        n/a (no stage metrics)"]
    text = "  ".join(f"{k} {v:.2f}" for k, v in stages.items())
    return [f"  stages ms/art {text}  (sum {sum(stages.values()):.2f})"]


def _state_lines(result: dict[str, Any]) -> list[str]:
    state = result.get("state") or {}
    if not state:
        return ["  state         n/a (news_streams_state_entries not exported)"]
    lines = []
    for label, key in (("state peak", "state_peak"), ("state at end", "state")):
        values, per = result.get(key) or {}, result.get(key + "_per_article") or {}
        if values:
            text = ", ".join(f"{k} {v:.0f} ({per[k]:.3g}/article)" for k, v in values.items())
            lines.append(f"  {label:<13} {text}")
    if result.get("state_bytes"):
        per_b = result["state_bytes_per_article"]
        lines.append("  state bytes   " + ", ".join(f"{k} {_mb(v)} ({per_b[k]:.0f} B/article)"
                                                   for k, v in result["state_bytes"].items()))
    elif result.get("mode") == "e2e":
        lines.append("  state bytes   n/a (news_streams_state_bytes not exported)")
    return lines


# --------------------------------------------------------------------------- CLI

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        raise UsageError(message)


def _workers(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a count or a comma list of counts, got {value!r}") from None
    if not counts or any(c < 1 or c > 32 for c in counts):
        raise argparse.ArgumentTypeError(f"worker counts must be 1-32, got {value!r}")
    return counts



def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="streams bench", description="End-to-end (Kafka) and in-process pipeline benchmarks.")
    parser.add_argument("--articles", type=positive(int), default=2000, help="articles to generate (default 2000)")
    parser.add_argument("--workers", type=_workers, default=None,
                        help="worker processes, or a comma list (1,2) to run once per count (default 1)")
    parser.add_argument("--semantic", choices=("on", "off"), default=None,
                        help="MiniLM paraphrase signal (default: the semantic setting)")
    parser.add_argument("--rate", type=positive(float), default=None,
                        help="publish rate, articles/s (default: full speed)")
    parser.add_argument("--bootstrap", help="use this Kafka instead of starting a local broker")
    parser.add_argument("--broker", choices=("tansu", "kafka"), default="tansu",
                        help="the local broker to start: tansu (embedded, default) or kafka (Apache Kafka, `make kafka`)")
    parser.add_argument("--partitions", type=positive(int), default=4, help="partitions of the bench topics")
    parser.add_argument("--dataset", default=None,
                        help=f"labelled JSONL articles added to the seeds (default {DEFAULT_DATASET} when present; "
                             "'none' for seeds only)")
    parser.add_argument("--seeds", default=None, help="seed article directory (default: seeds/)")
    parser.add_argument("--span-days", type=float, default=DEFAULT_SPAN_DAYS,
                        help="spread the originals' publication times evenly over this many days, order kept "
                             f"(default {DEFAULT_SPAN_DAYS:g}; 0 keeps the real dates, which span years)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the article generator")
    parser.add_argument("--timeout", type=positive(float), default=None,
                        help="seconds to wait for all outputs (default scales with --articles)")
    parser.add_argument("--batch", type=positive(int), default=MICRO_BATCH, help="--micro batch size")
    parser.add_argument("--micro", action="store_true", help="in-process Pipeline benchmark, no Kafka")
    parser.add_argument("--long-run", action="store_true",
                        help="in process, a stream whose publication time keeps advancing: is memory flat once "
                             "the state's window is full? (e.g. --articles 100000)")
    parser.add_argument("--every", type=positive(int), default=None,
                        help="--long-run: a checkpoint every N articles (default: --articles / 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any setting (see `streams settings`), repeatable; the flags above win")
    return parser


def _seeds_dir(value: str | None) -> Path:
    if value:
        return Path(value)
    return Path("seeds") if Path("seeds").is_dir() else ROOT / "seeds"


def _dataset(value: str | None) -> Path | None:
    if value is None:
        return DEFAULT_DATASET if DEFAULT_DATASET.is_file() else None
    if value.lower() in ("", "none", "off"):
        return None
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"--dataset: no such file: {value}")
    return path


def main(argv: list[str] | None = None) -> int:
    from streams.brokers.tansu import BrokerError
    from streams.core.resolve.catalog import CatalogError, load_catalog
    from streams.runtime.publish import PublishError
    from streams.sources.files import SourceError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.micro and (args.workers or args.rate or args.bootstrap):
            raise UsageError("--micro runs in process: --workers, --rate and --bootstrap do not apply")
        if args.broker != "tansu" and (args.micro or args.long_run or args.bootstrap):
            raise UsageError("--broker starts a local broker: --micro, --long-run and --bootstrap do not apply")
        if args.long_run and (args.micro or args.workers or args.rate or args.bootstrap):
            raise UsageError("--long-run runs in process: --micro, --workers, --rate and --bootstrap do not apply")
        if args.every is not None and not args.long_run:
            raise UsageError("--every applies to --long-run only")
        if args.every is not None and args.every > args.articles:
            raise UsageError(f"--every ({args.every}) must not exceed --articles ({args.articles})")
        overrides: dict[str, Any] = assignments(args.set)
        if args.bootstrap:
            overrides["bootstrap"] = args.bootstrap
        if args.semantic is not None:
            overrides["semantic"] = args.semantic == "on"
        settings = load(**overrides)
        seeds, dataset = _seeds_dir(args.seeds), _dataset(args.dataset)
        if not settings.catalog and (seeds / "catalog.yaml").is_file():
            settings = settings.replace(catalog=str(seeds / "catalog.yaml"))
        load_catalog(settings.catalog)  # a missing catalog is reported before the broker starts
    except SystemExit as exc:  # --help
        return 0 if not exc.code else EXIT_USAGE
    except (UsageError, SettingsError, CatalogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731 - progress never mixes with the report
    if args.long_run:
        return _long_run(settings, seeds, dataset, args, say)
    workdir = Path(tempfile.mkdtemp(prefix="streams-bench-"))
    keep = False
    try:
        records, mix = generate(args.articles, load_pool(seeds, dataset), seed=args.seed,
                                span_days=args.span_days)
        say(f"bench: {len(records)} articles from {seeds}{f' and {dataset}' if dataset else ''} "
            f"({', '.join(f'{v} {k}' for k, v in mix.items())})")
        say(f"bench: reference script ({reference.NUM_PERM}-permutation MinHashLSH) over the same articles")
        baseline = reference.run_reference(records)
        if args.micro:
            result = run_micro(settings, records, batch=args.batch, say=say)
        else:
            result = _run_all(settings, records, args, workdir, say)
        _add_reference(result, baseline)
        result["mix"] = dict(mix)
        result["dataset"] = str(dataset) if dataset else None
        result["span_days"] = args.span_days
    except (SettingsError, SourceError, BrokerError, PublishError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BenchError as exc:
        keep = True
        print(f"error: {exc} (logs kept in {workdir})", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
    else:
        print(render(result))
    return 0


def _add_reference(result: dict[str, Any], baseline: dict[str, Any]) -> None:
    """The reference script's figures and the pipeline's throughput as a multiple of it (each run's too)."""
    result["reference"] = baseline
    for run in [result, *result.get("runs", [])]:
        run["reference_ratio"] = reference.ratio(run.get("articles_per_s"), baseline)
    if result.get("mode") == "micro":
        result["reference_cpu_ratio"] = reference.cpu_ratio(result.get("cpu_ms_per_article"), baseline)


def _long_run(settings: Settings, seeds: Path, dataset: Path | None, args: argparse.Namespace,
              say: Callable[..., None]) -> int:
    from streams.bench import longrun
    from streams.sources.files import SourceError

    every = args.every or max(1, args.articles // longrun.DEFAULT_CHECKPOINTS)
    try:
        run = longrun.run_long(settings, load_pool(seeds, dataset), args.articles, every, batch=args.batch,
                               seed=args.seed, say=say)
    except (SettingsError, SourceError, BenchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    result = {**longrun.report(run), "dataset": str(dataset) if dataset else None}
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
    else:
        print(longrun.render(result))
    return 0


def _run_all(settings: Settings, records: list[dict], args: argparse.Namespace, workdir: Path,
             say: Callable[..., None]) -> dict[str, Any]:
    from streams.brokers.tansu import local_broker

    counts = args.workers or [1]
    timeout = args.timeout or 120.0 + len(records) * (1.0 if settings.semantic else 0.3)
    broker = None
    if not args.bootstrap:
        broker = local_broker(args.broker, workdir).start()
        settings = settings.replace(bootstrap=broker.bootstrap)
        say(f"bench: {broker.describe} on {broker.bootstrap}")
    try:
        runs = [run_e2e(settings, records, k, args.rate, workdir, timeout, args.partitions, say) for k in counts]
        broker_rss = proc_status(broker.process.pid, "VmHWM") if broker else None
    finally:
        if broker:
            broker.stop()
    for run in runs:
        run["broker_peak_rss_bytes"] = broker_rss
        run["broker"] = broker.describe if broker else f"external ({settings.bootstrap})"
    if len(runs) == 1:
        return runs[0]
    smallest = min(runs, key=lambda r: r["workers"])
    largest = max(runs, key=lambda r: r["workers"])
    base = smallest["articles_per_s"]
    result = {**largest, "workers": counts, "runs": runs,
              "scaling": round(largest["articles_per_s"] / base, 3) if base and largest["articles_per_s"] else None,
              "scaling_by_workers": {str(r["workers"]): round(r["articles_per_s"] / base, 3)
                                     for r in runs if base and r["articles_per_s"]}}
    return result


if __name__ == "__main__":
    sys.exit(main())
