"""The feed list: a YAML file read and validated into :class:`FeedsConfig` (keys in ``docs/feeds.md``).

Every problem is one :class:`FeedConfigError` line naming where it is (``feeds[2].interval_s must be ...``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from streams.sources.fetch import FetchLimits, host_of, normalize_hosts


class FeedConfigError(ValueError):
    """The feed configuration cannot be used; the message is one line."""



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
