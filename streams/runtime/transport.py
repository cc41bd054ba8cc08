"""Consumer tuning Faust does not expose as a setting.

Faust creates its worker consumer with ``fetch_max_wait_ms=1500``. A broker answers a fetch on an empty
partition after at most that long, and should answer as soon as data arrives; the embedded broker (Tansu)
does not (a waiting fetch is not woken by a produce), so every stage would add up to 1.5 s of latency.
A shorter wait costs a few more empty fetch requests per second and changes nothing else.
"""
from __future__ import annotations

from typing import Any

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_create_worker_consumer = AIOKafkaConsumerThread._create_worker_consumer


def set_fetch_max_wait(wait_ms: int) -> None:
    """Make every Faust worker consumer created from now on use ``wait_ms`` as its fetch wait."""

    def create(self: AIOKafkaConsumerThread, transport: Any) -> Any:
        consumer = _create_worker_consumer(self, transport)
        consumer._fetch_max_wait_ms = wait_ms  # read by consumer.start() when it builds its fetcher
        return consumer

    AIOKafkaConsumerThread._create_worker_consumer = create  # type: ignore[method-assign]
