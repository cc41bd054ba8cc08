"""streams/transport.py: the worker consumer's fetch wait comes from the settings, not Faust's 1.5 s."""
from __future__ import annotations

import asyncio

import faust

from streams.transport import set_fetch_max_wait


def test_worker_consumer_uses_the_configured_fetch_wait():
    async def build() -> int:
        app = faust.App("transport-test", broker="kafka://127.0.0.1:1", autodiscover=False)
        thread = app.consumer._new_consumer_thread()
        consumer = thread._create_worker_consumer(app.transport)
        return consumer._fetch_max_wait_ms

    set_fetch_max_wait(42)
    assert asyncio.run(build()) == 42
