"""What travels between the stages, one class per message (the codec is streams/core/wire.py).

    raw topic       an article as the publisher sent it (streams/core/model.py ``parse_raw``), or a tick
                    (streams/core/ticks.py)
    keyed topic     Batch of Keyed (per input batch, one record per keyed partition: the fingerprints of the
                    batch's articles whose candidate keys go there); an Idle here (written by earlier versions)
                    is read and ignored
    resolve topic   Batch of Registration (one record per input batch of prepare, one item per article, then
                    a Tick per raw partition that had one), Batch of Report (one record per input batch of
                    match, one item per keyed record), Idle
    outputs         enriched articles, stories, events, aggregates (streams/core/pipeline.py ``outputs``)
    dead letters    DeadLetter

Every message is JSON with a ``type`` field naming its class (``TYPE``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from streams.core.match.decision import Decision
from streams.core.match.held import Fingerprint
from streams.core.match.watermark import Mark
from streams.core.model import Article
from streams.core.prepare.extract import Facts


@dataclass(slots=True)
class Keyed:
    """An article's fingerprint on a keyed partition, with the candidate keys that partition owns."""

    TYPE: ClassVar[str] = "keyed"
    fp: Fingerprint
    keys: list[str]
    text_key: str  # of the raw title and text: tells a replay from an id reused for other text
    mark: Mark  # the raw partition the article came from and that partition's event-time progress


@dataclass(slots=True)
class Registration:
    """An article announced to the resolver, with the keyed partitions that will report on it."""

    TYPE: ClassVar[str] = "article"
    article: Article  # without its text: the stages after preparation do not need it
    text_key: str
    mark: Mark
    raw: tuple[int, int] | None  # the raw partition and offset it was read from
    cleaned: str
    facts: Facts
    embedding: np.ndarray | None
    partitions: list[int]


@dataclass(slots=True)
class Report:
    """One keyed partition's verdicts on an article."""

    TYPE: ClassVar[str] = "report"
    article_id: str
    text_key: str
    timestamp: float
    partition: int  # the keyed partition reporting
    source: int | None  # the article's raw partition
    links: list[Decision]
    seconds: float = 0.0  # the partition's match time


@dataclass(slots=True)
class Idle:
    """A raw partition was read to its end and went quiet: it stops holding back the resolver's placement until
    it gets data again. Sent to the resolve topic only (match state never expires on it)."""

    TYPE: ClassVar[str] = "idle"
    source: int  # the raw partition


@dataclass(slots=True)
class Tick:
    """A publisher promised that raw partition ``source`` gets no article published before ``when``: it moves that
    partition's mark as an article of that time would (streams/core/ticks.py). Sent to the resolve topic."""

    TYPE: ClassVar[str] = "tick"
    source: int  # the raw partition
    when: float  # POSIX seconds


@dataclass(slots=True)
class DeadLetter:
    """A record the pipeline could not process, with the reason; the copy of its value may be cut."""

    TYPE: ClassVar[str] = "dead"
    reason: str
    detail: str
    at: float
    raw: tuple[int, int] | None = None  # the raw partition and offset the record goes back to, if known
    value: str | None = None
    value_bytes: int | None = None
    value_truncated: bool | None = None


@dataclass(slots=True)
class Batch:
    """Several messages of one stage's input batch in one record, in order (what a record holds between the
    stages; an idle notice travels alone). A batch larger than ``internal_record_bytes`` is several records."""

    TYPE: ClassVar[str] = "batch"
    items: list[Keyed | Registration | Report | Tick]


KeyedMessage = Keyed | Idle
ResolveMessage = Registration | Report | Idle | Tick
Message = Keyed | Registration | Report | Idle | Tick | DeadLetter | Batch
MESSAGES: dict[str, Any] = {kind.TYPE: kind for kind in (Keyed, Registration, Report, Idle, Tick, DeadLetter,
                                                          Batch)}
