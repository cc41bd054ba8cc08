"""Long-run memory check: a stream whose publication time keeps advancing, through ``Pipeline`` in process.

``python -m streams bench --long-run --articles 100000 [--every 5000] [--semantic off] [--json]``

The stream cycles through the pool of originals (the seeds and the labelled dataset): every cycle
gives each original a fresh id and spreads the originals over ``cycle_days`` of publication time,
after the previous cycle; verbatim, trimmed and paraphrase-like copies (as in ``streams.bench.stream``)
follow their original by hours to days. The cycle is longer than the story window plus the longest
copy delay, so copies never reach into the next cycle's story of the same text. The records are made
lazily, one cycle ahead, so the stream itself holds no memory that grows with its length.

At every checkpoint the run samples the process RSS (``VmRSS``), ``Pipeline.state_size()`` and the
deep size in bytes of each part of the state (``streams.bench.sizing``; walked in a forked child, so the walk's
own memory never shows in the RSS). Bytes per article held: the dedup and event state (every part but
the fixed-size TF-IDF table and the cleaner's banner memory) over the articles it holds anything for.
The state is full once publication time has advanced past the longest retention (``retention_days``);
the verdict compares the first checkpoint after that with the last one.
"""
from __future__ import annotations

import heapq
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from streams.bench import stream as bench_stream
from streams.bench.errors import BenchError
from streams.bench.probes import proc_status
from streams.settings import Settings

START = datetime(2020, 1, 6, tzinfo=UTC)
CYCLE_DAYS = 10.0
"""Longer than story window + lateness (96 h) + the longest copy delay (110 h): cycles never meet as copies."""
FLAT_SHARE = 0.05
"""Memory is flat when it grew by at most this share between the window filling and the end."""
DEFAULT_CHECKPOINTS = 20
FIXED_PARTS = ("tfidf", "cleaner")
"""Parts whose size does not depend on the articles held (a fixed table, per-outlet line counts)."""
PER_ARTICLE_PARTS = ("match", "stories", "replay", "pending", "event_members")
"""Parts that hold something per article; ``events`` holds per event (centroid, counters)."""


@dataclass
class Checkpoint:
    """What the process held after ``articles`` articles."""

    articles: int
    day: float  # publication time reached, days after the stream's start
    seconds: float  # spent processing (sampling excluded)
    rss_bytes: int
    state: dict[str, int]
    state_bytes: dict[str, int]
    held: int  # articles with per-article state somewhere (the largest per-article count)
    rejected: int = 0  # articles dead-lettered so far (too late, conflicts)

    @property
    def total_bytes(self) -> int:
        return sum(self.state_bytes.values())

    @property
    def article_bytes(self) -> int:
        """The dedup and event state: every part but the fixed-size ones."""
        return sum(v for k, v in self.state_bytes.items() if k not in FIXED_PARTS)

    @property
    def bytes_per_held(self) -> float:
        return self.article_bytes / self.held if self.held else 0.0

    @property
    def per_article_bytes(self) -> float:
        """The parts held per article (not per event), over the articles held."""
        parts = sum(v for k, v in self.state_bytes.items() if k in PER_ARTICLE_PARTS)
        return parts / self.held if self.held else 0.0

    @property
    def bytes_per_event(self) -> float:
        events = self.state.get("events", 0)
        return self.state_bytes.get("events", 0) / events if events else 0.0


@dataclass
class LongRun:
    settings: Settings
    cycle_days: float
    checkpoints: list[Checkpoint] = field(default_factory=list)
    shared_bytes: int = 0


# --------------------------------------------------------------------------- the stream

def _cycle(cycle: int, originals: Sequence[dict], variants: int, rng: random.Random,
           cycle_days: float) -> list[tuple[datetime, str, dict]]:
    """One cycle's records (originals with fresh ids, then their copies) as (published, id, record)."""
    start = START + timedelta(days=cycle * cycle_days)
    step = timedelta(days=cycle_days) / len(originals)
    made = []
    for rank, original in enumerate(originals):
        record = {k: v for k, v in original.items() if k != "seed"}
        record.update(id=f"c{cycle:05d}-{original['id']}", published=start + rank * step)
        made.append(record)
    out = [(r["published"], r["id"], r) for r in made]
    for i in range(variants):
        copy = bench_stream.variant(rng.choice(made), rng, f"c{cycle:05d}-v{i:04d}")
        del copy["kind"]
        out.append((copy["published"], copy["id"], copy))
    return out


