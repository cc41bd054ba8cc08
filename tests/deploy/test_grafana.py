"""Grafana provisioning and the news-streams dashboard: structure and metric names.

The queries themselves are evaluated by a real Prometheus in test_prometheus.py.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from streams.runtime.metrics import REGISTRY

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "news-streams.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "heatmap"}
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
    "news_streams_stage_duration_seconds_count", "news_streams_assigned_partitions", "news_streams_build_info",
    "news_streams_feed_polls_total", "news_streams_feed_errors_total",
}


def exported_sample_names() -> set[str]:
    """Every series name the Prometheus observer (the list in streams/core/observe.py) can expose (counters: _total; histograms: _bucket/_sum/_count)."""
    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
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
    assert used <= known, f"not declared in streams/core/observe.py: {sorted(used - known)}"
    assert REQUIRED_METRICS <= used, f"missing panels for: {sorted(REQUIRED_METRICS - used)}"


def test_alert_rules_use_only_declared_metrics():
    rules = yaml.safe_load(ALERTS.read_text())
    used = {name for group in rules["groups"] for rule in group["rules"] for name in METRIC.findall(rule["expr"])}
    assert used and used <= exported_sample_names(), sorted(used - exported_sample_names())


def test_panel_types_present(panels):
    assert {"timeseries", "stat", "bargauge"} <= {panel["type"] for panel in panels}


def _target_titles(panels, pattern: str) -> set[str]:
    return {panel["title"] for panel in panels for target in panel.get("targets") or []
            if re.search(pattern, target.get("expr", ""))}


def test_instance_variable_scopes_every_series(dashboard, panels):
    (variable,) = dashboard["templating"]["list"]
    assert variable["name"] == "instance" and variable["includeAll"] and variable["multi"]
    assert variable["allValue"] == ".*"
    assert "news-streams-feeds" in variable["definition"]
    selector = re.compile(r"\b(?:news_streams_[a-z0-9_]+|process_[a-z_]+|up)\{([^}]*)\}|\bnews_streams_[a-z0-9_]+\b(?!\{)")
    for expr in _expressions(panels):
        for match in selector.finditer(expr):
            assert match.group(1) is not None and 'instance=~"$instance"' in match.group(1), (match.group(0), expr)


def test_panels_that_were_wrong(panels):
    by_title = {panel["title"]: panel for panel in panels}
    throughput = " ".join(t["expr"] for t in by_title["Throughput by stage"]["targets"])
    assert "sum by (stage) (rate(news_streams_stage_duration_seconds_count" in throughput  # every stage
    lag = by_title["Consumer lag per topic"]["targets"]
    assert lag[0]["expr"].startswith("sum by (topic) (news_streams_consumer_lag_messages")
    assigned = by_title["Assigned partitions"]["targets"]
    assert assigned[0]["expr"].startswith("sum by (topic) (news_streams_assigned_partitions")
    assert {"heatmap"} <= {panel["type"] for panel in panels}
    assert _target_titles(panels, r"by \(instance\)") >= {"Articles per worker", "Rebalances and assigned partitions"}
    assert _target_titles(panels, r"process_cpu_seconds_total") and _target_titles(panels, r"process_resident_memory")
    assert _target_titles(panels, r'job="news-streams-feeds"') == {"Worker up", "Feed polls and errors (per minute)"}
