"""A page's body handed to lxml as it is gives the tree parsel makes of the decoded text (``crawler.pagetree``)."""

from __future__ import annotations

import sys
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse

from crawler.pagetree import edge_bytes, utf8_body

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import make_blog  # noqa: E402

BASE = "http://blog.example.org/"
FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.html"))
PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Caf\u00e9 \u2014 \u201cnotes\u201d</title></head><body><p>x</p></body></html>"
)


def trees_agree(response: HtmlResponse) -> bool:
    """Whether the body route, when ``utf8_body`` takes it, gives parsel's tree of the text, for both parsers."""
    body = utf8_body(response, response.text)
    for parser in (etree.HTMLParser, lxml.html.HTMLParser):
        wanted = create_root_node(response.text, parser, BASE)
        if body is not None:
            got = create_root_node("", parser, BASE, True, body)
            assert etree.tostring(got.getroottree()) == etree.tostring(wanted.getroottree())
            assert got.getroottree().docinfo.encoding == wanted.getroottree().docinfo.encoding
    return body is not None


def html(body: bytes, charset: str | None = "utf-8") -> HtmlResponse:
    content_type = f"text/html; charset={charset}" if charset else "text/html"
    return HtmlResponse(BASE, body=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "tests" / "fixtures")))
def test_fixture_pages(path):
    trees_agree(html(path.read_bytes()))
    trees_agree(html(path.read_bytes(), charset=None))


def test_generated_blog_pages_take_the_body_route(tmp_path):
    make_blog.build(tmp_path, posts=12, base_url=BASE.rstrip("/"))
    pages = sorted(tmp_path.rglob("index.html"))
    assert len(pages) > 20 and all(trees_agree(html(page.read_bytes())) for page in pages)


@pytest.mark.parametrize(
    ("body", "charset", "route"),
    [
        (PAGE.encode(), "utf-8", True),
        (b"  \n" + PAGE.encode() + b"\n\n", None, True),  # ASCII whitespace is stripped alike
        (b"\xef\xbb\xbf" + PAGE.encode(), "utf-8", False),  # a BOM: Scrapy drops it from the text
        (PAGE.encode().replace(b"<p>x", b"<p>x\x00y"), "utf-8", False),  # NULs: parsel drops them
        (PAGE.encode().replace(b"<p>x", b"<p>x\xff\xfe"), "utf-8", False),  # not UTF-8: decoded to U+FFFD
        (PAGE.encode() + b"\x1c", "utf-8", False),  # str.strip() strips \x1c, bytes.strip() does not
        (PAGE.encode() + "\u00a0".encode(), "utf-8", False),
        (PAGE.encode("latin-1", errors="replace"), "iso-8859-1", False),
        (PAGE.encode("utf-16"), "utf-16", False),
        (b"", "utf-8", False),
        (b"plain words, no markup", "utf-8", False),
    ],
)
def test_edge_cases(body, charset, route):
    assert trees_agree(html(body, charset)) is route


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<p>",
        b" \n<html></html>\r\n",
        b"x<a>",
        b"<a>x",
        b" " * 300 + b"<a>" + b"\t" * 300,
        b"<" + b" " * 600,
    ],
)
def test_edge_bytes_are_the_ends_of_the_stripped_body(body):
    stripped = body.strip()
    assert edge_bytes(body) == (stripped[:1], stripped[-1:])
