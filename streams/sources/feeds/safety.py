"""What reaches the XML parser: the content-type check, the DTD/entity guard, then feedparser.

Feed XML is checked before feedparser sees it: a document type declaration or an entity declaration
anywhere (outside comments and CDATA) is refused as ``xml_unsafe`` (billion laughs, XXE). Bodies go to
feedparser as a stream, never as ``bytes``/``str`` (feedparser would treat those as a URL or a local
file name and open it).
"""
from __future__ import annotations

import io
import re
from typing import Any

from streams.sources.fetch import MalformedFeed, XMLUnsafe

REFUSED_FEED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                      "application/gzip", "application/x-", "application/vnd.", "application/json",
                      "application/javascript", "multipart/")


def check_xml_safe(body: bytes, url: str = "", headers: dict[str, str] | None = None) -> None:
    """Refuse any DTD or entity declaration before the XML reaches a parser.

    The body is scanned as raw bytes (ASCII-compatible view) and as the UTF-8
    text feedparser itself would parse (its own encoding conversion, which also
    covers UTF-16/32, EBCDIC and declared encodings such as UTF-7)."""
    from feedparser.encodings import convert_to_utf8

    views = [body.decode("latin-1")]
    try:
        scratch: dict[str, Any] = {}
        converted = convert_to_utf8(dict(headers or {}), body, scratch)
        views.append(converted.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - the raw view is still checked
        pass
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or body[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        for codec in ("utf-16", "utf-16-le", "utf-16-be"):
            views.append(body.decode(codec, "replace"))
    for text in views:
        found = _declaration(text)
        if found:
            raise XMLUnsafe(f"XML with a <!{found}> declaration is refused", url=url)


_MARKUP_DECLARATION = re.compile(r"<!(?:(--)|(\[CDATA\[)|\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST))", re.IGNORECASE)


def _declaration(text: str) -> str | None:
    """First ``<!DOCTYPE``/``<!ENTITY``/... outside comments and CDATA (linear time)."""
    missing: set[str] = set()  # a terminator not found after one point is not found after any later one
    i = 0
    while (match := _MARKUP_DECLARATION.search(text, i)) is not None:
        comment, cdata, declaration = match.groups()
        if declaration:
            return declaration.upper()
        closer = "-->" if comment else "]]>"
        end = -1 if closer in missing else text.find(closer, match.end())
        if end < 0:
            missing.add(closer)  # unterminated: keep scanning what follows (stricter)
            i = match.end()
        else:
            i = end + len(closer)
    return None


def check_feed_type(kind: str, url: str) -> None:
    """Content-type check for feeds, from the headers (the body is not read when refused)."""
    if kind.startswith(REFUSED_FEED_TYPES) and "xml" not in kind:
        raise MalformedFeed(f"content type {kind!r} is not a feed", url=url)


def parse_feed(body: bytes, url: str, content_type: str = "") -> Any:
    """Parse checked bytes with feedparser; raise :class:`MalformedFeed` when nothing feed-like is in them."""
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        raise MalformedFeed(f"not an RSS/Atom feed{f': {problem}' if problem else ''}", url=url)
    if parsed.get("bozo") and not parsed.entries:
        raise MalformedFeed(f"broken feed: {parsed.get('bozo_exception')}", url=url)
    return parsed
