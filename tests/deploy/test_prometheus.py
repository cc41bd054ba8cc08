"""Prometheus config, alert rules and every dashboard query, checked by a real Prometheus server.

* promtool checks the config and the rules, and runs the alert unit tests (alerts_test.yml).
* A real ``prometheus`` (Debian package) scrapes a worker's /metrics and a feed poller's every second
  with the alert rules loaded; then every PromQL expression of the Grafana dashboard and of the alert
  rules is evaluated through ``/api/v1/query``. All must succeed; every dashboard query must return data.

The targets are the ``seeded_worker`` fixture of tests/conftest.py (a real worker after the seed
articles were processed) and a real ``streams feeds`` process polling an RSS file served on loopback. ``test_queries_on_synthetic_metrics`` runs the same check against a
stand-in process that sets every metric of streams/core/observe.py, so the queries are covered even
without Kafka.

Without the ``prometheus``/``promtool`` binaries these tests skip, unless the CI environment
variable is set: then they fail.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROM_DIR = REPO / "deploy" / "prometheus"
ALERTS = PROM_DIR / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "news-streams.json"
JOB = "news-streams"  # the dashboard's up{job="news-streams"} relies on this job name
FEEDS_JOB = "news-streams-feeds"  # and on this one for the feed poller
FEED_RSS = REPO / "tests" / "sources" / "data" / "rss.xml"

# Grafana's built-in interval variables, as they would be with 1 s scrapes, and the dashboard's
# `instance` variable set to All.
GRAFANA_VARIABLES = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h", "instance": ".*"}


# ---------------------------------------------------------------------------------------------
# helpers

def _binary(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    message = (f"`{name}` not found on PATH: install the Debian package `prometheus` "
               f"(`make prometheus`, or apt-get install prometheus)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def substitute_grafana_variables(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(f"${{{name}}}", value).replace("$" + name, value)
    return expr


def _walk_panels(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield panel
        yield from _walk_panels(panel.get("panels") or [])


def dashboard_expressions() -> list[tuple[str, str]]:
    """(label, PromQL) of every target of the dashboard, Grafana variables substituted."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = []
    for panel in _walk_panels(dashboard["panels"]):
        for target in panel.get("targets") or []:
            if target.get("expr"):
                label = f"panel {panel['title']!r} target {target.get('refId')}"
                found.append((label, substitute_grafana_variables(target["expr"])))
    return found


def alert_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load(ALERTS.read_text())
    return [(f"rule {rule.get('alert') or rule.get('record')}", rule["expr"])
            for group in rules["groups"] for rule in group["rules"]]


class PrometheusAPI:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def get(self, path: str, **params: str) -> dict:
        url = f"{self.base_url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:  # 400/422 carry a JSON error body
            body = error.read().decode(errors="replace")
            try:
                return json.loads(body)
            except ValueError:
                return {"status": "error", "error": f"HTTP {error.code}: {body[:300]}"}

    def query(self, expr: str) -> dict:
        return self.get("/api/v1/query", query=expr)

    def scalar(self, expr: str) -> float | None:
        answer = self.query(expr)
        result = answer.get("data", {}).get("result") or []
        return float(result[0]["value"][1]) if answer.get("status") == "success" and result else None


def _scrape_job(job: str, metrics_url: str) -> dict:
    target = urllib.parse.urlsplit(metrics_url)
    return {"job_name": job, "scheme": target.scheme or "http", "metrics_path": target.path or "/metrics",
            "static_configs": [{"targets": [target.netloc]}]}


