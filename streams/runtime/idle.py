"""The idle protocol: tell the later stages when a raw partition was read to its end and went quiet.

An idle raw partition stops holding back the resolver's placement until it gets data again. The notice is one
message (``Idle``, streams/core/messages.py) on the resolve topic; being a record there, it takes effect at the
same point when the resolver's state is rebuilt. It goes to the resolver only: match state never expires on an
idle notice (streams/core/match/index.py), since a partition declared idle can still deliver older articles.
"""
from __future__ import annotations

import time
from typing import Any

from streams.core import wire
from streams.core.messages import Idle
from streams.runtime.rebuild import committed_offset
from streams.runtime.topics import RESOLVE_PARTITION
from streams.settings import Settings

IDLE_KEY = b"idle"


class IdleWatch:
    """Which raw partitions of this worker were read to their end and stayed quiet for ``idle_after_s``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.raw_done: dict[int, tuple[int, float]] = {}  # raw partition -> (last offset prepared, when)
        self.idle: set[int] = set()  # raw partitions declared idle
        self.resume: dict[int, int] = {}  # raw partition -> offset processing resumed from (this assignment)

    def prepared(self, partition: int, offset: int) -> None:
        """A raw record was prepared: its partition is busy."""
        self.raw_done[partition] = (offset, time.monotonic())
        self.idle.discard(partition)

    def assigned(self) -> None:
        """Partitions were (re)assigned: where each resumes is asked again."""
        self.resume.clear()

    async def newly_idle(self, consumer: Any) -> list[int]:
        """The raw partitions of this worker that went quiet since the last call (each declared once)."""
        now = time.monotonic()
        quiet = []
        for tp in consumer.assignment():
            if tp.topic != self.settings.topic_raw or tp.partition in self.idle:
                continue
            last = self.raw_done.get(tp.partition)
            try:
                highwater = consumer.highwater(tp)
                if highwater is not None and last is None:  # nothing prepared here since the worker took it:
                    start = await self.resume_offset(tp.topic, tp.partition)  # did it have anything left?
            except Exception:  # noqa: BLE001 - not fetched yet, or rebalancing: try again on the next tick
                continue
            if highwater is None:
                continue
            if last is None:
                if start >= highwater:
                    self.raw_done[tp.partition] = (start - 1, now)  # nothing left to prepare: start the quiet clock
                continue
            if last[0] + 1 < highwater or now - last[1] < self.settings.idle_after_s:
                continue
            self.idle.add(tp.partition)
            quiet.append(tp.partition)
        return quiet

    async def resume_offset(self, topic: str, partition: int) -> int:
        """Where this worker resumed a raw partition it was assigned (asked once per assignment)."""
        if partition not in self.resume:
            self.resume[partition] = await committed_offset(self.settings, topic, partition)
        return self.resume[partition]


async def announce(source: int, resolve_topic: Any) -> None:
    """Send the idle notice of raw partition ``source`` to the resolver."""
    await resolve_topic.send(key=IDLE_KEY, value=wire.encode(Idle(source)), partition=RESOLVE_PARTITION)
