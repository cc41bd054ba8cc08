"""Publisher: sends raw article records to the raw topic with kafka-python (acks=all, keyed by id), and with
``ticks`` (a source sent in publication order: the replayer, the benchmark) a tick on every partition every
``tick_every_s`` (streams/core/ticks.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.core.ticks import TickClock, tick_value
from streams.runtime.kafka_config import kafka_python_config
from streams.runtime.topics import request_bytes
from streams.settings import Settings
from streams.sources.base import RawRecord, article_id


class PublishError(RuntimeError):
    """The broker could not be reached or refused the records."""


@dataclass
class Publisher:
    """A thin, reusable producer shared by the replayer and the feed poller."""

    settings: Settings
    topic: str = ""
    ticks: bool = False  # the records come in publication order: tick (streams/core/ticks.py)
    sent: int = 0
    failed: int = 0
    acked: int = 0
    ticked: int = 0  # tick records handed to the producer (not counted in sent)
    _producer: Any = field(default=None, repr=False)
    _clock: TickClock | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        self.topic = self.topic or self.settings.topic_raw
        try:
            self._producer = KafkaProducer(
                acks="all", enable_idempotence=True, linger_ms=20, batch_size=262144,
                # retried until delivery_timeout_ms: a leader election (a broker of a cluster lost) takes seconds
                delivery_timeout_ms=60000,
                max_request_size=request_bytes(self.settings),
                request_timeout_ms=30000, max_block_ms=15000,
                **kafka_python_config(self.settings))
        except KafkaError as exc:
            raise PublishError(f"cannot reach Kafka at {self.settings.bootstrap}: {exc}") from None
        if self.ticks and self.settings.tick_every_s > 0:
            self._clock = TickClock(self.settings.tick_every_s, self.settings.max_future_skew_hours * 3600,
                                    self.settings.max_past_days * 86400)

    def send(self, record: RawRecord) -> str:
        """Publish one record; returns its id. Records that are raw bytes go out unchanged."""
        if "_raw" in record:
            key, value = b"", record["_raw"]
            ident = ""
        else:
            ident = article_id(record)
            record = {**record, "id": ident, "sent_at": time.time()}
            key, value = ident.encode(), orjson.dumps(record)
        self._send(key or None, value)
        if self._clock is not None:
            self._clock.sent(record, record.get("sent_at") or time.time())
            self._tick(self._clock.due(time.monotonic()))
        return ident

    def _tick(self, when: float | None) -> None:
        """A tick at ``when`` on every partition of the topic, after the records sent so far. A tick that is
        lost costs only time (the next one says more): its delivery is not counted, and a broker that does not
        take it is left to the records' own sends and ``flush`` to report."""
        from kafka.errors import KafkaError

        if when is None:
            return
        try:
            for partition in sorted(self._producer.partitions_for(self.topic) or ()):
                self._producer.send(self.topic, value=tick_value(when), partition=partition)
                self.ticked += 1
        except KafkaError:
            pass

    def send_bytes(self, value: bytes | None, key: bytes | None = None) -> None:
        """Publish raw bytes, or a record without a value (used by tests and fault injection)."""
        self._send(key, value)

    def _send(self, key: bytes | None, value: bytes | None) -> None:
        """Hand one record to the producer. A record the producer refuses at once (no broker metadata within
        ``max_block_ms``, a full buffer) counts as failed; raises ``PublishError`` then."""
        from kafka.errors import KafkaError

        self.sent += 1
        try:
            future = self._producer.send(self.topic, key=key, value=value)
        except KafkaError as exc:
            self.failed += 1
            raise PublishError(f"the broker at {self.settings.bootstrap} did not take a record: {exc}") from None
        future.add_callback(self._on_ack).add_errback(self._on_error)

    def _on_ack(self, _metadata: Any) -> None:
        self.acked += 1

    def _on_error(self, exc: BaseException) -> None:
        self.failed += 1

    def flush(self, timeout: float = 60.0) -> None:
        from kafka.errors import KafkaError

        if self._clock is not None:
            self._tick(self._clock.due(time.monotonic(), final=True))
        try:
            self._producer.flush(timeout=timeout)
        except KafkaError:  # timed out: what is not acknowledged by now counts as failed
            self.failed = max(self.failed, self.sent - self.acked)
        if self.failed:
            raise PublishError(f"{self.failed} of {self.sent} records were not acknowledged by the broker")

    def close(self, timeout: float = 10.0) -> None:
        try:
            self._producer.close(timeout=timeout)
        except Exception:  # noqa: BLE001 - closing a producer whose broker is gone: nothing more to lose
            pass
