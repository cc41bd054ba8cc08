"""The Prometheus observer exposes every metric of the list, as declared, under its exposed name."""
from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams import __version__
from streams.core.observe import CAPPED_LABELS, METRICS, PREFIX
from streams.runtime.metrics import PROMETHEUS, PrometheusObserver


def _families(observer: PrometheusObserver) -> dict:
    text = generate_latest(observer.registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def _samples(observer: PrometheusObserver) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in _families(observer).values() for s in family.samples}


def test_every_declared_metric_is_registered_with_its_kind_help_and_labels():
    families = _families(PrometheusObserver())
    for metric in METRICS:
        family = families.get(f"{PREFIX}_{metric.name}")
        assert family is not None, metric.name
        assert (family.type, family.documentation) == (metric.kind, metric.help), metric.name
    assert {name for name in families if name.startswith(PREFIX)} == {f"{PREFIX}_{m.name}" for m in METRICS}
    assert PROMETHEUS.metrics.keys() == {m.name for m in METRICS}  # the process's observer too


def test_every_call_shows_up_under_the_exposed_name():
    observer = PrometheusObserver()
    reported = [m for m in METRICS if m.name != "build_info"]  # set by the observer itself
    for metric in reported:
        labels = {label: "x" for label in metric.labels}
        if metric.kind == "counter":
            observer.increment(metric.name, 2, **labels)
        elif metric.kind == "gauge":
            observer.gauge(metric.name, 3, **labels)
        else:
            observer.timing(metric.name, 0.5, **labels)
    samples = _samples(observer)
    for metric in reported:
        key = tuple((label, "x") for label in sorted(metric.labels))
        if metric.kind == "histogram":
            assert samples[(f"{PREFIX}_{metric.name}_count", key)] == 1, metric.name
            assert samples[(f"{PREFIX}_{metric.name}_sum", key)] == 0.5, metric.name
        else:
            assert samples[(metric.exposed, key)] == (2 if metric.kind == "counter" else 3), metric.name
    assert samples[(f"{PREFIX}_build_info", (("version", __version__),))] == 1
    assert not any(name.endswith("_created") for name, _ in samples)


def test_free_text_labels_are_capped_and_gauges_forgotten():
    observer = PrometheusObserver()
    cap = CAPPED_LABELS["outlet"]
    for i in range(cap + 5):
        observer.increment("outlet_articles", outlet=f"outlet-{i}.example.org")
    samples = _samples(observer)
    outlets = {dict(labels)["outlet"] for name, labels in samples if name == f"{PREFIX}_outlet_articles_total"}
    assert len(outlets) == cap + 1 and "other" in outlets
    assert samples[(f"{PREFIX}_outlet_articles_total", (("outlet", "other"),))] == 5
    observer.gauge("consumer_lag_messages", 9, topic="raw", partition="0")
    observer.forget("consumer_lag_messages", topic="raw", partition="0")
    observer.forget("consumer_lag_messages", topic="raw", partition="1")  # never reported: nothing to do
    assert not any(name == f"{PREFIX}_consumer_lag_messages" for name, _ in _samples(observer))


def test_a_forgotten_gauge_comes_back_when_set_again():
    observer = PrometheusObserver()
    observer.gauge("consumer_lag_messages", 5, topic="raw", partition="2")
    observer.forget("consumer_lag_messages", partition="2", topic="raw")  # labels in another order
    observer.gauge("consumer_lag_messages", 6, topic="raw", partition="2")
    assert _samples(observer)[(f"{PREFIX}_consumer_lag_messages", (("partition", "2"), ("topic", "raw")))] == 6
