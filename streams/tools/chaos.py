"""`streams chaos`: fault injection against the embedded broker and real worker processes, with a reconciliation.

Every scenario publishes records to a fresh set of topics, lets a real ``streams worker`` process them (killing
it with SIGKILL where the scenario says so), then reads back the raw topic, the enriched topic and the
dead-letter topic. Enriched records and dead letters carry the raw partition and offset they answer
(``raw``), so each raw record can be reconciled: it must end as one enriched record with a decision, one
enriched record marked ``replay`` (a recognised replay), or one dead letter with a reason.

Columns: ``in`` raw records; ``enriched``, ``replays``, ``dead`` raw records with that one outcome; ``lost``
raw records with no outcome; ``duplicates`` output records beyond one per raw record (at-least-once
redeliveries after a crash, each identical to the first: a consumer drops them by id and ``version``);
``ambiguous`` raw records with two different outcomes, plus outputs that name no raw record. In the JSON,
``droppable`` counts the duplicates a consumer recognises without any state of ours: an enriched record whose
(``id``, ``version``) it has seen, a dead letter whose ``raw`` it has seen; it equals ``duplicates`` when
every duplicate is recognisable.
"""
from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from streams.runtime.topics import unique_names
from streams.settings import Settings, load

GOOD_PARAGRAPH = ('The council of {town} voted on plan number {n} on Monday. "We will build the depot number {n} by '
                  'spring," said Councillor Marie Dupont. It would cost {n} million euros, according to the Ministry '
                  'of Finance. ')
TOWNS = ("Lyon", "Porto", "Gdansk", "Tartu", "Cork", "Aarhus", "Brno", "Ghent", "Bergen", "Turin", "Leeds", "Graz")
START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


# -- what the scenarios publish ------------------------------------------------------------------------------
def good(n: int, prefix: str = "good", hours: float = 1.0, **extra: object) -> dict:
    """A small, distinct, valid article published ``n * hours`` after ``START`` (fictional outlets)."""
    town = TOWNS[n % len(TOWNS)]
    record: dict[str, object] = {"id": f"{prefix}-{n:04d}", "title": f"{town} council votes on plan {n}",
              "text": (f"The city council of {town} voted on plan number {n} for the depot. Councillor {n} said the "
                       f"work would start in spring and cost {n + 3} million euros. District {n % 17} asked for "
                       "a public hearing."),
              "source": f"outlet{n % 9}.example", "url": f"https://outlet{n % 9}.example/{prefix}-{n}",
              "published": (START + timedelta(hours=n * hours)).isoformat()}
    record.update(extra)
    return record


def sized(ident: str, size: int) -> bytes:
    """A valid, quote-heavy article whose raw JSON is exactly ``size`` bytes."""
    record = {"id": ident, "title": f"A long council report {ident}", "source": "long.example",
              "published": START.isoformat(), "text": ""}
    parts, total, n = [], 0, 0
    while total < size:
        part = GOOD_PARAGRAPH.format(town=TOWNS[n % len(TOWNS)], n=n)
        parts.append(part)
        total += len(part)
        n += 1
    record["text"] = "".join(parts)
    record["text"] = record["text"][: len(record["text"]) - (len(orjson.dumps(record)) - size)]
    record["text"] += " " * (size - len(orjson.dumps(record)))
    return orjson.dumps(record)


def _json(**fields: object) -> bytes:
    return orjson.dumps(fields)


MALFORMED: dict[str, Callable[[int], bytes | None]] = {
    "not_json": lambda n: b"this is not json {" + str(n).encode(),
    "truncated": lambda n: b'{"title": "cut off %d", "text": "the record ends in the mid' % n,
    "html": lambda n: b"<html><body><p>page %d</p></body></html>" % n,
    "empty": lambda n: b"",
    "array": lambda n: b"[%d, 2, 3]" % n,
    "tombstone": lambda n: None,
    "title_not_text": lambda n: _json(id=f"ws-{n}", title=n, text="A body of text."),
    "no_title": lambda n: _json(id=f"mt-{n}", text=f"A body without a title {n}."),
    "blank_title": lambda n: _json(id=f"bt-{n}", title=" \n\t", text=f"A body with a blank title {n}."),
    "nul_title": lambda n: _json(id=f"nt-{n}", title="\x00\x00\x00", text=f"A body under NULs {n}."),
    # A body of invisible characters, or none, with a title that has words is a headline-only item (valid);
    # with a title without a single word there is nothing to tag: empty_body.
    "zero_width_body": lambda n: _json(id=f"zw-{n}", title="\u2026 " * (n + 1), text="\u200b\u200c\u200d\ufeff"),
    "control_body": lambda n: _json(id=f"cb-{n}", title="*" * (n + 1), text="\x01\x02\x1b\x7f"),
    "no_body": lambda n: _json(id=f"eb-{n}", title="-" * (n + 1)),
    "latin1": lambda n: f'{{"id": "l1-{n}", "title": "Café {n}", "text": "Naïve façade {n}"}}'.encode("latin-1"),
    "utf16": lambda n: _json(id=f"u16-{n}", title="UTF-16", text=f"body {n}").decode().encode("utf-16"),
    "utf16le": lambda n: _json(id=f"u16le-{n}", title="UTF-16-LE", text=f"b {n}").decode().encode("utf-16-le"),
    "binary": lambda n: b"\x89PNG\r\n\x1a\n" + random.Random(n).randbytes(64 + n % 200),
    "too_large": lambda n: _json(id=f"tl-{n}", title="Huge", text="x" * 2_100_000),
}
POISONED_DATES = ("9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z", "0001-01-01", "2024-13-45T10:00:00Z",
                  "31/31/2031", "2025-03-01 " * 180_000, 12345)


