"""The Faust application, built by ``create_app(settings)``: the app, its topics (streams/runtime/topics.py) and
the stages' agents (streams/runtime/agents.py ``register``).

Run it with ``python -m streams worker`` (streams/tools/cli.py) or ``faust -A streams.runtime.worker worker``
(settings from ``STREAMS_*`` variables). Importing this module reads no settings and changes nothing.
"""
from __future__ import annotations

from typing import Any

import faust

from streams.runtime import agents
from streams.runtime.assignment import assignor
from streams.runtime.kafka_config import faust_credentials
from streams.runtime.redact import redact_logs
from streams.runtime.topics import INPUT, TopicSpec, request_bytes, topic_specs
from streams.runtime.transport import set_fetch_max_wait
from streams.settings import Settings


def create_app(settings: Settings) -> faust.App:
    """A Faust app for ``settings`` with the pipeline's topics and agents."""
    redact_logs(settings.secrets())  # no log line carries a password
    set_fetch_max_wait(settings.fetch_max_wait_ms)
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers],
        broker_credentials=faust_credentials(settings),
        store=settings.store,
        datadir=settings.data_dir,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        # Group joins: short sessions keep rebalances fast (Tansu answers JoinGroup after half the timeout).
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=settings.producer_linger_ms / 1000,
        producer_max_batch_size=262_144,
        # Every derived record up to settings.internal_record_bytes must fit (Faust's default is 1,000,000 bytes);
        # the topics' max.message.bytes is above it (streams/runtime/topics.py).
        producer_max_request_size=request_bytes(settings),
        processing_guarantee="at_least_once",
        web_port=settings.web_port,
        web_bind=settings.bind_address,
        web_enabled=True,
        autodiscover=False,
        PartitionAssignor=assignor(settings),
    )
    topics = {spec.kind: faust_topic(app, spec) for spec in topic_specs(settings)}
    agents.register(app, settings, topics)
    return app


def faust_topic(app: faust.App, spec: TopicSpec) -> Any:
    """The Faust topic of a topic of the topology: raw bytes in and out."""
    types: dict[str, Any] = {"key_type": bytes, "value_type": bytes} if spec.role == INPUT else {}
    return app.topic(spec.name, value_serializer="raw", key_serializer="raw", partitions=spec.partitions,
                     compacting=True if spec.compacted else None, **types)
