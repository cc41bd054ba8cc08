"""One feed as a source: each poll (a conditional GET) yields the entries not seen before as raw records."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from streams.core.observe import NoObserver, Observer
from streams.sources.base import RawRecord, article_id
from streams.sources.feeds.config import FeedConfig
from streams.sources.feeds.entries import entry_published, entry_text, html_to_text
from streams.sources.feeds.safety import check_feed_type, check_xml_safe, parse_feed
from streams.sources.feeds.store import SeenStore
from streams.sources.fetch import Fetcher, FetchError
from streams.sources.pages import fetch_page, normalize_url, page_article_id

log = logging.getLogger(__name__)

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")


@dataclass
class FeedSource:
    """One feed; each ``records()`` call is one poll yielding only unseen entries.

    Nothing is marked seen until :meth:`commit` (call it after the publisher
    flushed), so a crash or a broker outage re-publishes rather than loses.
    Page errors are counted (``feed_errors``) and the entry falls back to its
    summary; an entry left with no text after a *transient* page error is
    retried on the next poll (and the feed's validators are not advanced)."""

    feed: FeedConfig
    fetcher: Fetcher
    seen: SeenStore
    name: str = ""
    status: str = ""  # of the last poll: "ok" or "not_modified"
    observer: Observer = field(default_factory=NoObserver, repr=False)
    _pending: list[str] = field(default_factory=list, repr=False)
    _validators: tuple[str | None, str | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or self.feed.name

    def records(self) -> Iterator[RawRecord]:
        self._pending, self._validators, self.status = [], None, ""
        feed = self.feed
        etag, modified = self.seen.validators(feed.url)
        started = time.monotonic()
        try:
            response = self.fetcher.fetch(feed.url, allow_hosts=feed.allow_hosts, etag=etag,
                                          last_modified=modified, accept=FEED_ACCEPT,
                                          check_content_type=check_feed_type)
        finally:
            self.observer.timing("feed_fetch_duration_seconds", time.monotonic() - started, feed=self.feed.name)
        if response.not_modified:
            self.status = "not_modified"
            return
        check_xml_safe(response.body, response.url, {"content-type": response.headers.get("content-type", "")})
        parsed = parse_feed(response.body, response.url, response.headers.get("content-type", ""))
        self.status = "ok"
        self._validators = (response.etag, response.last_modified)
        deferred = False
        this_poll: set[str] = set()
        for entry in reversed(parsed.entries[:feed.max_entries]):  # feeds list newest first
            record, keys, retry = self._record(entry, this_poll)
            if retry:
                deferred = True
                continue
            duplicate = any(key in this_poll for key in keys)  # listed twice in this feed
            this_poll.update(keys)
            self._pending.extend(keys)
            if record is None or duplicate:
                continue
            yield record
        if deferred:
            self._validators = None

    def _record(self, entry: Any, this_poll: set[str]) -> tuple[RawRecord | None, list[str], bool]:
        """(record or None to skip, seen keys, retry later)."""
        feed = self.feed
        guid = (entry.get("id") or entry.get("guid") or "").strip()
        link = (entry.get("link") or "").strip()
        keys = []
        if guid:
            keys.append(SeenStore.key("guid", f"{feed.url}#{guid}"))
        entry_url = normalize_url(link) if link.startswith(("http://", "https://")) else ""
        if entry_url:
            keys.append(SeenStore.key("url", entry_url))
        title = html_to_text(entry.get("title", ""), (entry.get("title_detail") or {}).get("type", "text/plain"))
        text = entry_text(entry)
        if not keys:  # neither GUID nor link: the content is the identity
            keys.append(SeenStore.key("entry", hashlib.sha256(f"{feed.url}\x1f{title}\x1f{text}".encode()).hexdigest()))
        if any(key in self.seen or key in this_poll for key in keys):
            return None, keys, False  # committed again: keeps it young in the bounded store
        author = (entry.get("author") or "").strip() or None
        published = entry_published(entry)
        url = entry_url
        if feed.fetch_pages and entry_url and len(text) < feed.page_min_chars:
            started = time.monotonic()
            try:
                page = fetch_page(self.fetcher, link, feed.allow_hosts)
            except FetchError as exc:
                self.observer.increment("feed_errors", feed=feed.name, kind=exc.kind)
                log.info("feed %s: page %s: %s: %s", feed.name, link, exc.kind, exc)
                if not text and exc.retryable:
                    return None, keys, True
            else:
                if len(page.text) > len(text):
                    text = page.text
                    title = title or page.title
                    author = author or page.author
                    published = published or page.published
                url = page.url or url
            finally:
                self.observer.timing("feed_fetch_duration_seconds", time.monotonic() - started, feed=self.feed.name)
        if url:
            canonical_key = SeenStore.key("url", url)
            if canonical_key in self.seen:  # same article reached through another feed or GUID
                return None, keys, False
            if canonical_key not in keys:
                keys.append(canonical_key)
            ident = page_article_id(url)
        else:
            ident = (article_id({"url": f"feed:{feed.url}#{guid}"}) if guid
                     else article_id({"url": f"feed:{feed.url}", "title": title, "text": text}))
        if not title and not text:
            return None, keys, False
        record: RawRecord = {"id": ident, "title": title, "text": text, "source": feed.name,
                             "url": url or None, "published": published, "author": author}
        return record, keys, False

    def commit(self) -> int:
        """Mark what the last ``records()`` yielded (and skipped) as seen; returns the key count."""
        keys, self._pending = self._pending, []
        self.seen.add(keys)
        if self._validators is not None:
            self.seen.set_validators(self.feed.url, *self._validators)
            self._validators = None
        return len(keys)
