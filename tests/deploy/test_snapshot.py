"""`make dashboard-snapshot` (deploy/grafana/snapshot.py) draws every dashboard panel from a real Prometheus.

Here against the stand-in target of test_prometheus.py that sets every metric (no Kafka needed): the PNG is
written and every panel gets data.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest

from tests.deploy.test_prometheus import JOB, REPO, SYNTHETIC_TARGET, _wait_for_scrapes, prometheus_server

pytest.importorskip("matplotlib", reason="matplotlib (dev extra) draws the snapshot")


def _snapshot_module():
    spec = importlib.util.spec_from_file_location("snapshot", REPO / "deploy" / "grafana" / "snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.prometheus
def test_snapshot_draws_every_panel(tmp_path):
    snapshot = _snapshot_module()
    target = subprocess.Popen([sys.executable, "-c", SYNTHETIC_TARGET, "full"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = target.stdout.readline().strip()
        assert port.isdigit(), target.stderr.read()[-2000:]
        url = f"http://127.0.0.1:{port}/metrics"
        with prometheus_server(tmp_path / "prometheus", {JOB: url, "news-streams-feeds": url}) as api:
            _wait_for_scrapes(api, samples=8)
            out = tmp_path / "dashboard.png"
            end = time.time()
            drawn = snapshot.draw(snapshot.Prometheus(api.base_url), end - 30, end, out, "test")
    finally:
        target.terminate()
        target.wait(timeout=10)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn == len(snapshot.panels()) > 20
