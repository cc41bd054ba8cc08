"""Live news feeds (RSS 2.0, Atom, RSS 1.0/RDF) as a source of raw articles.

* :func:`load_config` reads the YAML feed list (see ``docs/feeds.md``); every
  problem is one :class:`FeedConfigError` line.
* :class:`FeedSource` is one feed as a :class:`~streams.sources.base.Source`:
  ``records()`` does one poll (a conditional GET) and yields the entries not
  seen before, each as ``{id, title, text, source, url, published, author}``.
  Entries with only a short summary get their article page fetched and
  extracted (:mod:`streams.sources.pages`) when the feed has ``fetch_pages``.
* :class:`SeenStore` remembers entry GUIDs/URLs (and each feed's ETag and
  Last-Modified) in a JSON file in the state dir, so an entry is published once
  across polls and restarts. It is only updated after the publisher flushed.
* :class:`FeedPoller` polls every feed on its interval, publishes new records
  through anything with ``send(record)`` and ``flush()``, counts metrics, and
  keeps going when a feed fails.
* :func:`run_feeds` is the entry point of ``python -m streams feeds``.

Feed XML is checked before feedparser sees it: a document type declaration or
an entity declaration anywhere (outside comments and CDATA) is refused as
``xml_unsafe`` (billion laughs, XXE). Bodies go to feedparser as a stream,
never as ``bytes``/``str`` (feedparser would treat those as a URL or a local
file name and open it).
"""
from __future__ import annotations

import hashlib
import html
import io
import logging
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson
import yaml

from streams.runtime import metrics
from streams.settings import Settings
from streams.sources.base import RawRecord, article_id
from streams.sources.fetch import (
    Fetcher,
    FetchError,
    FetchLimits,
    MalformedFeed,
    XMLUnsafe,
    host_of,
    normalize_hosts,
)
from streams.sources.pages import fetch_page, iso8601, normalize_url, page_article_id

log = logging.getLogger(__name__)

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
REFUSED_FEED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                      "application/gzip", "application/x-", "application/vnd.", "application/json",
                      "application/javascript", "multipart/")
STATE_FILE = "feeds-state.json"
MAX_KEY_CHARS = 300


class FeedConfigError(ValueError):
    """The feed configuration cannot be used; the message is one line."""


class RecordPublisher(Protocol):
    def send(self, record: RawRecord) -> Any: ...

    def flush(self) -> Any: ...


# --------------------------------------------------------------------------- configuration

def _no_port(url: str) -> bool:
    try:
        return urlsplit(url).port is None
    except ValueError:
        return False


@dataclass(frozen=True)
class FeedConfig:
    """One feed. ``allow_hosts`` (origins, see ``fetch.normalize_hosts``) always contains the feed's own."""

    url: str
    name: str
    interval_s: float = 300.0
    allow_hosts: frozenset[str] = frozenset()
    fetch_pages: bool = False
    page_min_chars: int = 400
    max_entries: int = 100


@dataclass(frozen=True)
class FeedsConfig:
    feeds: tuple[FeedConfig, ...]
    limits: FetchLimits = FetchLimits()
    seen_max: int = 100_000
    workers: int = 4
    state_dir: str | None = None


# key -> (type, minimum); minimum None = no bound; bool is its own type
_DEFAULT_KEYS: dict[str, tuple[type, float | None]] = {
    "interval_s": (float, 0.001), "timeout_s": (float, 0.001), "deadline_s": (float, 0.001),
    "max_bytes": (int, 1), "max_redirects": (int, 0), "retries": (int, 0), "backoff_s": (float, 0.0),
    "backoff_max_s": (float, 0.0), "concurrency_per_host": (int, 1), "delay_per_host_s": (float, 0.0),
    "fetch_pages": (bool, None), "page_min_chars": (int, 0), "max_entries": (int, 1),
    "seen_max": (int, 1), "workers": (int, 1), "user_agent": (str, None),
}
_FEED_KEYS: dict[str, tuple[type, float | None]] = {
    "url": (str, None), "name": (str, None), "interval_s": (float, 0.001), "allow_hosts": (list, None),
    "fetch_pages": (bool, None), "page_min_chars": (int, 0), "max_entries": (int, 1),
}
_LIMIT_KEYS = {f.name for f in fields(FetchLimits)}


