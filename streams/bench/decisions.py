"""Every decision of the in-process pipeline on the bench stream, one JSON line per article, and the comparison
of two such dumps: a change meant to leave every decision alone (a speed-up) is checked article by article.

    python -m streams.bench.decisions dump --articles 2000 --semantic off OUT.jsonl
    python -m streams.bench.decisions compare BEFORE.jsonl AFTER.jsonl

To dump what another checkout decides, run this file with that checkout first on the path
(``PYTHONPATH=../other python streams/bench/decisions.py dump ...``): it imports only ``streams`` modules
that checkout has. A line holds the enriched record (decision, evidence, facts, story and event ids), the
event assignment (score and why), the aggregates and the event record, all but the wall-clock fields the
stream generator stamps (``seen_at``, ``sent_at``) and ``processed_at``.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

CLOCK_FIELDS = ("seen_at", "sent_at", "processed_at")
"""Set from the wall clock when the stream is generated or processed: not decisions."""
BATCH = 32


def decisions(settings: Any, records: Sequence[dict], batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """What ``Pipeline.process_batch`` decided for each record, in order (batches as ``bench --micro``)."""
    from streams.core.model import BadRecord, parse_article
    from streams.core.pipeline import Pipeline

    pipeline = Pipeline(settings)
    articles = [parse_article(r) for r in records]
    for start in range(0, len(articles), batch):
        for result in pipeline.process_batch(articles[start:start + batch]):
            if isinstance(result, BadRecord):
                yield {"bad": str(result)}
                continue
            line = result.enriched()
            for name in CLOCK_FIELDS:
                line.pop(name, None)
            line["assignment"] = dataclasses.asdict(result.assignment) if result.assignment else None
            line["aggregates"] = result.aggregates
            line["event"] = result.event.as_dict() if result.event else None  # as it stands after the batch
            yield line


def compare(before: Sequence[dict], after: Sequence[dict]) -> tuple[Counter, dict[str, tuple[int, Any, Any]]]:
    """Per field, how many articles differ, and the first difference of each (index, before, after)."""
    differing: Counter = Counter()
    first: dict[str, tuple[int, Any, Any]] = {}
    for index, (a, b) in enumerate(zip(before, after)):
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                differing[name] += 1
                first.setdefault(name, (index, a.get(name), b.get(name)))
    if len(before) != len(after):
        differing["articles"] = abs(len(before) - len(after))
        first["articles"] = (min(len(before), len(after)), len(before), len(after))
    return differing, first


def _read(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _dump(args: argparse.Namespace) -> int:
    from streams.bench.run import DEFAULT_DATASET, ROOT
    from streams.bench.stream import generate, load_pool
    from streams.settings import load

    seeds = ROOT / "seeds"
    settings = load(semantic=args.semantic == "on")
    if not settings.catalog and (seeds / "catalog.yaml").is_file():
        settings = settings.replace(catalog=str(seeds / "catalog.yaml"))
    dataset = DEFAULT_DATASET if DEFAULT_DATASET.is_file() else None
    records, _ = generate(args.articles, load_pool(seeds, dataset), seed=args.seed)
    kinds: Counter = Counter()
    with open(args.out, "wb") as out:
        for line in decisions(settings, records):
            kinds[line.get("duplicate_kind") or ("bad" if "bad" in line else "new")] += 1
            out.write(orjson.dumps(line, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str) + b"\n")
    print(f"{sum(kinds.values())} articles to {args.out}: {dict(kinds)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    before, after = _read(Path(args.before)), _read(Path(args.after))
    differing, first = compare(before, after)
    if not differing:
        print(f"the same decisions: {len(after)} articles, every field equal")
        return 0
    print(f"{len(after)} articles; fields that differ (articles): {dict(differing)}")
    for name, (index, a, b) in first.items():
        print(f"  {name}: first at article {index}: {str(a)[:200]} -> {str(b)[:200]}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.bench.decisions", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("dump", help="every decision on the bench stream, one JSON line per article")
    dump.add_argument("--articles", type=int, default=2000)
    dump.add_argument("--semantic", choices=("on", "off"), default="off")
    dump.add_argument("--seed", type=int, default=7)
    dump.add_argument("out")
    both = commands.add_parser("compare", help="exit 1 and say what differs when two dumps differ")
    both.add_argument("before")
    both.add_argument("after")
    args = parser.parse_args(argv)
    return _dump(args) if args.command == "dump" else _compare(args)


if __name__ == "__main__":
    sys.exit(main())
