"""streams/vectors.py: exact cosine search over a growable, removable set of unit vectors."""
from __future__ import annotations

import numpy as np
import pytest

from streams.vectors import VectorStore


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


E = np.eye(4, dtype=np.float32)


def test_empty_store():
    store = VectorStore(4)
    assert len(store) == 0 and store.nbytes == 0
    assert store.search(E[0], 0.0) == []
    assert store.get("missing") is None and "missing" not in store


def test_search_returns_ids_above_threshold_best_first():
    store = VectorStore(4)
    store.add("x", E[0])
    store.add("near-x", unit(1, 0.3, 0, 0))
    store.add("between", unit(1, 1, 0, 0))
    store.add("y", E[1])
    found = store.search(E[0], 0.5)
    assert [key for key, _ in found] == ["x", "near-x", "between"]
    assert found[0][1] == pytest.approx(1.0, abs=1e-3)
    assert found[2][1] == pytest.approx(0.7071, abs=1e-3)
    assert store.search(E[0], 0.5, limit=2) == found[:2]
    assert store.search(E[2], 0.5) == []


def test_add_existing_key_replaces_its_vector():
    store = VectorStore(4)
    store.add("a", E[0])
    store.add("a", E[1])
    assert len(store) == 1
    assert store.search(E[0], 0.5) == []
    assert [k for k, _ in store.search(E[1], 0.5)] == ["a"]


def test_remove_keeps_the_other_rows_findable():
    store = VectorStore(4)
    for i, key in enumerate("abcd"):
        store.add(key, E[i])
    store.remove("a")  # the last row moves into its place
    store.remove("not-there")
    assert len(store) == 3 and "a" not in store
    assert store.search(E[0], 0.5) == []
    for i, key in enumerate("bcd", start=1):
        assert [k for k, _ in store.search(E[i], 0.5)] == [key]
        np.testing.assert_allclose(store.get(key), E[i])
    assert store.nbytes == 3 * 4 * 2  # float16 rows


def test_store_grows_past_its_capacity():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = VectorStore(8, capacity=2)
    for i, vector in enumerate(vectors):
        store.add(f"v{i}", vector)
    assert len(store) == 50
    for i in (0, 1, 2, 17, 49):
        assert store.search(vectors[i], 0.0, limit=1)[0][0] == f"v{i}"
    for i in range(0, 50, 2):
        store.remove(f"v{i}")
    assert len(store) == 25
    assert all(store.search(vectors[i], 0.0, limit=1)[0][0] == f"v{i}" for i in range(1, 50, 2))
    assert all(store.search(vectors[i], 0.999) == [] for i in range(0, 50, 2))
