"""The topics the pipeline creates (streams/runtime/topics.py), and one Apache Kafka version across tests, pom and compose."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from streams.brokers.apache_kafka import KAFKA_VERSION
from streams.runtime.topics import (
    FOREVER,
    HOUR_MS,
    TOPOLOGY,
    consumed_topics,
    message_bytes,
    output_kinds,
    request_bytes,
    topic_specs,
    unique_names,
)
from streams.settings import load

REPO = Path(__file__).resolve().parents[2]


def specs(**changes):
    return {spec.name: spec for spec in topic_specs(load(env={}).replace(**changes))}


def test_partitions_and_replication():
    topics = specs(partitions=6, replication=3)
    assert topics["articles-resolve"].partitions == 1
    assert {s.partitions for name, s in topics.items() if name != "articles-resolve"} == {6}
    assert {s.replication for s in topics.values()} == {3}
    assert {s.configs["min.insync.replicas"] for s in topics.values()} == {"2"}
    assert all("min.insync.replicas" not in s.configs for s in specs(replication=1).values())


def test_outputs_keyed_by_id_are_compacted():
    topics = specs()
    compacted = {name for name, s in topics.items() if s.configs.get("cleanup.policy") == "compact"}
    assert compacted == {"stories", "events", "aggregates"}


def test_input_topics_keep_what_a_rebuild_folds():
    topics = specs(replay_horizon_hours=500)
    assert topics["articles-raw"].configs["retention.ms"] == str(500 * HOUR_MS)
    assert topics["articles-keyed"].configs["retention.ms"] == str(500 * HOUR_MS)
    assert topics["articles-resolve"].configs["retention.ms"] == str(FOREVER)
    window = specs(story_window_hours=400, replay_horizon_hours=336)["articles-raw"]
    assert int(window.configs["retention.ms"]) == (400 + 24 + 168) * HOUR_MS


def test_every_topic_takes_the_largest_record_a_producer_sends():
    settings = load(env={}).replace(max_record_bytes=3_000_000)
    assert request_bytes(settings) == settings.producer_request_bytes  # one derived record at its limit
    assert request_bytes(settings) > settings.internal_record_bytes > 2 * settings.max_record_bytes
    assert {s.configs["max.message.bytes"] for s in topic_specs(settings)} == {str(message_bytes(settings))}
    assert message_bytes(settings) > request_bytes(settings)


def test_one_kafka_version_in_launcher_pom_and_compose():
    pom = (REPO / "deploy" / "kafka" / "pom.xml").read_text()
    assert re.search(r"<kafka.version>(.*?)</kafka.version>", pom).group(1) == KAFKA_VERSION
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{KAFKA_VERSION}"


def test_roles_and_unique_names_cover_the_topology():
    settings = load(env={})
    roles = {spec.kind: spec.role for spec in topic_specs(settings)}
    assert roles == {"raw": "input", "keyed": "internal", "resolve": "internal", "enriched": "output",
                     "stories": "output", "events": "output", "aggregates": "output", "dead": "dead-letter"}
    assert consumed_topics(settings) == ["articles-raw", "articles-keyed", "articles-resolve"]
    assert set(output_kinds(settings).values()) == {"enriched", "stories", "events", "aggregates", "dead"}
    renamed = topic_specs(settings.replace(**unique_names("t1")))
    assert len({spec.name for spec in renamed}) == len(TOPOLOGY)
    assert all(spec.name.endswith("-t1") for spec in renamed)