def stream(pool: Sequence[dict], n: int, seed: int = 7, cycle_days: float = CYCLE_DAYS) -> Iterator[dict]:
    """``n`` raw records in publication order, made one cycle ahead (bounded memory whatever ``n``)."""
    if not pool:
        raise BenchError("no articles to build the long run from")
    rng = random.Random(seed)
    seeds = [r for r in pool if r.get("seed")]
    rest = [r for r in pool if not r.get("seed")]
    originals = seeds + rng.sample(rest, len(rest))
    variants = round(len(originals) * (1 - bench_stream.ORIGINAL_SHARE) / bench_stream.ORIGINAL_SHARE)
    heap: list[tuple[datetime, str, dict]] = []
    emitted, cycle = 0, 0
    while emitted < n:
        for item in _cycle(cycle, originals, variants, rng, cycle_days):
            heapq.heappush(heap, item)
        cycle += 1
        next_start = START + timedelta(days=cycle * cycle_days)
        while heap and heap[0][0] < next_start and emitted < n:
            published, _, record = heapq.heappop(heap)
            emitted += 1
            yield {**record, "published": published.isoformat()}


# --------------------------------------------------------------------------- measuring

def retention_days(settings: Settings) -> float:
    """The longest time any state is kept behind the watermark: after it, the state is full."""
    hours = max(settings.story_window_hours + settings.late_hours, settings.replay_horizon_hours)
    return max(hours / 24, settings.event_retention_days)


def state_bytes(pipeline) -> tuple[dict[str, int], int]:
    """Deep bytes of each part of the pipeline's state, and of the shared settings and catalog."""
    from streams.bench.sizing import Sizer

    sizer = Sizer([pipeline.settings, pipeline.resolver.events.catalog])
    return {name: sizer.size(roots) for name, roots in pipeline.state_parts().items()}, sizer.shared


def state_bytes_apart(pipeline) -> tuple[dict[str, int], int]:
    """``state_bytes`` in a forked child: the walk's own memory (a set of every object id) stays out of this
    process's RSS. In process where there is no ``fork``."""
    if not hasattr(os, "fork"):
        return state_bytes(pipeline)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, leave without running any cleanup of the parent's
        code = 1
        try:
            os.close(read)
            os.write(write, orjson.dumps(state_bytes(pipeline)))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise BenchError("measuring the state in a child process failed")
    parts, shared = orjson.loads(data)
    return parts, shared


def sample(pipeline, articles: int, day: float, seconds: float, rejected: int) -> tuple[Checkpoint, int]:
    """One checkpoint (and the bytes of the shared, fixed parts: settings and catalog)."""
    rss = proc_status(os.getpid(), "VmRSS") or 0
    parts, shared = state_bytes_apart(pipeline)
    state = pipeline.state_size()
    held = max(state.get("seen_ids", 0), state.get("dedup_articles", 0), state.get("story_articles", 0))
    return Checkpoint(articles, round(day, 2), round(seconds, 2), rss, state, parts, held, rejected), shared


