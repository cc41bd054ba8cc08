"""Small JSON values kept compressed in memory (a held article's evidence, a story member's verdict).

zlib's one-shot ``compress`` at level 1. On the values the bench stream holds (a median of 400 bytes of JSON,
a mean of 900) it takes 33 µs a value and makes 401 bytes on average; a compressor with small tables
(``memLevel=1``, used for a while) took 61 µs and made 468 (docs/benchmarks.md, "Thread CPU of a worker")."""
from __future__ import annotations

import zlib
from typing import Any

import orjson

LEVEL = 1


def pack(value: Any) -> bytes:
    """``value`` as compressed JSON."""
    return zlib.compress(orjson.dumps(value), LEVEL)


def unpack(packed: bytes) -> Any:
    return orjson.loads(zlib.decompress(packed))
