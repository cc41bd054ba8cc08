"""Live feeds against a threaded HTTP server on 127.0.0.1 (no other network).

The server serves real-world-shaped RSS/Atom feeds and article pages from
``tests/sources/data`` plus hostile endpoints: a malformed feed, billion laughs,
XXE, non-HTML "articles", a lazily streamed 50 MB page, a gzip bomb, a redirect
loop, a redirect to another host name, 5xx responses and slow-loris bodies.
Publishing goes to a list collector; the Kafka end-to-end test lives elsewhere.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from streams.core.observe import Recorder
from streams.sources.base import article_id
from streams.sources.feeds import (
    FeedConfigError,
    FeedPoller,
    FeedSource,
    SeenStore,
    check_xml_safe,
    load_config,
    parse_config,
    run_feeds,
)
from streams.sources.fetch import (
    ConnectionFailed,
    Fetcher,
    FetchLimits,
    FetchTimeout,
    HostNotAllowed,
    HTTPStatusError,
    NotHTML,
    RedirectLoop,
    TooLarge,
    XMLUnsafe,
)
from streams.sources.pages import check_html, normalize_url, page_article_id

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
HUGE_BYTES = 50 * 1024 * 1024
LAST_MODIFIED = "Fri, 05 Jul 2024 10:00:00 GMT"

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------- the local server

def _rss(items: list[tuple[str, str, str]], title: str = "Dynamic feed") -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
        f"<description>{t}: a summary long enough to publish without a page.</description></item>"
        for guid, t, link in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{body}</channel></rss>").encode()


class FeedServer:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        self.bytes_sent: Counter[str] = Counter()
        self.arrivals: dict[str, list[float]] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.flaky_failures = 2
        self.dynamic: list[tuple[str, str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.hits[path] += 1
                    server.request_headers.setdefault(path, []).append({k.lower(): v for k, v in self.headers.items()})
                    server.arrivals.setdefault(path, []).append(time.monotonic())
                    server.in_flight[path] += 1
                    server.max_in_flight[path] = max(server.max_in_flight[path], server.in_flight[path])
                try:
                    server.route(self, path)
                except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight[path] -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        if tls is not None:  # (certificate, key)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def fixture(self, name: str) -> bytes:
        return (DATA / name).read_text(encoding="utf-8").replace("{base}", self.base).encode("utf-8")

    # -- responses
    @staticmethod
    def send(handler, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        if status != 304:
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        if body and status != 304:
            handler.wfile.write(body)

    def route(self, h, path: str) -> None:
        pages = {
            "/news/2024/07/04/xi-putin-sco": "article_xi_putin.html",
            "/news/2024/07/03/brazil-floods": "article_brazil_floods.html",
            "/africa/2024/06/26/kenya-finance-bill": "article_kenya.html",
        }
        if path == "/rss.xml":  # ETag + If-None-Match
            body = self.fixture("rss.xml")
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if h.headers.get("If-None-Match") == etag:
                return self.send(h, 304, headers={"ETag": etag})
            return self.send(h, 200, body, "application/rss+xml; charset=utf-8", {"ETag": etag})
        if path == "/atom.xml":  # Last-Modified + If-Modified-Since
            if h.headers.get("If-Modified-Since") == LAST_MODIFIED:
                return self.send(h, 304)
            return self.send(h, 200, self.fixture("atom.xml"), "application/atom+xml",
                             {"Last-Modified": LAST_MODIFIED})
        if path == "/plain-rss.xml":  # no validators: every poll is a full 200
            return self.send(h, 200, self.fixture("rss.xml"), "text/xml")
        if path == "/dynamic.xml":
            return self.send(h, 200, _rss(self.dynamic), "application/rss+xml")
        if path == "/rss-gzip.xml":
            return self.send(h, 200, gzip.compress(self.fixture("rss.xml")), "application/rss+xml",
                             {"Content-Encoding": "gzip"})
        if path in pages:
            return self.send(h, 200, self.fixture(pages[path]))
        if path == "/malformed.xml":
            return self.send(h, 200, self.fixture("malformed.xml"), "application/rss+xml")
        if path == "/billion-laughs.xml":
            return self.send(h, 200, self.fixture("billion_laughs.xml"), "application/rss+xml")
        if path == "/xxe.xml":
            return self.send(h, 200, self.fixture("xxe.xml"), "application/rss+xml")
        if path == "/bad-pages.xml":
            items = [(f"bad-{name}", f"Story {name}", self.url(f"/{name}")) for name in
                     ("image.png", "download.bin", "huge.html", "slow-page.html")]
            return self.send(h, 200, _rss(items, "Bad pages"), "application/rss+xml")
        if path == "/image.png":
            return self.send(h, 200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048, "image/png")
        if path == "/download.bin":
            return self.send(h, 200, b"MZ\x90\x00" + b"\x00" * 2048, "application/octet-stream")
        if path in ("/huge.html", "/huge-feed.xml"):  # 50 MB, streamed lazily, no Content-Length
            return self.stream_huge(h, path, "text/html" if path.endswith(".html") else "application/rss+xml")
        if path == "/huge-declared.html":  # refused from its Content-Length alone
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(HUGE_BYTES))
            h.end_headers()
            return self.stream_huge(h, path, None)
        if path == "/gzip-bomb.xml":  # ~50 KB on the wire, 50 MB inflated
            return self.send(h, 200, gzip_bomb(), "application/rss+xml",
                             {"Content-Encoding": "gzip"})
        if path == "/loop-a":
            return self.send(h, 302, headers={"Location": "/loop-b"})
        if path == "/loop-b":
            return self.send(h, 301, headers={"Location": self.url("/loop-a")})
        if path == "/redirect-away":  # same server, different host name
            return self.send(h, 302, headers={"Location": f"http://localhost:{self.port}/rss.xml"})
        if path == "/redirect-home":
            return self.send(h, 301, headers={"Location": "/plain-rss.xml"})
        if path in ("/slow.xml", "/slow-page.html"):  # slow-loris: one byte a second, forever
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml" if path.endswith(".xml") else "text/html")
            h.end_headers()
            h.wfile.write(b"<")
            while not self.stop.wait(1.0):
                h.wfile.write(b" ")
            return None
        if path == "/slow-headers.xml":  # slow-loris in the header block
            h.wfile.write(b"HTTP/1.0 200 OK\r\n")
            while not self.stop.wait(0.5):
                h.wfile.write(b"X-Drip: 1\r\n")
            return None
        if path == "/flaky.xml":
            with self.lock:
                fail = self.flaky_failures > 0
                self.flaky_failures -= 1
            if fail:
                return self.send(h, 503, b"busy", "text/plain", {"Retry-After": "0"})
            return self.send(h, 200, self.fixture("rss.xml"), "application/rss+xml")
        if path == "/error500.xml":
            return self.send(h, 500, b"oops", "text/plain")
        if path == "/sleepy":
            time.sleep(0.3)
            return self.send(h, 200, b"<html><body>ok</body></html>")
        return self.send(h, 404, b"not found", "text/plain")

    def stream_huge(self, h, path: str, content_type: str | None) -> None:
        if content_type:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.end_headers()
            h.wfile.write(b"<html><body><p>")
        chunk = b"a" * 65536
        for _ in range(HUGE_BYTES // len(chunk)):
            if self.stop.is_set():
                return
            h.wfile.write(chunk)
            with self.lock:
                self.bytes_sent[path] += len(chunk)


@pytest.fixture(scope="module")
def server():
    gzip_bomb()  # built before any poll starts its deadline
    srv = FeedServer()
    yield srv
    srv.close()


class ListPublisher:
    """Publisher stand-in: collects records; ``send``/``flush`` like streams.runtime.publish.Publisher."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.flushes = 0
        self.closed = False

    def send(self, record: dict) -> str:
        self.records.append(dict(record))
        return record["id"]

    def flush(self, timeout: float = 60.0) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.closed = True


