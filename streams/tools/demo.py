"""`streams demo`: a local broker (the embedded Tansu, or Apache Kafka with ``--broker kafka``) + worker + seed
replay + report, then stop everything."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from streams.bench.probes import scrape
from streams.brokers.tansu import ensure_topics, free_port, local_broker, wait_for_port
from streams.runtime.outputs import Outputs, read_outputs_sync
from streams.settings import Settings
from streams.sources.files import open_source
from streams.tools import report
from streams.tools.replay import replay

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """A ``streams worker`` subprocess configured through STREAMS_* variables."""

    settings: Settings
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def popen(self) -> subprocess.Popen:
        """The running process (after ``start()``)."""
        assert self.process is not None, "start() first"
        return self.process

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMS_")}
        return {**env, **self.settings.as_env()}

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "streams", "worker"], env=self.env(),
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_metrics(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        process = self.process
        assert process is not None, "start() first"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited with {process.returncode}; see {self.log_path}")
            try:
                wait_for_port("127.0.0.1", self.settings.metrics_port, timeout=1.0)
                return
            except RuntimeError:
                continue
        raise RuntimeError(f"worker metrics endpoint did not come up; see {self.log_path}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def check_running(self) -> None:
        """RuntimeError, with the end of its log, if the process has exited."""
        if self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise RuntimeError(f"worker exited with {self.popen.returncode}; see {self.log_path}:\n{tail}")

    def metrics(self) -> list[tuple[str, dict[str, str], float]]:
        """The worker's Prometheus samples now (none while they cannot be read)."""
        try:
            return scrape(self.settings.metrics_port)
        except OSError:
            return []

    def assigned_partitions(self) -> float:
        """How many partitions the worker holds now (its metrics; 0 while they cannot be read)."""
        return sum(v for name, _, v in self.metrics() if name == "news_streams_assigned_partitions")


class NotAssigned(RuntimeError):
    """The workers did not all hold partitions in time."""


def wait_assigned(workers: Sequence[Worker], timeout: float = 120.0, settle: float = 2.0) -> list[float]:
    """Until every worker holds partitions and the assignment stayed the same for ``settle`` seconds (group
    joins are slow on the embedded broker, and a run that starts before they end measures them); returns
    the partitions each holds. RuntimeError if a worker exits, ``NotAssigned`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        for worker in workers:
            worker.check_running()
        state = [worker.assigned_partitions() for worker in workers]
        if state != last:
            last, since = state, time.monotonic()
        elif all(v > 0 for v in state) and time.monotonic() - since >= settle:
            return state
        time.sleep(0.25)
    raise NotAssigned(f"partitions not assigned to every worker after {timeout:.0f}s: {last}")


def port_or_free(port: int) -> int:
    import socket
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return port
        except OSError:
            return free_port()


def run_demo(settings: Settings, seeds: str = "seeds", as_json: bool = False, keep_running: bool = False,
             timeout: float = 180.0, broker: str = "tansu") -> int:
    source = open_source(seeds)
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: print(*a, file=sys.stderr)) if as_json else print
    with local_broker(broker, data_dir) as node:
        settings = settings.replace(bootstrap=node.bootstrap, metrics_port=port_or_free(settings.metrics_port),
                                    web_port=free_port(), data_dir=str(data_dir / "worker"))
        say(f"demo: {node.describe} on {node.bootstrap}")
        ensure_topics(settings)
        worker = Worker(settings, data_dir / "worker.log").start()
        try:
            say("demo: starting the worker")
            worker.wait_metrics()
            say(f"demo: worker up, metrics on http://127.0.0.1:{settings.metrics_port}/metrics "
                f"(log: {worker.log_path})")
            summary = replay(settings, source)
            say(summary.line())
            say(f"demo: waiting for the worker to process {summary.published} articles"
                f"{' (it loads the embedding model first, ~10 s)' if settings.semantic else ''}")
            outputs = read_outputs_sync(settings, lambda o: _complete(o, summary.published), timeout=timeout)
            if not _complete(outputs, summary.published):
                say(f"demo: timed out: {len(outputs.enriched)} of {summary.published} articles processed; "
                    f"see {worker.log_path}")
                return 1
            result = report.build(outputs, summary.published)
            print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if as_json else report.render(result))
            if keep_running:
                say(f"demo: running; broker {node.bootstrap}, metrics http://127.0.0.1:{settings.metrics_port}"
                    "/metrics. Ctrl-C to stop.")
                _wait_for_interrupt(worker)
        finally:
            worker.stop()
    return 0


def _complete(outputs: Outputs, published: int) -> bool:
    return len(outputs.enriched) + len(outputs.dead) >= published and bool(outputs.events)


def _wait_for_interrupt(worker: Worker) -> None:
    try:
        while worker.process is not None and worker.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:  # Ctrl-C: the normal end of --keep-running
        print("demo: stopping the worker and the broker", file=sys.stderr)
    except SystemExit:  # SIGTERM (streams.tools.cli): the same, exit status 143
        print("demo: stopping the worker and the broker", file=sys.stderr)
        raise
