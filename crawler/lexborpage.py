"""A crawled HTML page as Lexbor parsed it (selectolax): its URLs, kind, canonical URL and post parts.

The answers ``crawler.discovery`` and ``crawler.wordpress`` give on lxml's tree (``crawler.pagetree.TreePage``),
read from Lexbor's: it parses a page in two fifths of libxml2's instructions (and frees it at once), and its CSS
selectors find the few elements that matter without a walk of the tree in Python. ``tests/test_lexbor_page.py``
compares the answers with lxml's, page by page. Selectors only narrow the search down: Lexbor matches ``type`` and
``rel`` values regardless of case, and class selectors too in quirks mode, where the XPaths compare exactly; every
condition is checked again in Python.

Read from an lxml tree parsed only then, in the parse thread (``lxml``): the article a page marks up in its body
(microdata, h-entry: ``pipelines.extract.entries``) when neither body classes, ``og:type`` nor JSON-LD decide its
kind (and the page has a candidate element), and the tree trafilatura extracts from in this process
(``EXTRACT_WORKERS=0``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.discovery import REQUISITE_ATTRS, URL_TAGS, PageUrls, css_urls, sort_link, srcset_urls
from crawler.wordpress import PART_CLASSES, body_class_kind, is_post_part, read_part_line
from pipelines.extract import jsonld
from pipelines.extract.entries import marked_entry

# The elements of URL_TAGS that can name a URL (lxml walks them all): by attribute and by tag in one selector, which
# costs Lexbor less than a list of every tag (an ``a`` or ``img`` without one gives no URL; other tags are skipped).
URL_ELEMENTS = "[href], [src], [srcset], video, object"
URL_TAG_SET = frozenset(URL_TAGS)
STYLES = "[style*='url('], style"  # as STYLE_ATTRS: style attributes that load something, stylesheets' text
PART_HINT = ", ".join(f"[class*='{name}']" for name in PART_CLASSES)  # as discovery.PAGE_LINKS_CLASS
PART_ITEMS = "[class*='post-page-numbers']"
PART_LINES = ("page-links", "post-nav-links")  # the classes of the part line (crawler.wordpress.PART_LINES)
PART_LINE_LINKS = ", ".join(f"[class*='{name}'] a[href]" for name in PART_LINES)
ENTRY_CANDIDATES = "[itemtype], [class*='h-entry']"  # as entries._CANDIDATES: no candidate, no marked-up article
XML_SPACE = re.compile("[ \t\r\n]+")  # XPath's normalize-space() splits class tokens at these, and only these
ABSENT: Any = object()  # what ``attrs.get`` gives for an attribute the element does not have
SECTION_TAG = re.compile(r"<(?:head|body|frameset)[\s/>]", re.I)  # libxml2 keeps these elements, even empty


class LexborPage:
    """An HTML page parsed by Lexbor; ``lxml`` parses it with libxml2 too, once, for what is read from that tree.

    Args:
        doc: the parsed page.
        text: the page's text (``response.text``): what names no part class is no split post (as ``page_urls``).
        parse_lxml: parses the page with lxml, in the parse thread (``crawler.pagetree.lxml_tree``).
    """

    def __init__(self, doc: LexborHTMLParser, text: str, parse_lxml: Callable[[], Awaitable[etree._Element]]):
        self.doc: LexborHTMLParser | None = doc
        self.text = text
        self._parse_lxml = parse_lxml
        self._lxml: etree._Element | None = None
        self._may_be_split: bool | None = None

    async def lxml(self) -> etree._Element:
        """The page as lxml parses it (with the spider's parser), parsed on first use."""
        if self._lxml is None:
            self._lxml = await self._parse_lxml()
        return self._lxml

    def release(self) -> None:
        """Free Lexbor's tree once its answers are read (the page's callback may wait long for an extraction worker).

        The tree takes ~8x the page's size: held through those waits, it raised the crawl's peak by ~90 MB.
        """
        self.doc = None

    def urls(self, scan_css: Callable[[str], list[str]] | None = None) -> PageUrls:
        """``crawler.discovery.page_urls``: links, requisites, canonical URL and REST root, in document order."""
        scan_css = scan_css or css_urls
        found = PageUrls()
        links, loads, srcsets = found.links, found.requisites, []
        last = 0
        for node in self.doc.css(URL_ELEMENTS):
            if (tag := node.tag) not in URL_TAG_SET or (last == (last := node.mem_id)):  # matched twice: once
                continue
            # the attributes read one by one: the dict of them all (``node.attributes``) costs twice as much for the
            # one or two read. An attribute without a value is None here, "" in libxml2's tree
            attrs = node.attrs
            if tag == "a":
                if (href := attrs.get("href", ABSENT)) is not ABSENT:
                    links.append(href or "")
            elif tag == "link":
                sort_link(_attributes(node), found)
            elif tag == "input":
                if attrs.get("type") == "image" and (src := attrs.get("src", ABSENT)) is not ABSENT:
                    loads.append(src or "")
            elif (url := attrs.get(REQUISITE_ATTRS[tag], ABSENT)) is not ABSENT:
                loads.append(url or "")
            if tag in ("img", "source") and (srcset := attrs.get("srcset")) is not None:
                srcsets.append(srcset)
        for srcset in srcsets:
            loads.extend(srcset_urls(srcset))
        last = 0
        for node in self.doc.css(STYLES):
            if last == (last := node.mem_id):  # a <style> with a style attribute: matched twice
                continue
            if "url(" in (style := node.attributes.get("style") or ""):
                loads.extend(scan_css(style))
            if node.tag == "style" and (css := node.text(deep=False)):
                loads.extend(scan_css(css))
        if self.may_be_split:
            parts = {href for href in self._part_links() if href is not None}
            found.links = [href for href in links if href not in parts]
        return found

    @property
    def may_be_split(self) -> bool:
        """Whether the page may be a split post: an element's class names one of PART_CLASSES (and so does the text).

        Asked by ``urls`` and ``parts``, answered once: three searches of the whole text and one of the tree. The
        text is searched first (cheaper than the selector, and what ``page_urls`` and ``post_parts`` test on lxml's
        side: a class named with character references is not seen). Without such an element, ``parts`` finds no
        item and no part line (their selectors are narrower than ``PART_HINT``): not split.
        """
        if self._may_be_split is None:
            self._may_be_split = (
                any(name in self.text for name in PART_CLASSES) and self.doc.css_first(PART_HINT) is not None
            )
        return self._may_be_split

    def canonical(self) -> str | None:
        """``crawler.discovery.canonical_link``: the first ``<link rel="canonical">``'s href, stripped."""
        for node in self.doc.css("link[rel][href]"):
            attrs = _attributes(node)
            if attrs["rel"] == "canonical":
                return attrs["href"].strip()
        return None

    def parts(self, url: str | None) -> tuple[int | None, list[str]]:
        """``crawler.wordpress.post_parts``: which part of a split post this page is, and the others' hrefs."""
        if not self.may_be_split:
            return None, []
        items = [(node.tag, attrs.get("href"), attrs.get("aria-current")) for node, attrs in self._part_items()]
        return read_part_line(items, lambda: [href for _, href in self._line_links()], url)

    async def kind(self, url: str) -> str:
        """``crawler.wordpress.classify_page``: the page's kind, by its URL, body classes, then its declarations."""
        if is_post_part(url):
            return "part"
        body = self.doc.body  # None for a frameset: libxml2's tree has no body either
        classes = (_attributes(body).get("class") or "") if body is not None and body.tag == "body" else ""
        return body_class_kind(classes.split()) or ("post" if await self.declares_article() else "other")

    async def declares_article(self) -> bool:
        """``pipelines.extract.metadata.declares_article``: ``og:type``, JSON-LD, then a marked-up article."""
        metas = self.doc.css("meta[property][content]")
        og_type = next((_attributes(n)["content"] for n in metas if _is(n, "property", "og:type")), "")
        if og_type.strip().lower() == "article":
            return True
        scripts = [n.text(deep=False) for n in self.doc.css("script[type]") if _is(n, "type", "application/ld+json")]
        if jsonld.declares_article(scripts):
            return True
        return self.doc.css_first(ENTRY_CANDIDATES) is not None and marked_entry(await self.lxml()) is not None

    @property
    def empty(self) -> bool:
        """Whether lxml's tree would be a bare ``<html/>`` (nothing to classify: ``extract/empty``)."""
        root = self.doc.root
        for section in root.iter(include_text=True) if root is not None else ():
            if section.tag not in ("head", "body"):
                return False
            for node in section.iter(include_text=True):
                if not node.is_text_node or node.text_content.strip(" \t\n\r\f"):
                    return False
        return not SECTION_TAG.search(self.text)

    def _part_items(self) -> list[tuple[LexborNode, dict[str, str]]]:
        """As ``crawler.wordpress.PART_ITEMS``: the elements of class ``post-page-numbers``, in document order."""
        found = ((node, _attributes(node)) for node in self.doc.css(PART_ITEMS))
        return [(node, attrs) for node, attrs in found if _has_class(attrs, "post-page-numbers")]

    def _line_links(self) -> list[tuple[LexborNode, str]]:
        """As ``crawler.wordpress.PART_LINES``: links under an element of class page-links or post-nav-links."""
        found, last = [], 0
        for node in self.doc.css(PART_LINE_LINKS):
            if last == (last := node.mem_id):  # under both classes: matched twice
                continue
            parent = node.parent
            while parent is not None and not any(_has_class(_attributes(parent), n) for n in PART_LINES):
                parent = parent.parent
            if parent is not None:
                found.append((node, _attributes(node)["href"]))
        return found

    def _part_links(self) -> list[str | None]:
        """As ``crawler.wordpress.PART_HREFS``: the hrefs of the part items that are links, and of the part lines."""
        items = [attrs.get("href") for node, attrs in self._part_items() if node.tag == "a"]
        return items + [href for _, href in self._line_links()]


def _attributes(node: LexborNode) -> dict[str, Any]:
    """A node's attributes as libxml2 gives them: an attribute without a value is ``""`` (Lexbor: None)."""
    attrs = node.attributes
    return _libxml2_values(attrs) if None in attrs.values() else attrs


def _libxml2_values(attrs: dict[str, Any]) -> dict[str, Any]:
    return {name: "" if value is None else value for name, value in attrs.items()}


def _is(node: LexborNode, name: str, value: str) -> bool:
    return node.attributes.get(name) == value


def _has_class(attrs: dict[str, Any], name: str) -> bool:
    """Whether ``name`` is one of the class tokens, as ``contains(concat(' ', normalize-space(@class), ' '), …)``."""
    return name in XML_SPACE.split(attrs.get("class") or "")