FAST = {"timeout_s": 3.0, "deadline_s": 1.5, "retries": 0, "backoff_s": 0.01, "delay_per_host_s": 0.0,
        "concurrency_per_host": 8, "interval_s": 60}


@functools.cache
def gzip_bomb() -> bytes:
    """Compressed once per session: compressing 50 MB on each request took longer than the
    fetch deadline on a loaded machine, and the feed then failed as a timeout, not as too large."""
    return gzip.compress(b"\x00" * HUGE_BYTES, 9)


def config(*feeds: dict, **defaults):
    return parse_config({"defaults": {**FAST, **defaults}, "feeds": list(feeds)})


# --------------------------------------------------------------------------- feeds, pages, once-only

def test_rss_feed_with_pages_published_once_and_304(server, tmp_path):
    cfg = config({"url": server.url("/rss.xml"), "name": "example-news", "fetch_pages": True})
    pub, observed = ListPublisher(), Recorder()
    poller = FeedPoller(cfg, pub, tmp_path, observer=observed)
    report = poller.poll_once()
    assert report.ok and report.published == 3
    by_title = {r["title"]: r for r in pub.records}
    assert all(set(r) == {"id", "title", "text", "source", "url", "published", "author"} for r in pub.records)
    assert [r["published"] for r in pub.records] == sorted(r["published"] for r in pub.records)  # oldest first

    evs = by_title["EU sets provisional tariffs of up to 37.6% on Chinese electric vehicles"]
    assert evs["text"].startswith("BRUSSELS (Example) \u2013 The European Union")  # content:encoded, no page
    assert evs["author"] == "Philip Blenkinsop" and evs["source"] == "example-news"
    assert evs["published"] == "2024-07-05T08:30:00+00:00"
    assert server.hits["/news/2024/07/05/eu-tariffs-chinese-evs"] == 0

    xi = by_title["Xi tells Putin at SCO summit that world faces \u2018turbulent\u2019 era"]
    assert xi["url"] == server.url("/world/asia/xi-putin-sco-summit-2024-07-04/")  # rel=canonical, allowed host
    assert xi["id"] == page_article_id(xi["url"]) == article_id({"url": xi["url"]})
    assert "Shanghai Cooperation Organisation" in xi["text"] and len(xi["text"]) > 400
    assert "cookies" not in xi["text"] and "All rights reserved" not in xi["text"]
    assert xi["author"] == "Example News staff"  # the feed's dc:creator wins over the page
    assert xi["published"] == "2024-07-04T11:20:00+00:00"

    floods = by_title["Floods force thousands from their homes in southern Brazil"]
    # the canonical link points to a host the feed does not allow: keep the fetched URL
    assert floods["url"] == server.url("/news/2024/07/03/brazil-floods")
    assert "Guaiba lake" in floods["text"] and floods["author"] == "Ana Mano"

    assert observed.value("feed_polls", feed="example-news", result="ok") == 1
    assert observed.value("feed_entries", feed="example-news") == 3
    assert len(observed.observed("feed_fetch_duration_seconds", feed="example-news")) == 3  # the feed, 2 pages
    report = poller.poll_once()
    assert report.published == 0 and report.not_modified == 1
    assert len(pub.records) == 3
    assert server.request_headers["/rss.xml"][-1]["if-none-match"].startswith('"')
    assert observed.value("feed_polls", feed="example-news", result="not_modified") == 1
    poller.close()
    state = json.loads((tmp_path / "feeds-state.json").read_text())
    assert state["validators"][server.url("/rss.xml")]["etag"]


