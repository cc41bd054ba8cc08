"""The text fields of one parsed feed entry: plain text from its HTML, its publication time."""
from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from streams.sources.pages import iso8601

_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                     "pre", "table", "tr", "section", "article", "figure", "figcaption", "header", "footer"})


def html_to_text(value: str, kind: str = "text/html") -> str:
    """Plain text of an entry's summary/content (paragraphs kept as blank lines)."""
    if not value:
        return ""
    if "html" in kind and "<" in value:
        import lxml.html
        from lxml import etree

        try:
            root = lxml.html.fragment_fromstring(value, create_parent="div")
        except (ValueError, etree.ParserError):
            return " ".join(value.split())
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag == "br":
                element.tail = "\n" + (element.tail or "")
            elif element.tag in _BLOCKS:
                element.tail = "\n\n" + (element.tail or "")
        value = root.text_content()
    elif "html" in kind:
        value = html.unescape(value)
    lines = [" ".join(line.split()) for line in value.splitlines()]
    text: list[str] = []
    blank = False
    for line in lines:
        if line:
            if blank and text:
                text.append("")
            text.append(line)
            blank = False
        else:
            blank = True
    return "\n".join(text)


def entry_text(entry: Any) -> str:
    best = ""
    for content in entry.get("content") or []:
        text = html_to_text(content.get("value", ""), content.get("type", "text/html"))
        if len(text) > len(best):
            best = text
    detail = entry.get("summary_detail") or {}
    summary = html_to_text(entry.get("summary", ""), detail.get("type", "text/html"))
    return best if len(best) >= len(summary) else summary


def entry_published(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime(*value[:6]).replace(tzinfo=UTC).isoformat()
            except (TypeError, ValueError):
                continue
    for key in ("published", "updated"):
        value = iso8601(entry.get(key))
        if value:
            return value
    return None
