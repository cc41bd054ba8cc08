"""The Prometheus observer: every metric of :data:`streams.core.observe.METRICS` in one registry.

The list (names, kinds, labels, help) lives in ``streams/core/observe.py``; this module only turns it
into ``prometheus_client`` objects. Counters export no ``_created`` series; the process collector adds
``process_cpu_seconds_total``, ``process_resident_memory_bytes`` and friends, and
``news_streams_build_info`` carries the version. Free-text labels (outlet, feed) are capped here
(:data:`~streams.core.observe.CAPPED_LABELS`).

``PROMETHEUS`` is the process's observer (its registry is ``REGISTRY``): the worker and the feed poller
serve it on their metrics port, the benchmark times the in-process pipeline with it.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    start_http_server,
)

from streams import __version__
from streams.core.observe import CAPPED_LABELS, DUPLICATE_KINDS, METRICS, PREFIX, STAGES, Kind, Metric, declared

__all__ = ["DUPLICATE_KINDS", "LATENCY_BUCKETS", "PROMETHEUS", "REGISTRY", "STAGES", "CappedLabel",
           "PrometheusObserver"]

disable_created_metrics()  # process-wide: no `_created` series next to counters and histograms

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PrometheusMetric = Counter | Gauge | Histogram
KNOWN_SERIES = 10_000
"""Series looked up once and then remembered (a bound: free-text label values are capped only in what is
exported, the calls may carry any number of them)."""


class CappedLabel:
    """Maps free values (outlets, feeds) onto at most ``cap`` label values plus 'other'."""

    def __init__(self, cap: int = 50) -> None:
        self.cap = cap
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        value = (value or "unknown")[:64]
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self.cap:
                self._seen.add(value)
                return value
        return "other"


def build(metric: Metric, registry: CollectorRegistry) -> PrometheusMetric:
    """The ``prometheus_client`` object of one declaration, registered in ``registry``."""
    name = f"{PREFIX}_{metric.name}"
    if metric.kind == "counter":
        return Counter(name, metric.help, metric.labels, registry=registry)
    if metric.kind == "gauge":
        return Gauge(name, metric.help, metric.labels, registry=registry)
    return Histogram(name, metric.help, metric.labels, registry=registry, buckets=LATENCY_BUCKETS)


class PrometheusObserver:
    """An :class:`~streams.core.observe.Observer` that keeps every declared metric in its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.metrics: dict[str, PrometheusMetric] = {m.name: build(m, self.registry) for m in METRICS}
        self._caps = {label: CappedLabel(cap) for label, cap in CAPPED_LABELS.items()}
        self._known: dict[tuple, Any] = {}  # (name, kind, *label items) -> the series, checked once
        self.gauge("build_info", 1, version=__version__)

    def _series(self, name: str, kind: Kind, labels: Mapping[str, str]) -> Any:
        key = (name, kind, *labels.items())
        series = self._known.get(key)
        if series is None:
            metric = self.metrics[declared(name, kind, labels).name]
            series = metric.labels(**self._capped(labels)) if labels else metric
            if len(self._known) < KNOWN_SERIES:
                self._known[key] = series
        return series

    def _capped(self, labels: Mapping[str, str]) -> dict[str, str]:
        return {k: self._caps[k](v) if k in self._caps else v for k, v in labels.items()}

    def increment(self, name: str, value: float = 1, **labels: str) -> None:
        self._series(name, "counter", labels).inc(value)

    def gauge(self, name: str, value: float, **labels: str) -> None:
        self._series(name, "gauge", labels).set(value)

    def timing(self, name: str, seconds: float, **labels: str) -> None:
        self._series(name, "histogram", labels).observe(seconds)

    def forget(self, name: str, **labels: str) -> None:
        metric = self.metrics[declared(name, "gauge", labels).name]
        for key in [k for k in self._known if k[:2] == (name, "gauge") and dict(k[2:]) == labels]:
            del self._known[key]  # whatever order the labels were given in
        try:
            capped = self._capped(labels)
            metric.remove(*(capped[k] for k in metric._labelnames))
        except KeyError:
            pass  # never reported

    def serve(self, port: int, addr: str = "0.0.0.0") -> Any:
        """Serve ``/metrics`` on ``port`` in a daemon thread; returns the HTTP server (``shutdown()`` it)."""
        server, _ = start_http_server(port, addr=addr, registry=self.registry)
        return server


PROMETHEUS = PrometheusObserver()
REGISTRY = PROMETHEUS.registry