def test_atom_feed_last_modified_and_pages(server, tmp_path):
    cfg = config({"url": server.url("/atom.xml"), "name": "wire", "fetch_pages": True})
    pub = ListPublisher()
    poller = FeedPoller(cfg, pub, tmp_path)
    assert poller.poll_once().published == 2
    nikkei, kenya = sorted(pub.records, key=lambda r: r["title"].startswith("Kenya"))
    assert nikkei["title"] == "Japan\u2019s Nikkei hits record high as chip stocks rally"
    assert nikkei["published"] == "2024-07-04T21:45:00+00:00" and nikkei["author"] == "Junko Fujita"
    assert "Tokyo Electron" in nikkei["text"]
    assert kenya["url"] == server.url("/africa/2024/06/26/kenya-finance-bill")
    assert "International Monetary Fund" in kenya["text"]
    assert poller.poll_once().not_modified == 1
    assert server.request_headers["/atom.xml"][-1]["if-modified-since"] == LAST_MODIFIED
    assert len(pub.records) == 2
    poller.close()


def test_published_once_across_polls_and_restarts(server, tmp_path):
    # newest first, like real feeds; records are published oldest first
    server.dynamic[:] = [(f"dyn-{i}", f"Dynamic story {i}", server.url(f"/dyn/{i}")) for i in (2, 1, 0)]
    cfg = config({"url": server.url("/dynamic.xml"), "name": "dynamic"})
    pub = ListPublisher()
    first = FeedPoller(cfg, pub, tmp_path)
    assert first.poll_once().published == 3
    assert first.poll_once().published == 0  # a 200 with the same entries: the seen-store filters
    first.close()

    restarted = FeedPoller(cfg, pub, tmp_path)  # same state dir, fresh process state
    assert restarted.poll_once().published == 0
    server.dynamic.insert(0, ("dyn-3", "Dynamic story 3", server.url("/dyn/3")))
    assert restarted.poll_once().published == 1
    assert restarted.poll_once().published == 0
    restarted.close()
    assert [r["title"] for r in pub.records] == [f"Dynamic story {i}" for i in range(4)]
    assert len({r["id"] for r in pub.records}) == 4