def run_long(settings: Settings, pool: Sequence[dict], n: int, every: int, batch: int = bench_stream.MICRO_BATCH,
             seed: int = 7, cycle_days: float = CYCLE_DAYS, say: Callable[..., None] = print) -> LongRun:
    """Feed ``n`` articles through one ``Pipeline`` in batches; a checkpoint every ``every`` articles."""
    from streams.core.model import BadRecord, parse_article
    from streams.core.pipeline import Pipeline
    from streams.runtime.metrics import PROMETHEUS

    Pipeline(settings, observer=PROMETHEUS).process_batch([parse_article(r) for r in bench_stream.generate(8, pool)[0]])  # warm-up
    pipeline = Pipeline(settings, observer=PROMETHEUS)
    run = LongRun(settings, cycle_days)
    say(f"bench: long run, {n} articles in batches of {batch}, checkpoint every {every}, semantic "
        f"{'on' if settings.semantic else 'off'}; state is full after {retention_days(settings):g} days "
        f"of publication time")
    checkpoint, _ = sample(pipeline, 0, 0.0, 0.0, 0)
    run.checkpoints.append(checkpoint)
    say(HEADER)
    done = rejected = 0
    seconds = 0.0
    first: float | None = None
    pending: list = []
    for record in stream(pool, n, seed, cycle_days):
        pending.append(parse_article(record))
        if len(pending) < batch and done + len(pending) < n and (done + len(pending)) % every:
            continue
        first = pending[0].timestamp if first is None else first
        started = time.perf_counter()
        rejected += sum(isinstance(r, BadRecord) for r in pipeline.process_batch(pending))
        seconds += time.perf_counter() - started
        done += len(pending)
        day = (pending[-1].timestamp - first) / 86400
        pending = []
        if done % every == 0 or done == n:
            checkpoint, run.shared_bytes = sample(pipeline, done, day, seconds, rejected)
            say(render_row(checkpoint, run.checkpoints[-1]))
            run.checkpoints.append(checkpoint)
    return run


# --------------------------------------------------------------------------- the verdict

def window_full(run: LongRun) -> Checkpoint | None:
    """The first checkpoint after publication time passed the longest retention (None: never)."""
    days = retention_days(run.settings)
    return next((c for c in run.checkpoints if c.day >= days), None)


def verdict(run: LongRun) -> dict[str, Any]:
    """RSS and state at window full vs at the end: growth in MB, per 10k articles, and whether flat."""
    full, end = window_full(run), run.checkpoints[-1]
    out: dict[str, Any] = {"retention_days": retention_days(run.settings), "window_full_at": None,
                           "flat": None, "end": _figures(end)}
    if full is None or full is end:
        return out
    per_10k = 10_000 / (end.articles - full.articles)
    rss_growth = end.rss_bytes - full.rss_bytes
    state_growth = end.total_bytes - full.total_bytes
    out.update(window_full_at=full.articles, window_full=_figures(full),
               rss_growth_bytes=rss_growth, rss_growth_per_10k_bytes=round(rss_growth * per_10k),
               state_growth_bytes=state_growth, state_growth_per_10k_bytes=round(state_growth * per_10k),
               flat=rss_growth <= FLAT_SHARE * full.rss_bytes and state_growth <= FLAT_SHARE * full.total_bytes)
    return out


def _figures(c: Checkpoint) -> dict[str, Any]:
    return {"articles": c.articles, "day": c.day, "rss_bytes": c.rss_bytes, "state_bytes": c.total_bytes,
            "held": c.held, "bytes_per_held_article": round(c.bytes_per_held),
            "per_article_bytes_per_held_article": round(c.per_article_bytes),
            "events": c.state.get("events", 0), "bytes_per_event": round(c.bytes_per_event)}


def report(run: LongRun) -> dict[str, Any]:
    """The JSON form: settings that matter, every checkpoint, the verdict."""
    s = run.settings
    return {"mode": "long-run", "articles": run.checkpoints[-1].articles, "semantic": s.semantic,
            "cycle_days": run.cycle_days, "shared_bytes": run.shared_bytes,
            "retention": {"story_window_hours": s.story_window_hours, "late_hours": s.late_hours,
                          "replay_horizon_hours": s.replay_horizon_hours,
                          "event_retention_days": s.event_retention_days},
            "checkpoints": [{**asdict(c), "state_bytes_total": c.total_bytes, "article_state_bytes": c.article_bytes,
                             "bytes_per_held_article": round(c.bytes_per_held),
                             "per_article_bytes_per_held_article": round(c.per_article_bytes),
                             "bytes_per_event": round(c.bytes_per_event)} for c in run.checkpoints],
            "verdict": verdict(run)}


