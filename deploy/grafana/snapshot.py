"""Render the Grafana dashboard's queries from a real Prometheus into one PNG (``make dashboard-snapshot``).

No Grafana is needed: the panels of deploy/grafana/dashboards/news-streams.json are drawn with matplotlib from
the answers of Prometheus's ``/api/v1/query_range`` (``/api/v1/query`` for instant panels), with the
dashboard's variables set as Grafana would ($instance = All).

What runs, all on loopback: the embedded broker, ``--workers`` worker processes, a feed poller polling an RSS
file served locally, and the Debian ``prometheus`` scraping them every second with deploy/prometheus/alerts.yml.
Generated articles (streams.bench.stream: the seeds, the benchmark's news dataset when present, and variants of
them) are published at ``--rate`` per second for
``--seconds``; then every panel is queried over the run and drawn.

    python deploy/grafana/snapshot.py --out docs/dashboard.png [--workers 2] [--rate 20] [--seconds 90]

Also usable against a Prometheus already running (``--prometheus http://localhost:9090 --minutes 30``): then
nothing is started, the last minutes are drawn.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "news-streams.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
FEED_RSS = REPO / "tests" / "sources" / "data" / "rss.xml"
sys.path.insert(0, str(REPO))


def say(text: str) -> None:
    print(f"snapshot: {text}", file=sys.stderr, flush=True)


# -- the dashboard -------------------------------------------------------------------------------------

def panels() -> list[dict]:
    """Every panel that has queries, in dashboard order (rows skipped, their panels kept)."""
    out: list[dict] = []

    def walk(items: list[dict]) -> None:
        for panel in items:
            if panel.get("targets"):
                out.append(panel)
            walk(panel.get("panels") or [])
    walk(json.loads(DASHBOARD.read_text())["panels"])
    return out


def substitute(expr: str, rate_interval: str) -> str:
    values = {"__rate_interval": rate_interval, "__interval": "5s", "__range": "1h", "instance": ".*"}
    for name, value in values.items():
        expr = expr.replace(f"${{{name}}}", value).replace("$" + name, value)
    return expr


def legend(template: str, labels: dict[str, str]) -> str:
    text = template or "{{__name__}}"
    for key, value in labels.items():
        text = text.replace(f"{{{{{key}}}}}", value)
    text = text.replace("{{__name__}}", labels.get("__name__", "value"))
    return re.sub(r"\{\{\w+\}\}", "-", text)  # the `or on() vector(0)` fallback has no labels


# -- Prometheus ------------------------------------------------------------------------------------------

class Prometheus:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def get(self, path: str, **params: Any) -> dict:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            answer = json.load(response)
        if answer.get("status") != "success":
            raise RuntimeError(f"{params.get('query')}: {answer.get('error')}")
        return answer["data"]

    def range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        return self.get("/api/v1/query_range", query=expr, start=start, end=end, step=step)["result"]

    def instant(self, expr: str, at: float) -> list[dict]:
        return self.get("/api/v1/query", query=expr, time=at)["result"]


@contextlib.contextmanager
def prometheus_server(workdir: Path, jobs: dict[str, list[str]]) -> Iterator[Prometheus]:
    """The Debian ``prometheus`` scraping ``jobs`` ({job: [host:port, ...]}) every second."""
    import yaml

    from streams.brokers.tansu import free_port, wait_for_port

    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("snapshot: `prometheus` not found: install the Debian package (make prometheus)")
    shutil.copy(ALERTS, workdir / "alerts.yml")
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
              "rule_files": ["alerts.yml"],
              "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}
                                 for job, targets in jobs.items()]}
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    with open(workdir / "prometheus.log", "wb") as log:
        process = subprocess.Popen([binary, f"--config.file={workdir / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={workdir / 'tsdb'}",
                                    f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield Prometheus(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextlib.contextmanager
def feed_server() -> Iterator[str]:
    """An RSS feed (the test fixture) on loopback; yields its URL."""
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
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
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        yield f"{base}/rss.xml"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def stack(workdir: Path, workers: int) -> Iterator[tuple[Any, Prometheus]]:
    """Broker, workers, feed poller and Prometheus; yields (settings, prometheus)."""
    import yaml

    from streams.bench import run as bench
    from streams.brokers.tansu import EmbeddedBroker, ensure_topics, free_port, wait_for_port
    from streams.settings import load
    from streams.tools.demo import Worker

    with contextlib.ExitStack() as stop:
        say("starting the embedded broker")
        broker = stop.enter_context(EmbeddedBroker(log_path=workdir / "broker.log"))
        base = bench._unique_settings(load(env={}).replace(bootstrap=broker.bootstrap, semantic=False,
                                                          data_dir=str(workdir / "data"), catalog=""), 4)
        ensure_topics(base)
        running = []
        for n in range(workers):
            metrics_port, web_port = free_port(), free_port()
            worker = Worker(base.replace(metrics_port=metrics_port, web_port=web_port,
                                         data_dir=str(workdir / f"worker-{n}")), workdir / f"worker-{n}.log")
            running.append(worker.start())
            stop.callback(worker.stop)
        say(f"waiting for {workers} worker(s) to serve /metrics")
        for worker in running:
            worker.wait_metrics(timeout=120)
        feed_url = stop.enter_context(feed_server())
        config = workdir / "feeds.yaml"
        config.write_text(yaml.safe_dump({"feeds": [{"url": feed_url, "name": "feed.example", "interval_s": 5}]}))
        feeds_port = free_port()
        feeds_log = open(workdir / "feeds.log", "wb")
        stop.callback(feeds_log.close)
        feeds = subprocess.Popen(
            [sys.executable, "-m", "streams", "feeds", "--config", str(config), "--metrics-port", str(feeds_port),
             "--state-dir", str(workdir / "feeds-state"), "--bootstrap", broker.bootstrap,
             "--set", f"topic_raw=feeds-{uuid.uuid4().hex[:8]}"],
            stdout=feeds_log, stderr=subprocess.STDOUT, cwd=REPO)
        stop.callback(lambda: (feeds.terminate(), feeds.wait(timeout=15)))
        wait_for_port("127.0.0.1", feeds_port, timeout=60)
        jobs = {"news-streams": [f"127.0.0.1:{w.settings.metrics_port}" for w in running],
                "news-streams-feeds": [f"127.0.0.1:{feeds_port}"]}
        say("starting Prometheus")
        prometheus = stop.enter_context(prometheus_server(workdir, jobs))
        yield base, prometheus


def publish_for(settings: Any, rate: float, seconds: float) -> None:
    from streams.bench import run as bench
    from streams.bench import stream
    from streams.runtime.publish import Publisher

    dataset = bench._dataset(None)  # the benchmark's labelled news dataset when present, as `streams bench`
    records, mix = stream.generate(int(rate * seconds), stream.load_pool(REPO / "seeds", dataset))
    say(f"publishing {len(records)} generated articles at {rate:g}/s ({seconds:g} s): "
        f"{', '.join(f'{v} {k}' for k, v in mix.items())}{f' (originals from {dataset.name})' if dataset else ''}")
    publisher = Publisher(settings)
    try:
        start = time.monotonic()
        for n, record in enumerate(records):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            publisher.send(record)
        publisher.flush()
    finally:
        publisher.close()


# -- drawing ---------------------------------------------------------------------------------------------

def draw(prometheus: Prometheus, start: float, end: float, out: Path, title: str) -> int:
    """One figure with every panel; returns how many panels had data."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = panels()
    columns = 3
    rows = math.ceil(len(items) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.1 * rows), squeeze=False)
    step = max(1.0, (end - start) / 200)
    rate_interval = f"{max(10, int(4 * step))}s"
    with_data = 0
    for ax, panel in zip(axes.flat, items):
        ax.set_title(panel["title"], fontsize=10, loc="left")
        ax.tick_params(labelsize=7)
        try:
            drawn = _draw_panel(ax, prometheus, panel, start, end, step, rate_interval)
        except RuntimeError as error:
            ax.text(0.5, 0.5, f"query error:\n{error}", ha="center", va="center", fontsize=7, wrap=True)
            drawn = False
        with_data += drawn
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    figure.suptitle(title, fontsize=13, x=0.01, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=72)
    plt.close(figure)
    return with_data


