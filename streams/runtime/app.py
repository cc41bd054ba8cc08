"""The Faust application: ``faust -A streams.runtime.app worker`` or ``python -m streams worker``.

Settings are read once from ``STREAMS_*`` environment variables (the CLI turns its
flags into those variables before it imports this module).
"""
from __future__ import annotations

import faust

from streams.runtime.kafka_config import faust_credentials
from streams.runtime.redact import redact_logs
from streams.runtime.topics import request_bytes
from streams.runtime.transport import set_fetch_max_wait
from streams.settings import Settings, load

settings: Settings = load()
redact_logs(settings.secrets())  # also under `faust -A streams.runtime.app worker`: no log line carries a password
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
)

raw_topic = app.topic(settings.topic_raw, key_type=bytes, value_type=bytes, value_serializer="raw",
                      key_serializer="raw", partitions=settings.partitions)
enriched_topic = app.topic(settings.topic_enriched, value_serializer="raw", key_serializer="raw",
                           partitions=settings.partitions)
stories_topic = app.topic(settings.topic_stories, value_serializer="raw", key_serializer="raw",
                          partitions=settings.partitions, compacting=True)
events_topic = app.topic(settings.topic_events, value_serializer="raw", key_serializer="raw",
                         partitions=settings.partitions, compacting=True)
aggregates_topic = app.topic(settings.topic_aggregates, value_serializer="raw", key_serializer="raw",
                             partitions=settings.partitions, compacting=True)
keyed_topic = app.topic(settings.topic_keyed, value_serializer="raw", key_serializer="raw",
                        partitions=settings.partitions)
resolve_topic = app.topic(settings.topic_resolve, value_serializer="raw", key_serializer="raw", partitions=1)
dead_topic = app.topic(settings.topic_dead, value_serializer="raw", key_serializer="raw",
                       partitions=settings.partitions)

from streams.runtime import agents  # noqa: E402,F401  (registers the agents on the app)
