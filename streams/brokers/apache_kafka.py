"""Apache Kafka from its own jars (fetched by ``make kafka`` with Maven): KRaft clusters of combined nodes.

One job: start, stop, kill and restart real Kafka brokers on loopback ports, each node a ``java -cp`` process
running ``kafka.Kafka server.properties`` after ``kafka.tools.StorageTool format``. A node is broker and
controller at once; ``ApacheKafka(nodes=3)`` is a three-node quorum that survives the loss of one node.
Data lives in ``root`` (a tmp dir in tests): a node restarted with ``start_node`` finds its log there.
"""
from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from streams.brokers.tansu import BrokerError, free_port, wait_for_port

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.4.0"
"""The Apache Kafka line the project is tested on (deploy/kafka/pom.xml and docker-compose.yml name the same)."""

ROOT = Path(__file__).resolve().parents[2]  # the source tree (streams/brokers/apache_kafka.py)
HEAP = os.environ.get("NEWS_STREAMS_KAFKA_HEAP", "512m")

LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def kafka_lib(version: str = KAFKA_VERSION) -> Path:
    """The folder of Kafka's jars: ``$NEWS_STREAMS_KAFKA_LIB``, else ``.kafka/<version>/lib`` in the source tree."""
    return Path(os.environ.get("NEWS_STREAMS_KAFKA_LIB") or ROOT / ".kafka" / version / "lib")


def missing_reason(version: str = KAFKA_VERSION) -> str:
    """Why Apache Kafka cannot run here ('' when it can): no java, or no jars."""
    if not shutil.which("java"):
        return "java is not installed (Apache Kafka needs Java 17+)"
    lib = kafka_lib(version)
    if not any(lib.glob(f"kafka_2.13-{version}.jar")):
        return f"Apache Kafka {version} jars are not in {lib} (run `make kafka`: needs java and mvn)"
    return ""


def cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64 without padding (not starting with '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


@dataclass
class KafkaNode:
    """One combined broker+controller node: its ports, its data folder and its process."""

    node_id: int
    port: int
    controller_port: int
    home: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class ApacheKafka:
    """A KRaft cluster of ``nodes`` combined nodes on loopback ports; use as a context manager.

    ``replication`` is the cluster's default replication factor (internal topics included) and
    ``min_insync`` its ``min.insync.replicas``. ``broker_config`` adds or overrides server properties.
    """

    root: Path
    nodes: int = 1
    min_insync: int = 1
    version: str = KAFKA_VERSION
    heap: str = HEAP
    broker_config: dict[str, str] = field(default_factory=dict)
    members: list[KafkaNode] = field(default_factory=list, repr=False)
    cluster: str = field(default_factory=cluster_id)

    @property
    def bootstrap(self) -> str:
        return ",".join(node.address for node in self.members)

    @property
    def replication(self) -> int:
        return self.nodes

    @property
    def process(self) -> subprocess.Popen | None:
        """The first node's process (its memory is what ``streams bench`` reports for a one-node broker)."""
        return self.members[0].process if self.members else None

    @property
    def describe(self) -> str:
        return f"Apache Kafka {self.version} ({self.nodes} KRaft node{'s' if self.nodes > 1 else ''})"

    def start(self, timeout: float = 90.0) -> ApacheKafka:
        reason = missing_reason(self.version)
        if reason:
            raise BrokerError(reason)
        self.root.mkdir(parents=True, exist_ok=True)
        self.members = [KafkaNode(i, free_port(), free_port(), self.root / f"node-{i}")
                        for i in range(1, self.nodes + 1)]
        try:
            for node in self.members:
                self._format(node)
            for node in self.members:
                self._launch(node)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("Apache Kafka %s, %d node(s) on %s", self.version, self.nodes, self.bootstrap)
        return self

    def properties(self, node: KafkaNode) -> dict[str, str]:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.members)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(node.home / "data"),
            "num.partitions": "1",
            "default.replication.factor": str(self.replication),
            "min.insync.replicas": str(self.min_insync),
            "offsets.topic.replication.factor": str(self.replication),
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": str(self.replication),
            "transaction.state.log.min.isr": str(self.min_insync),
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": str(self.replication),
            "share.coordinator.state.topic.min.isr": str(self.min_insync),
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.flush.interval.messages": "9223372036854775807",
        }
        props.update(self.broker_config)
        return props

    def _java(self, node: KafkaNode) -> list[str]:
        lib = kafka_lib(self.version)
        return ["java", f"-Xmx{self.heap}", "-Xms64m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={node.home / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={node.home / 'logs'}", "-cp", f"{lib}/*"]

    def _format(self, node: KafkaNode) -> None:
        node.home.mkdir(parents=True, exist_ok=True)
        (node.home / "log4j2.properties").write_text(LOG4J2)
        config = node.home / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.properties(node).items()))
        done = subprocess.run(self._java(node) + ["kafka.tools.StorageTool", "format", "-t", self.cluster,
                                                  "-c", str(config)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise BrokerError(f"kafka-storage format failed for node {node.node_id}: "
                              f"{detail[-1] if detail else done.returncode}")

    def _launch(self, node: KafkaNode) -> None:
        with open(node.home / "server.log", "ab") as out:
            node.process = subprocess.Popen(self._java(node) + ["kafka.Kafka", str(node.home / "server.properties")],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every running node answers on its port and the cluster reports all running brokers."""
        deadline = time.monotonic() + timeout
        for node in self.members:
            if node.running:
                wait_for_port("127.0.0.1", node.port, timeout=max(1.0, deadline - time.monotonic()))
        want = sum(node.running for node in self.members)
        while True:
            seen = self._brokers_seen()
            if seen >= want:
                return
            for node in self.members:
                if node.process is not None and node.process.poll() is not None and node.process.returncode:
                    raise BrokerError(f"Kafka node {node.node_id} exited with {node.process.returncode}: "
                                      f"{self.tail(node)}")
            if time.monotonic() > deadline:
                raise BrokerError(f"Kafka cluster at {self.bootstrap} shows {seen} of {want} brokers "
                                  f"after {timeout:.0f}s")
            time.sleep(0.5)

    def _brokers_seen(self) -> int:
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaError

        servers = [node.address for node in self.members if node.running]
        try:
            admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=5000, bootstrap_timeout_ms=3000)
        except KafkaError:
            return 0
        try:
            return len(admin.describe_cluster().get("brokers", []))
        except KafkaError:
            return 0
        finally:
            admin.close()

    def stop_node(self, index: int, kill: bool = False, timeout: float = 30.0) -> None:
        """Stop node ``index`` (0-based): SIGTERM (a controlled shutdown) or, with ``kill``, SIGKILL."""
        node = self.members[index]
        if not node.running:
            return
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            node.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()

    def start_node(self, index: int, timeout: float = 90.0) -> None:
        """Start node ``index`` again on the same ports and data folder (its log and offsets are kept)."""
        node = self.members[index]
        if node.running:
            return
        self._launch(node)
        wait_for_port("127.0.0.1", node.port, timeout=timeout)

    def stop(self) -> None:
        for index in range(len(self.members)):
            self.stop_node(index)

    def tail(self, node: KafkaNode, lines: int = 5) -> str:
        path = node.home / "server.log"
        if not path.exists():
            return ""
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> ApacheKafka:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
