"""Bytes held by in-memory state: a deep ``sys.getsizeof`` walk, for the long-run benchmark.

What is counted: every object reachable from the roots through ``gc.get_referents`` (containers,
instance dicts and slots), each object once, plus the buffers numpy arrays point at. Types, modules,
functions and whatever was walked before (``Sizer`` remembers, so shared objects count once, in the
first component that reaches them) are not. This is Python's own accounting of the objects, not
allocator overhead or fragmentation: RSS shows those. ``sys.getsizeof`` also cannot see a buffer larger
than the object's value: ``orjson.dumps`` returns short values in a 4 KB block (getsizeof: ~70 bytes),
which a comparison with ``tracemalloc`` showed; state keeps exact-size copies (``seen.packed_json``).
"""
from __future__ import annotations

import gc
import sys
from collections.abc import Iterable
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

import numpy as np

SKIPPED = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)


class Sizer:
    """Deep sizes of several components, each object counted in the first one that reaches it."""

    def __init__(self, shared: Iterable[object] = ()) -> None:
        self._seen: set[int] = set()
        self.shared = self.size(shared)  # settings, catalog...: walked first so no component counts them

    def size(self, roots: Iterable[object]) -> int:
        """Bytes of everything reachable from ``roots`` not counted before."""
        total = 0
        stack = list(roots)
        while stack:
            obj = stack.pop()
            if id(obj) in self._seen or isinstance(obj, SKIPPED):
                continue
            self._seen.add(id(obj))
            total += sys.getsizeof(obj)
            if isinstance(obj, np.ndarray):
                if obj.base is not None:  # a view: the buffer is its base's
                    stack.append(obj.base)
                continue
            stack.extend(gc.get_referents(obj))
        return total