def _draw_panel(ax: Any, prometheus: Prometheus, panel: dict, start: float, end: float, step: float,
                rate_interval: str) -> bool:
    kind = panel["type"]
    if kind == "heatmap":
        return _heatmap(ax, prometheus, panel, start, end, step, rate_interval)
    if kind == "bargauge" or all(t.get("instant") for t in panel["targets"]):
        return _bars(ax, prometheus, panel, end, rate_interval)
    drawn = False
    for target in panel["targets"]:
        for series in prometheus.range(substitute(target["expr"], rate_interval), start, end, step):
            times = [datetime.fromtimestamp(float(t)) for t, _ in series["values"]]
            values = [float(v) for _, v in series["values"]]
            name = legend(target.get("legendFormat", ""), series["metric"])
            if kind == "stat":  # Grafana shows the last value over a sparkline
                name += f" = {values[-1]:.3g}" if values else ""
            ax.plot(times, values, linewidth=1, label=name)
            drawn = True
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    if unit:
        ax.set_ylabel(unit, fontsize=7)
    if drawn:
        ax.legend(fontsize=6, loc="upper left", ncol=2)
        ax.xaxis.set_major_formatter(__import__("matplotlib.dates", fromlist=["DateFormatter"]).DateFormatter("%H:%M:%S"))
    return drawn


