"""Lexbor's page (``crawler.lexborpage``) gives the answers lxml's tree gives (``crawler.pagetree.TreePage``).

Links, requisites, canonical URL and REST root (``page_urls``), kind (``classify_page``, with ``declares_article``),
post parts and emptiness, compared on every HTML page of the tests: the fixture files, a generated blog, the
markup of WordPress's bundled themes and of other engines, the hostile blog's pages, and bad input. Where an HTML5
parser builds another tree than libxml2 from the same markup, the case is named in ``HTML5_TREES`` with what
differs, and the test checks that it still does (so that the list says what is true).
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from selectolax.lexbor import LexborHTMLParser

from crawler.discovery import CssScanner
from crawler.lexborpage import LexborPage
from crawler.pagetree import TreePage, lexbor_source, utf8_body
from tests import articlepages, hostile, wpthemes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import make_blog  # noqa: E402

BASE = "http://blog.example.org"
FIXTURES = sorted(p for p in (ROOT / "tests").rglob("*.html") if "tests/fixtures" in p.as_posix())


def pages_of(response: HtmlResponse) -> tuple[LexborPage, TreePage]:
    """The page as the crawl parses it (``crawler.pagetree.page_tree``, without its thread) and as lxml does."""
    text = response.text
    reference = TreePage(response.selector.root, text)

    async def parse_lxml():
        return reference.tree

    doc = LexborHTMLParser(lexbor_source(text, utf8_body(response, text)))
    return LexborPage(doc, text, parse_lxml), reference


def answers(page: LexborPage | TreePage, url: str) -> dict[str, object]:
    return {
        "urls": page.urls(CssScanner()),
        "canonical": page.canonical(),
        "parts": page.parts(url),
        "kind": asyncio.run(page.kind(url)),
        "empty": page.empty,
    }


def assert_same(body: bytes | str, url: str = BASE + "/", charset: str | None = "utf-8") -> dict[str, object]:
    body = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    lexbor, lxml = pages_of(HtmlResponse(url, body=body, headers=headers))
    got, wanted = answers(lexbor, url), answers(lxml, url)
    assert got == wanted
    return got


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "tests" / "fixtures")))
def test_fixture_pages(path):
    url = BASE + "/" + path.parent.relative_to(ROOT / "tests" / "fixtures").as_posix() + "/"
    assert_same(path.read_bytes(), url)
    assert_same(path.read_bytes(), url, charset=None)  # the text route: Scrapy decodes by the page's own meta


def test_generated_blog(tmp_path):
    make_blog.build(tmp_path, posts=12, base_url=BASE)
    pages = sorted(tmp_path.rglob("*.html"))
    assert len(pages) > 20
    kinds = {assert_same(p.read_bytes(), f"{BASE}/{p.parent.relative_to(tmp_path).as_posix()}/")["kind"] for p in pages}
    assert {"post", "page", "archive"} <= kinds


@pytest.mark.parametrize("theme", wpthemes.THEMES)
def test_wordpress_theme_pages(theme):
    for post in wpthemes.POSTS:
        for part in range(1, len(post.parts) + 1):
            html = wpthemes.single(theme, post, part).replace("{{BASE_URL}}", BASE)
            assert_same(html, BASE + post.part_path(part))
    assert_same(wpthemes.home(theme).replace("{{BASE_URL}}", BASE))


@pytest.mark.parametrize("name", [*articlepages.PAGES, "listing"])
def test_other_engines_pages(name):
    html = articlepages.listing() if name == "listing" else articlepages.page(name)
    assert_same(html, f"{BASE}/{name}/")


def test_hostile_blog_pages():
    urls = {role: f"http://127.0.0.{n}:8{n}00" for n, role in enumerate(hostile.ROLES, start=1)}
    assert_same(hostile.home(urls))
    assert_same(hostile.trap_page(random.Random(1), BASE), BASE + "/trap/")


PAGE = '<!DOCTYPE html><html><head><title>t</title></head><body class="single">{}</body></html>'
BAD_INPUT = {
    "empty": b"",
    "whitespace": b"  \n ",
    "nuls": PAGE.format("<a href='a\x00b'>x</a>\x00").encode(),
    "bom": b"\xef\xbb\xbf" + PAGE.format("<a href=x>").encode(),
    "latin-1": PAGE.format("<a href='caf\xe9'>x</a>").encode("latin-1"),
    "utf-16": PAGE.format("<a href=x>").encode("utf-16"),
    "binary": bytes(range(256)) * 4,
    "frameset": b"<html><frameset class='single'><frame src='f.html'></frameset></html>",
    "valueless attributes": PAGE.format("<a href>x</a><link rel=canonical href><img src srcset><link rel>").encode(),
    "CR LF in attributes": PAGE.format("<a href='a\r\nb'>x</a><p class='x\r\npage-links'><a href='/p/2/'>2</a></p>"),
    "upper case": PAGE.format("<A HREF=x>x</A><LINK REL=stylesheet HREF=s.css><DIV STYLE='background:url(z.png)'>"),
    "svg": PAGE.format("<svg><a href='s1'><image href='i'/></a><a xlink:href='s2'/><style>a{{b:url(q.png)}}</style>"),
    "noscript": (
        "<!DOCTYPE html><html><head><noscript><img src='p.gif'></noscript><link rel=canonical href='/c/'></head>"
        "<body class=home><noscript><img src='n.png'></noscript></body></html>"
    ),
    "repeated attribute": PAGE.format("<a href=1 href=2>x</a>"),
    "matched by several selectors": PAGE.format(
        "<img src=a.png srcset='b.png 2x'><style style='b:url(c.png)'>d{}</style>"
    ),
    "character references": PAGE.format("<a href='?a=1&copy=2&amp;b=3&#x41;'>x</a><a href='&notit;'>y</a>"),
    "comment only": b"<!-- c -->",
    "doctype only": b"<!DOCTYPE html>",
    "bare html": b"<html></html>",
    "bare body": b"<body></body>",
    "words only": b"plain words",
    "no-break space only": "\u00a0".encode(),
    # quirks mode (no doctype): Lexbor's class selectors ignore case there, the XPaths do not
    "quirks mode classes": "<html><body class='Single'><p class='Page-Links'><a href=x>x</a></p></body></html>",
    "type in capitals": '<script type=\'Application/LD+JSON\'>{"@type":"BlogPosting"}</script><p>x</p>',
    "JSON-LD": '<script type=\'application/ld+json\'>{"@type":"BlogPosting"}</script><p>x</p>',
    "og:type": "<meta property='og:type' content=' Article '><p>x</p>",
    "rel in capitals": "<link rel='Canonical' href='/c/'><link rel='STYLESHEET' href='s.css'>",
    "form feed in a class": "<body class='single'><p class='a\fpage-links'><a href='/x/2/'>2</a></p><a href='/x/2/'>b</a>",
    "huge attribute": PAGE.format("<a href='" + "x" * 100000 + "'>x</a>"),
    "a in a": PAGE.format("<a href='1'>x<a href='2'>y</a></a>"),
    "div in p": PAGE.format("<p><div><a href=1>x</a></p></div>"),
    "unclosed title": "<html><head><title>x<a href=1></head><body class=single><a href=2></a></body></html>",
    "raw text elements": PAGE.format("<textarea><a href='t'></textarea><xmp><a href='x'></xmp><iframe><a href='i'>"),
    "head after body": "<html><body class=single><p>x</p></body><head><link rel=canonical href='/late/'></head></html>",
    "second body": "<html><body class='home'><p>x</p><body class='single'></body></html>",
    "select": PAGE.format("<select><a href=1>x</a><option><img src=o.png></select><math><a href='m'>m</a></math>"),
    "a part line in a part line": (
        "<body class=single><div class='page-links'><p class='post-nav-links'><a href='/p/2/'>2</a></p></div></body>"
    ),
    "nested h-entry": "<html><body><div class='h-entry'><aside class='h-entry'></aside></div></body></html>",
    # the part classes: the text is searched before the tree (a class named with references is not seen), and a
    # text that names them where no class does gives no parts
    "part class by character references": PAGE.format("<p class='page&#45;links'><a href='/x/2/'>2</a></p>"),
    "part classes named outside a class": PAGE.format("<!-- post-page-numbers page-links --><a href='/x/2/'>2</a>"),
    # each tag's URL attribute read alone (not through the dict of all of them): without a value, in capitals
    "valueless requisite attributes": PAGE.format(
        "<script src></script><input type=image src><video poster></video><object data></object><audio src>"
        "<source src srcset><embed src><track src><input type src=i.png><input TYPE=image SRC=j.png>"
    ),
}


@pytest.mark.parametrize("name", BAD_INPUT)
@pytest.mark.parametrize("charset", ["utf-8", None])
def test_bad_and_odd_input(name, charset):
    assert_same(BAD_INPUT[name], BASE + "/x/", charset)


# Markup an HTML5 parser (Lexbor, as browsers) builds another tree from than libxml2 does: (markup, what Lexbor's
# page answers, what lxml's does). Malformed or inert markup; a blog's theme prints none of it.
HTML5_TREES = {
    # libxml2 drops what is nested deeper than its limit (a few thousand elements; lxml: 2,000 pass); HTML5 has none
    "nesting deeper than libxml2's limit": (PAGE.format("<div>" * 5000 + "<a href=deep>x</a>"), ["deep"], []),
    # a <template>'s content is a fragment outside the document in HTML5 (inert: browsers load nothing from it)
    "template": (PAGE.format("<template><a href='t'>t</a></template><a href=1>"), ["1"], ["t", "1"]),
    # HTML5 reads <image> as <img> (outside SVG); libxml2 keeps an unknown element
    "image element": (PAGE.format("<a href=1><image src='im.png'>"), ["1", "im.png"], ["1"]),
    # foster parenting: what a table holds outside its cells is moved before the table
    "link loose in a table": (
        PAGE.format("<table><tr><td><a href=2>2</a></td></tr><a href=1>1</a></table>"),
        ["1", "2"],
        ["2", "1"],
    ),
    # the adoption agency: a link misnested with a block is cloned into it, once per block
    "misnested link": (PAGE.format("<b><a href=1>x<p>y</b>z</a></p>"), ["1", "1", "1"], ["1"]),
}


@pytest.mark.parametrize("name", HTML5_TREES)
def test_html5_trees_differ_where_named(name):
    markup, lexbor_urls, lxml_urls = HTML5_TREES[name]
    response = HtmlResponse(BASE + "/x/", body=markup.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    lexbor, lxml = pages_of(response)
    found = lambda page: [*page.urls().links, *page.urls().requisites]  # noqa: E731
    assert (found(lexbor), found(lxml)) == (lexbor_urls, lxml_urls)


def test_a_late_body_tag_gives_its_classes_to_the_body():
    """HTML5 adds a later <body> tag's attributes to the body (libxml2 drops them): the page's kind follows them."""
    markup = "<html><head></head><p>x</p><body class='single'><a href=1>x</a></body></html>"
    lexbor, lxml = pages_of(HtmlResponse(BASE + "/x/", body=markup.encode(), headers={"Content-Type": "text/html"}))
    assert (asyncio.run(lexbor.kind(BASE + "/x/")), asyncio.run(lxml.kind(BASE + "/x/"))) == ("post", "other")
