"""Cleaning stage: strip page boilerplate (ads, banners, "Also read:" links, newsletter footers).

Three layers, all working on one article alone: fixed line patterns that are page furniture on any
site (buttons, counters, video durations, photo credits, bylines, credit lines, "Also read" links),
lines repeated inside the article (a repeated title, a banner repeated within its line), and the
furniture after the last sentence (a site name and sign-up block). A fourth learns banner lines that
repeat across several articles of one outlet, when the outlet is known.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, OrderedDict
from functools import lru_cache

from streams.core.prepare.guard import Guarded

# Guarded: most lines hold none of the words a pattern needs (three unanchored ones scan a whole line).
_LINE_PATTERNS = [Guarded(p, re.IGNORECASE) for p in (
    r"^\W*(advertisement|advertisment|sponsored( content)?|ad|promoted)\W*$",
    r"^\W*(also read|read more|read also|related|see also|more on this|recommended|watch)\s*[:\-–|]",
    r"newsletter.*(sign up|subscribe|inbox|delivered)|(sign up|subscribe).*newsletter",
    r"unsubscribe at any time|by signing up,? you agree|terms of (use|service).*privacy",
    r"^\W*(share (this|on)|follow us on|click here to|download our app)",
    r"^\(?\s*(reporting|additional reporting|writing) by .*(editing by .*)?\)?\s*$",
    r"^(all rights reserved|copyright ©|© \d{4})",
    # Page furniture: buttons and labels, counters, video durations, reading times, trust boxes.
    r"^\W*(close|loading|share( this)?|print|email|menu|search|recent news|top stories|latest news|"
    r"continue reading|read the full story|comments?|listen|play|watch now)\W*$",
    r"^\W*\d{1,5}\W*$",
    r"^\W*\d{1,2}:\d{2}(:\d{2})?\W*$",
    r"^\W*(estimated )?reading time\s*:?\s*\d+",
    r"^why you can trust\b",
    # Photo and video credits; hashtag and section markers ("#Newsletter Exclusive / Name").
    r"^\W*(photo|image|picture|video|graphic)s?( source| courtesy| credits?| by)?\s*:",
    r"^#\S",
    # Bylines and datelines of a page ("by | Oct 19, 2023 | News"), "next"/"previous" links, sign-ups.
    r"^by\b[^.]{0,60}\|",
    r"^\W*(next|previous|prev|up next)\s*[:\-–|]",
    r"successfully subscribed|\bin your inbox\W*$",
    # Credit lines of generated or syndicated copy ("This story was created with ... and edited by ...").
    r"^(this|the) (story|article|report|content) (was|is|has been) (created|written|generated|produced|"
    r"edited|compiled)( in part)? (with|by|using)\b",
)]
_SPACES = re.compile(" {2,}")  # a run of blanks, tabs made spaces: one space (a single one left alone)
_REPEATED_PHRASE = re.compile(r"(.{6,120}?\S)(?:\s*\1){2,}\s*")
_TAG_LINE = re.compile(r"[a-z][a-z\-]*(?: [a-z][a-z\-]*){0,3}")
_CREDIT_SUFFIX = re.compile(r"(?<=[.!?])\s+(photo|image|picture|video)s?( source| courtesy| credit)?\s*:\s*"
                            r"[\w .,/&'’\-]{1,60}$", re.IGNORECASE)
MAX_BANNER_CHARS = 80
MAX_REPEATED_CHARS = 200
"""A line repeated within one article, not ending as a sentence, up to this long is furniture (a video title)."""
OUTLET_BANNER_ARTICLES = 3
BOILERPLATE_CACHE = 8192
"""Lines whose verdict is remembered: wire copies and an outlet's furniture repeat lines word for word."""


def _banner_shaped(line: str, limit: int = MAX_BANNER_CHARS) -> bool:
    """Short and not a sentence: a masthead or section banner rather than reporting."""
    return len(line) <= limit and not re.search(r"[.!?\"\u201d']$", line)


@lru_cache(maxsize=BOILERPLATE_CACHE)
def is_boilerplate(line: str) -> bool:
    """Page furniture on any site: a fixed pattern, a phrase repeated within the line (a banner), or a
    short all-lowercase line (image tags such as "beijing olympics")."""
    return (any(p.search(line) for p in _LINE_PATTERNS)
            or len(line) <= 1000 and _may_repeat(line) and _REPEATED_PHRASE.fullmatch(line) is not None
            or _TAG_LINE.fullmatch(line) is not None)


def _may_repeat(line: str) -> bool:
    """False when ``line`` cannot be one phrase (7 characters or more) said three times or more: then its
    first six characters occur three times without overlapping, which ``str.count`` counts."""
    return line.count(line[:6]) >= 3


def lines_of(text: str) -> list[str]:
    """Non-empty lines, whitespace normalised (NFKC, no-break spaces, runs of blanks)."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\u00a0", " ").replace("\t", " ")
    lines = [line.strip() for line in _SPACES.sub(" ", text).split("\n")]  # blanks never span a newline
    return [line for line in lines if line]


def split_title(text: str) -> tuple[str, str]:
    """A page saved as text: (title, body). The title is the first line that is not page furniture
    ("close", "Advertisement", a banner, a byline marker); furniture before it is dropped."""
    lines = text.strip().split("\n")
    for n, line in enumerate(lines):
        flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", line)).strip()
        if flat and not is_boilerplate(flat):
            return flat, "\n".join(lines[n + 1:]).strip()
    return (lines[0].strip() if lines else ""), "\n".join(lines[1:]).strip()


def _trim_footer(lines: list[str]) -> list[str]:
    """Drop the furniture after the last sentence: a site name, "Get X in your inbox", tag lines."""
    end = len(lines)
    while end > 1 and _banner_shaped(lines[end - 1]):
        end -= 1
    return lines[:end]


class Cleaner:
    """Removes boilerplate lines; learns banners repeated across an outlet's articles.

    Memory stays bounded: per outlet only the most recent ``max_lines`` short
    lines are counted, for at most ``max_outlets`` outlets.
    """

    def __init__(self, max_outlets: int = 500, max_lines: int = 2000) -> None:
        self.max_outlets = max_outlets
        self.max_lines = max_lines
        self._outlet_lines: OrderedDict[str, OrderedDict[str, int]] = OrderedDict()

    def clean(self, text: str, outlet: str = "", title: str = "") -> str:
        """Return the article body without boilerplate, paragraphs separated by blank lines.
        ``title``: lines repeating it are dropped."""
        lines = lines_of(text)
        counts = Counter(lines)
        repeated = {line for line, n in counts.items() if n > 1 and _banner_shaped(line, MAX_REPEATED_CHARS)}
        banners = self._outlet_banners(outlet, lines)
        title = " ".join(title.split())
        kept = [_CREDIT_SUFFIX.sub("", line) for line in lines
                if line not in repeated and line not in banners and line != title and not is_boilerplate(line)]
        kept = _trim_footer(kept)
        if not kept:  # never empty an article: fall back to the fixed patterns only
            kept = [line for line in lines if not is_boilerplate(line)] or lines
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
