"""Article pages: fetch an entry's page and extract its main text and metadata.

Used when a feed entry carries only a summary. The page is fetched with the
same :class:`~streams.sources.fetch.Fetcher` (same limits, same per-host
politeness) and must be HTML; trafilatura extracts the main text, title,
author and date.

**Canonical URL and article id.** A page's ``<link rel="canonical">`` (else
trafilatura's metadata URL, e.g. ``og:url``) is trusted only when it points to
an allowed host of the feed; otherwise the URL the page was actually served
from (after redirects), else the entry link. The URL is normalized (lower-case
scheme and host, no default port, no fragment, no ``utm_*``/click-id tracking
parameters). The record id is :func:`page_article_id`: a stable hash of that
canonical URL **only** — not of title or text — so the same article keeps the
same id when an outlet fixes a typo or a feed and its page disagree, and two
feeds linking to one article publish one key (downstream dedup and state stay
idempotent). The price: a URL reused for a different article keeps its old id.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from streams.core.dates import read_date_or_none
from streams.sources.base import article_id
from streams.sources.fetch import Fetcher, NotHTML, normalize_hosts, url_allowed

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid",
                             "cmpid", "ito"})
DATE_META = ("article:published_time", "og:article:published_time", "datePublished", "pubdate",
             "publishdate", "date", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date")


@dataclass
class Page:
    """What was extracted from an article page."""

    url: str                 # canonical URL (normalized)
    fetched_url: str         # where the page was actually served from
    title: str
    text: str
    author: str | None
    published: str | None    # ISO 8601 with offset, or None


def normalize_url(url: str) -> str:
    """Canonical form of a URL for ids and the seen-store (see the module doc)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def page_article_id(canonical_url: str) -> str:
    """The record id of an article: a stable hash of its canonical URL only."""
    return article_id({"url": normalize_url(canonical_url)})


def is_html(media_type: str) -> bool:
    return media_type in HTML_TYPES


def check_html(media_type: str, url: str) -> None:
    """Content-type check for pages, applied to the headers before the body is read.

    A missing content type is let through; the body is sniffed afterwards."""
    if media_type and not is_html(media_type):
        raise NotHTML(f"content type {media_type!r} is not HTML", url=url)


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<title")) \
        or b"<html" in head


def fetch_page(fetcher: Fetcher, url: str, allow_hosts: Iterable[str]) -> Page:
    """Fetch and extract one article page; raises :class:`FetchError` subclasses."""
    response = fetcher.fetch(url, allow_hosts=allow_hosts, check_content_type=check_html,
                             accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
    if not response.content_type and not looks_like_html(response.body):
        raise NotHTML("body is not HTML", url=response.url)
    return extract_page(response.body, response.url, allow_hosts, entry_url=url)


def extract_page(html: bytes | str, fetched_url: str, allow_hosts: Iterable[str],
                 entry_url: str | None = None) -> Page:
    """Extract main text and metadata with trafilatura; never raises on odd HTML."""
    import trafilatura

    allowed = normalize_hosts(allow_hosts)
    document = None
    try:
        document = trafilatura.bare_extraction(html, url=fetched_url, with_metadata=True,
                                               include_comments=False, include_tables=False)
    except Exception as exc:  # trafilatura/lxml on hostile markup: fall back to nothing
        log.info("extraction failed for %s: %s", fetched_url, exc)
    data = document if isinstance(document, dict) else document.as_dict() if document is not None else {}
    tree = _parse(html)
    title = (data.get("title") or "").strip()
    text = _strip_title(data.get("text") or "", title)
    author = (data.get("author") or "").strip() or None
    published = _meta_published(tree) or _day(data.get("date"))
    canonical = None
    for candidate in (_link_canonical(tree, fetched_url), data.get("url")):
        if candidate and url_allowed(candidate, allowed):
            canonical = candidate
            break
    url = normalize_url(canonical or fetched_url or entry_url or "")
    return Page(url=url, fetched_url=fetched_url, title=title, text=text, author=author, published=published)


def _parse(html: bytes | str):
    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, etree.ParserError):
        return None


def _link_canonical(tree, base: str) -> str | None:
    if tree is None:
        return None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            return urljoin(base, href)
    return None


def _meta_published(tree) -> str | None:
    if tree is None:
        return None
    wanted = {name.lower() for name in DATE_META}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in wanted:
            value = iso8601(meta.get("content"))
            if value:
                return value
    for element in tree.iter("time"):
        if (element.get("itemprop") or "").lower() == "datepublished" or element.get("pubdate") is not None:
            value = iso8601(element.get("datetime"))
            if value:
                return value
    return None


def iso8601(value: str | None) -> str | None:
    """Parse a date string to ISO 8601 with an offset (UTC when none is given)."""
    parsed = read_date_or_none(value)
    return None if parsed is None else parsed.isoformat()


def _day(value: str | None) -> str | None:
    """The day of a ``YYYY-MM-DD...`` date (trafilatura's metadata), at midnight UTC."""
    return iso8601(value[:10]) if value else None


def _strip_title(text: str, title: str) -> str:
    """trafilatura repeats the headline as the first line of the text; drop it."""
    text = text.strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        return rest.strip()
    return text