@contextlib.contextmanager
def prometheus_server(workdir: Path, metrics_url: str | dict[str, str]) -> Iterator[PrometheusAPI]:
    """A real Prometheus scraping ``metrics_url`` (or {job: url}) every second, with
    deploy/prometheus/alerts.yml loaded."""
    binary = _binary("prometheus")
    jobs = {JOB: metrics_url} if isinstance(metrics_url, str) else metrics_url
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ALERTS, workdir / "alerts.yml")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [_scrape_job(job, url) for job, url in jobs.items()],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = _free_port()
    log_path = workdir / "prometheus.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={workdir / 'prometheus.yml'}",
             f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        api = PrometheusAPI(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{api.base_url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prometheus not ready after 30 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield api
    finally:
        stop_process(process)


def _wait_for_scrapes(api: PrometheusAPI, samples: int = 5, timeout: float = 60.0) -> None:
    """Until every target is up and has ≥ ``samples`` scrapes in the last minute (rate() needs two)."""
    deadline = time.monotonic() + timeout
    count = None
    while time.monotonic() < deadline:
        count = api.scalar('min(count_over_time(up[1m])) and on() (min(up) == 1)')
        if count is not None and count >= samples:
            return
        time.sleep(0.5)
    targets = api.get("/api/v1/targets").get("data", {}).get("activeTargets", [])
    details = [(t.get("scrapeUrl"), t.get("health"), t.get("lastError")) for t in targets]
    pytest.fail(f"target not up with {samples} scrapes after {timeout:.0f} s (count={count}): {details}")


def _wait_for_rules(api: PrometheusAPI, timeout: float = 20.0) -> list[dict]:
    """Until every alert rule was evaluated once; returns the rules."""
    deadline = time.monotonic() + timeout
    rules: list[dict] = []
    while time.monotonic() < deadline:
        groups = api.get("/api/v1/rules").get("data", {}).get("groups", [])
        rules = [rule for group in groups for rule in group["rules"]]
        if rules and all(rule.get("health") != "unknown" for rule in rules):
            return rules
        time.sleep(0.5)
    return rules


def check_all_queries(api: PrometheusAPI) -> None:
    _wait_for_scrapes(api)
    exported = api.scalar('count({__name__=~"news_streams_.+"})')
    assert exported, "the target exports no news_streams_* series"

    rules = _wait_for_rules(api)
    expected = {name.split(" ", 1)[1] for name, _ in alert_expressions()}
    assert {rule["name"] for rule in rules} == expected, rules
    bad_rules = [(rule["name"], rule.get("health"), rule.get("lastError")) for rule in rules
                 if rule.get("health") != "ok"]
    assert not bad_rules, f"alert rules failing in Prometheus: {bad_rules}"

    failures = []
    for origin, expressions in (("dashboard", dashboard_expressions()), ("alerts", alert_expressions())):
        assert expressions, f"no {origin} expressions found"
        for label, expr in expressions:
            leftover = re.findall(r"\$\{?\w+", expr)
            if leftover:
                failures.append(f"{label}: unsubstituted Grafana variable {leftover} in {expr}")
                continue
            answer = api.query(expr)
            if answer.get("status") != "success":
                failures.append(f"{label}: {answer.get('errorType')}: {answer.get('error')}\n    {expr}")
            elif origin == "dashboard" and not answer["data"]["result"]:
                failures.append(f"{label}: empty result (no data in the panel)\n    {expr}")
    assert not failures, "queries failed:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# promtool

def test_promtool_check_rules():
    result = subprocess.run([_binary("promtool"), "check", "rules", str(ALERTS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 rules found" in result.stdout


def test_promtool_check_config():
    result = subprocess.run([_binary("promtool"), "check", "config", "prometheus.yml"], cwd=PROM_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_alert_unit_tests():
    result = subprocess.run([_binary("promtool"), "test", "rules", "alerts_test.yml"], cwd=PROM_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_cover_the_required_rules():
    names = {label.split(" ", 1)[1] for label, _ in alert_expressions()}
    assert names == {"NewsStreamsWorkerDown", "ConsumerLagGrowing", "DeadLettersRising", "EndToEndLatencyP99High"}


def test_deploy_config_scrapes_every_worker_and_the_feed_poller():
    """Workers scale (`--scale worker=N`): found by DNS, one A record per replica, not a fixed target."""
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for name, service, port in ((JOB, "worker", 9108), (FEEDS_JOB, "feeds", 9109)):
        job = next(job for job in config["scrape_configs"] if job["job_name"] == name)
        assert "static_configs" not in job, name
        assert job["dns_sd_configs"] == [{"names": [service], "type": "A", "port": port,
                                          "refresh_interval": "15s"}]
        assert job.get("scrape_interval", config["global"].get("scrape_interval")) == "5s"
        assert service in compose, f"no compose service {service!r} for job {name}"
        assert str(port) in " ".join(str(v) for v in compose[service].get("environment", {}).values()) \
            or str(port) in " ".join(str(v) for v in compose[service].get("command", [])), (service, port)


# ---------------------------------------------------------------------------------------------
# live: every dashboard and alert query against a real Prometheus

def _seeded_worker(request):
    try:
        return request.getfixturevalue("seeded_worker")
    except pytest.FixtureLookupError as error:
        if error.argname != "seeded_worker":
            raise
        message = "fixture `seeded_worker` is missing from tests/conftest.py"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (test_queries_on_synthetic_metrics covers the queries meanwhile)")


@contextlib.contextmanager
def feed_poller(bootstrap: str, workdir: Path) -> Iterator[str]:
    """A real ``streams feeds`` process polling an RSS file served on loopback every 2 s; yields its
    metrics URL once it has polled."""
    import threading
    import uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = FEED_RSS.read_text().replace("{base}", base).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "feeds.yaml"
    config.write_text(yaml.safe_dump({"feeds": [{"url": f"{base}/rss.xml", "name": "feed.example", "interval_s": 2}]}))
    port = _free_port()
    log_path = workdir / "feeds.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streams", "feeds", "--config", str(config), "--metrics-port", str(port),
             "--state-dir", str(workdir / "state"), "--bootstrap", bootstrap,
             "--set", f"topic_raw=feeds-{uuid.uuid4().hex[:8]}"],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"feed poller exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if b"news_streams_feed_polls_total{" in response.read():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"feed poller did not poll within 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        stop_process(process)
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.prometheus
def test_queries_on_seeded_worker_and_feed_poller(request, tmp_path):
    _binary("prometheus")  # skip/fail before starting a worker for nothing
    worker = _seeded_worker(request)
    with feed_poller(worker.settings.bootstrap, tmp_path / "feeds") as feeds_url, \
            prometheus_server(tmp_path / "prometheus", {JOB: worker.metrics_url, FEEDS_JOB: feeds_url}) as api:
        check_all_queries(api)
        polls = api.scalar(f'sum(news_streams_feed_polls_total{{job="{FEEDS_JOB}"}})')
        assert polls and polls >= 1, "Prometheus holds no feed polls from the feed poller"


# A stand-in for the worker, in its own process so the test process's registry stays untouched.
# "full": sets every metric of streams/core/observe.py (every stage and duplicate kind, one value for other
# labels). "minimal": sets only the labelled metrics every worker that processed articles has (stage
# flow and stage latency); labelled metrics that may have no series yet (dead letters, duplicates,
# events, outlets, lag, state, feeds) stay empty, so the dashboard's `or on() vector(0)` fallbacks
# are what keeps those panels non-empty. Values keep moving so rates are non-zero.
MINIMAL_METRICS = ("articles_in", "articles_out", "stage_duration_seconds")
SYNTHETIC_TARGET = textwrap.dedent("""
    import itertools, sys, time
    from streams.core.observe import DUPLICATE_KINDS, METRICS, STAGES
    from streams.runtime.metrics import PROMETHEUS

    values = {"stage": STAGES, "kind": DUPLICATE_KINDS, "topic": ("articles-raw",), "partition": ("0", "1")}
    metrics = [m for m in METRICS if m.name != "build_info"]  # the observer sets it
    if sys.argv[1] == "minimal":
        metrics = [m for m in metrics if not m.labels or m.name in sys.argv[2:]]

    def series(metric):
        return [dict(zip(metric.labels, combo))
                for combo in itertools.product(*(values.get(name, ("synthetic",)) for name in metric.labels))]

    server = PROMETHEUS.serve(0, addr="127.0.0.1")
    print(server.server_port, flush=True)
    step = 0
    while True:
        step += 1
        for metric in metrics:
            for labels in series(metric):
                if metric.kind == "counter":
                    PROMETHEUS.increment(metric.name, **labels)
                elif metric.kind == "gauge":
                    PROMETHEUS.gauge(metric.name, 1 if metric.name == "worker_up" else step, **labels)
                else:
                    PROMETHEUS.timing(metric.name, 0.02 * (1 + step % 5), **labels)
        time.sleep(0.2)
""")


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(params=["full", "minimal"])
def synthetic_metrics_url(request) -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-c", SYNTHETIC_TARGET, request.param, *MINIMAL_METRICS], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        if not line.isdigit():
            process.kill()
            pytest.fail(f"synthetic metrics target did not start: {line} {process.stderr.read()[-2000:]}")
        yield f"http://127.0.0.1:{line}/metrics"
    finally:
        stop_process(process, timeout=10.0)


@pytest.mark.slow
@pytest.mark.prometheus
def test_queries_on_synthetic_metrics(synthetic_metrics_url, tmp_path):
    with prometheus_server(tmp_path / "prometheus", synthetic_metrics_url) as api:
        check_all_queries(api)