def test_an_entry_listed_twice_in_one_feed_is_published_once(server, tmp_path):
    link = server.url("/dup/1?utm_source=rss")
    server.dynamic[:] = [("dup-a", "Twice listed", link), ("dup-b", "Twice listed", server.url("/dup/1"))]
    pub = ListPublisher()
    poller = FeedPoller(config({"url": server.url("/dynamic.xml"), "name": "t-dup"}), pub, tmp_path)
    assert poller.poll_once().published == 1
    assert pub.records[0]["url"] == server.url("/dup/1")
    poller.close()


def test_two_feeds_linking_one_article_publish_it_once(server, tmp_path):
    for workers in (1, 2):  # one after the other (seen-store) and in parallel (same poll)
        cfg = config({"url": server.url("/rss.xml"), "name": "a"},
                     {"url": server.url("/plain-rss.xml"), "name": "b"}, workers=workers)
        pub = ListPublisher()
        poller = FeedPoller(cfg, pub, tmp_path / str(workers))
        assert poller.poll_once().published == 3
        poller.close()
        assert len(pub.records) == 3


def test_run_polls_on_the_interval_until_stopped(server, tmp_path):
    server.dynamic[:] = [("run-0", "Run story 0", server.url("/run/0"))]
    cfg = config({"url": server.url("/dynamic.xml"), "name": "t-run", "interval_s": 0.2})
    pub, observed = ListPublisher(), Recorder()
    poller = FeedPoller(cfg, pub, tmp_path, observer=observed)
    stop = threading.Event()
    runner = threading.Thread(target=poller.run, kwargs={"stop": stop})
    runner.start()
    deadline = time.monotonic() + 5
    while observed.value("feed_polls", feed="t-run", result="ok") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.dynamic.insert(0, ("run-1", "Run story 1", server.url("/run/1")))
    while len(pub.records) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive()
    poller.close()
    assert [r["title"] for r in pub.records] == ["Run story 0", "Run story 1"]
    assert observed.value("feed_entries", feed="t-run") == 2
    assert observed.value("state_entries", state="feed_seen") == len(poller.seen) > 0


def test_failed_publish_is_retried_not_lost(server, tmp_path):
    class Down(ListPublisher):
        def flush(self, timeout: float = 60.0) -> None:
            raise RuntimeError("broker down")

    cfg = config({"url": server.url("/plain-rss.xml"), "name": "outage"})
    poller = FeedPoller(cfg, Down(), tmp_path)
    report = poller.poll_once()
    assert report.publish_failures == 1 and not report.ok
    poller.close()
    pub = ListPublisher()
    poller = FeedPoller(cfg, pub, tmp_path)
    assert poller.poll_once().published == 3
    poller.close()


# --------------------------------------------------------------------------- hostile inputs

BAD_FEEDS = {
    "t-malformed": ("/malformed.xml", "malformed_feed"),
    "t-billion-laughs": ("/billion-laughs.xml", "xml_unsafe"),
    "t-xxe": ("/xxe.xml", "xml_unsafe"),
    "t-loop": ("/loop-a", "redirect_loop"),
    "t-away": ("/redirect-away", "host_not_allowed"),
    "t-slow": ("/slow.xml", "timeout"),
    "t-slow-headers": ("/slow-headers.xml", "timeout"),
    "t-huge-feed": ("/huge-feed.xml", "too_large"),
    "t-gzip-bomb": ("/gzip-bomb.xml", "too_large"),
    "t-500": ("/error500.xml", "http_status"),
    "t-404": ("/missing.xml", "http_status"),
    "t-image-feed": ("/image.png", "malformed_feed"),
}


