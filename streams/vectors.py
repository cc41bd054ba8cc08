"""Exact cosine search over the unit vectors held in a time window (brute force with numpy).

A window of a few days holds tens of thousands of articles at most; a matrix
product over them takes milliseconds and needs no approximate index.
"""
from __future__ import annotations

import numpy as np


class VectorStore:
    """Rows of float16 unit vectors keyed by id, with O(1) removal (swap with the last row)."""

    def __init__(self, dim: int, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=np.float16)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    @property
    def nbytes(self) -> int:
        return len(self._ids) * self.dim * 2

    def add(self, key: str, vector: np.ndarray) -> None:
        if key in self._row:
            self._matrix[self._row[key]] = vector
            return
        if len(self._ids) == len(self._matrix):
            grown = np.zeros((len(self._matrix) * 2, self.dim), dtype=np.float16)
            grown[:len(self._ids)] = self._matrix[:len(self._ids)]
            self._matrix = grown
        self._row[key] = len(self._ids)
        self._matrix[len(self._ids)] = vector
        self._ids.append(key)

    def get(self, key: str) -> np.ndarray | None:
        row = self._row.get(key)
        return None if row is None else self._matrix[row].astype(np.float32)

    def remove(self, key: str) -> None:
        row = self._row.pop(key, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._matrix[row] = self._matrix[last]
            self._ids[row] = moved
            self._row[moved] = row
        self._ids.pop()

    def search(self, vector: np.ndarray, min_score: float, limit: int = 10) -> list[tuple[str, float]]:
        """Ids whose cosine with ``vector`` is at least ``min_score``, best first."""
        if not self._ids:
            return []
        scores = self._matrix[:len(self._ids)].astype(np.float32) @ vector.astype(np.float32)
        rows = np.nonzero(scores >= min_score)[0]
        rows = rows[np.argsort(-scores[rows])][:limit]
        return [(self._ids[r], float(scores[r])) for r in rows]
