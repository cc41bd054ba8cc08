"""Regex guards: skip a scan that cannot match.

``required_words(pattern)`` reads a compiled pattern's syntax tree and returns strings one of which every
match must contain (``None`` when it cannot tell). ``Guarded`` runs the pattern only on texts containing one
of them: a plain substring test is far cheaper than a regex scan, and a text without any of them has no
match, so the answers are the very ones of the bare pattern.
"""
from __future__ import annotations

import importlib
import re
from typing import Any

# The parser of the re module: a private module (re._parser since Python 3.11), read for its syntax tree only.
_sre_parser: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")

_LITERAL = _sre_constants.LITERAL
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)


def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, the longest such set found; None when the
    pattern has no such literal (or uses flags that change what a literal matches)."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE) or not isinstance(pattern.pattern, str):
        return None
    try:
        tree = _sre_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - a pattern the parser of this Python reads differently
        return None
    found = _required(list(tree))
    return frozenset(found) if found and all(found) else None


def _required(items: list[tuple[Any, Any]]) -> set[str] | None:
    """For a sequence of nodes: the best set among its literal runs and its required sub-nodes."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append({"".join(run)})
            run = []
        sub = _node(op, av)
        if sub:
            candidates.append(sub)
    if run:
        candidates.append({"".join(run)})
    return max(candidates, key=_strength, default=None)


def _node(op: Any, av: Any) -> set[str] | None:
    if op is _SUBPATTERN:
        return _required(list(av[-1]))
    if op is _BRANCH:
        branches = [_required(list(branch)) for branch in av[1]]
        if all(branches):
            return set().union(*branches)  # type: ignore[arg-type]
        return None
    if op in _REPEATS and av[0] >= 1:
        return _required(list(av[2]))
    return None


def _strength(words: set[str]) -> tuple[int, int]:
    """Prefer the set whose shortest string is longest (rarer), then the smaller set."""
    return min(len(w) for w in words), -len(words)


class Guarded:
    """A compiled pattern whose scans first check for a string every match contains."""

    def __init__(self, pattern: str | re.Pattern[str], flags: int = 0) -> None:
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.words = required_words(self.pattern)

    def possible(self, text: str) -> bool:
        """False only when ``text`` cannot match."""
        return self.words is None or any(word in text for word in self.words)

    def findall(self, text: str) -> list[Any]:
        return self.pattern.findall(text) if self.possible(text) else []

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.possible(text) else None
