"""What the benchmark reads from processes: /proc figures, a Prometheus endpoint's samples, percentiles."""
from __future__ import annotations

import os
import urllib.request
from collections.abc import Sequence

from streams.core.observe import STAGES as ALL_STAGES

STAGES = ALL_STAGES[1:]  # in process there is no raw record to parse

def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max (linear interpolation); None for no values."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        pos = q * (len(ordered) - 1)
        low = int(pos)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)

    return {"p50": round(at(0.50), 4), "p95": round(at(0.95), 4), "p99": round(at(0.99), 4),
            "max": round(ordered[-1], 4)}


def proc_status(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (VmHWM, VmRSS) in bytes; None if unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def scrape(port: int, timeout: float = 5.0) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a Prometheus text endpoint as (name, labels, value)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as response:
        text = response.read().decode("utf-8", "replace")
    return [(s.name, dict(s.labels), float(s.value))
            for family in text_string_to_metric_families(text) for s in family.samples]


def by_label(samples, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for sample_name, labels, value in samples:
        if sample_name == name and label in labels:
            out[labels[label]] = out.get(labels[label], 0.0) + value
    return out


def stage_ms(samples) -> dict[str, float]:
    """ms per article per stage from the stage histogram's _sum/_count (all workers together; one
    observation per article per stage)."""
    sums = by_label(samples, "news_streams_stage_duration_seconds_sum", "stage")
    counts = by_label(samples, "news_streams_stage_duration_seconds_count", "stage")
    return {stage: round(1000 * sums[stage] / counts[stage], 3)
            for stage in sorted(sums, key=lambda s: STAGES.index(s) if s in STAGES else len(STAGES))
            if counts.get(stage)}
