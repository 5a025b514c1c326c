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
from tests.util import BLOG_NAMES, BLOGS, blog_expected


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


def test_all_five_fixture_blogs_exist() -> None:
    """The generator made every blog the crawl tests expect."""
    assert BLOG_NAMES == ["block", "classic", "notwp", "plain", "wpcom"]


@pytest.mark.parametrize("blog", BLOG_NAMES)
def test_every_expected_item_is_served(blog: str) -> None:
    """Every post, page, listing, feed and sitemap named in expected.json is served with 200."""
    expected = blog_expected(blog)
    with BlogServer(BLOGS / blog) as server:
        for item in expected["items"]:
            status, _, body = fetch(server.url_for(item["path"]))
            assert status == 200, item["path"]
        paths = expected["not_items"] + expected["feeds"] + expected["sitemaps"] + expected["optional_items"]
        for path in paths:
            assert fetch(server.url_for(path))[0] == 200, path


@pytest.mark.parametrize("blog", BLOG_NAMES)
def test_traps_answer_so_a_wrong_crawler_would_fall_in(blog: str) -> None:
    """Trap targets and tracking variants answer (200, or a share redirect); drafts are 404."""
    expected = blog_expected(blog)
    with BlogServer(BLOGS / blog) as server:
        for target in expected["traps"] + list(expected["tracking_variants"]):
            status, headers, _ = fetch(server.url_for(target))
            assert status == 200 or (status == 302 and "share=" in target), (target, status)
        for target in expected["drafts"]:
            assert fetch(server.url_for(target))[0] == 404, target


@pytest.mark.parametrize("blog", BLOG_NAMES)
def test_requisites_are_served_from_their_host(blog: str) -> None:
    """Every page requisite (on the blog or the asset host) is a 200 with a non-HTML type and no placeholders."""
    expected = blog_expected(blog)
    assert expected["requisites"]
    with BlogServer(BLOGS / blog) as server:
        for template in expected["requisites"]:
            status, headers, body = fetch(server.expand(template))
            assert status == 200, template
            assert not headers["Content-Type"].startswith("text/html"), template
            assert b"{{" not in body, template


def test_asset_host_is_the_same_server_as_localhost(classic: BlogServer) -> None:
    """{{ASSET_URL}} becomes http://localhost:PORT; that host serves the same files."""
    assert classic.asset_url == classic.url.replace("127.0.0.1", "localhost")
    _, _, body = fetch(classic.url_for("/"))
    assert b"{{ASSET_URL}}" not in body
    image = "/wp-content/uploads/2024/03/harbour-at-dusk-1024x683.jpg"
    assert f'src="{classic.asset_url}{image}"'.encode() in body
    status, headers, data = fetch(classic.asset_url_for(image))
    assert (status, headers["Content-Type"], data[:2]) == (200, "image/jpeg", b"\xff\xd8")


def test_css_json_fonts_and_webp(tmp_path: Path) -> None:
    """.css and .json bodies get both placeholders; .json, .woff2 and .webp have their content types."""
    (tmp_path / "404.html").write_text("<p>not found</p>")
    (tmp_path / "site.css").write_text("body{background:url({{ASSET_URL}}/bg.webp)}")
    (tmp_path / "data.json").write_text('{"home": "{{BASE_URL}}/"}')
    (tmp_path / "font.woff2").write_bytes(b"wOF2{{BASE_URL}}")
    (tmp_path / "bg.webp").write_bytes(b"RIFF....WEBP")
    with BlogServer(tmp_path) as server:
        status, headers, body = fetch(server.url_for("/site.css"))
        assert (headers["Content-Type"], body) == (
            "text/css",
            f"body{{background:url({server.asset_url}/bg.webp)}}".encode(),
        )
        status, headers, body = fetch(server.url_for("/data.json"))
        assert headers["Content-Type"] == "application/json; charset=UTF-8"
        assert json.loads(body) == {"home": server.url + "/"}
        status, headers, body = fetch(server.url_for("/font.woff2"))
        assert (headers["Content-Type"], body) == ("font/woff2", b"wOF2{{BASE_URL}}")  # binary: never substituted
        assert fetch(server.asset_url_for("/bg.webp"))[1]["Content-Type"] == "image/webp"


def test_pattern_routes_and_asset_url_in_routes(tmp_path: Path) -> None:
    """A ``~regex`` route matches whole targets after exact keys; {{ASSET_URL}} is substituted in Location."""
    (tmp_path / "404.html").write_text("<p>not found</p>")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("<a href='a/'>again</a>")
    routes = {
        "/a/a/": {"status": 410},
        "~^/a/(?:a/)+$": {"file": "a/index.html"},
        "/cdn": {"status": 302, "location": "{{ASSET_URL}}/a/"},
    }
    (tmp_path / "_routes.json").write_text(json.dumps(routes))
    with BlogServer(tmp_path) as server:
        assert fetch(server.url_for("/a/a/"))[0] == 410  # the exact key wins
        status, _, body = fetch(server.url_for("/a/a/a/a/"))
        assert (status, body) == (200, b"<a href='a/'>again</a>")
        assert fetch(server.url_for("/a/a/a/a/?x=1"))[0] == 404  # a pattern matches the whole target
        status, headers, _ = fetch(server.url_for("/cdn"))
        assert (status, headers["Location"]) == (302, server.asset_url_for("/a/"))


