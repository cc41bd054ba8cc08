"""Grafana provisioning and the news-streams dashboard: structure and metric names.

The queries themselves are evaluated by a real Prometheus in test_prometheus.py.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from streams.metrics import REGISTRY

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "news-streams.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge"}
METRIC = re.compile(r"\bnews_streams_[a-z0-9_]+")

# Metrics the panels the dashboard promises must query (see deploy/README.md).
REQUIRED_METRICS = {
    "news_streams_articles_in_total", "news_streams_articles_out_total",
    "news_streams_consumer_lag_messages",
    "news_streams_stage_duration_seconds_bucket", "news_streams_end_to_end_latency_seconds_bucket",
    "news_streams_duplicates_total", "news_streams_stories_created_total", "news_streams_events_created_total",
    "news_streams_event_articles_total", "news_streams_dead_letters_total",
    "news_streams_outlet_rewrites_total", "news_streams_outlet_articles_total",
    "news_streams_state_entries", "news_streams_rebalances_total", "news_streams_worker_up",
}


def exported_sample_names() -> set[str]:
    """Every series name streams/metrics.py can expose (counters: _total; histograms: _bucket/_sum/_count)."""
    suffixes = {"counter": ("_total", "_created"), "gauge": ("",),
                "histogram": ("_bucket", "_sum", "_count", "_created")}
    return {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes[family.type]}


def _walk(panels):
    for panel in panels:
        yield panel
        yield from _walk(panel.get("panels") or [])


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="module")
def panels(dashboard) -> list[dict]:
    return list(_walk(dashboard["panels"]))


def _expressions(panels) -> list[str]:
    return [target["expr"] for panel in panels for target in panel.get("targets") or [] if target.get("expr")]


def test_datasource_provisioning():
    config = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = config["datasources"]
    assert source["uid"] == "prometheus"
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"


def test_dashboard_provisioning_points_at_mounted_dashboards():
    config = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "dashboards.yml").read_text())
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards" in " ".join(
        str(v) for v in compose["services"]["grafana"]["volumes"])


def test_dashboard_header(dashboard):
    assert dashboard["schemaVersion"] == 39
    assert dashboard["uid"] == "news-streams"
    assert dashboard["title"]


def test_panels_are_well_formed(panels):
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert {panel["type"] for panel in panels} <= PANEL_TYPES
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip(), panel["title"]


def test_dashboard_uses_only_declared_metrics(panels):
    known = exported_sample_names()
    used = {name for expr in _expressions(panels) for name in METRIC.findall(expr)}
    assert used, "no news_streams_* metric in the dashboard"
    assert used <= known, f"not declared in streams/metrics.py: {sorted(used - known)}"
    assert REQUIRED_METRICS <= used, f"missing panels for: {sorted(REQUIRED_METRICS - used)}"


def test_alert_rules_use_only_declared_metrics():
    rules = yaml.safe_load(ALERTS.read_text())
    used = {name for group in rules["groups"] for rule in group["rules"] for name in METRIC.findall(rule["expr"])}
    assert used and used <= exported_sample_names(), sorted(used - exported_sample_names())


def test_panel_types_present(panels):
    assert {"timeseries", "stat", "bargauge"} <= {panel["type"] for panel in panels}