def _mb(value: float) -> str:
    return f"{value / 2**20:.1f}"


HEADER = (f"{'articles':>9} {'day':>7} {'RSS MB':>8} {'state MB':>9} {'B/held':>7} {'held':>7} "
          f"{'dedup':>6} {'stories':>7} {'events':>6} {'seen':>7} {'pend':>5} {'rej':>5} {'art/s':>6}")


def render_row(c: Checkpoint, previous: Checkpoint | None = None) -> str:
    """One line of the table; art/s is the rate since the previous checkpoint (sampling not counted)."""
    articles, seconds = (c.articles - previous.articles, c.seconds - previous.seconds) if previous \
        else (c.articles, c.seconds)
    rate = f"{articles / seconds:6.0f}" if seconds > 0 else f"{'-':>6}"
    s = c.state
    return (f"{c.articles:>9} {c.day:>7.1f} {_mb(c.rss_bytes):>8} {_mb(c.total_bytes):>9} {c.bytes_per_held:>7.0f} "
            f"{c.held:>7} {s.get('dedup_articles', 0):>6} {s.get('stories', 0):>7} {s.get('events', 0):>6} "
            f"{s.get('seen_ids', 0):>7} {s.get('pending', 0) + s.get('waiting', 0):>5} {c.rejected:>5} {rate}")


def render(result: dict[str, Any]) -> str:
    """The table and the verdict, for people."""
    r = result["retention"]
    lines = [f"bench long run: {result['articles']} articles, semantic {'on' if result['semantic'] else 'off'}, "
             f"a cycle of the pool every {result['cycle_days']:g} days of publication time; retention: stories "
             f"{r['story_window_hours']:g}+{r['late_hours']:g} h, replay ids {r['replay_horizon_hours']:g} h, "
             f"events {r['event_retention_days']:g} d",
             HEADER]
    checkpoints = [Checkpoint(**{k: v for k, v in c.items() if k in Checkpoint.__dataclass_fields__})
                   for c in result["checkpoints"]]
    lines += [render_row(c, p) for c, p in zip(checkpoints, [None, *checkpoints[:-1]])]
    last = checkpoints[-1]
    lines.append("state bytes at end: " + ", ".join(f"{k} {_mb(v)} MB" for k, v in last.state_bytes.items())
                 + f" (deep getsizeof; settings and catalog {_mb(result['shared_bytes'])} MB not counted)")
    lines += _verdict_lines(result["verdict"])
    return "\n".join(lines)


def _verdict_lines(v: dict[str, Any]) -> list[str]:
    if v["window_full_at"] is None:
        return [f"verdict: the state never filled (publication time must pass {v['retention_days']:g} days); "
                "run more articles"]
    full, end = v["window_full"], v["end"]
    flat = "flat" if v["flat"] else "NOT flat"
    return [
        f"window full at {full['articles']} articles ({v['retention_days']:g} days of publication time)",
        f"RSS    {_mb(full['rss_bytes'])} MB at window full, {_mb(end['rss_bytes'])} MB at the end: "
        f"{v['rss_growth_bytes'] / 2**20:+.1f} MB ({v['rss_growth_per_10k_bytes'] / 2**20:+.2f} MB per 10k articles)",
        f"state  {_mb(full['state_bytes'])} MB at window full, {_mb(end['state_bytes'])} MB at the end: "
        f"{v['state_growth_bytes'] / 2**20:+.1f} MB ({v['state_growth_per_10k_bytes'] / 2**20:+.2f} MB per 10k "
        f"articles)",
        f"state per article held at the end ({end['held']} held): {end['bytes_per_held_article']} B of dedup and "
        f"event state, of which {end['per_article_bytes_per_held_article']} B per-article parts (match index, "
        f"stories, replay ids, event members) and the rest {end['events']} events at "
        f"{end['bytes_per_event'] / 1024:.1f} KB each (centroid, counters)",
        f"verdict: memory {flat} after the window filled (tolerance {FLAT_SHARE:.0%} of the window-full figure)",
    ]
