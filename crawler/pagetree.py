"""Parsing a crawled HTML page once, off the crawl's thread, into a tree nothing else keeps alive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import get_base_url

if TYPE_CHECKING:
    from scrapy.http import TextResponse

    from pipelines.offload import Offload


async def page_tree(response: TextResponse, thread: Offload, parser: type[etree.HTMLParser] = etree.HTMLParser) -> Any:
    """The page parsed as ``response.selector.root`` would be, in ``thread`` (libxml2 parses without the GIL).

    Not cached on the response: a cached selector refers back to its response, and that cycle kept every page and
    its lxml tree alive until the cyclic GC ran. ``parser``: ``lxml.html``'s for in-process extraction (trafilatura
    wants its elements), else plain elements, cheaper to walk. Other text responses keep Scrapy's parser.
    """
    if not isinstance(response, HtmlResponse):
        return response.selector.root
    text, base_url = response.text, get_base_url(response)  # decoded here: their caches are not thread-safe
    body = utf8_body(response, text)
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
    stripped = body.strip()
    return body if stripped[:1] == b"<" and stripped[-1:] == b">" else None
