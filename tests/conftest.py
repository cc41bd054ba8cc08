"""Shared fixtures: an embedded Kafka-protocol broker (Tansu) and Apache Kafka on free loopback ports, and
real workers that have processed the seed articles.

``any_broker`` runs a test on both engines: its Apache Kafka variant is marked ``apache_kafka``
(``pytest -m apache_kafka`` runs that tier alone) and is skipped, with the reason, where java or the
Kafka jars (``make kafka``) are missing."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from streams.brokers.apache_kafka import ApacheKafka, missing_reason
from streams.brokers.tansu import EmbeddedBroker, ensure_topics, free_port
from streams.runtime.outputs import Outputs, read_outputs_sync
from streams.runtime.topics import unique_names
from streams.settings import Settings, load
from streams.sources.files import open_source
from streams.tools.demo import Worker
from streams.tools.replay import replay
from tests.integration.workers import REFERENCE_ARTICLES, REFERENCE_SEED, corpus, undisturbed_run

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
WRITTEN = ROOT / "tests" / "fixtures" / "written"
"""Articles written for the tests, with fictional outlets and times in metadata.json (not seeds)."""
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """A Tansu broker for the whole test session (memory only, gone when stopped)."""
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "broker.log") as running:
        yield running


BROKER_FIXTURES = {"broker", "apache_kafka", "any_broker", "seeded_worker", "seeded_apache_kafka", "seeded_any",
                   "undisturbed"}
"""Fixtures that start a broker: a test that uses one is marked ``kafka`` here (`make test-fast` leaves it out);
a test that starts a broker or Prometheus by itself carries its mark in its module (tests/no_broker.py checks)."""


XDIST_GROUPS = {
    "tests/integration/test_takeover.py": "undisturbed", "tests/faults/test_apache_kafka_faults.py": "undisturbed",
    "tests/integration/test_seeds_kafka.py": "seeded", "tests/integration/test_headlines_kafka.py": "seeded",
    "tests/deploy/test_metrics.py": "seeded", "tests/deploy/test_prometheus.py": "seeded",
}
"""`make test` (two pytest-xdist processes) runs each module in one process, so its module fixtures are made
once; the modules of one group here run in one process too, so that the session's shared run they use
(``undisturbed``; ``seeded_worker``/``seeded_any``) is made once, not once per process. Checked at collection."""
SHARED_RUNS = {"undisturbed": "undisturbed", "seeded_worker": "seeded", "seeded_any": "seeded"}
FIRST_GROUP = "undisturbed"
"""The longest unit of work (test_takeover and the Apache Kafka faults): started first, not left for last."""


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)
    if hasattr(config, "workerinput"):  # a pytest-xdist worker (`make test`)
        check_groups(items)
        order_groups(items)


def module_of(nodeid: str) -> str:
    return nodeid.split("::")[0]


def group_of(nodeid: str) -> str:
    return XDIST_GROUPS.get(module_of(nodeid), module_of(nodeid))


def check_groups(items) -> None:
    for item in items:
        for name in set(getattr(item, "fixturenames", ())) & set(SHARED_RUNS):
            if group_of(item.nodeid) != SHARED_RUNS[name]:
                raise pytest.UsageError(f"{module_of(item.nodeid)} uses {name}: add it to XDIST_GROUPS in "
                                        f"tests/conftest.py as {SHARED_RUNS[name]!r}")


def order_groups(items) -> None:
    """The longest group first, then the groups with broker tests, then the rest (left last, a long group
    would run alone at the end)."""
    heavy = {group_of(item.nodeid) for item in items
             if any(item.get_closest_marker(mark) for mark in ("kafka", "apache_kafka", "prometheus"))}
    items.sort(key=lambda item: 0 if group_of(item.nodeid) == FIRST_GROUP else 1 if group_of(item.nodeid) in heavy
               else 2)


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` by the groups above (a module, or a group of modules), in collection order."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


FIGURES: list[str] = []


@pytest.fixture
def figure(request):
    """Report a measured figure: printed at once (seen with -s) and again in the run's summary (carried in the
    test's report, so that it reaches the summary from a pytest-xdist worker too)."""
    def say(line: str) -> None:
        request.node.user_properties.append(("figure", line))
        print(line)
    return say