Send = tuple[bytes | None, bytes | None]
"""(key, value) of one raw record."""


def article_send(record: dict) -> Send:
    record = {**record, "sent_at": time.time()}
    return record["id"].encode(), orjson.dumps(record)


# -- reading back and reconciling ----------------------------------------------------------------------------
@dataclass
class Tally:
    """Raw records and the outcomes naming them, read from the topics."""

    raw: set[tuple[int, int]] = field(default_factory=set)
    outcomes: dict[tuple[int, int], Counter] = field(default_factory=dict)
    stray: int = 0  # outputs that name no raw record
    reasons: Counter = field(default_factory=Counter)
    identities: Counter = field(default_factory=Counter)  # what a consumer dedupes by: (id, version) or raw

    def add_output(self, kind: str, value: bytes | None) -> None:
        if value is None:
            return
        record = orjson.loads(value)
        raw = record.get("raw")
        if kind == "dead":
            self.reasons[record.get("reason")] += 1
            outcome = f"dead:{record.get('reason')}"
            self.identities[("dead", tuple(raw or ()), record.get("reason"))] += 1
        else:
            outcome = "replay" if record.get("replay") else "enriched"
            self.identities[("enriched", record.get("id"), record.get("version"))] += 1
        if raw is None:
            self.stray += 1
            return
        self.outcomes.setdefault((int(raw[0]), int(raw[1])), Counter())[outcome] += 1

    @property
    def answered(self) -> int:
        return sum(1 for raw in self.raw if raw in self.outcomes)

    def row(self, scenario: str, seconds: float) -> dict:
        kinds: Counter = Counter()
        duplicates = ambiguous = 0
        for raw in self.raw:
            seen = self.outcomes.get(raw)
            if not seen:
                kinds["lost"] += 1
                continue
            if len(seen) > 1:
                ambiguous += 1
            (outcome, copies), = seen.most_common(1)
            kinds["dead" if outcome.startswith("dead:") else outcome] += 1
            duplicates += sum(seen.values()) - 1
        ambiguous += self.stray + sum(1 for raw in self.outcomes if raw not in self.raw)
        return {"scenario": scenario, "in": len(self.raw), "enriched": kinds["enriched"], "dead": kinds["dead"],
                "replays": kinds["replay"], "lost": kinds["lost"], "duplicates": duplicates, "ambiguous": ambiguous,
                "dead_reasons": dict(sorted(self.reasons.items())),
                "droppable": sum(n - 1 for n in self.identities.values()),
                "seconds": round(seconds, 1)}