def _value(where: str, raw: Any, kind: type, minimum: float | None) -> Any:
    if kind is bool:
        if not isinstance(raw, bool):
            raise FeedConfigError(f"{where} must be true or false, got {raw!r}")
        return raw
    if kind is str:
        if not isinstance(raw, str) or not raw.strip():
            raise FeedConfigError(f"{where} must be a non-empty string, got {raw!r}")
        return raw.strip()
    if kind is list:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(h, str) and h.strip() for h in raw):
            raise FeedConfigError(f"{where} must be a list of host names, got {raw!r}")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (kind is int and not float(raw).is_integer()):
        raise FeedConfigError(f"{where} must be {'an integer' if kind is int else 'a number'}, got {raw!r}")
    value = kind(raw)
    if minimum is not None and value < minimum:
        raise FeedConfigError(f"{where} must be >= {minimum:g}, got {raw!r}")
    return value


def _section(where: str, raw: Any, keys: dict[str, tuple[type, float | None]]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FeedConfigError(f"{where} must be a mapping, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in keys)
    if unknown:
        raise FeedConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))})")
    return {key: _value(f"{where}.{key}", value, *keys[key]) for key, value in raw.items()}


def default_name(url: str) -> str:
    host = host_of(url)
    return host[4:] if host.startswith("www.") else host


