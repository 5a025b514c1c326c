"""Parsing a crawled HTML page once (a large one off the crawl's thread) into a page nothing else keeps alive.

An HTML page is parsed by Lexbor (``crawler.lexborpage.LexborPage``), and by lxml too only where what is read needs
lxml's tree; other text responses keep Scrapy's lxml tree (``TreePage``, which also answers as the lxml-based
functions of ``crawler.discovery`` and ``crawler.wordpress`` do: the reference ``tests/test_lexbor_page.py`` holds
the Lexbor page to).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import get_base_url
from selectolax.lexbor import LexborHTMLParser

from crawler import discovery
from crawler.discovery import PageUrls
from crawler.lexborpage import LexborPage
from crawler.wordpress import classify_page

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.http import TextResponse

    from pipelines.offload import Offload


# Pages up to this size are parsed on the crawl's own thread: Lexbor parses a 64 KB page in ~0.6 ms, less than the
# hand-over to the parse thread and back costs (wake-ups, GIL switches; the bench's crawl took ~6% less CPU and ~7%
# less wall inline, bench/README.md). Larger pages go to the thread, so the crawl never stalls long on one.
INLINE_PARSE_SIZE = 512 * 1024


async def page_tree(
    response: TextResponse, thread: Offload, parser: type[etree.HTMLParser] = etree.HTMLParser
) -> LexborPage | TreePage:
    """The page parsed by Lexbor: here, or in ``thread`` when it is large (Lexbor parses without the GIL).

    Lexbor reads the body itself when it is what parsel would give lxml (``utf8_body``), else the text
    (``lexbor_source``). Not kept on the response: a page referring back to its response, and the
    response to it, kept every page and its tree alive until the cyclic GC ran. ``parser``: the lxml parser of the
    page's lxml tree, when one is parsed (``LexborPage.lxml``): ``lxml.html``'s for in-process extraction
    (trafilatura wants its elements), else plain elements, cheaper to walk.
    """
    if not isinstance(response, HtmlResponse):
        return TreePage(response.selector.root, response.text)
    text = response.text  # decoded here: its cache is not thread-safe
    body = utf8_body(response, text)
    source = lexbor_source(text, body)
    if len(source) <= INLINE_PARSE_SIZE:
        doc = LexborHTMLParser(source)
    else:
        doc = await maybe_deferred_to_future(thread.run(LexborHTMLParser, source))
    return LexborPage(doc, text, partial(lxml_tree, response, thread, body, parser))


def lexbor_source(text: str, body: bytes | None) -> str | bytes:
    """What Lexbor parses: the body when ``utf8_body`` gave it, else the text as parsel cleans it for lxml."""
    return body if body is not None else text.strip().replace("\x00", "")


async def lxml_tree(
    response: TextResponse, thread: Offload, body: bytes | None, parser: type[etree.HTMLParser]
) -> etree._Element:
    """The page parsed as ``response.selector.root`` would be, in ``thread``; from ``body`` when it is not None."""
    text, base_url = response.text, get_base_url(response)  # on the reactor's thread: their caches are not safe
    if body is None:
        return await maybe_deferred_to_future(thread.run(create_root_node, text, parser, base_url))
    return await maybe_deferred_to_future(thread.run(create_root_node, "", parser, base_url, True, body))


def utf8_body(response: TextResponse, text: str) -> bytes | None:
    """The body, when it is byte for byte what parsel would make of ``text`` for lxml; None otherwise.

    parsel strips the text, drops its NULs and encodes it to UTF-8 again before lxml parses it (a tenth of the cost
    of the parse itself). A body of valid UTF-8 (nothing decoded to U+FFFD) without a BOM or NULs, whose first and
    last characters are ``<`` and ``>`` (so that stripping bytes and characters stop at the same place), is already
    those bytes: parsel hands it to lxml as it is (``tests/test_page_tree.py`` compares the trees).
    """
    if response.encoding != "utf-8" or "\ufffd" in text:
        return None
    body = response.body
    if b"\x00" in body:
        return None
    return body if edge_bytes(body) == (b"<", b">") else None


def edge_bytes(body: bytes) -> tuple[bytes, bytes]:
    """The first and last bytes ``body.strip()`` keeps, without its copy of the whole body (0.8% of a crawl)."""
    head, tail = body[:256].lstrip(), body[-256:].rstrip()
    if not head or not tail:  # 256 bytes of whitespace at one end: rare enough to strip it all
        stripped = body.strip()
        return stripped[:1], stripped[-1:]
    return head[:1], tail[-1:]


class TreePage:
    """A page as lxml parsed it, read by ``crawler.discovery`` and ``crawler.wordpress`` (as ``LexborPage`` is)."""

    def __init__(self, tree: Any, text: str):
        self.tree = tree
        self.text = text

    async def lxml(self) -> Any:
        return self.tree

    def release(self) -> None:
        """Nothing to free: lxml's tree of a non-HTML page is the response's own selector."""

    def urls(self, scan_css: Callable[[str], list[str]] | None = None) -> PageUrls:
        return discovery.page_urls(self.tree, scan_css, self.text)

    def canonical(self) -> str | None:
        return discovery.canonical_link(self.tree)

    def parts(self, url: str | None) -> tuple[int | None, list[str]]:
        return discovery.post_parts(self.tree, url, self.text)

    async def kind(self, url: str) -> str:
        return classify_page(self.tree, url)

    @property
    def empty(self) -> bool:
        return not len(self.tree)