class Reader:
    """Reads the raw, enriched and dead-letter topics from the start, incrementally (aiokafka, no group)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kinds = {settings.topic_raw: "raw", settings.topic_enriched: "enriched", settings.topic_dead: "dead"}
        self.tally = Tally()

    async def __aenter__(self) -> Reader:
        from aiokafka import AIOKafkaConsumer

        from streams.runtime.kafka_config import aiokafka_config
        self.consumer = AIOKafkaConsumer(enable_auto_commit=False, auto_offset_reset="earliest",
                                         max_partition_fetch_bytes=self.settings.producer_request_bytes,
                                         fetch_max_bytes=4 * self.settings.producer_request_bytes,
                                         **aiokafka_config(self.settings))
        await self.consumer.start()
        self.assigned: set = set()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def poll(self, seconds: float = 0.5) -> int:
        """Read what is there for up to ``seconds``; returns how many records came."""
        from streams.runtime.outputs import partitions_of

        wanted = await partitions_of(self.consumer, self.kinds)  # names its topics: Apache Kafka answers no other
        if wanted != self.assigned:
            if not wanted:
                await asyncio.sleep(0.2)
                return 0
            positions = {tp: await self.consumer.position(tp) for tp in self.assigned}
            self.consumer.assign(sorted(wanted))
            await self.consumer.seek_to_beginning(*sorted(wanted - self.assigned))
            for tp, offset in positions.items():
                self.consumer.seek(tp, offset)
            self.assigned = wanted
        got = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batches.items():
                kind = self.kinds[tp.topic]
                for record in records:
                    if kind == "raw":
                        self.tally.raw.add((tp.partition, record.offset))
                    else:
                        self.tally.add_output(kind, record.value)
                got += len(records)
            if not batches:
                break
        return got

    async def settle(self, expected: int, timeout: float, quiet: float = 3.0) -> Tally:
        """Read until ``expected`` raw records are all answered and nothing came for ``quiet`` s, or timeout."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < deadline:
            if await self.poll():
                last = time.monotonic()
            done = len(self.tally.raw) >= expected and self.tally.answered >= len(self.tally.raw)
            if done and time.monotonic() - last >= quiet:
                break
        return self.tally


# -- running a scenario --------------------------------------------------------------------------------------
@dataclass
class Site:
    """One scenario's topics, workers and logs on the shared embedded broker."""

    settings: Settings
    workdir: Path
    workers: list = field(default_factory=list)

    def start_worker(self, timeout: float = 120.0):
        from streams.tools.demo import Worker

        worker = Worker(self.settings, self.workdir / f"worker-{len(self.workers) + 1}.log").start()
        self.workers.append(worker)
        worker.wait_metrics(timeout=timeout)
        return worker

    def publish(self, sends: list[Send]) -> None:
        from streams.runtime.publish import Publisher

        publisher = Publisher(self.settings)
        try:
            for key, value in sends:
                publisher.send_bytes(value, key=key)
            publisher.flush()
        finally:
            publisher.close()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def site_settings(bootstrap: str, workdir: Path, **changes: object) -> Settings:
    from streams.brokers.tansu import free_port

    tag = uuid.uuid4().hex[:8]
    values = dict(bootstrap=bootstrap, app_id=f"chaos-{tag}", **unique_names(tag),
                  partitions=2, semantic=False, metrics_port=free_port(), web_port=free_port(),
                  data_dir=str(workdir / f"data-{tag}"))
    return load(env={}).replace(**{**values, **changes})


async def _run(site: Site, batches: list[list[Send]], kills: int, timeout: float) -> Tally:
    """Publish ``batches`` (all of them first), then kill the worker ``kills`` times while it processes, each
    time at a further share of the records answered, and start a new one (what a supervisor does)."""
    expected = 0
    for sends in batches:
        site.publish(sends)
        expected += len(sends)
    async with Reader(site.settings) as reader:
        for k in range(kills):
            target = expected * (k + 1) / (kills + 2)
            deadline = time.monotonic() + timeout
            while reader.tally.answered < target and time.monotonic() < deadline:
                await reader.poll()
            site.workers[-1].kill()
            await asyncio.to_thread(site.start_worker)
        return await reader.settle(expected, timeout)


def run_scenario(name: str, bootstrap: str, workdir: Path, timeout: float = 240.0) -> dict:
    from streams.brokers.tansu import ensure_topics

    build, changes, kills = SCENARIOS[name]
    settings = site_settings(bootstrap, workdir, **changes)
    ensure_topics(settings)
    site = Site(settings, workdir)
    started = time.monotonic()
    try:
        batches = build()
        site.start_worker()
        tally = asyncio.run(_run(site, batches, kills, timeout))
    finally:
        site.stop()
    return tally.row(name, time.monotonic() - started)


# -- the scenarios -------------------------------------------------------------------------------------------
def malformed() -> list[list[Send]]:
    """Every malformed kind, four of each, among 100 good articles; ids reused for another text."""
    sends: list[Send] = [article_send(good(n)) for n in range(100)]
    sends += [(f"bad-{kind}-{n}".encode(), make(n)) for kind, make in MALFORMED.items() for n in range(4)]
    random.Random(5).shuffle(sends)
    conflicts = [article_send({**good(n), "text": good(n)["text"] + " Another ending."}) for n in range(0, 100, 20)]
    return [sends, conflicts]


