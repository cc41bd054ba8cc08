"""streams/core/prepare/semantic.py: the embedding cache runs the model once per distinct recent text."""
from __future__ import annotations

import numpy as np

from streams.core.prepare.semantic import CachedEmbedder


class CountingModel:
    dim = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def load(self) -> None:
        self.loaded = True

    def encode(self, texts):
        self.seen += list(texts)
        return np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32)


def test_repeated_texts_reach_the_model_once_and_get_the_same_vector():
    model = CountingModel()
    cache = CachedEmbedder(model, size=10)
    first = cache.encode(["lead a", "other", "lead a"])
    again = cache.encode(["other", "new one"])
    assert model.seen == ["lead a", "other", "new one"]
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], again[0])
    assert first.shape == (3, 3) and cache.hits == 2


def test_cache_keeps_only_the_most_recent_texts():
    model = CountingModel()
    cache = CachedEmbedder(model, size=2)
    cache.encode(["a", "b"])
    cache.encode(["a"])  # refreshes "a"
    cache.encode(["c"])  # evicts "b", the least recently used
    cache.encode(["a", "b"])
    assert model.seen == ["a", "b", "c", "b"]
    assert cache.encode([]).shape == (0, 3)


def test_loading_the_cache_loads_its_model():
    model = CountingModel()
    CachedEmbedder(model, size=10).load()
    assert model.loaded and model.seen == []
