"""Regex guards: skip a scan that cannot match.

``required_words(pattern)`` reads a compiled pattern's syntax tree and returns strings one of which every
match must contain (``None`` when it cannot tell). ``Guarded`` runs the pattern only on texts containing one
of them: a plain substring test is far cheaper than a regex scan, and a text without any of them has no
match, so the answers are the very ones of the bare pattern. A case-insensitive pattern is guarded with its
words lowercased against the text lowercased, unless the text holds one of the few non-ASCII letters that
the re module folds onto an ASCII letter ("ſ" matches "s", "K" (Kelvin) "k"): such a text is scanned.
"""
from __future__ import annotations

import importlib
import re
import sys
from typing import Any

# The parser of the re module: a private module (re._parser since Python 3.11), read for its syntax tree only.
_sre_parser: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")

_LITERAL = _sre_constants.LITERAL
_AT = _sre_constants.AT
_AT_START = (_sre_constants.AT_BEGINNING, _sre_constants.AT_BEGINNING_STRING)
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)


def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains (as written: with ``re.IGNORECASE`` in any case),
    the longest such set found; None when the pattern has no such literal."""
    if not isinstance(pattern.pattern, str):
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


FOLDING_TO_ASCII = "\u0130\u0131\u017f\u212a"
"""The non-ASCII characters a case-insensitive ASCII letter matches in the re module: dotted capital I,
dotless i, long s, Kelvin sign (``folding_to_ascii`` asks the re module; a test checks they agree)."""
_FOLDING = re.compile("[" + FOLDING_TO_ASCII + "]")


def folding_to_ascii() -> str:
    """Asked of the re module over every code point (slow: for the test)."""
    every = "".join(chr(c) for c in range(128, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    return "".join(sorted(set(re.findall("[a-z]", every, re.IGNORECASE))))


def anchored(pattern: re.Pattern[str]) -> bool:
    """True when every match starts at the beginning of the text (``^`` or ``\\A`` first, no MULTILINE): the
    engine then tries one position, cheaper than any guard."""
    if pattern.flags & re.MULTILINE:
        return False
    try:
        tree = list(_sre_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # pragma: no cover
        return False
    return bool(tree) and tree[0][0] is _AT and tree[0][1] in _AT_START


class Guarded:
    """A compiled pattern whose scans first check for a string every match contains (not when it is anchored
    at the start: one try there costs less than the check)."""

    def __init__(self, pattern: str | re.Pattern[str], flags: int = 0) -> None:
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.ignore_case = bool(self.pattern.flags & re.IGNORECASE)
        words = None if anchored(self.pattern) else required_words(self.pattern)
        if words is not None and self.ignore_case:
            words = frozenset(w.lower() for w in words) if all(w.isascii() for w in words) else None
        self.words = words

    def possible(self, text: str) -> bool:
        """False only when ``text`` cannot match."""
        if self.words is None:
            return True
        if self.ignore_case:
            if not text.isascii() and _FOLDING.search(text):
                return True
            text = text.lower()
        return any(word in text for word in self.words)

    def findall(self, text: str) -> list[Any]:
        return self.pattern.findall(text) if self.possible(text) else []

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.possible(text) else None