def untrusted_time() -> list[list[Send]]:
    """Good articles three hours apart over 25 days (beyond the two-week replay horizon), with poisoned dates
    and undated articles mixed in: none of them may make a good article too late."""
    sends: list[Send] = []
    for n in range(120):
        sends.append(article_send(good(n, hours=5.0)))
        if n % 10 == 5:
            sends.append(article_send(good(n, prefix="undated", published=None)))
        if n % 15 == 7:
            date = POISONED_DATES[(n // 15) % len(POISONED_DATES)]
            sends.append(article_send(good(n, prefix="poisoned", published=date)))
    return [sends]


def sizes() -> list[list[Send]]:
    """Valid articles of 1 MB, 1.5 MB and exactly max_record_bytes; one byte over; small ones around them."""
    limit = Settings().max_record_bytes
    sends = [article_send(good(n)) for n in range(10)]
    sends += [(b"size-1m", sized("size-1m", 1_000_000)), (b"size-1500k", sized("size-1500k", 1_500_000)),
              (b"size-at-limit", sized("size-at-limit", limit)), (b"size-over", sized("size-over", limit + 1))]
    sends += [article_send(good(n)) for n in range(10, 20)]
    return [sends]


def replays() -> list[list[Send]]:
    """A file spanning three years published once, then nine times again."""
    records = [good(n, prefix="multi", hours=14 * 24.0) for n in range(80)]
    return [[article_send(r) for r in records] for _ in range(10)]


def sigkill() -> list[list[Send]]:
    """600 good articles (some copied by another outlet), malformed records and replays; the worker is
    SIGKILLed twice while it processes them."""
    sends: list[Send] = []
    for n in range(600):
        sends.append(article_send(good(n, hours=0.1)))
        if n % 6 == 0:
            sends.append(article_send(good(n, hours=0.1, id=f"copy-{n:04d}", source="copies.example")))
        if n % 20 == 0:
            kind = list(MALFORMED)[(n // 20) % (len(MALFORMED) - 1)]  # all but the 2 MB one
            sends.append((f"bad-{kind}-{n}".encode(), MALFORMED[kind](n)))
    again = [article_send(good(n, hours=0.1)) for n in range(0, 600, 10)]
    return [sends, again]


SCENARIOS: dict[str, tuple[Callable[[], list[list[Send]]], dict, int]] = {
    "malformed": (malformed, {}, 0),
    "untrusted_time": (untrusted_time, {}, 0),
    "sizes": (sizes, {}, 0),
    "replays": (replays, {}, 0),
    "sigkill": (sigkill, {}, 2),
}


# -- the command ---------------------------------------------------------------------------------------------
COLUMNS = ("scenario", "in", "enriched", "dead", "replays", "lost", "duplicates", "ambiguous", "seconds")


def table(rows: list[dict]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) if c == "scenario" else c.rjust(widths[c]) for c in COLUMNS)]
    for row in rows:
        lines.append("  ".join(str(row[c]).ljust(widths[c]) if c == "scenario" else str(row[c]).rjust(widths[c])
                               for c in COLUMNS))
    return "\n".join(lines)


def ok(row: dict) -> bool:
    return row["lost"] == 0 and row["ambiguous"] == 0 and row["in"] > 0


def main(argv: list[str] | None = None) -> int:
    from streams.tools.cli import Parser  # a bad flag is one error line

    parser = Parser(prog="streams chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated, from: {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--timeout", type=float, default=240.0, help="per scenario, seconds")
    parser.add_argument("--broker", choices=("tansu", "kafka"), default="tansu",
                        help="tansu: the embedded broker (default); kafka: Apache Kafka from the jars of `make kafka`")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        print(f"error: unknown scenario {', '.join(unknown) or '(none)'} (known: {', '.join(SCENARIOS)})",
              file=sys.stderr)
        return 2
    from streams.brokers.tansu import BrokerError, local_broker

    rows = []
    with tempfile.TemporaryDirectory(prefix="streams-chaos-") as tmp:
        try:
            broker = local_broker(args.broker, Path(tmp)).start()
        except BrokerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        try:
            if not args.json:
                print(f"chaos: {broker.describe} on {broker.bootstrap}", file=sys.stderr, flush=True)
            for name in names:
                if not args.json:
                    print(f"chaos: running {name} ...", file=sys.stderr, flush=True)
                rows.append(run_scenario(name, broker.bootstrap, Path(tmp), args.timeout))
        finally:
            broker.stop()
    passed = all(ok(r) for r in rows)
    if args.json:
        print(orjson.dumps({"broker": broker.describe, "rows": rows, "ok": passed}).decode())
    else:
        print(table(rows))
        print(f"chaos: {'0 lost, every raw record answered once' if passed else 'FAILED: records lost or ambiguous'}")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
