"""Discovery helpers on real markup: links, requisites, CSS, feeds, REST, post parts, dates."""

from __future__ import annotations

from datetime import datetime, timezone

import lxml.html
from lxml import etree

from crawler import discovery

PAGE = """<html><head>
<link rel="stylesheet" id="theme-css" href="/wp-content/themes/t/style.css?ver=6.4" media="all">
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="alternate" type="application/rss+xml" title="Feed" href="/feed/">
<link rel="https://api.w.org/" href="http://blog.test/wp-json/">
<link rel="canonical" href="http://blog.test/2024/03/post/">
<script src="/wp-includes/js/jquery.min.js"></script><script>var inline = 1;</script>
<style>.hero { background: url('/img/hero.webp') }</style>
</head><body>
<a href="/2024/03/other/">other</a> <a href="#respond">reply</a>
<img src="//cdn.test/a-300.jpg" srcset="//cdn.test/a-300.jpg 300w, //cdn.test/a-1024.jpg 1024w" alt="">
<div style="background-image:url(data:image/png;base64,AAAA)"></div>
<div class="page-links">Pages: <a href="/2024/03/post/" class="post-page-numbers">1</a>
<span class="post-page-numbers current" aria-current="page">2</span>
<a href="/2024/03/post/3/" class="post-page-numbers">3</a></div>
</body></html>"""


def tree():
    return lxml.html.document_fromstring(PAGE)


def test_page_links_leave_out_post_parts():
    links = discovery.page_links(tree())
    assert "/2024/03/other/" in links and "/feed/" in links and "http://blog.test/2024/03/post/" in links
    assert "/2024/03/post/3/" not in links


def test_requisites():
    found = discovery.requisites(tree())
    for url in (
        "/wp-content/themes/t/style.css?ver=6.4",
        "/favicon.ico",
        "/wp-includes/js/jquery.min.js",
        "//cdn.test/a-300.jpg",
        "//cdn.test/a-1024.jpg",
        "/img/hero.webp",
    ):
        assert url in found
    assert not [u for u in found if u.startswith("data:")]


def test_css_urls():
    css = """@import "print.css"; @font-face { src: url("fonts/a.woff2") format("woff2"), url(fonts/a.woff); }
    .x { background: url( 'img/b.png' ) } .y { background: url(data:image/gif;base64,R0l) }"""
    assert discovery.css_urls(css) == ["print.css", "fonts/a.woff2", "fonts/a.woff", "img/b.png"]
    assert discovery.css_urls(".x { background: URL(c.png) }") == ["c.png"]  # the cheap test first ignores case
    assert discovery.css_urls(".x { color: red }") == []


def test_srcset_urls():
    assert discovery.srcset_urls("a.jpg 1x,b.jpg 2x, c.jpg") == ["a.jpg", "b.jpg", "c.jpg"]


def test_post_parts_and_rest_root_and_canonical():
    assert discovery.post_parts(tree()) == (2, ["/2024/03/post/", "/2024/03/post/3/"])
    assert discovery.post_parts(lxml.html.document_fromstring("<p>x</p>")) == (None, [])
    assert discovery.rest_root(tree()) == "http://blog.test/wp-json/"
    bare = lxml.html.document_fromstring("<p>x</p>")
    assert discovery.rest_root(bare, '<http://b.test/?rest_route=/>; rel="https://api.w.org/"') == (
        "http://b.test/?rest_route=/"
    )
    assert discovery.canonical_link(tree()) == "http://blog.test/2024/03/post/"


def test_feed_links_rss_and_atom():
    rss = etree.fromstring(b"<rss><channel><item><link> http://b.test/a/ </link></item></channel></rss>")
    atom = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="http://b.test/b/"/>'
        b'<link rel="replies" href="http://b.test/b/#comments"/></entry></feed>'
    )
    assert discovery.feed_links(rss) == ["http://b.test/a/"]
    assert discovery.feed_links(atom) == ["http://b.test/b/"]


def test_rest_entries():
    assert discovery.rest_entries('[{"id": 1, "link": "http://b.test/a/"}]') == [{"id": 1, "link": "http://b.test/a/"}]
    assert discovery.rest_entries('{"code": "rest_post_invalid_page_number"}') is None
    assert discovery.rest_entries("<html>") is None


def test_parse_date():
    assert discovery.parse_date("2024-03-05") == datetime(2024, 3, 5, tzinfo=timezone.utc)
    assert discovery.parse_date("2024-03-05T10:00:00Z") == datetime(2024, 3, 5, 10, tzinfo=timezone.utc)
    assert discovery.parse_date("2024-03-05T10:00:00+01:00").utcoffset().total_seconds() == 3600
    assert discovery.parse_date("yesterday") is None
    assert discovery.parse_date(None) is None


def test_feed_updated_dates_come_from_atom_only():
    atom = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://b.test/b/"/>'
        b"<updated>2024-03-05T10:00:00Z</updated><published>2024-01-01T00:00:00Z</published></entry>"
        b'<entry><link href="http://b.test/c/"/></entry></feed>'
    )
    rss = etree.fromstring(
        b"<rss><channel><item><link>http://b.test/a/</link><pubDate>Tue, 05 Mar 2024</pubDate></item></channel></rss>"
    )
    assert discovery.feed_updated(atom) == {"http://b.test/b/": "2024-03-05T10:00:00Z"}
    assert discovery.feed_updated(rss) == {}
