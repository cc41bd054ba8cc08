"""Safe HTTP fetching for feeds and article pages (stdlib ``http.client`` only).

What a fetch guarantees, whatever the server does:

* **Time**: every socket operation has a timeout (``timeout_s``) and the whole
  request — connect, TLS handshake, headers, body, every redirect hop — has a
  hard deadline (``deadline_s``). A watchdog shuts the connection down when the
  deadline passes, so a server that dribbles one byte a second (slow-loris)
  cannot hold a poller, not even in its header block.
  DNS resolution is the one step a deadline cannot interrupt (``getaddrinfo``).
* **Size**: a body larger than ``max_bytes`` is refused from its
  ``Content-Length`` or, without one, as soon as the running total passes the
  cap; nothing beyond one chunk past the cap is read. gzip bodies are capped
  *after* decompression too (no decompression bombs).
* **Where**: only ``http``/``https`` URLs whose scheme, host *and port* are in the
  caller's allow-list are requested (``host`` allows http:80 and https:443 only,
  ``host:port`` that port, ``scheme://host[:port]`` that scheme and port); redirects
  are followed by hand, each target checked against the same list, at most
  ``max_redirects`` hops, and a loop is an error. On every connection (every
  redirect hop included) the host is resolved and every address checked: a
  loopback, private, link-local or other non-global address is refused unless the
  allow-list names that address itself (an IP literal, or ``localhost``) or
  ``allow_private_networks`` is set; the connection goes to the checked address
  (no second DNS lookup an attacker could answer differently).
* **What**: the caller can refuse a content type from the headers alone,
  before any of the body is read.
* **Politeness**: at most ``concurrency_per_host`` requests in flight per host and
  at least ``delay_per_host_s`` between the starts of two requests to one host.
* **Retries**: transient failures (5xx, 429, timeouts, refused/reset
  connections) are retried ``retries`` times with exponential backoff.
* **Conditional GET**: ``etag``/``last_modified`` are sent as ``If-None-Match``/
  ``If-Modified-Since``; a 304 comes back as a :class:`Response` with
  ``not_modified`` set and an empty body.

Every failure is a :class:`FetchError` subclass whose ``kind`` is a short,
bounded string fit for a metric label.
"""
from __future__ import annotations

import email.utils
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5_000_000
USER_AGENT = "news-streams/0.1 (feed poller; +https://github.com/news-streams)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK = 65536


# --------------------------------------------------------------------------- errors

class FetchError(Exception):
    """A fetch (or the parsing of what was fetched) failed; ``kind`` labels metrics."""

    kind = "fetch"
    transient = False  # retried by default?

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retryable: bool | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        """Worth another attempt (5xx/429, a socket timeout, a refused connection)."""
        return self.transient if self._retryable is None else self._retryable

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.url})" if self.url else base


class FetchTimeout(FetchError):
    """A socket operation timed out (retried) or the request deadline passed (not retried:
    a server that dribbles bytes will do it again)."""

    kind = "timeout"
    transient = True


class TooLarge(FetchError):
    kind = "too_large"


class RedirectLoop(FetchError):
    kind = "redirect_loop"


class HostNotAllowed(FetchError):
    kind = "host_not_allowed"


class HTTPStatusError(FetchError):
    kind = "http_status"

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status in RETRY_STATUSES


class NotHTML(FetchError):
    kind = "not_html"


class MalformedFeed(FetchError):
    kind = "malformed_feed"


class XMLUnsafe(FetchError):
    kind = "xml_unsafe"


class ConnectionFailed(FetchError):
    kind = "connection"
    transient = True


# --------------------------------------------------------------------------- config and results

@dataclass(frozen=True)
class FetchLimits:
    """Limits applied to every request of a :class:`Fetcher`."""

    timeout_s: float = 10.0
    deadline_s: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5
    retries: int = 2
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0
    concurrency_per_host: int = 2
    delay_per_host_s: float = 1.0
    user_agent: str = USER_AGENT
    allow_private_networks: bool = False  # fetch host names that resolve to loopback/private/link-local addresses


