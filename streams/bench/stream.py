"""The benchmark's article stream: the seeds and a labelled dataset as originals, plus deterministic variants
(verbatim, trimmed and paraphrase-like copies attributed to fictional outlets) published hours to days later,
so dedup, the story window and events have real work. Used by ``bench``, ``bench --long-run`` and tests."""
from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streams.bench.errors import BenchError
from streams.core.dates import read_date_or_none

MICRO_BATCH = 32
"""Articles per ``Pipeline.process_batch`` call when the stream runs in process (micro, long run)."""
ORIGINAL_SHARE = 0.4
"""At most this share of the generated articles are originals (limited by the pool); the rest are variants."""
VARIANT_KINDS = ("verbatim", "trimmed", "paraphrase")
VARIANT_WEIGHTS = (3, 3, 4)
VARIANT_DELAY_HOURS = {"verbatim": (0.05, 24.0), "trimmed": (0.5, 48.0), "paraphrase": (1.0, 110.0)}
"""Publication delay after the original; paraphrases reach past the default 72 h story window."""
TRIM_SHARE = 0.3
DEFAULT_SPAN_DAYS = 7.0
OUTLETS = tuple(f"{name}.example.org" for name in (
    "wire", "agency", "daily", "herald", "courier", "gazette", "tribune", "chronicle", "observer", "ledger",
    "post", "times", "journal", "monitor", "dispatch", "bulletin"))
"""Fictional outlets the generated copies are attributed to (never real ones)."""
SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "also": "additionally", "big": "large",
    "large": "big", "start": "beginning", "began": "started", "started": "began", "help": "assist",
    "many": "numerous", "after": "following", "before": "prior to", "about": "roughly", "near": "close to",
    "show": "indicate", "showed": "indicated", "shows": "indicates", "people": "individuals",
    "officials": "authorities", "killed": "left dead", "attack": "assault", "meeting": "talks",
    "important": "significant", "new": "fresh", "major": "key", "country": "nation", "city": "town",
    "called": "described", "warned": "cautioned", "more": "additional", "because": "since",
    "however": "but", "nearly": "almost", "almost": "nearly", "during": "throughout", "among": "amid",
}
_SENTENCE = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"])")

def load_pool(seeds: Path, dataset: Path | None) -> list[dict]:
    """Original articles: the seeds, then the dataset's (title, text, source, url, published)."""
    from streams.sources.files import open_source

    pool: list[dict] = []
    sources = [open_source(seeds)] + ([open_source(dataset)] if dataset is not None else [])
    for index, source in enumerate(sources):
        for record in source.records():
            if "_raw" in record or not isinstance(record.get("title"), str) or not isinstance(record.get("text"), str):
                continue
            if not record["title"].strip() or not record["text"].strip():
                continue
            published = read_date_or_none(record.get("published"))
            pool.append({"id": str(record.get("id") or f"pool-{len(pool)}"), "title": record["title"],
                         "text": record["text"], "source": str(record.get("source") or "unknown"),
                         "url": str(record.get("url") or ""),
                         "published": published or datetime(2024, 1, 1, tzinfo=UTC), "seed": index == 0})
    return pool


def _paragraphs(text: str) -> tuple[list[str], str]:
    separator = "\n\n" if "\n\n" in text else "\n"
    return [p for p in text.split(separator) if p.strip()], separator


def trimmed(text: str) -> str:
    """The text without its last 30% of paragraphs (at least one paragraph kept)."""
    paragraphs, separator = _paragraphs(text)
    keep = max(1, round(len(paragraphs) * (1 - TRIM_SHARE)))
    return separator.join(paragraphs[:keep])


def _reword(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    words = [SYNONYMS.get(w, w) if w in SYNONYMS and rng.random() < 0.7 else w for w in words]
    for _ in range(len(words) // 25):  # swap a few neighbouring words
        j = rng.randrange(len(words) - 1)
        words[j], words[j + 1] = words[j + 1], words[j]
    return " ".join(words)


def paraphrased(text: str, rng: random.Random) -> str:
    """Sentence order shuffled inside each paragraph, a few words replaced or swapped."""
    paragraphs, separator = _paragraphs(text)
    out = []
    for paragraph in paragraphs:
        sentences = _SENTENCE.split(paragraph.strip())
        rng.shuffle(sentences)
        out.append(" ".join(_reword(s, rng) for s in sentences))
    return separator.join(out)


def variant(base: dict, rng: random.Random, ident: str) -> dict:
    """A copy of ``base`` by another outlet: verbatim, trimmed or paraphrase-like (``kind``), published
    hours to days after it (``published`` stays a datetime)."""
    kind = rng.choices(VARIANT_KINDS, VARIANT_WEIGHTS)[0]
    outlet = rng.choice([o for o in OUTLETS if o not in base["source"]])
    low, high = VARIANT_DELAY_HOURS[kind]
    title, text = base["title"], base["text"]
    if kind == "trimmed":
        text = trimmed(text)
    elif kind == "paraphrase":
        title, text = _reword(title, rng), paraphrased(text, rng)
    return {"id": ident, "title": title, "text": text, "source": outlet, "url": f"https://{outlet}/bench/{ident}",
            "published": base["published"] + timedelta(hours=rng.uniform(low, high)), "kind": kind}


def generate(n: int, pool: Sequence[dict], seed: int = 7,
             span_days: float = DEFAULT_SPAN_DAYS) -> tuple[list[dict], Counter]:
    """``n`` raw article records (dicts as the replayer publishes them), sorted by publication time.

    With ``span_days`` > 0 the originals keep their order in time but are spread evenly over that
    many days (the pool covers years: left as is, a story window would hold one or two articles,
    unlike a live stream); 0 keeps the real publication dates."""
    if not pool:
        raise BenchError("no articles to build the benchmark from")
    rng = random.Random(seed)
    seeds = [r for r in pool if r.get("seed")]  # the seeds always come first among the originals
    rest = [r for r in pool if not r.get("seed")]
    order = seeds + rng.sample(rest, len(rest))
    n_orig = max(1, min(len(order), round(n * ORIGINAL_SHARE)))
    originals = order[:n_orig]
    mix: Counter = Counter(original=n_orig)
    records = [{k: v for k, v in r.items() if k != "seed"} for r in originals]
    if span_days > 0:
        start = min(r["published"] for r in records)
        step = timedelta(days=span_days) / max(1, len(records))
        for rank, record in enumerate(sorted(records, key=lambda r: r["published"])):
            record["published"] = start + rank * step
    for i in range(n - n_orig):
        copy = variant(rng.choice(records[:n_orig]), rng, f"bench-{i:06d}")
        records.append(copy)
        mix[copy.pop("kind")] += 1
    records.sort(key=lambda r: r["published"])
    for record in records:
        record["published"] = record["published"].isoformat()
    return records, mix
