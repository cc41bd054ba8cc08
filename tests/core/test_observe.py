"""The metric list and the observers domain code reports through: no Prometheus below the runtime."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from streams.core.observe import METRICS, STAGES, NoObserver, Observer, Recorder, UndeclaredMetric
from tests.articles import lexical_settings, seed_articles

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("streams/core", "streams/sources")
ENTRY_POINTS = {"streams/sources/feeds/cli.py"}  # the feed poller's command: serves Prometheus when it runs


def report(observer: Observer, metric) -> None:
    """One call of the kind ``metric`` declares, with every declared label."""
    labels = {label: "x" for label in metric.labels}
    if metric.kind == "counter":
        observer.increment(metric.name, 2, **labels)
    elif metric.kind == "gauge":
        observer.gauge(metric.name, 3, **labels)
        observer.forget(metric.name, **labels)
    else:
        observer.timing(metric.name, 0.5, **labels)


@pytest.mark.parametrize("observer", [NoObserver(), Recorder()], ids=["no-op", "recorder"])
def test_observers_accept_every_declared_metric(observer):
    for metric in METRICS:
        report(observer, metric)


@pytest.mark.parametrize("call", [
    lambda o: o.increment("duplicate", kind="exact"),  # misspelt name
    lambda o: o.increment("duplicates"),  # label missing
    lambda o: o.increment("duplicates", kind="exact", outlet="example.org"),  # label not declared
    lambda o: o.gauge("duplicates", 1, kind="exact"),  # a counter set like a gauge
    lambda o: o.timing("stories_created", 0.1),  # a counter observed like a histogram
    lambda o: o.forget("feed_polls", feed="f", result="ok"),  # forget is for gauges
], ids=["name", "missing-label", "extra-label", "counter-as-gauge", "counter-as-histogram", "forget-counter"])
def test_undeclared_calls_are_refused(call):
    for observer in (NoObserver(), Recorder()):
        with pytest.raises(UndeclaredMetric):
            call(observer)


def test_the_list_is_consistent():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    parameters = {p for method in ("increment", "gauge", "timing", "forget")
                  for p in inspect.signature(getattr(Observer, method)).parameters}
    for metric in METRICS:
        assert metric.kind in ("counter", "gauge", "histogram"), metric
        assert not set(metric.labels) & parameters, f"{metric.name}: a label clashes with an argument name"
        assert metric.help.endswith("."), metric.name
    assert "extract" in STAGES


def test_recorder_keeps_counters_gauges_and_timings():
    recorder = Recorder()
    recorder.increment("feed_entries", 2, feed="a")
    recorder.increment("feed_entries", feed="a")
    recorder.gauge("consumer_lag_messages", 7, topic="raw", partition="0")
    recorder.gauge("consumer_lag_messages", 4, topic="raw", partition="1")
    recorder.forget("consumer_lag_messages", topic="raw", partition="1")
    recorder.timing("stage_duration_seconds", 0.25, stage="clean")
    assert recorder.value("feed_entries", feed="a") == 3 and recorder.value("feed_entries", feed="b") == 0
    assert recorder.value("consumer_lag_messages", topic="raw", partition="0") == 7
    assert recorder.value("consumer_lag_messages", topic="raw", partition="1") == 0
    assert recorder.observed("stage_duration_seconds", stage="clean") == [0.25]


def test_in_process_pipeline_reports_every_stage_once_per_article():
    from streams.core.pipeline import Pipeline

    recorder = Recorder()
    articles = sorted(seed_articles(), key=lambda a: a.timestamp)
    pipeline = Pipeline(lexical_settings(), observer=recorder)
    results = pipeline.process_batch(articles)
    assert len(results) == len(articles)
    for stage in STAGES[1:]:  # no raw record to parse in process
        assert len(recorder.observed("stage_duration_seconds", stage=stage)) == len(articles), stage
    outlets = {a.source for a in articles}
    assert sum(recorder.value("outlet_articles", outlet=o) for o in outlets) == len(articles)
    created = recorder.value("stories_created")
    joined = sum(v for (name, _), v in recorder.values.items() if name == "duplicates")
    assert created + joined == len(articles) and created >= 1
    pipeline.process_batch(articles[:1])  # a replay: answered, counted once as a replay
    assert recorder.value("articles_replayed") == 1


def test_domain_code_imports_neither_prometheus_nor_the_runtime():
    """Static: no import of prometheus_client or streams.runtime anywhere in core/ and sources/ (lazy
    imports inside functions included), except the feed poller's command (``ENTRY_POINTS``)."""
    offenders = []
    for package in DOMAIN:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ENTRY_POINTS:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                           else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{relative}:{node.lineno} imports {m}" for m in modules
                              if m.split(".")[0] == "prometheus_client" or m.startswith("streams.runtime")]
    assert offenders == []


def test_importing_the_domain_loads_no_prometheus_client():
    """Dynamic: the import graph of core (pipeline included) and of the feeds package."""
    code = ("import sys, streams.core.pipeline, streams.core.observe, streams.sources.feeds, streams.sources.files; "
            "print(sorted(m for m in sys.modules if m.startswith(('prometheus_client', 'streams.runtime'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
