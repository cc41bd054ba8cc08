"""The reference a user would write instead of the pipeline: a plain single-process near-duplicate script.

datasketch ``MinHashLSH`` (128 permutations, threshold 0.5) over the 5-word shingles of each article's
title and text, one article at a time: sketch it, ask the index for earlier near-duplicates, insert it.
No cleaning, no facts, no stories or events. The bench times it over the same articles as the pipeline
and reports the pipeline's throughput as a multiple of it, so the figure holds across machines that
differ 2-3x in raw speed.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 5
THRESHOLD = 0.5
_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """The word k-grams of a text (lowercased), as bytes for MinHash; a text under k words is one shingle."""
    tokens = _WORD.findall(text.lower())
    if len(tokens) < k:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i:i + k]).encode() for i in range(len(tokens) - k + 1)}


def near_duplicates(records: Sequence[dict[str, Any]]) -> list[str | None]:
    """For each record in order, the id of an earlier record the LSH index calls a near-duplicate, or None."""
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    out: list[str | None] = []
    for index, record in enumerate(records):
        sketch = MinHash(num_perm=NUM_PERM)
        sketch.update_batch(list(shingles(f"{record['title']}\n{record['text']}")))
        found = lsh.query(sketch)
        out.append(str(records[min(found)]["id"]) if found else None)
        lsh.insert(index, sketch)
    return out


def run_reference(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Time the reference script over the records: articles/s and how many it called duplicates."""
    cpu_start, start = time.process_time(), time.perf_counter()
    found = near_duplicates(records)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    n = len(records)
    return {"script": f"datasketch MinHashLSH, {NUM_PERM} permutations, {SHINGLE_WORDS}-word shingles, "
                      f"threshold {THRESHOLD}",
            "articles": n, "seconds": round(seconds, 3),
            "articles_per_s": round(n / seconds, 2) if seconds > 0 else None,
            "cpu_ms_per_article": round(1000 * cpu / n, 3) if n else None,
            "duplicates": sum(f is not None for f in found)}


def ratio(pipeline_per_s: float | None, reference: dict[str, Any]) -> float | None:
    """The pipeline's throughput as a multiple of the reference's (None when either is unknown)."""
    base = reference.get("articles_per_s")
    return round(pipeline_per_s / base, 3) if pipeline_per_s and base else None


def cpu_ratio(pipeline_cpu_ms: float | None, reference: dict[str, Any]) -> float | None:
    """The same multiple by CPU time per article (in process): steadier than wall time on a shared machine."""
    base = reference.get("cpu_ms_per_article")
    return round(base / pipeline_cpu_ms, 3) if pipeline_cpu_ms and base else None