def test_bad_feeds_are_counted_and_the_poller_goes_on(server, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        refused_port = probe.getsockname()[1]
    feeds = [{"url": server.url(path), "name": name} for name, (path, _) in BAD_FEEDS.items()]
    feeds.append({"url": f"http://127.0.0.1:{refused_port}/rss.xml", "name": "t-refused"})
    feeds.append({"url": server.url("/rss-gzip.xml"), "name": "t-good"})  # last: still polled
    expected = {**{name: kind for name, (_, kind) in BAD_FEEDS.items()}, "t-refused": "connection"}
    pub, observed = ListPublisher(), Recorder()
    poller = FeedPoller(config(*feeds, workers=4), pub, tmp_path, observer=observed)
    started = time.monotonic()
    report = poller.poll_once()
    elapsed = time.monotonic() - started
    poller.close()

    got = {url: kind for url, kind, _ in report.errors}
    for feed in feeds[:-1]:
        assert got[feed["url"]] == expected[feed["name"]], feed
        assert observed.value("feed_errors", feed=feed["name"], kind=expected[feed["name"]]) == 1, feed
        assert observed.value("feed_polls", feed=feed["name"], result="error") == 1
    assert report.polled == len(feeds) and len(report.errors) == len(feeds) - 1
    assert {r["source"] for r in pub.records} == {"t-good"} and len(pub.records) == 3
    assert not any("lol" in r["title"] or "root:" in r["text"] for r in pub.records)
    assert server.hits.get("/xxe-callback", 0) == 0
    assert server.bytes_sent["/huge-feed.xml"] < HUGE_BYTES / 2  # aborted, not read to the end
    assert elapsed < 10, f"slow-loris or a big body held the poller for {elapsed:.1f}s"


def test_bad_article_pages_fall_back_to_the_summary(server, tmp_path):
    cfg = config({"url": server.url("/bad-pages.xml"), "name": "t-pages", "fetch_pages": True})
    image_hits = server.hits["/image.png"]
    pub, observed = ListPublisher(), Recorder()
    poller = FeedPoller(cfg, pub, tmp_path, observer=observed)
    started = time.monotonic()
    report = poller.poll_once()
    assert time.monotonic() - started < 8
    assert report.ok and report.published == 4  # the feed itself is fine
    assert observed.value("feed_errors", feed="t-pages", kind="not_html") == 2  # image/png, octet-stream
    assert observed.value("feed_errors", feed="t-pages", kind="too_large") == 1
    assert observed.value("feed_errors", feed="t-pages", kind="timeout") == 1
    assert all(r["text"].endswith("a summary long enough to publish without a page.") for r in pub.records)
    assert server.bytes_sent["/huge.html"] < HUGE_BYTES / 2
    assert server.hits["/image.png"] == image_hits + 1  # refused from the headers, never retried
    assert poller.poll_once().published == 0
    poller.close()


def test_redirect_to_another_host_is_followed_when_allowed(server, tmp_path):
    allowed = config({"url": server.url("/redirect-away"), "name": "t-away-ok", "allow_hosts": [f"localhost:{server.port}"]})
    pub = ListPublisher()
    poller = FeedPoller(allowed, pub, tmp_path)
    assert poller.poll_once().published == 3
    poller.close()


def test_redirect_within_host_and_loop_limits(server):
    fetcher = Fetcher(FetchLimits(**{k: v for k, v in FAST.items() if k != "interval_s"}))
    hosts = [f"127.0.0.1:{server.port}"]  # the allow-list is by host and port
    response = fetcher.fetch(server.url("/redirect-home"), allow_hosts=hosts)
    assert response.status == 200 and response.url == server.url("/plain-rss.xml")
    assert response.redirects == [server.url("/plain-rss.xml")]
    with pytest.raises(RedirectLoop) as loop:
        fetcher.fetch(server.url("/loop-a"), allow_hosts=hosts)
    assert loop.value.kind == "redirect_loop"
    with pytest.raises(HostNotAllowed):
        fetcher.fetch(server.url("/redirect-away"), allow_hosts=hosts)
    with pytest.raises(HostNotAllowed):
        fetcher.fetch("file:///etc/passwd", allow_hosts=hosts)
    with pytest.raises(HostNotAllowed):
        fetcher.fetch(server.url("/rss.xml"), allow_hosts=["example.com"])


def test_fetcher_limits_and_errors(server):
    limits = FetchLimits(timeout_s=3.0, deadline_s=1.0, retries=0, delay_per_host_s=0.0)
    fetcher = Fetcher(limits)
    hosts = [f"127.0.0.1:{server.port}"]  # the allow-list is by host and port
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as slow:
        fetcher.fetch(server.url("/slow-page.html"), allow_hosts=hosts)
    assert slow.value.kind == "timeout" and time.monotonic() - started < 2.5
    with pytest.raises(TooLarge):
        fetcher.fetch(server.url("/huge-declared.html"), allow_hosts=hosts)
    with pytest.raises(TooLarge):
        fetcher.fetch(server.url("/rss.xml"), allow_hosts=hosts, max_bytes=1000)
    with pytest.raises(NotHTML):
        fetcher.fetch(server.url("/image.png"), allow_hosts=hosts, check_content_type=check_html)
    with pytest.raises(HTTPStatusError) as status:
        fetcher.fetch(server.url("/missing"), allow_hosts=hosts)
    assert status.value.status == 404 and not status.value.retryable
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        fetcher.fetch(f"http://127.0.0.1:{port}/", allow_hosts=[f"127.0.0.1:{port}"])
    plain = fetcher.fetch(server.url("/rss-gzip.xml"), allow_hosts=hosts)
    assert plain.body == server.fixture("rss.xml")  # gzip decoded


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a test certificate")
def test_https_feed_with_verified_certificate_and_deadline(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    tls = FeedServer(tls=(cert, key))
    try:
        limits = FetchLimits(timeout_s=3.0, deadline_s=1.0, retries=0, delay_per_host_s=0.0)
        trusting = Fetcher(limits, ssl_context=ssl.create_default_context(cafile=str(cert)))
        response = trusting.fetch(tls.url("/rss.xml"), allow_hosts=[f"127.0.0.1:{tls.port}"])
        assert response.status == 200 and b"Example News" in response.body
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            trusting.fetch(tls.url("/slow.xml"), allow_hosts=[f"127.0.0.1:{tls.port}"])
        assert time.monotonic() - started < 2.5
        with pytest.raises(ConnectionFailed, match="CERTIFICATE_VERIFY_FAILED"):
            Fetcher(limits).fetch(tls.url("/rss.xml"), allow_hosts=[f"127.0.0.1:{tls.port}"])
    finally:
        tls.close()


def test_tls_handshake_is_under_the_deadline():
    with socket.socket() as listener:  # accepts TCP, never answers the TLS ClientHello
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        fetcher = Fetcher(FetchLimits(timeout_s=5.0, deadline_s=0.5, retries=0, delay_per_host_s=0.0))
        started = time.monotonic()
        with pytest.raises(FetchTimeout):
            fetcher.fetch(f"https://127.0.0.1:{port}/feed.xml", allow_hosts=[f"127.0.0.1:{port}"])
        assert time.monotonic() - started < 2


def test_transient_errors_are_retried_with_backoff(server):
    sleeps: list[float] = []
    fetcher = Fetcher(FetchLimits(retries=2, backoff_s=0.05, delay_per_host_s=0.0),
                      sleep=lambda s: (sleeps.append(s), time.sleep(s)))
    server.flaky_failures = 2
    response = fetcher.fetch(server.url("/flaky.xml"), allow_hosts=[f"127.0.0.1:{server.port}"])
    assert response.status == 200 and server.hits["/flaky.xml"] >= 3
    assert sleeps == [0.05, 0.1]  # exponential
    before = server.hits["/error500.xml"]
    with pytest.raises(HTTPStatusError):
        fetcher.fetch(server.url("/error500.xml"), allow_hosts=[f"127.0.0.1:{server.port}"])
    assert server.hits["/error500.xml"] == before + 3


def _fetch_in_threads(fetcher: Fetcher, url: str, count: int) -> None:
    threads = [threading.Thread(target=fetcher.fetch, args=(url,), kwargs={"allow_hosts": [url]})
               for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_per_host_delay_between_requests(server):
    server.arrivals.pop("/news/2024/07/03/brazil-floods", None)
    fetcher = Fetcher(FetchLimits(delay_per_host_s=0.25, concurrency_per_host=3, retries=0))
    _fetch_in_threads(fetcher, server.url("/news/2024/07/03/brazil-floods"), 3)
    arrivals = sorted(server.arrivals["/news/2024/07/03/brazil-floods"])
    assert len(arrivals) == 3
    assert all(b - a >= 0.2 for a, b in zip(arrivals, arrivals[1:]))


def test_per_host_concurrency_limit(server):
    server.max_in_flight["/sleepy"] = 0
    fetcher = Fetcher(FetchLimits(delay_per_host_s=0.0, concurrency_per_host=1, retries=0))
    _fetch_in_threads(fetcher, server.url("/sleepy"), 3)
    assert server.max_in_flight["/sleepy"] == 1
    server.max_in_flight["/sleepy"] = 0
    _fetch_in_threads(Fetcher(FetchLimits(delay_per_host_s=0.0, concurrency_per_host=3, retries=0)),
                      server.url("/sleepy"), 3)
    assert server.max_in_flight["/sleepy"] >= 2  # the limit is what held them back


# --------------------------------------------------------------------------- units

@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>',
    b'<?xml version="1.0"?>\n<!-- note -->\n<!doctype rss SYSTEM "http://x/rss.dtd"><rss/>',
    b'<rss version="2.0"><channel><!ENTITY x SYSTEM "file:///etc/passwd"></channel></rss>',
    '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'.encode("utf-16"),
    b'<?xml version="1.0" encoding="utf-7"?>+ADw-!DOCTYPE rss +AFs-+ADw-!ENTITY a +ACI-b+ACI-+AD4-+AF0-+AD4-<rss/>',
])
def test_xml_with_dtd_or_entities_is_refused(doc):
    with pytest.raises(XMLUnsafe):
        check_xml_safe(doc)


def test_doctype_text_inside_cdata_or_comments_is_fine(server):
    check_xml_safe(b'<rss><channel><item><description><![CDATA[<!DOCTYPE html><p>x</p>]]></description>'
                   b"<!-- <!ENTITY not-real> --></item></channel></rss>")
    check_xml_safe(server.fixture("rss.xml"))
    check_xml_safe(server.fixture("atom.xml"))


def test_article_id_is_the_canonical_url_only():
    url = "HTTP://Example.COM:80/a/b?utm_source=rss&id=7&fbclid=x#comments"
    assert normalize_url(url) == "http://example.com/a/b?id=7"
    assert page_article_id(url) == page_article_id("http://example.com/a/b?id=7")
    assert page_article_id(url) == article_id({"url": "http://example.com/a/b?id=7"})
    assert page_article_id(url) != page_article_id("http://example.com/a/c?id=7")


def test_seen_store_is_bounded_atomic_and_survives_corruption(tmp_path):
    store = SeenStore(tmp_path, max_entries=3)
    store.add(["a", "b"], when=1.0)
    store.add(["a"], when=1.5)  # still listed: kept young, first-seen time unchanged
    store.add(["c", "d"], when=2.0)
    assert "b" not in store and all(k in store for k in "acd") and len(store) == 3
    store.set_validators("http://x/feed", '"e1"', None)
    assert store.save() and not store.save()  # only writes when dirty
    assert not list(tmp_path.glob(".feeds-state.json.*"))  # no temp file left behind
    again = SeenStore(tmp_path, max_entries=3)
    assert "d" in again and again.validators("http://x/feed") == ('"e1"', None)
    assert json.loads((tmp_path / "feeds-state.json").read_text())["seen"]["a"] == 1.0
    (tmp_path / "feeds-state.json").write_text("{not json")
    fresh = SeenStore(tmp_path)
    assert len(fresh) == 0 and list(tmp_path.glob("feeds-state.json.corrupt-*"))


def test_feed_source_is_a_source(server, tmp_path):
    cfg = config({"url": server.url("/plain-rss.xml"), "name": "src"})
    source = FeedSource(cfg.feeds[0], Fetcher(cfg.limits), SeenStore(tmp_path))
    assert source.name == "src"
    first = list(source.records())
    assert len(first) == 3 and len(list(source.records())) == 3  # not committed: offered again
    source.commit()
    assert list(source.records()) == []


# --------------------------------------------------------------------------- config and entry point

def test_example_config_loads():
    cfg = load_config(ROOT / "feeds.example.yaml")
    assert cfg.feeds and all(f.url.startswith("https://") for f in cfg.feeds)
    assert cfg.limits.max_bytes == 5_000_000
    first = cfg.feeds[0]
    assert first.name and first.interval_s > 0 and first.allow_hosts


def test_config_defaults_and_overrides(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("defaults:\n  interval_s: 120\n  max_bytes: 1000000\n  delay_per_host_s: 2\n"
                    "feeds:\n  - url: https://www.example.com/rss\n"
                    "  - {url: 'https://feeds.example.org/atom', name: Org, interval_s: 30,"
                    " allow_hosts: [www.example.org], fetch_pages: true}\n")
    cfg = load_config(path)
    a, b = cfg.feeds
    assert (a.name, a.interval_s, a.fetch_pages, a.allow_hosts) == ("example.com", 120, False,
                                                                    frozenset({"*://www.example.com:default"}))
    assert (b.name, b.interval_s, b.fetch_pages) == ("Org", 30, True)
    assert b.allow_hosts == {"*://feeds.example.org:default", "*://www.example.org:default"}
    assert cfg.limits.max_bytes == 1_000_000 and cfg.limits.delay_per_host_s == 2


@pytest.mark.parametrize("text, message", [
    ("feeds: []\n", "non-empty list"),
    ("feeds:\n  - name: x\n", "'url' is required"),
    ("feeds:\n  - url: ftp://example.com/rss\n", "http(s) URL"),
    ("feeds:\n  - url: https://example.com/rss\n    intervall_s: 5\n", "unknown key 'intervall_s'"),
    ("feeds:\n  - url: https://example.com/rss\n    interval_s: -1\n", "interval_s must be >= "),
    ("feeds:\n  - url: https://example.com/rss\n    fetch_pages: 'yes'\n", "true or false"),
    ("feeds:\n  - url: https://example.com/rss\n  - url: https://example.com/rss\n", "listed twice"),
    ("defaults:\n  max_bytes: lots\nfeeds:\n  - url: https://example.com/rss\n", "max_bytes must be an integer"),
    ("feeds: [url: https://example.com/rss\n", "not valid YAML at line"),
    ("- https://example.com/rss\n", "expected a mapping"),
])
def test_bad_config_is_one_clear_line(tmp_path, text, message):
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(FeedConfigError) as error:
        load_config(path)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(path) in str(error.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(FeedConfigError, match="no such feeds config file"):
        load_config(tmp_path / "nope.yaml")


def test_run_feeds_once_builds_its_publisher(server, tmp_path, monkeypatch, capsys):
    import streams.runtime.publish
    from streams.settings import Settings

    made: list[ListPublisher] = []

    def fake_publisher(settings):
        made.append(ListPublisher())
        return made[-1]

    monkeypatch.setattr(streams.runtime.publish, "Publisher", fake_publisher)
    path = tmp_path / "feeds.yaml"
    path.write_text(f"defaults: {json.dumps(FAST)}\nfeeds:\n  - url: {server.url('/plain-rss.xml')}\n"
                    f"    name: run-feeds\n")
    state = tmp_path / "state"
    assert run_feeds(Settings(), str(path), once=True, state_dir=str(state)) == 0
    assert len(made[0].records) == 3 and made[0].closed
    assert (state / "feeds-state.json").exists()
    assert run_feeds(Settings(), str(path), once=True, state_dir=str(state)) == 0
    assert made[1].records == []  # restart: nothing published twice

    path.write_text(f"defaults: {json.dumps(FAST)}\nfeeds:\n  - url: {server.url('/malformed.xml')}\n")
    assert run_feeds(Settings(), str(path), once=True, state_dir=str(state)) == 1
    assert "malformed_feed" in capsys.readouterr().err

    path.write_text("feeds: nope\n")
    assert run_feeds(Settings(), str(path), once=True, state_dir=str(state)) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_run_feeds_serves_metrics_while_running(server, tmp_path, monkeypatch):
    import urllib.request

    import streams.runtime.publish
    from streams.settings import Settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scraped: list[str] = []

    class Scraping(ListPublisher):
        def flush(self, timeout: float = 60.0) -> None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                scraped.append(response.read().decode())

    monkeypatch.setattr(streams.runtime.publish, "Publisher", lambda settings: Scraping())
    path = tmp_path / "feeds.yaml"
    path.write_text(f"defaults: {json.dumps(FAST)}\nfeeds:\n  - url: {server.url('/plain-rss.xml')}\n"
                    f"    name: t-metrics\n")
    assert run_feeds(Settings(), str(path), once=True, state_dir=str(tmp_path / "s"), metrics_port=port) == 0
    assert scraped and 'news_streams_feed_fetch_duration_seconds_count{feed="t-metrics"}' in scraped[0]
    with socket.socket() as again:  # released after the run
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the scrape left a TIME_WAIT
        again.bind(("127.0.0.1", port))
        again.listen()


def test_run_feeds_default_state_dir_is_under_data_dir(server, tmp_path, monkeypatch):
    import streams.runtime.publish
    from streams.settings import Settings

    monkeypatch.setattr(streams.runtime.publish, "Publisher", lambda settings: ListPublisher())
    path = tmp_path / "feeds.yaml"
    path.write_text(f"defaults: {json.dumps(FAST)}\nfeeds:\n  - {server.url('/plain-rss.xml')}\n")
    assert run_feeds(Settings(data_dir=str(tmp_path / "data")), str(path), once=True) == 0
    assert (tmp_path / "data" / "feeds" / "feeds-state.json").exists()