def _bars(ax: Any, prometheus: Prometheus, panel: dict, at: float, rate_interval: str) -> bool:
    names, values = [], []
    for target in panel["targets"]:
        for series in prometheus.instant(substitute(target["expr"], rate_interval), at):
            names.append(legend(target.get("legendFormat", ""), series["metric"])[:40])
            values.append(float(series["value"][1]))
    if not names:
        return False
    positions = range(len(names))
    ax.barh(list(positions), values, color="tab:blue")
    ax.set_yticks(list(positions), names, fontsize=7)
    ax.invert_yaxis()
    for y, value in zip(positions, values):
        ax.text(value, y, f" {value:.3g}", va="center", fontsize=7)
    return True


def _heatmap(ax: Any, prometheus: Prometheus, panel: dict, start: float, end: float, step: float,
             rate_interval: str) -> bool:
    import numpy as np

    target = panel["targets"][0]
    series = prometheus.range(substitute(target["expr"], rate_interval), start, end, step)
    if not series:
        return False
    by_le = sorted(((float(s["metric"]["le"]), s) for s in series), key=lambda pair: pair[0])
    times = [float(t) for t, _ in by_le[0][1]["values"]]
    cumulative = np.array([[float(v) for _, v in s["values"]][:len(times)] for _, s in by_le])
    counts = np.diff(np.vstack([np.zeros(cumulative.shape[1]), cumulative]), axis=0).clip(min=0)
    ax.imshow(counts, aspect="auto", origin="lower", cmap="Oranges", interpolation="nearest",
              extent=(0, (times[-1] - times[0]) or 1, 0, len(by_le)))
    labels = ["+Inf" if math.isinf(le) else f"{le:g}" for le, _ in by_le]
    ax.set_yticks([i + 0.5 for i in range(len(labels))], labels, fontsize=6)
    ax.set_ylabel("le (s)", fontsize=7)
    ax.set_xlabel("seconds into the run", fontsize=7)
    return True


# -- command ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/dashboard.png", help="PNG to write (default: docs/dashboard.png)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--rate", type=float, default=20.0, help="articles published per second (default 20)")
    parser.add_argument("--seconds", type=float, default=90.0, help="how long to publish (default 90)")
    parser.add_argument("--prometheus", help="draw from this running Prometheus instead of starting a stack")
    parser.add_argument("--minutes", type=float, default=30.0, help="with --prometheus: minutes to draw")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.prometheus:
        end = time.time()
        count = draw(Prometheus(args.prometheus), end - 60 * args.minutes, end, out,
                     f"news-streams dashboard, {args.prometheus}, last {args.minutes:g} min")
    else:
        if args.workers < 1 or args.rate <= 0 or args.seconds <= 0:
            parser.error("--workers, --rate and --seconds must be positive")
        with tempfile.TemporaryDirectory(prefix="snapshot-") as tmp, stack(Path(tmp), args.workers) as (settings,
                                                                                                       prometheus):
            start = time.time()
            publish_for(settings, args.rate, args.seconds)
            say("letting the workers drain and Prometheus scrape for 15 s")
            time.sleep(15)
            end = time.time()
            count = draw(prometheus, start - 10, end, out,
                         f"news-streams dashboard: {args.workers} worker(s), {args.rate:g} generated articles/s for "
                         f"{args.seconds:g} s, semantic model off, embedded broker")
    total = len(panels())
    say(f"wrote {out}: {count} of {total} panels with data")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
