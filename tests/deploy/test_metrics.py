"""The worker's /metrics by the book: what promtool accepts, and HELP texts that say what the series hold.

* ``promtool check metrics`` (Debian package ``prometheus``) on a real worker's /metrics after the seeds.
* Every ``news_streams_*`` family carries exactly the labels it declares (streams/core/observe.py),
  stage labels come from ``STAGES``, no ``_created`` series, process and build-info series are there.
* ``stage_duration_seconds`` gets one observation per article per stage, in process and in the worker.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams import __version__
from streams.core.observe import METRICS, PREFIX, STAGES
from streams.core.pipeline import Pipeline
from streams.runtime import metrics
from streams.runtime.topics import consumed_topics
from tests.articles import lexical_settings, seed_articles

DECLARED = {f"{PREFIX}_{m.name}": m for m in METRICS}
CREATED = re.compile(r"^\w+_created(\{.*\})? ", re.MULTILINE)  # a `_created` sample line


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _stage_counts(text: str) -> dict[str, float]:
    return {s.labels["stage"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "news_streams_stage_duration_seconds_count"}


def _check_families(text: str) -> list[str]:
    """What disagrees between the exposed families and streams/core/observe.py (empty: all agree)."""
    problems = []
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, family in families.items():
        if name.startswith("process_"):
            continue
        declared = DECLARED.get(name)
        if declared is None:
            problems.append(f"{name}: exported but not declared in streams/core/observe.py")
            continue
        if family.documentation != declared.help:
            problems.append(f"{name}: HELP differs from its declaration")
        for sample in family.samples:
            if sample.name.endswith("_created"):
                problems.append(f"{sample.name}: a _created series")
            expected = set(declared.labels) | ({"le"} if sample.name.endswith("_bucket") else set())
            if set(sample.labels) != expected:
                problems.append(f"{sample.name}: labels {sorted(sample.labels)}, declared {sorted(expected)}")
            stage = sample.labels.get("stage")
            if stage is not None and stage not in STAGES:
                problems.append(f"{sample.name}: stage {stage!r} not in STAGES")
    return problems


def test_declarations_follow_the_conventions():
    for name, metric in DECLARED.items():
        assert name.startswith("news_streams_"), name
        assert metric.help.endswith("."), f"{name}: HELP should be a sentence"
        assert not metric.name.endswith("_total"), f"{name}: counters get _total from the exporter"
        if "stage" in metric.labels:
            assert metric.name in ("articles_in", "articles_out", "stage_duration_seconds"), name


def _run_seeds_with_prometheus() -> tuple[Pipeline, list]:
    """The seeds through an in-process pipeline that reports to the process's Prometheus observer (as the
    benchmark runs it)."""
    pipeline = Pipeline(lexical_settings(), observer=metrics.PROMETHEUS)
    return pipeline, pipeline.process_batch(sorted(seed_articles(), key=lambda a: a.timestamp))


def test_one_observation_per_article_per_stage_in_process():
    before = _stage_counts(_exposition())
    pipeline, results = _run_seeds_with_prometheus()
    after = _stage_counts(_exposition())
    placed = len(results)
    for stage in STAGES[1:]:  # no raw records to parse in process
        assert after.get(stage, 0) - before.get(stage, 0) == placed, (stage, before, after)
    assert set(pipeline.seconds) == set(STAGES[1:])
    assert placed == len(seed_articles())


def _exposition() -> str:
    from prometheus_client import generate_latest
    return generate_latest(metrics.REGISTRY).decode()


def test_exposition_in_process_has_no_created_series_and_has_process_and_build_info():
    _run_seeds_with_prometheus()
    text = _exposition()
    assert not CREATED.search(text), CREATED.search(text)
    assert f'news_streams_build_info{{version="{__version__}"}} 1.0' in text
    assert "process_resident_memory_bytes" in text and "process_cpu_seconds_total" in text
    assert _check_families(text) == []


@pytest.mark.slow
@pytest.mark.kafka
def test_worker_metrics_by_the_book(seeded_worker):
    text = _scrape(seeded_worker.metrics_url)
    assert _check_families(text) == []
    assert not CREATED.search(text), CREATED.search(text)
    assert "process_resident_memory_bytes" in text and "news_streams_build_info" in text
    # The session's worker may have read more than the seeds (other tests): compare with its own counters.
    counts = _stage_counts(text)
    flow = {(s.name, s.labels.get("stage")): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name.startswith("news_streams_articles_")}
    parsed = flow[("news_streams_articles_out_total", "parse")]
    prepared = flow[("news_streams_articles_in_total", "match")]
    placed = flow[("news_streams_articles_out_total", "aggregates")]
    assert placed >= seeded_worker.published
    assert counts == {"parse": parsed, "clean": prepared, "fingerprint": prepared, "extract": prepared,
                      "match": placed, "place": placed, "events": placed, "aggregates": placed}, (counts, flow)
    settings = seeded_worker.settings
    lag_topics = {s.labels["topic"] for f in text_string_to_metric_families(text)
                  for s in f.samples if s.name == "news_streams_consumer_lag_messages"}
    assert lag_topics <= set(consumed_topics(settings))


@pytest.mark.slow
@pytest.mark.kafka
def test_promtool_check_metrics_on_a_worker(seeded_worker, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "`promtool` not found: install the Debian package `prometheus` (`make prometheus`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    text = _scrape(seeded_worker.metrics_url)
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        result.stdout + result.stderr
