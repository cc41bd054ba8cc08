"""Offline evaluation on labelled data: clustering/pair scores, dataset loaders and the ``eval`` runners.

``scores`` and ``datasets`` are light (no pipeline import); ``run`` drives the
shipped ``streams.core.pipeline.Pipeline`` over a dataset.
"""
from streams.evaluation.datasets import DatasetError, detect_kind, load_clustering, load_pairs
from streams.evaluation.scores import PRF, adjusted_rand_index, bcubed, pair_prf, pairwise, pearson

__all__ = ["PRF", "pairwise", "bcubed", "adjusted_rand_index", "pair_prf", "pearson",
           "DatasetError", "detect_kind", "load_clustering", "load_pairs"]
