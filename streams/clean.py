"""Cleaning stage: strip page boilerplate (ads, banners, "Also read:" links, newsletter footers).

Two layers: fixed line patterns that are boilerplate on any site, and banner
lines that repeat inside one article or across several articles of one outlet.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, OrderedDict

_LINE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    r"^\W*(advertisement|advertisment|sponsored( content)?|ad|promoted)\W*$",
    r"^\W*(also read|read more|read also|related|see also|more on this|recommended|watch)\s*[:\-–|]",
    r"newsletter.*(sign up|subscribe|inbox|delivered)|(sign up|subscribe).*newsletter",
    r"unsubscribe at any time|by signing up,? you agree|terms of (use|service).*privacy",
    r"^\W*(share (this|on)|follow us on|click here to|download our app)",
    r"^\(?\s*(reporting|additional reporting|writing) by .*(editing by .*)?\)?\s*$",
    r"^(all rights reserved|copyright ©|© \d{4})",
)]
MAX_BANNER_CHARS = 80
OUTLET_BANNER_ARTICLES = 3


def _banner_shaped(line: str) -> bool:
    """Short and not a sentence: a masthead or section banner rather than reporting."""
    return len(line) <= MAX_BANNER_CHARS and not re.search(r"[.!?\"\u201d']$", line)


def _is_boilerplate(line: str) -> bool:
    return any(p.search(line) for p in _LINE_PATTERNS)


class Cleaner:
    """Removes boilerplate lines; learns banners repeated across an outlet's articles.

    Memory stays bounded: per outlet only the most recent ``max_lines`` short
    lines are counted, for at most ``max_outlets`` outlets.
    """

    def __init__(self, max_outlets: int = 500, max_lines: int = 2000) -> None:
        self.max_outlets = max_outlets
        self.max_lines = max_lines
        self._outlet_lines: OrderedDict[str, OrderedDict[str, int]] = OrderedDict()

    def clean(self, text: str, outlet: str = "") -> str:
        """Return the article body without boilerplate, paragraphs separated by blank lines."""
        text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\u00a0", " ")
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        repeated = {line for line, n in Counter(lines).items() if n > 1 and _banner_shaped(line)}
        banners = self._outlet_banners(outlet, lines)
        kept = [line for line in lines
                if line not in repeated and line not in banners and not _is_boilerplate(line)]
        if not kept:  # never empty an article: fall back to the fixed patterns only
            kept = [line for line in lines if not _is_boilerplate(line)] or lines
        return "\n\n".join(kept)

    def _outlet_banners(self, outlet: str, lines: list[str]) -> set[str]:
        if not outlet or outlet == "unknown":
            return set()
        seen = self._outlet_lines.pop(outlet, None) or OrderedDict()
        self._outlet_lines[outlet] = seen
        if len(self._outlet_lines) > self.max_outlets:
            self._outlet_lines.popitem(last=False)
        for line in {line for line in lines if _banner_shaped(line)}:
            seen[line] = seen.pop(line, 0) + 1
        while len(seen) > self.max_lines:
            seen.popitem(last=False)
        return {line for line in lines if seen.get(line, 0) >= OUTLET_BANNER_ARTICLES}


def lead(title: str, text: str, words: int = 180) -> str:
    """Title plus the first ``words`` words: the part of a story outlets rewrite least."""
    return title + ". " + " ".join(text.split()[:words])
