"""Helpers for the fault-injection tests: generated articles, raw records, the worker's /metrics, the CLI."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from streams.core.ticks import tick_time
from streams.runtime.outputs import Outputs, partitions_of, read_outputs_sync
from streams.settings import Settings
from streams.tools.demo import Worker

ROOT = Path(__file__).resolve().parents[2]
TOWNS = ("Lyon", "Porto", "Gdansk", "Tartu", "Cork", "Aarhus", "Brno", "Ghent", "Bergen", "Turin", "Leeds", "Graz")
TOPICS = ("budget", "bridge", "library", "tram line", "harbour", "school", "hospital wing", "market", "park",
          "water supply", "bus depot", "museum")

WIDE_HORIZON_HOURS = 20 * 365 * 24
"""``replay_horizon_hours`` for tests whose articles are weeks out of publication order (``article`` cycles
through March 2025), span years (the seeds) or mix in undated ones (stamped with the wall clock): under
the default two weeks some of them would be dead-lettered as too_late (tests/core/match/test_horizon.py)."""


def article(ident: str, n: int, **extra: object) -> dict:
    """A small, distinct good article (lexical mode processes these at tens per second)."""
    town, topic = TOWNS[n % len(TOWNS)], TOPICS[(n // len(TOWNS)) % len(TOPICS)]
    record = {"id": ident, "title": f"{town} council votes on the {topic} plan number {n}",
              "text": (f"The city council of {town} voted on Monday on plan number {n} for the {topic}. "
                       f"Councillor number {n} said the {topic} work would start in spring and cost {n + 3} million "
                       f"euros. Residents of district {n % 17} asked for a public hearing."),
              "source": f"outlet{n % 9}.example", "url": f"https://outlet{n % 9}.example/{ident}",
              "published": f"2025-03-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00"}
    record.update(extra)
    return record


def metrics(settings: Settings, timeout: float = 5.0) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The worker's /metrics as {(sample name, sorted labels): value}."""
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text = response.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def dead_letter_counts(values: dict) -> dict[str, float]:
    """news_streams_dead_letters_total by reason."""
    return {dict(labels)["reason"]: value for (name, labels), value in values.items()
            if name == "news_streams_dead_letters_total"}


def read_until(settings: Settings, done: Callable[[Outputs], bool], timeout: float = 90.0) -> Outputs:
    return read_outputs_sync(settings, done, timeout=timeout)


def count_records(settings: Settings, topic: str, timeout: float = 10.0) -> int:
    """Records on ``topic`` but ticks (streams/core/ticks.py: a replayer's, on the raw topic), read from the beginning
    with aiokafka (ListOffsets is wrong on the embedded broker)."""
    async def count() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = sorted(await partitions_of(consumer, [topic]))
            if not partitions:
                return 0
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            total, idle_since = 0, time.monotonic()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and time.monotonic() - idle_since < 1.5:
                batches = await consumer.getmany(timeout_ms=300, max_records=10000)
                got = [r for records in batches.values() for r in records]
                if got:
                    total += sum(tick_time(r.value) is None for r in got)
                    idle_since = time.monotonic()
            return total
        finally:
            await consumer.stop()
    return asyncio.run(count())


def clean_env(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    """The environment without STREAMS_* variables, then the settings' variables and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    if settings is not None:
        env.update(settings.as_env())
    env.update(extra)
    return env


def streams(*args: str, settings: Settings | None = None, timeout: float = 60.0,
            **env: str) -> subprocess.CompletedProcess:
    """``python -m streams ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "streams", *args], cwd=ROOT, env=clean_env(settings, **env),
                          capture_output=True, text=True, timeout=timeout)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_error_line(result: subprocess.CompletedProcess, *fragments: str, code: int = 2) -> str:
    """Exit ``code``, no traceback, nothing on stdout, and stderr is exactly one ``error: ...`` line."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stdout == "", result.stdout[-2000:]
    err = lines(result.stderr)
    assert len(err) == 1 and err[0].startswith("error: "), result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in err[0], (fragment, err[0])
    return err[0]


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def raw_keys(settings: Settings, topic: str, timeout: float = 10.0) -> Counter:
    """How many records each key has on ``topic`` (read from the beginning with aiokafka)."""
    async def read() -> Counter:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False)
        await consumer.start()
        keys: Counter = Counter()
        try:
            partitions = sorted(await partitions_of(consumer, [topic]))
            if not partitions:
                return keys
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            idle_since, deadline = time.monotonic(), time.monotonic() + timeout
            while time.monotonic() < deadline and time.monotonic() - idle_since < 1.5:
                batches = await consumer.getmany(timeout_ms=300, max_records=10000)
                for records in batches.values():
                    keys.update((r.key or b"").decode("utf-8", "replace") for r in records)
                    idle_since = time.monotonic()
            return keys
        finally:
            await consumer.stop()
    return asyncio.run(read())


def start_worker(settings: Settings, log_path: Path, timeout: float = 90.0) -> Worker:
    """A `streams worker` process with its metrics endpoint up."""
    return wait_metrics(Worker(settings, log_path).start(), timeout)


def wait_metrics(worker: Worker, timeout: float = 90.0) -> Worker:
    """Wait for the worker's metrics endpoint; a failure stops the worker and shows the end of its log."""
    try:
        worker.wait_metrics(timeout=timeout)
    except RuntimeError as exc:
        worker.stop()
        log = worker.log_path.read_text(errors="replace")[-4000:] if worker.log_path.exists() else ""
        raise AssertionError(f"{exc}\n--- end of {worker.log_path.name} ---\n{log}") from None
    return worker


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(path).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            if len(address) == 8:
                found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
            else:
                found.add("::" if set(address) == {"0"} else address)
    return found