def test_path_loop_keeps_answering(classic: BlogServer) -> None:
    """The classic blog's March archive links to 2024/03/ relatively, and every repetition answers 200."""
    _, _, body = fetch(classic.url_for("/2024/03/"))
    assert b'href="2024/03/"' in body
    for depth in (2, 3, 6):
        status, _, again = fetch(classic.url_for("/2024/03/" + "2024/03/" * (depth - 1)))
        assert (status, again) == (200, body)


def test_access_log_tells_the_hosts_apart(tmp_path: Path) -> None:
    """requests_seen() gives 'METHOD TARGET' lines; hosts=True adds the Host header of each request."""
    with BlogServer(BLOGS / "classic", access_log=tmp_path / "access.log") as server:
        fetch(server.url_for("/about/?x=1"))
        fetch(server.asset_url_for("/wp-content/uploads/2024/03/harbour-at-dusk-300x200.jpg"), method="HEAD")
        port = server.url.rsplit(":", 1)[1]
        assert server.requests_seen() == [
            "GET /about/?x=1",
            "HEAD /wp-content/uploads/2024/03/harbour-at-dusk-300x200.jpg",
        ]
        assert server.requests_seen(hosts=True) == [
            f"GET /about/?x=1 127.0.0.1:{port}",
            f"HEAD /wp-content/uploads/2024/03/harbour-at-dusk-300x200.jpg localhost:{port}",
        ]


def test_plain_permalinks_are_routes_to_files() -> None:
    """The plain blog answers ?p=, ?page_id=, ?paged=, ?cat=, ?m= and its feeds; it has no core sitemap."""
    with BlogServer(BLOGS / "plain") as server:
        status, _, body = fetch(server.url_for("/?p=27"))
        assert status == 200 and b"<title>Planting Garlic Late - Plot Seventeen</title>" in body
        assert f'<link rel="canonical" href="{server.url}/?p=27" />'.encode() in body
        assert f'<link rel="https://api.w.org/" href="{server.url}/?rest_route=/" />'.encode() in body
        assert b"single-post" in fetch(server.url_for("/?p=27&replytocom=41"))[2]
        assert b"page-id-2" in fetch(server.url_for("/?page_id=2"))[2]
        for path in ("/?paged=2", "/?cat=3", "/?tag=seeds", "/?author=1", "/?m=202403", "/?m=20240305"):
            status, _, body = fetch(server.url_for(path))
            assert status == 200 and (b"archive" in body or b"paged-2" in body), path
        status, headers, body = fetch(server.url_for("/?feed=rss2"))
        assert (status, headers["Content-Type"]) == (200, "application/rss+xml; charset=UTF-8")
        assert f"<link>{server.url}/?p=27</link>".encode() in body
        assert fetch(server.url_for("/wp-sitemap.xml"))[0] == 404
        assert b"Sitemap:" not in fetch(server.url_for("/robots.txt"))[2]


def test_notwp_is_not_wordpress() -> None:
    """The Hugo blog: no WordPress body classes; posts are articles with BlogPosting JSON-LD; robots names the sitemap."""
    expected = blog_expected("notwp")
    assert expected["json_ld_only"] and set(expected["json_ld_only"]) <= {item["path"] for item in expected["items"]}
    with BlogServer(BLOGS / "notwp") as server:
        for item in expected["items"]:
            _, _, body = fetch(server.url_for(item["path"]))
            if item["path"] in expected["json_ld_only"]:  # its only article marker: JSON-LD with a list @type
                assert b'<body class=""' in body and b"og:type" not in body and b"article:" not in body
                assert b'"@type": ["BlogPosting"]' in body and b"wp-content" not in body
                continue
            assert b'<body class="single"' in body and b"single-post" not in body and b"wp-content" not in body
            assert b'"@type": "BlogPosting"' in body and b'<meta property="og:type" content="article" />' in body
        _, _, robots = fetch(server.url_for("/robots.txt"))
        assert f"Sitemap: {server.url}/sitemap.xml".encode() in robots
        _, _, sitemap = fetch(server.url_for("/sitemap.xml"))
        hidden = expected["sitemap_only"][0]
        assert f"<loc>{server.url}{hidden}</loc>".encode() in sitemap
        _, _, home = fetch(server.url_for("/"))
        assert b'type="application/rss+xml" href="' + server.url.encode() + b'/index.xml"' in home
        assert hidden.encode() not in home
