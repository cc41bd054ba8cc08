"""Candidate keys -> the held articles that have them, stored compactly.

A match index holds ~15-50 keys per article (exact key, LSH bands, quote or embedding buckets), most of
them held by that article alone. As ``dict[str, set[str]]`` that took ~6 KB an article (a set per key,
the key strings, a list of them per article). Here a key is a stable 64-bit hash in an open-addressing
table of two flat arrays (hash, holder slot): 12 bytes a cell at a load of 0.4 to 0.6, ~25 bytes a
key; an article's own keys are one ``bytes`` of packed hashes (to remove it). A 64-bit collision would
only add a candidate pair; the pair rule still decides.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable

from streams.core.match.keys import key_hash

EMPTY, GONE = 0, 1  # cell markers; ``key_hash`` never returns them
MIN_CELLS = 1024
MAX_LOAD = 0.6  # live + removed cells, before the table is rebuilt
CELLS_PER_ENTRY = 2.5  # after a rebuild


def pack(keys: Iterable[str]) -> bytes:
    """An article's keys as packed 64-bit hashes (8 bytes a key), each once."""
    return array("Q", dict.fromkeys(key_hash(k) for k in keys)).tobytes()


def unpack(packed: bytes) -> list[int]:
    hashes = array("Q")
    hashes.frombytes(packed)
    return hashes.tolist()


class KeyIndex:
    """A multimap from key hashes to holder ids (linear probing; removal leaves a marker)."""

    def __init__(self) -> None:
        self._hashes = array("Q", bytes(8 * MIN_CELLS))
        self._slots = array("i", bytes(4 * MIN_CELLS))
        self._ids: list[str | None] = []  # holder id per slot
        self._slot_of: dict[str, int] = {}
        self._free: list[int] = []
        self._live = 0
        self._filled = 0  # live + removed

    def __len__(self) -> int:
        """Keys held (a key with several holders counts once per holder)."""
        return self._live

    def holders(self, key: str) -> list[str]:
        return self._holders(key_hash(key))

    def holders_of(self, packed: bytes) -> set[str]:
        """Everyone holding any of the packed keys (``pack``)."""
        return {holder for h in unpack(packed) for holder in self._holders(h)}

    def _holders(self, h: int) -> list[str]:
        ids = self._ids
        hashes, slots, cells = self._hashes, self._slots, len(self._hashes)
        out = []
        i = h % cells
        while hashes[i] != EMPTY:
            holder = ids[slots[i]] if hashes[i] == h else None
            if holder is not None:
                out.append(holder)
            i = i + 1 if i + 1 < cells else 0
        return out

    def add(self, packed: bytes, holder: str) -> None:
        slot = self._slot(holder)
        for h in unpack(packed):
            self._insert(h, slot)
        if self._filled > MAX_LOAD * len(self._hashes):
            self._rebuild()

    def remove(self, packed: bytes, holder: str) -> None:
        slot = self._slot_of.pop(holder, None)
        if slot is None:
            return
        hashes, slots, cells = self._hashes, self._slots, len(self._hashes)
        for h in unpack(packed):
            i = h % cells
            while hashes[i] != EMPTY:
                if hashes[i] == h and slots[i] == slot:
                    hashes[i] = GONE
                    self._live -= 1
                    break
                i = i + 1 if i + 1 < cells else 0
        self._ids[slot] = None
        self._free.append(slot)

    def _slot(self, holder: str) -> int:
        if holder in self._slot_of:
            return self._slot_of[holder]
        if self._free:
            slot = self._free.pop()
            self._ids[slot] = holder
        else:
            slot = len(self._ids)
            self._ids.append(holder)
        self._slot_of[holder] = slot
        return slot

    def _insert(self, h: int, slot: int) -> None:
        hashes, slots, cells = self._hashes, self._slots, len(self._hashes)
        i = h % cells
        while hashes[i] > GONE:
            i = i + 1 if i + 1 < cells else 0
        self._filled += hashes[i] == EMPTY
        hashes[i], slots[i] = h, slot
        self._live += 1

    def _rebuild(self) -> None:
        """A fresh table sized for the live entries: drops the removal markers."""
        live = [(h, s) for h, s in zip(self._hashes, self._slots) if h > GONE]
        cells = max(MIN_CELLS, int(CELLS_PER_ENTRY * len(live)))
        self._hashes, self._slots = array("Q", bytes(8 * cells)), array("i", bytes(4 * cells))
        self._live = self._filled = 0
        for h, slot in live:
            self._insert(h, slot)
