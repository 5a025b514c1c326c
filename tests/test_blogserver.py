"""The fixture blog server (tests/blogserver.py) serves the saved blogs the way WordPress would."""

from __future__ import annotations

import gzip
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.blogserver import BlogServer

BLOGS = Path(__file__).parent / "fixtures" / "blogs"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let 3xx responses surface as HTTPError instead of being followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Refuse to follow."""
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and raw body of one request, without following redirects."""
    request = urllib.request.Request(url, method=method)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def classic() -> Iterator[BlogServer]:
    """Serve the classic blog once for this module."""
    with BlogServer(BLOGS / "classic") as server:
        yield server


def test_home_page_has_base_url_substituted(classic: BlogServer) -> None:
    """The home page is served with {{BASE_URL}} replaced and an exact Content-Length."""
    status, headers, body = fetch(classic.url_for("/"))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert int(headers["Content-Length"]) == len(body)
    assert b"{{BASE_URL}}" not in body
    assert f'<link rel="canonical" href="{classic.url}/" />'.encode() in body


def test_repeated_headers_arrive_as_separate_lines(classic: BlogServer) -> None:
    """Two Set-Cookie routes headers are two header lines, not one joined value."""
    _, headers, _ = fetch(classic.url_for("/"))
    assert len(headers.get_all("Set-Cookie")) == 2
    assert headers["Link"] == f'<{classic.url}/wp-json/>; rel="https://api.w.org/"'


def test_redirect_has_absolute_location(classic: BlogServer) -> None:
    """A 301 route answers with an absolute Location and no body."""
    status, headers, body = fetch(classic.url_for("/old-post/"))
    assert status == 301
    assert headers["Location"] == classic.url_for("/2024/03/walking-the-old-railway-line/")
    assert body == b""


def test_directory_without_slash_redirects(classic: BlogServer) -> None:
    """``/about`` redirects to ``/about/`` as WordPress does."""
    status, headers, _ = fetch(classic.url_for("/about"))
    assert (status, headers["Location"]) == (301, classic.url_for("/about/"))


@pytest.mark.parametrize(
    "path",
    [
        "/this-page-does-not-exist/",
        "/_routes.json",
        "/expected.json",
        "/../make_fixtures.py",
        "/%2e%2e/make_fixtures.py",
        "/a%00b/",
    ],
)
def test_unknown_hidden_and_outside_paths_are_404(classic: BlogServer, path: str) -> None:
    """Unknown paths, fixture metadata and paths outside the root get the WordPress 404 page."""
    status, headers, body = fetch(classic.url_for(path))
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert b"error404" in body and b"Oops! That page can&rsquo;t be found." in body


def test_gzip_route_sends_gzip_bytes(classic: BlogServer) -> None:
    """The gzip route sends gzip bytes even though the client did not ask for them."""
    status, headers, body = fetch(classic.url_for("/2024/02/a-week-of-winter-soups/"))
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert body[:2] == b"\x1f\x8b"
    assert b"A Week of Winter Soups" in gzip.decompress(body)


def test_latin1_page_is_latin1_bytes(classic: BlogServer) -> None:
    """The Latin-1 post keeps its bytes and is labelled ISO-8859-1."""
    status, headers, body = fetch(classic.url_for("/2024/01/cafe-muller-in-the-rain/"))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=ISO-8859-1"
    assert b'<meta charset="ISO-8859-1">' in body
    assert "Café Müller".encode("latin-1") in body and "naïve".encode("latin-1") in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_feed_robots_and_assets(classic: BlogServer) -> None:
    """Feeds, robots.txt and theme assets get their content types; query strings are ignored."""
    status, headers, body = fetch(classic.url_for("/feed/"))
    assert (status, headers["Content-Type"]) == (200, "application/rss+xml; charset=UTF-8")
    assert f"<link>{classic.url}/2024/04/ferry-to-the-outer-islands/</link>".encode() in body
    status, headers, body = fetch(classic.url_for("/robots.txt"))
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert b"Disallow: /private/" in body
    style = "/wp-content/themes/twentysixteen/style.css?ver=20240402"
    status, headers, _ = fetch(classic.url_for(style))
    assert (status, headers["Content-Type"]) == (200, "text/css")


def test_head_sends_headers_only_and_keeps_alive(classic: BlogServer) -> None:
    """HEAD has no body, and a second request reuses the same HTTP/1.1 connection."""
    connection = http.client.HTTPConnection(classic.url.removeprefix("http://"), timeout=10)
    try:
        connection.request("HEAD", "/about/")
        head = connection.getresponse()
        assert (head.status, head.read()) == (200, b"")
        length = int(head.headers["Content-Length"])
        connection.request("GET", "/about/")  # same socket: HTTP/1.1 keep-alive
        get = connection.getresponse()
        assert get.version == 11 and len(get.read()) == length
    finally:
        connection.close()


@pytest.mark.parametrize("blog", ["classic", "block", "wpcom"])
def test_every_expected_item_is_served(blog: str) -> None:
    """Every post, page, listing, feed and sitemap named in expected.json is served with 200."""
    expected = json.loads((BLOGS / blog / "expected.json").read_text("utf-8"))
    with BlogServer(BLOGS / blog) as server:
        for item in expected["items"]:
            status, _, body = fetch(server.url_for(item["path"]))
            assert status == 200, item["path"]
        for path in expected["not_items"] + expected["feeds"] + expected["sitemaps"]:
            assert fetch(server.url_for(path))[0] == 200, path