@dataclass
class Response:
    """The outcome of a successful fetch (a 2xx, or a 304 to a conditional GET)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return media_type(self.headers.get("content-type", ""))

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip().strip('"') or None
        return None


def media_type(content_type: str) -> str:
    """``'text/HTML; charset=utf-8'`` -> ``'text/html'``."""
    return content_type.split(";", 1)[0].strip().lower()


def host_of(url: str) -> str:
    """Lower-case host name of a URL, without port or credentials ('' if none)."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


DEFAULT_PORTS = {"http": 80, "https": 443}
ANY_SCHEME = "*"
DEFAULT_PORT = "default"


def normalize_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Allow-list entries as origins ``scheme://host:port``: a bare ``host`` allows http and https on their
    default ports (``*://host:default``), ``host:port`` either scheme on that port, a URL its scheme and
    its port (explicit or the scheme's default). Normalized entries come out unchanged."""
    out = set()
    for entry in hosts:
        entry = str(entry).strip().lower()
        scheme = ANY_SCHEME
        if "://" in entry:
            scheme, entry = entry.split("://", 1)
            entry = entry.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
        port = DEFAULT_PORT
        if entry.startswith("["):  # [ipv6] or [ipv6]:port
            host, _, rest = entry[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else DEFAULT_PORT
        elif entry.count(":") == 1:
            host, _, port = entry.partition(":")
        else:
            host = entry
        host = host.rstrip(".")
        if host and (port == DEFAULT_PORT or port.isdigit()) and (scheme == ANY_SCHEME or scheme in DEFAULT_PORTS):
            out.add(_origin(scheme, host, int(port) if port.isdigit() else port))
    return frozenset(out)


def _origin(scheme: str, host: str, port: int | str) -> str:
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


def url_allowed(url: str, allowed: frozenset[str]) -> bool:
    """Whether ``url``'s scheme, host and port are in ``allowed`` (from :func:`normalize_hosts`)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme, host = parts.scheme.lower(), host_of(url)
    if scheme not in DEFAULT_PORTS or not host:
        return False
    port = DEFAULT_PORTS[scheme] if port is None else port
    named = {_origin(scheme, host, port), _origin(ANY_SCHEME, host, port)}
    if port == DEFAULT_PORTS[scheme]:
        named |= {_origin(scheme, host, DEFAULT_PORT), _origin(ANY_SCHEME, host, DEFAULT_PORT)}
    return bool(named & allowed)


def names_an_address(host: str) -> bool:
    """Whether ``host`` is an IP literal or ``localhost``: an allow-list entry naming it names that address."""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_global(address: str) -> bool:
    """A public (globally routable) address: not loopback, private, link-local, shared, reserved, multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return ip.is_global and not ip.is_multicast


# --------------------------------------------------------------------------- politeness

class HostGate:
    """Per-host concurrency limit and minimum spacing between request starts."""

    def __init__(self, concurrency: int, delay_s: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.concurrency = max(1, int(concurrency))
        self.delay_s = max(0.0, float(delay_s))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        semaphore.acquire()
        try:
            with self._lock:  # reserve the next start time for this host
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.delay_s
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            semaphore.release()


# --------------------------------------------------------------------------- the fetcher

class _Deadline:
    """Shuts a connection down when the request deadline passes (defeats slow-loris).

    The watchdog holds a duplicate of the socket's file descriptor: shutting that
    down ends the connection under a plain or a TLS socket alike, and wakes up a
    ``recv`` blocked in another thread, without touching the socket objects the
    reading thread uses."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.end = clock() + seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.end - self._clock()

    def check(self, url: str) -> None:
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise FetchTimeout("deadline exceeded", url=url, retryable=False)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._cancel()
            self._sock = sock.dup()
            self._timer = threading.Timer(max(0.0, self.remaining()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def done(self) -> None:
        with self._lock:
            self._cancel()

    def connector(self, url: str = "", private_ok: bool = True) -> Callable[..., socket.socket]:
        """A ``socket.create_connection`` that resolves the host once, refuses non-global addresses unless
        ``private_ok``, connects to a checked address and arms the watchdog as soon as TCP is up, so a TLS
        handshake is under the deadline too."""

        default_timeout = socket.getdefaulttimeout()

        def connect(address, timeout=default_timeout, source_address=None, **kwargs):
            host, port = address[0], address[1]
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise ConnectionFailed(f"cannot resolve {host}: {exc}", url=url) from None
            addresses = [str(info[4][0]) for info in infos]
            refused = [a for a in addresses if not is_global(a)]
            if refused and not private_ok:
                raise HostNotAllowed(f"host {host!r} resolves to {refused[0]}, a loopback, private or link-local "
                                     "address (allowed only when the allow-list names that address, or with "
                                     "allow_private_networks)", url=url)
            error: OSError | None = None
            for checked in dict.fromkeys(addresses):
                try:
                    sock = socket.create_connection((checked, port), timeout, source_address, **kwargs)
                except OSError as exc:
                    error = exc
                    continue
                self.watch(sock)
                return sock
            raise error or OSError(f"no address for {host}")

        return connect


ContentTypeCheck = Callable[[str, str], None]
"""``check(media_type, url)`` raises a :class:`FetchError` to refuse a body from its headers."""


class Fetcher:
    """Thread-safe; share one per process so per-host politeness holds across feeds."""

    def __init__(self, limits: FetchLimits | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.limits = limits or FetchLimits()
        self._clock = clock
        self._sleep = sleep
        self._ssl = ssl_context or ssl.create_default_context()
        self.gate = HostGate(self.limits.concurrency_per_host, self.limits.delay_per_host_s, clock, sleep)

    def fetch(self, url: str, *, allow_hosts: Iterable[str], etag: str | None = None,
              last_modified: str | None = None, accept: str = "*/*",
              check_content_type: ContentTypeCheck | None = None,
              max_bytes: int | None = None) -> Response:
        """GET ``url`` within the limits, retrying transient failures; see the module doc."""
        allowed = normalize_hosts(allow_hosts)
        attempts = max(0, self.limits.retries) + 1
        for attempt in range(attempts):
            try:
                return self._fetch_once(url, allowed, etag, last_modified, accept,
                                        check_content_type, max_bytes or self.limits.max_bytes)
            except FetchError as exc:
                if not exc.retryable or attempt == attempts - 1:
                    raise
                pause = min(self.limits.backoff_max_s, self.limits.backoff_s * (2 ** attempt))
                retry_after = getattr(exc, "retry_after", None)
                if retry_after is not None:
                    pause = min(self.limits.backoff_max_s, max(pause, retry_after))
                log.info("retrying %s in %.2fs after %s: %s", url, pause, exc.kind, exc)
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch_once(self, url: str, allowed: frozenset[str], etag: str | None, last_modified: str | None,
                    accept: str, check: ContentTypeCheck | None, max_bytes: int) -> Response:
        deadline = _Deadline(self.limits.deadline_s, self._clock)
        visited: list[str] = []
        current = url
        try:
            while True:
                self._check_url(current, allowed)
                if current in visited:
                    raise RedirectLoop(f"redirect loop after {len(visited)} hops", url=current)
                if len(visited) > self.limits.max_redirects:
                    raise RedirectLoop(f"more than {self.limits.max_redirects} redirects", url=current)
                visited.append(current)
                headers = {"User-Agent": self.limits.user_agent, "Accept": accept,
                           "Accept-Encoding": "gzip", "Connection": "close"}
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
                queued = self._clock()
                with self.gate.slot(host_of(current)):
                    deadline.end += self._clock() - queued  # waiting for politeness is not fetch time
                    status, resp_headers, location, body = self._request(
                        current, headers, deadline, check, max_bytes)
                if status in REDIRECT_STATUSES:
                    if not location:
                        raise HTTPStatusError(f"HTTP {status} without Location", url=current, status=status)
                    current = urljoin(current, location)
                    continue
                return Response(url=current, status=status, headers=resp_headers, body=body,
                                redirects=visited[1:])
        finally:
            deadline.done()

    @staticmethod
    def _check_url(url: str, allowed: frozenset[str]) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise HostNotAllowed("not a valid URL", url=url) from None
        if parts.scheme not in ("http", "https"):
            raise HostNotAllowed(f"scheme {parts.scheme or '(none)'!r} is not allowed", url=url)
        host = host_of(url)
        if not host or not url_allowed(url, allowed):
            where = f"{parts.scheme}://{host or '(none)'}:{parts.port or DEFAULT_PORTS[parts.scheme]}"
            raise HostNotAllowed(f"{where} (scheme, host and port) is not in the allow-list", url=url)

    def _request(self, url: str, headers: dict[str, str], deadline: _Deadline,
                 check: ContentTypeCheck | None, max_bytes: int
                 ) -> tuple[int, dict[str, str], str | None, bytes]:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        deadline.check(url)
        op_timeout = max(0.001, min(self.limits.timeout_s, deadline.remaining()))
        host = parts.hostname or ""
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, parts.port, timeout=op_timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=op_timeout)
        private_ok = self.limits.allow_private_networks or names_an_address(host_of(url))
        conn._create_connection = deadline.connector(url, private_ok)  # type: ignore[attr-defined]
        try:
            try:
                conn.connect()
                sock = conn.sock
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
            except FetchError:
                raise
            except TimeoutError:
                raise FetchTimeout("deadline exceeded" if deadline.expired else "timed out", url=url,
                                   retryable=not deadline.expired) from None
            except (OSError, http.client.HTTPException) as exc:
                if deadline.expired:
                    raise FetchTimeout("deadline exceeded", url=url, retryable=False) from None
                raise ConnectionFailed(f"{type(exc).__name__}: {exc}", url=url) from None

            resp_headers = {k.lower(): v for k, v in response.getheaders()}
            status = response.status
            if status in REDIRECT_STATUSES:
                return status, resp_headers, resp_headers.get("location"), b""
            if status == 304:
                return status, resp_headers, None, b""
            if not 200 <= status < 300:
                error = HTTPStatusError(f"HTTP {status}", url=url, status=status)
                error.retry_after = _retry_after(resp_headers.get("retry-after"))  # type: ignore[attr-defined]
                raise error
            if check is not None:
                check(media_type(resp_headers.get("content-type", "")), url)
            length = resp_headers.get("content-length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise TooLarge(f"Content-Length {int(length)} exceeds {max_bytes} bytes", url=url)
            body = self._read_body(response, sock, resp_headers, deadline, max_bytes, url)
            return status, resp_headers, None, body
        finally:
            conn.close()

    def _read_body(self, response: http.client.HTTPResponse, sock: socket.socket,
                   headers: dict[str, str], deadline: _Deadline, max_bytes: int, url: str) -> bytes:
        encoding = headers.get("content-encoding", "").strip().lower()
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
        chunks: list[bytes] = []
        raw_total = total = 0
        try:
            while True:
                deadline.check(url)
                sock.settimeout(max(0.001, min(self.limits.timeout_s, deadline.remaining())))
                chunk = response.read1(CHUNK)  # one recv: the deadline is checked between reads
                if not chunk:
                    break
                raw_total += len(chunk)
                if raw_total > max_bytes:
                    raise TooLarge(f"body exceeds {max_bytes} bytes", url=url)
                if gunzip is not None:
                    chunk = gunzip.decompress(chunk, max_bytes - total + 1)
                    if gunzip.unconsumed_tail:
                        raise TooLarge(f"decompressed body exceeds {max_bytes} bytes", url=url)
                total += len(chunk)
                if total > max_bytes:
                    raise TooLarge(f"body exceeds {max_bytes} bytes", url=url)
                chunks.append(chunk)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchTimeout("deadline exceeded" if deadline.expired else "read timed out", url=url,
                               retryable=not deadline.expired) from None
        except zlib.error as exc:
            raise ConnectionFailed(f"bad gzip body: {exc}", url=url) from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                raise FetchTimeout("deadline exceeded", url=url, retryable=False) from None
            raise ConnectionFailed(f"{type(exc).__name__}: {exc}", url=url) from None
        if deadline.expired:  # the watchdog closed the socket: what we have is truncated
            raise FetchTimeout("deadline exceeded", url=url, retryable=False)
        return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
