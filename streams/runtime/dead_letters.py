"""Dead-letter policy: a record the worker cannot process goes to the dead-letter topic with its reason.

Nothing is dropped silently. The copy of the record is cut to ``DEAD_VALUE_BYTES`` (its full size is in
``value_bytes``): a dead letter must stay under the producer's 1 MB limit, however large or binary the bad record
was. A dead letter that cannot be sent is counted and logged, and does not stop the worker.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from streams.core import wire
from streams.core.messages import DeadLetter
from streams.core.model import BadRecord
from streams.runtime.metrics import PROMETHEUS

log = logging.getLogger(__name__)
DEAD_VALUE_BYTES = 65_536


def oversized(records: list[bytes], limit: int, overhead: int = 0) -> str:
    """Why records derived from one input cannot be sent (one, with ``overhead`` bytes around it, is over
    ``limit`` bytes), or ""."""
    largest = max((len(r) for r in records), default=0)
    if largest + overhead <= limit:
        return ""
    return (f"a record derived from it has {largest} bytes, more than the {limit} the worker sends "
            "(internal_record_bytes: 2 x max_record_bytes + 256 KB); nothing of it was sent")


def dead_letter(value: bytes | None, bad: BadRecord, raw: tuple[int, int] | None = None) -> DeadLetter:
    """The dead letter of a record: reason, detail, when, where it came from and a copy of its value."""
    letter = DeadLetter(bad.reason, bad.detail[:1000], time.time(), None if raw is None else (raw[0], raw[1]))
    if value is not None:
        letter.value = value[:DEAD_VALUE_BYTES].decode("utf-8", "replace")
        letter.value_bytes = len(value)
        letter.value_truncated = len(value) > DEAD_VALUE_BYTES
    return letter


class DeadLetters:
    """Sends dead letters to the dead-letter topic (a Faust topic)."""

    def __init__(self, topic: Any) -> None:
        self.topic = topic

    async def send(self, key: bytes | None, value: bytes | None, bad: BadRecord, raw: Any = None) -> None:
        """Send the record with its reason to the dead-letter topic."""
        PROMETHEUS.increment("dead_letters", reason=bad.reason)
        log.warning("dead letter: %s", bad)
        record = wire.encode_output(dead_letter(value, bad, raw))
        try:
            await self.topic.send(key=key[:1000] if key else key, value=record)
        except Exception as exc:  # noqa: BLE001 - a dead letter that cannot be sent must not stop the worker
            PROMETHEUS.increment("dead_letters", reason="dead_letter_failed")
            log.error("could not send a dead letter (%s): %s", bad.reason, exc)
