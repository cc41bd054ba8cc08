"""The benchmark's two errors: a bad flag (exit 2) and a run that could not complete (exit 1)."""
from __future__ import annotations


class UsageError(ValueError):
    """A bad flag or flag combination."""


class BenchError(RuntimeError):
    """A benchmark run could not complete (worker died, outputs missing)."""