def parse_config(data: Any, origin: str = "feeds config") -> FeedsConfig:
    """Validate a loaded YAML document (see ``docs/feeds.md`` for the keys)."""
    if not isinstance(data, dict):
        raise FeedConfigError(f"{origin}: expected a mapping with a 'feeds' list, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in ("defaults", "feeds", "state_dir"))
    if unknown:
        raise FeedConfigError(f"{origin}: unknown top-level key {unknown[0]!r} (known: defaults, feeds, state_dir)")
    defaults = _section(f"{origin}: defaults", data.get("defaults"), _DEFAULT_KEYS)
    raw_feeds = data.get("feeds")
    if not isinstance(raw_feeds, list) or not raw_feeds:
        raise FeedConfigError(f"{origin}: 'feeds' must be a non-empty list of {{url: ...}} entries")
    feeds: list[FeedConfig] = []
    seen_urls: set[str] = set()
    for index, raw in enumerate(raw_feeds):
        where = f"{origin}: feeds[{index}]"
        if isinstance(raw, str):
            raw = {"url": raw}
        entry = _section(where, raw, _FEED_KEYS)
        url = entry.get("url")
        if not url:
            raise FeedConfigError(f"{where}: 'url' is required")
        try:
            scheme = url.split("://", 1)[0].lower() if "://" in url else ""
            host = host_of(url)
        except ValueError:
            scheme, host = "", ""
        if scheme not in ("http", "https") or not host:
            raise FeedConfigError(f"{where}.url must be an http(s) URL with a host, got {url!r}")
        if url in seen_urls:
            raise FeedConfigError(f"{where}.url {url!r} is listed twice")
        seen_urls.add(url)
        feeds.append(FeedConfig(
            url=url,
            name=entry.get("name") or default_name(url),
            interval_s=entry.get("interval_s", defaults.get("interval_s", 300.0)),
            # the feed's own host on the default ports, or its origin (scheme, host, port) when it names a port
            allow_hosts=normalize_hosts([host if _no_port(url) else url, *entry.get("allow_hosts", [])]),
            fetch_pages=entry.get("fetch_pages", defaults.get("fetch_pages", False)),
            page_min_chars=entry.get("page_min_chars", defaults.get("page_min_chars", 400)),
            max_entries=entry.get("max_entries", defaults.get("max_entries", 100)),
        ))
    limits = FetchLimits(**{k: v for k, v in defaults.items() if k in _LIMIT_KEYS})
    state_dir = data.get("state_dir")
    if state_dir is not None:
        state_dir = _value(f"{origin}: state_dir", state_dir, str, None)
    return FeedsConfig(feeds=tuple(feeds), limits=limits, seen_max=defaults.get("seen_max", 100_000),
                       workers=defaults.get("workers", 4), state_dir=state_dir)


def load_config(path: str | Path) -> FeedsConfig:
    """Read and validate the YAML feed list at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedConfigError(f"{path}: no such feeds config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedConfigError(f"{path}: cannot read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FeedConfigError(f"{path}: not valid YAML{at}: {problem}") from None
    return parse_config(data, str(path))


# --------------------------------------------------------------------------- XML safety and parsing

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
    text, blank = [], False
    for line in lines:
        if line:
            if blank and text:
                text.append("")
            text.append(line)
            blank = False
        else:
            blank = True
    return "\n".join(text)


def _entry_text(entry: Any) -> str:
    best = ""
    for content in entry.get("content") or []:
        text = html_to_text(content.get("value", ""), content.get("type", "text/html"))
        if len(text) > len(best):
            best = text
    detail = entry.get("summary_detail") or {}
    summary = html_to_text(entry.get("summary", ""), detail.get("type", "text/html"))
    return best if len(best) >= len(summary) else summary


def _entry_published(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime(*value[:6], tzinfo=UTC).isoformat()
            except (TypeError, ValueError):
                continue
    for key in ("published", "updated"):
        value = iso8601(entry.get(key))
        if value:
            return value
    return None


# --------------------------------------------------------------------------- seen-store

class SeenStore:
    """Entry keys (GUIDs, URLs) -> first-seen time, plus per-feed HTTP validators.

    One JSON file in the state dir, rewritten atomically (temp file + fsync +
    rename), holding at most ``max_entries`` keys; the keys dropped first are
    those not listed by any feed for the longest time.
    A corrupt file is moved aside and the store starts empty: entries then get
    published again with the same ids, which downstream state absorbs."""

    def __init__(self, state_dir: str | Path, max_entries: int = 100_000) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE
        self.max_entries = max(1, int(max_entries))
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}
        self._validators: dict[str, dict[str, str]] = {}
        self._dirty = False
        self._load()

    @staticmethod
    def key(kind: str, value: str) -> str:
        key = f"{kind}:{value}"
        if len(key) > MAX_KEY_CHARS:
            key = f"{kind}:sha256:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"
        return key

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = orjson.loads(self.path.read_bytes())
            seen = data["seen"]
            validators = data.get("validators", {})
            if not isinstance(seen, dict) or not isinstance(validators, dict):
                raise ValueError("wrong shape")
            self._seen = {str(k): float(v) for k, v in seen.items()}
            self._validators = {str(k): dict(v) for k, v in validators.items() if isinstance(v, dict)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(f"{STATE_FILE}.corrupt-{int(time.time())}")
            log.warning("feed state %s is unreadable (%s); moved to %s, starting empty", self.path, exc, aside)
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            self._seen, self._validators = {}, {}

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._seen

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def add(self, keys: Iterable[str], when: float | None = None) -> None:
        """Remember new keys; keys already known keep their first-seen time but move to the
        young end, so entries still listed by a feed are the last to be forgotten."""
        when = time.time() if when is None else when
        with self._lock:
            for key in keys:
                first = self._seen.pop(key, None)
                if first is None:
                    self._seen[key] = when
                    self._dirty = True
                else:
                    self._seen[key] = first  # reordering alone does not force a write
            overflow = len(self._seen) - self.max_entries
            if overflow > 0:  # dicts keep insertion order = first-seen order
                for key in list(self._seen)[:overflow]:
                    del self._seen[key]

    def validators(self, feed_url: str) -> tuple[str | None, str | None]:
        with self._lock:
            entry = self._validators.get(feed_url, {})
            return entry.get("etag"), entry.get("last_modified")

    def set_validators(self, feed_url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            new = {k: v for k, v in (("etag", etag), ("last_modified", last_modified)) if v}
            if self._validators.get(feed_url, {}) != new:
                self._validators[feed_url] = new
                self._dirty = True

    def save(self) -> bool:
        """Write the file if anything changed; returns whether it wrote."""
        with self._lock:
            if not self._dirty:
                return False
            payload = orjson.dumps({"version": 1, "seen": self._seen, "validators": self._validators})
            self._dirty = False
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with self._lock:
                self._dirty = True
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return True


# --------------------------------------------------------------------------- one feed as a source

@dataclass
class FeedSource:
    """One feed; each ``records()`` call is one poll yielding only unseen entries.

    Nothing is marked seen until :meth:`commit` (call it after the publisher
    flushed), so a crash or a broker outage re-publishes rather than loses.
    Page errors are counted in ``FEED_ERRORS`` and the entry falls back to its
    summary; an entry left with no text after a *transient* page error is
    retried on the next poll (and the feed's validators are not advanced)."""

    feed: FeedConfig
    fetcher: Fetcher
    seen: SeenStore
    name: str = ""
    status: str = ""  # of the last poll: "ok" or "not_modified"
    label: str = ""
    _pending: list[str] = field(default_factory=list, repr=False)
    _validators: tuple[str | None, str | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or self.feed.name
        self.label = self.label or metrics.FEED_LABEL(self.feed.name)

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
            metrics.FEED_FETCH_SECONDS.labels(self.label).observe(time.monotonic() - started)
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
        text = _entry_text(entry)
        if not keys:  # neither GUID nor link: the content is the identity
            keys.append(SeenStore.key("entry", hashlib.sha256(f"{feed.url}\x1f{title}\x1f{text}".encode()).hexdigest()))
        if any(key in self.seen or key in this_poll for key in keys):
            return None, keys, False  # committed again: keeps it young in the bounded store
        author = (entry.get("author") or "").strip() or None
        published = _entry_published(entry)
        url = entry_url
        if feed.fetch_pages and entry_url and len(text) < feed.page_min_chars:
            started = time.monotonic()
            try:
                page = fetch_page(self.fetcher, link, feed.allow_hosts)
            except FetchError as exc:
                metrics.FEED_ERRORS.labels(self.label, exc.kind).inc()
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
                metrics.FEED_FETCH_SECONDS.labels(self.label).observe(time.monotonic() - started)
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


# --------------------------------------------------------------------------- the poller

@dataclass
class PollReport:
    polled: int = 0
    published: int = 0
    not_modified: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (feed url, kind, message)
    publish_failures: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.publish_failures

    def add(self, other: PollReport) -> None:
        self.polled += other.polled
        self.published += other.published
        self.not_modified += other.not_modified
        self.errors.extend(other.errors)
        self.publish_failures += other.publish_failures


class FeedPoller:
    """Polls feeds on their intervals and publishes new entries (one thread per feed in flight)."""

    def __init__(self, config: FeedsConfig, publisher: RecordPublisher, state_dir: str | Path, *,
                 fetcher: Fetcher | None = None, clock=time.monotonic) -> None:
        self.config = config
        self.publisher = publisher
        self.seen = SeenStore(state_dir, config.seen_max)
        self.fetcher = fetcher or Fetcher(config.limits)
        self.sources = [FeedSource(feed, self.fetcher, self.seen) for feed in config.feeds]
        self._clock = clock
        self._next_due = {source.feed.url: 0.0 for source in self.sources}
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(config.workers, len(self.sources))),
                                        thread_name_prefix="feed")

    def due(self) -> list[FeedSource]:
        now = self._clock()
        return [s for s in self.sources if self._next_due[s.feed.url] <= now]

    def seconds_to_next(self) -> float:
        return max(0.0, min(self._next_due.values()) - self._clock())

    def poll_once(self, only_due: bool = False) -> PollReport:
        """Poll every feed (or only those due), publish, flush, commit, save the state."""
        report = PollReport()
        sources = self.due() if only_due else list(self.sources)
        now = self._clock()
        for source in sources:
            self._next_due[source.feed.url] = now + source.feed.interval_s
        futures = {self._pool.submit(self._collect, source): source for source in sources}
        sent_ids: set[str] = set()  # feeds polled in parallel may both carry one article
        for future in as_completed(futures):
            source = futures[future]
            records, error = future.result()
            report.polled += 1
            if error is not None:
                kind, message = error
                metrics.FEED_POLLS.labels(source.label, "error").inc()
                metrics.FEED_ERRORS.labels(source.label, kind).inc()
                report.errors.append((source.feed.url, kind, message))
                log.warning("feed %s (%s): %s: %s", source.name, source.feed.url, kind, message)
                continue
            metrics.FEED_POLLS.labels(source.label, source.status).inc()
            if source.status == "not_modified":
                report.not_modified += 1
            records = [r for r in records if r["id"] not in sent_ids]
            try:
                for record in records:
                    self.publisher.send(record)
                if records:
                    self.publisher.flush()
            except Exception as exc:  # noqa: BLE001 - broker trouble: retry these entries next poll
                report.publish_failures += 1
                log.error("feed %s: publishing %d records failed: %s", source.name, len(records), exc)
                continue
            source.commit()
            sent_ids.update(r["id"] for r in records)
            report.published += len(records)
            if records:
                metrics.FEED_ENTRIES.labels(source.label).inc(len(records))
        self.save()
        return report

    @staticmethod
    def _collect(source: FeedSource) -> tuple[list[RawRecord], tuple[str, str] | None]:
        try:
            return list(source.records()), None
        except FetchError as exc:
            return [], (exc.kind, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken feed must not stop the others
            log.exception("feed %s: unexpected failure", source.name)
            return [], ("internal", f"{type(exc).__name__}: {exc}")

    def run(self, once: bool = False, stop: threading.Event | None = None) -> PollReport:
        """Poll until ``stop`` is set (or one round with ``once``); returns the totals."""
        stop = stop or threading.Event()
        total = PollReport()
        while not stop.is_set():
            total.add(self.poll_once(only_due=not once))
            if once:
                break
            stop.wait(self.seconds_to_next())
        return total

    def save(self) -> None:
        """Persist the seen-store; a failed write is logged (entries may then be re-published
        after a restart, with the same ids) and retried at the next poll."""
        try:
            self.seen.save()
        except OSError as exc:
            log.error("cannot write feed state %s: %s", self.seen.path, exc)
        metrics.STATE_ENTRIES.labels("feed_seen").set(len(self.seen))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.save()


# --------------------------------------------------------------------------- entry point

def run_feeds(settings: Settings, config_path: str, once: bool = False, state_dir: str | None = None,
              *, metrics_port: int | None = None) -> int:
    """``python -m streams feeds --config feeds.yaml [--once]``.

    State goes to ``state_dir``, else the config's ``state_dir``, else
    ``<settings.data_dir>/feeds``. With ``metrics_port`` the poller serves
    ``/metrics`` (the ``streams.runtime.metrics`` registry) on that port while it runs.
    Returns 0 when done (after SIGINT/SIGTERM, or after one round with ``once``
    in which every feed was polled and published), 1 when Kafka is unreachable
    or, with ``once``, any feed failed (the others are still published),
    2 on a bad config or a metrics port that cannot be bound."""
    from streams.runtime import publish

    try:
        config = load_config(config_path)
    except FeedConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state = Path(state_dir or config.state_dir or Path(settings.data_dir) / "feeds")
    exporter = None
    if metrics_port is not None:
        from prometheus_client import start_http_server

        try:
            exporter, _ = start_http_server(metrics_port, addr=settings.bind_address, registry=metrics.REGISTRY)
        except OSError as exc:
            print(f"error: cannot serve metrics on port {metrics_port}: {exc}", file=sys.stderr)
            return 2
    try:
        try:
            publisher = publish.Publisher(settings)
        except publish.PublishError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        stop = threading.Event()
        restore = _install_stop_handlers(stop)
        poller = FeedPoller(config, publisher, state)
        try:
            report = poller.run(once=once, stop=stop)
        finally:
            restore()
            poller.close()
            publisher.close()
    finally:
        if exporter is not None:
            exporter.shutdown()
            exporter.server_close()
    # Each error was logged once as it happened; the command ends with one summary line.
    kinds = Counter(kind for _, kind, _ in report.errors)
    by_kind = f" ({', '.join(f'{kind} {n}' for kind, n in sorted(kinds.items()))})" if kinds else ""
    print(f"feeds: polled {report.polled}, published {report.published}, not modified {report.not_modified}, "
          f"errors {len(report.errors)}{by_kind}, publish failures {report.publish_failures}", file=sys.stderr)
    return 1 if once and not report.ok else 0


def _install_stop_handlers(stop: threading.Event):
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return restore