def pytest_runtest_logreport(report):
    if report.when == "call":
        FIGURES.extend(value for name, value in report.user_properties if name == "figure")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def skip_without_apache_kafka() -> None:
    reason = missing_reason()
    if reason:
        pytest.skip(f"Apache Kafka tier skipped: {reason}")


@pytest.fixture(scope="session")
def apache_kafka(tmp_path_factory):
    """A single-node Apache Kafka (KRaft) for the whole test session."""
    skip_without_apache_kafka()
    with ApacheKafka(tmp_path_factory.mktemp("apache-kafka")) as running:
        yield running


@pytest.fixture(scope="session", params=["tansu", pytest.param("apache-kafka", marks=pytest.mark.apache_kafka)])
def any_broker(request):
    """The test runs once on the embedded Tansu broker and once on Apache Kafka."""
    return request.getfixturevalue("broker" if request.param == "tansu" else "apache_kafka")


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    """The corpus of the SIGKILL, takeover and broker-fault tests (tests/integration/workers.py)."""
    return corpus(REFERENCE_ARTICLES, seed=REFERENCE_SEED)


def reference_settings(bootstrap: str, tmp: Path, **changes) -> Settings:
    """The settings of those disturbed runs and of the undisturbed run they are compared with: lexical mode (the
    keyed/resolve machinery is the same, the runs are shorter) and four raw partitions."""
    return kafka_settings(bootstrap, tmp, semantic=False, partitions=4, **changes)


@pytest.fixture(scope="session")
def undisturbed(broker, tmp_path_factory, reference_records) -> Outputs:
    """``reference_records`` processed by one worker left alone on the embedded broker, once per session: the
    disturbed runs on either broker must give the same stories, events and aggregates (the outputs depend on
    the records and settings, not on the broker)."""
    tmp = tmp_path_factory.mktemp("undisturbed")
    return undisturbed_run(reference_settings(broker.bootstrap, tmp), reference_records, tmp)


def kafka_settings(bootstrap: str, tmp: Path, **changes) -> Settings:
    """Settings with topic names and app id unique to one test, so tests never see each other's data."""
    tag = uuid.uuid4().hex[:8]
    base = load(env={})
    values = dict(
        bootstrap=bootstrap, app_id=f"news-streams-{tag}", **unique_names(tag), partitions=2,
        metrics_port=free_port(), web_port=free_port(), data_dir=str(tmp / f"worker-{tag}"),
        catalog="")
    return base.replace(**{**values, **changes})


@dataclass
class RunningWorker:
    settings: Settings
    worker: Worker
    published: int
    outputs: Outputs

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.metrics_port}/metrics"

    def read(self, done, timeout: float = 90.0) -> Outputs:
        return read_outputs_sync(self.settings, done, timeout=timeout)


def complete(published: int):
    return lambda o: len(o.enriched) + len(o.dead) >= published and bool(o.events)


def seed(bootstrap: str, tmp: Path):
    """A real worker process that has processed every seed article (outputs read from the topics)."""
    settings = kafka_settings(bootstrap, tmp)
    ensure_topics(settings)
    worker = Worker(settings, tmp / "worker.log").start()
    try:
        worker.wait_metrics()
        summary = replay(settings, open_source(SEEDS))
        outputs = read_outputs_sync(settings, complete(summary.published), timeout=120)
        assert len(outputs.enriched) == summary.published, (tmp / "worker.log").read_text()[-3000:]
        yield RunningWorker(settings, worker, summary.published, outputs)
    finally:
        worker.stop()


@pytest.fixture(scope="session")
def seeded_worker(broker, tmp_path_factory):
    """The seeds processed by a worker on the embedded broker."""
    yield from seed(broker.bootstrap, tmp_path_factory.mktemp("seeded"))


@pytest.fixture(scope="session")
def seeded_apache_kafka(apache_kafka, tmp_path_factory):
    """The seeds processed by a worker on Apache Kafka."""
    yield from seed(apache_kafka.bootstrap, tmp_path_factory.mktemp("seeded-apache-kafka"))


@pytest.fixture(scope="session", params=["tansu", pytest.param("apache-kafka", marks=pytest.mark.apache_kafka)])
def seeded_any(request):
    """The seeded worker on each engine (the Tansu one is shared with the other tests of ``seeded_worker``)."""
    if request.param == "tansu":
        return request.getfixturevalue("seeded_worker")
    skip_without_apache_kafka()
    return request.getfixturevalue("seeded_apache_kafka")
