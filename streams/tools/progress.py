"""Progress bars for long jobs (eval, bench --micro, leave-one-corpus-out), on stderr and only for a person
watching a terminal: piped or captured output (tests, --json into a file) stays clean."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, what: str = "") -> Iterator[T]:
    return iter(tqdm(items, total=total, desc=what or None, unit="", leave=False, file=sys.stderr,
                     disable=not sys.stderr.isatty(), dynamic_ncols=True))
