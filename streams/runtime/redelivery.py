"""Redelivery skipping and takeover: whether the worker processes a record of a stage's input partition.

A record already folded into the local state (redelivered after a rebalance) is skipped; a partition this worker
has not got the state of (taken over after a crash or a rebalance) is rebuilt from its start first
(streams/runtime/rebuild.py: the input topic is the changelog).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from streams.runtime.rebuild import Progress, fold_partition
from streams.settings import Settings

log = logging.getLogger(__name__)
Fold = Callable[[list[bytes]], Awaitable[None]]


class Redelivery:
    """The last offset applied per input partition, and the rebuild of a partition taken over."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.progress = Progress()
        self.generation: int | None = None

    def assigned(self, owned: set[tuple[str, int]], generation: int) -> None:
        """A new assignment (consumer group ``generation``): the state of a partition is kept only if this worker
        held it in the previous generation too. A gap in the generations (this worker was dropped from the group,
        say a pause longer than the session timeout, and joined again) means its partitions may have been
        processed elsewhere in between: all are rebuilt before their next record."""
        continuous = self.generation is not None and generation == self.generation + 1
        if self.generation is not None and not continuous:
            log.info("group generation %s after %s: rebuilding the state of every partition before its next "
                     "record", generation, self.generation)
        self.progress.keep(owned if continuous else set())
        self.generation = generation

    def forget(self, partitions: set[tuple[str, int]]) -> None:
        """Records of these partitions were processed but their outputs not sent: rebuild before the next one."""
        self.progress.keep(set(self.progress.applied) - partitions)

    async def ready(self, topic: str, partition: int, offset: int, make_fold: Callable[[], Fold],
                    rebuilt: Callable[[], None] | None = None) -> bool:
        """Whether to process this record: rebuild the partition's state first if this worker has not got it
        (``make_fold`` drops the old state and gives the fold; ``rebuilt`` is called after it), skip records
        already folded into it (redelivered after a rebalance)."""
        verdict = self.progress.verdict(topic, partition, offset)
        if verdict == "skip":
            return False
        if verdict == "rebuild":
            log.info("taking over %s[%d] at offset %d: rebuilding its state", topic, partition, offset)
            await fold_partition(self.settings, topic, partition, offset, make_fold())
            if rebuilt is not None:
                rebuilt()
        self.progress.done(topic, partition, offset)
        return True

    async def ready_messages(self, events: list[Any], make_fold: Callable[[int], Fold],
                             rebuilt: Callable[[], None] | None = None) -> list[Any]:
        """The messages of a batch of stream events to process, in order (``ready`` for each; ``make_fold``
        gets the partition)."""
        messages = []
        for event in events:
            m = event.message
            if await self.ready(m.topic, m.partition, m.offset, partial(make_fold, m.partition), rebuilt):
                messages.append(m)
        return messages
