"""streams/runtime/transport.py: the worker consumer's fetch wait comes from the settings, not Faust's 1.5 s."""
from __future__ import annotations

import asyncio

import faust

from streams.runtime.transport import set_fetch_max_wait


def test_worker_consumer_uses_the_configured_fetch_wait():
    set_fetch_max_wait(42)
    loop = asyncio.new_event_loop()
    try:
        app = faust.App("transport-test", broker="kafka://127.0.0.1:1", autodiscover=False, loop=loop)
        thread = app.consumer._new_consumer_thread()
        assert loop.run_until_complete(_fetch_wait(thread, app)) == 42
    finally:
        loop.close()


async def _fetch_wait(thread, app) -> int:
    consumer = thread._create_worker_consumer(app.transport)
    await consumer.stop()
    return consumer._fetch_max_wait_ms
