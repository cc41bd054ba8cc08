"""Small JSON values kept compressed in memory (a held article's evidence, a story member's verdict).

zlib's one-shot ``compress`` sets up its full 256 KB hash tables for every call: ~65 µs for a value of half a
kilobyte, most of a held article's cost. ``memLevel=1`` keeps the tables small (~12 µs); the values are a few
hundred bytes, so they compress to the same size, and ``zlib.decompress`` reads them as any zlib stream."""
from __future__ import annotations

import zlib
from typing import Any

import orjson

LEVEL = 1
MEM_LEVEL = 1


def pack(value: Any) -> bytes:
    """``value`` as compressed JSON."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, MEM_LEVEL)
    return packer.compress(orjson.dumps(value)) + packer.flush()


def unpack(packed: bytes) -> Any:
    return orjson.loads(zlib.decompress(packed))
