"""The feed allow-list is by scheme, host and port, and a host name that resolves to a loopback, private or
link-local address is refused (on every redirect hop) unless the allow-list names that address or
``allow_private_networks`` is set. Two local HTTP servers stand for a feed site and an internal service."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from streams.sources.fetch import Fetcher, FetchLimits, HostNotAllowed, normalize_hosts, url_allowed
from streams.sources.pages import extract_page

LIMITS = dict(timeout_s=3.0, deadline_s=5.0, retries=0, delay_per_host_s=0.0)


class Site:
    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.hits.append(self.path)
                status, headers, body = routes.get(self.path, (404, {}, b"missing"))
                self.send_response(status)
                for key, value in {"Content-Type": "text/html", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sites():
    internal = Site({"/admin": (200, {}, b"<html><body><p>internal secret</p></body></html>")})
    feed = Site({
        "/to-internal": (302, {"Location": f"http://127.0.0.1:{internal.port}/admin"}, b""),
        "/to-named": (302, {"Location": f"http://internal.example:{internal.port}/admin"}, b""),
        "/page": (200, {}, b"<html><body><p>a page</p></body></html>"),
    })
    yield feed, internal
    feed.close()
    internal.close()


def test_a_redirect_to_another_port_of_an_allowed_host_is_refused(sites):
    feed, internal = sites
    fetcher = Fetcher(FetchLimits(**LIMITS))
    with pytest.raises(HostNotAllowed, match="port"):
        fetcher.fetch(f"http://127.0.0.1:{feed.port}/to-internal", allow_hosts=[f"127.0.0.1:{feed.port}"])
    assert internal.hits == []
    with pytest.raises(HostNotAllowed):  # a bare host allows the default ports only
        fetcher.fetch(f"http://127.0.0.1:{feed.port}/page", allow_hosts=["127.0.0.1"])


@pytest.fixture
def internal_name(monkeypatch):
    """``internal.example`` resolves to 127.0.0.1 (what a hostile DNS answer, or an intranet name, does)."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        return real("127.0.0.1" if host == "internal.example" else host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_resolving_to_loopback_is_refused_after_dns_and_on_redirects(sites, internal_name):
    feed, internal = sites
    fetcher = Fetcher(FetchLimits(**LIMITS))
    allowed = [f"internal.example:{internal.port}", f"127.0.0.1:{feed.port}"]
    with pytest.raises(HostNotAllowed, match="resolves to 127.0.0.1"):
        fetcher.fetch(f"http://internal.example:{internal.port}/admin", allow_hosts=allowed)
    with pytest.raises(HostNotAllowed, match="resolves to 127.0.0.1"):  # the redirect hop is checked too
        fetcher.fetch(f"http://127.0.0.1:{feed.port}/to-named", allow_hosts=allowed)
    assert internal.hits == []
    trusting = Fetcher(FetchLimits(**LIMITS, allow_private_networks=True))  # configured: an intranet feed
    assert trusting.fetch(f"http://internal.example:{internal.port}/admin", allow_hosts=allowed).status == 200


def test_origins_are_matched_by_scheme_host_and_port():
    allowed = normalize_hosts(["news.example", "https://secure.example", "feeds.example:8443", "http://[::1]:8080"])
    assert url_allowed("http://news.example/a", allowed) and url_allowed("https://news.example:443/a", allowed)
    assert not url_allowed("http://news.example:8080/a", allowed)
    assert url_allowed("https://secure.example/a", allowed) and not url_allowed("http://secure.example/a", allowed)
    assert url_allowed("https://feeds.example:8443/", allowed) and not url_allowed("https://feeds.example/", allowed)
    assert url_allowed("http://[::1]:8080/x", allowed) and not url_allowed("http://[::1]/x", allowed)
    assert not url_allowed("file:///etc/passwd", allowed) and not url_allowed("gopher://news.example/", allowed)
    assert normalize_hosts(allowed) == allowed


def test_a_canonical_link_to_another_port_is_not_trusted():
    html = b'<html><head><link rel="canonical" href="http://news.example:9000/x"></head><body><p>t</p></body></html>'
    page = extract_page(html, "http://news.example/story", ["news.example"])
    assert page.url == "http://news.example/story"
