"""What a page says about itself: which outlet published it and when, each with the line that says so.

A record may come without ``source`` or ``published`` (a saved page, a feed entry without a date). Then
the outlet and the publication day are read from the text where the text states them, by general rules,
and otherwise stay unknown. Nothing is guessed from the writing style or from what the article reports.

Outlet rules, first match wins (the record's own ``source`` or its URL's host always come first):
- a trust box: "Why you can trust SCMP";
- a credit line of generated copy: "This story was created with Benzinga Neuro" (the tool's first word:
  a publisher's tool carries the publisher's name);
- a copyright line: "© 2024 Example Times";
- a site name in the footer: a short Title Case line right before a newsletter sign-up.

Publication day: a dateline line near the top whose words are a date and byline furniture
("by | Oct 19, 2023 | News", "Published 19 October 2023").
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from streams.core.model import Article
from streams.core.prepare.clean import is_boilerplate, lines_of

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_FULL_DATE = re.compile(
    r"\b(?:(?P<mon>" + _MONTH + r")\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?,? (?P<y>\d{4})"
    r"|(?P<d2>\d{1,2}) (?P<mon2>" + _MONTH + r")\.?,? (?P<y2>\d{4})"
    r"|(?P<iy>\d{4})-(?P<im>\d\d)-(?P<id>\d\d))\b", re.IGNORECASE)
_DATELINE_WORDS = frozenset("""by published updated posted on last at am pm news in edt est gmt utc cet bst ist
| - — – · , : min read""".split())
DATELINE_LINES = 6
"""A dateline is looked for in this many lines after the title."""

_TRUST = re.compile(r"^why you can trust (?P<o>[A-Z][\w&.'’\- ]{1,40}?)\W*$", re.IGNORECASE)
_CREDIT = re.compile(r"\b(?:story|article|report|content) (?:was|is|has been) (?:created|written|generated|"
                     r"produced)(?: in part)? (?:with|by|using) (?P<o>[A-Z][\w&.\-]+)")
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?"
                        r"(?P<o>[A-Z][\w&.'’\- ]{1,40}?)(?:[.,]| all rights| \d{4}|\s*$)", re.IGNORECASE)
_BRAND = re.compile(r"(?:[A-Z][\w&'’\-]*|[A-Z0-9]{2,})(?: (?:[A-Z][\w&'’\-]*|[A-Z0-9]{2,}|of|the)){0,3}")
_SIGN_UP = re.compile(r"newsletter|subscribe|sign up|in your inbox", re.IGNORECASE)
FOOTER_LINES = 10


@dataclass(frozen=True)
class Said:
    """A value read from the page and the line that says it."""

    value: str
    evidence: str
    rule: str


def read(article: Article) -> tuple[Article, Said | None]:
    """The article with its outlet filled in from the page when the record has none (``source_evidence``
    says from where), and the page's dateline (None when the record states its publication time)."""
    if article.source in ("", "unknown"):
        said = outlet_of(article.url, article.text)
        if said is not None:
            article = dataclasses.replace(article, source=said.value, source_evidence=f"{said.rule}: {said.evidence}")
    return article, (None if article.published else dateline_of(article.text))


def outlet_of(url: str, text: str) -> Said | None:
    """The outlet: the URL's host, else what the text says (see the module's rules), else None."""
    host = urlsplit(url).hostname if url else None
    if host:
        return Said(host.removeprefix("www."), url, "url")
    lines = lines_of(text)
    for line in lines:
        match = _TRUST.match(line)
        if match:
            return Said(match.group("o").strip(), line, "trust box")
    for line in lines:
        match = _CREDIT.search(line)
        if match:
            return Said(match.group("o").strip(".-"), line, "credit line")
    for line in lines[-FOOTER_LINES:]:
        match = _COPYRIGHT.match(line)
        if match:
            return Said(match.group("o").strip(), line, "copyright line")
    return _footer_brand(lines)


def _footer_brand(lines: list[str]) -> Said | None:
    tail = lines[-FOOTER_LINES:]
    for n, line in enumerate(tail[:-1]):
        if _BRAND.fullmatch(line) and not is_boilerplate(line) and any(_SIGN_UP.search(after) for after in tail[n + 1:n + 3]):
            return Said(line, f"{line} / {tail[n + 1]}", "site name above a newsletter sign-up")
    return None


def dateline_of(text: str) -> Said | None:
    """The publication day stated by a dateline line near the top (ISO date as ``value``), else None."""
    for line in lines_of(text)[:DATELINE_LINES]:
        if len(line) > 100:
            continue
        match = _FULL_DATE.search(line)
        if match is None:
            continue
        rest = (line[:match.start()] + " " + line[match.end():]).lower()
        words = [w for w in re.findall(r"[\w|·:,\-–—]+", rest) if w not in _DATELINE_WORDS and not w.isdigit()]
        if len(words) <= 3:
            day = _day(match)
            if day is not None:
                return Said(day.isoformat(), line, "dateline")
    return None


def _day(match: re.Match) -> date | None:
    try:
        if match.group("iy"):
            return date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
        month = MONTHS[(match.group("mon") or match.group("mon2")).lower()]
        return date(int(match.group("y") or match.group("y2")), month, int(match.group("d") or match.group("d2")))
    except ValueError:
        return None
