"""Where a blog tells us about its URLs: links, page requisites, feeds, REST listings, stylesheets, post parts.

Each function takes what one response holds (a parsed tree, CSS text, JSON) and returns URLs, unfiltered and
unresolved to the crawl's scope: the spider decides what to fetch (``crawler.wordpress.ScopeRules``).
No Scrapy here: unit-tested in ``tests/test_discovery.py``. Post parts (``post_parts``) are WordPress knowledge, in
``crawler.wordpress``; they are named here too, for the callers that read the rest of a page from this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from crawler.wordpress import PART_CLASSES
from crawler.wordpress import PART_HREFS as POST_PARTS
from crawler.wordpress import post_parts as post_parts  # re-exported

# Elements whose attributes name URLs a page links to or loads, found in one walk of the tree (``page_urls``).
URL_TAGS = ("a", "link", "script", "img", "input", "video", "audio", "source", "track", "embed", "object")
# Which attribute of each tag names a requisite (links and <link> rels are decided in ``page_urls``).
REQUISITE_ATTRS = {"script": "src", "img": "src", "video": "poster", "audio": "src", "source": "src"}
REQUISITE_ATTRS |= {"track": "src", "embed": "src", "object": "data"}
STYLE_ATTRS = etree.XPath("//@style[contains(., 'url(')] | //style/text()")
# Pages split with <!--nextpage--> show their parts' links (crawler.wordpress.PART_HREFS) under one of PART_CLASSES
PAGE_LINKS_CLASS = etree.XPath(
    "boolean(//*/@class[contains(., 'page-links') or contains(., 'post-nav-links')"
    " or contains(., 'post-page-numbers')])"
)
REST_ROOT = etree.XPath("//link[@rel='https://api.w.org/']/@href")
FEED_LINKS = etree.XPath(
    "//*[local-name()='item']/*[local-name()='link']/text()"
    " | //*[local-name()='entry']/*[local-name()='link'][not(@rel) or @rel='alternate']/@href"
)

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
_LINK_HEADER_REST = re.compile(r'<([^>]+)>\s*;\s*rel="https://api\.w\.org/"')


@dataclass
class PageUrls:
    """What an HTML page links to and loads, unresolved, each list in document order."""

    links: list[str] = field(default_factory=list)  # hrefs a reader can follow, feeds and canonical included
    requisites: list[str] = field(default_factory=list)  # stylesheets, scripts, images, icons, fonts, media
    canonical: str | None = None  # the first rel=canonical href, stripped
    rest_root: str | None = None  # the first <link rel="https://api.w.org/"> href


def page_urls(
    tree: etree._Element, scan_css: Callable[[str], list[str]] | None = None, html: str | None = None
) -> PageUrls:
    """Links, requisites, canonical URL and REST root of an HTML page, in one walk of its URL-bearing elements.

    The same URLs as one XPath per kind (``//a/@href``, ``//link[...]/@href``, ``//script/@src``...), which cost a
    walk of the whole tree each. Post-part links (<!--nextpage-->'s "Pages: 1 2 3") are left out of ``links``: a
    post's parts are fetched together with the post, so that it becomes one record.

    Args:
        tree: the parsed page (its root element).
        scan_css: what reads the URLs of inline CSS (``css_urls``, or a crawl's ``CssScanner``).
        html: the page's HTML text, when the caller has it: a page whose text does not say ``page-links`` is not
            split, which spares a walk of the whole tree (a class named with character references is not seen).
    """
    scan_css = scan_css or css_urls
    found = PageUrls()
    links, loads, srcsets = found.links, found.requisites, []
    for element in tree.iter(URL_TAGS):
        tag = element.tag
        if tag == "a":
            if (href := element.get("href")) is not None:
                links.append(href)
        elif tag == "link":
            sort_link(element, found)
        elif tag == "input":
            if element.get("type") == "image" and (src := element.get("src")) is not None:
                loads.append(src)
        elif (url := element.get(REQUISITE_ATTRS[tag])) is not None:
            loads.append(url)
        if tag in ("img", "source") and (srcset := element.get("srcset")) is not None:
            srcsets.append(srcset)
    for srcset in srcsets:
        loads.extend(srcset_urls(srcset))
    for style in STYLE_ATTRS(tree):
        loads.extend(scan_css(str(style)))
    if (html is None or any(name in html for name in PART_CLASSES)) and PAGE_LINKS_CLASS(tree):
        parts = {str(v) for v in POST_PARTS(tree)}
        found.links = [href for href in links if href not in parts]
    return found


def sort_link(element: Any, found: PageUrls) -> None:
    """Where a ``<link>``'s href goes: a followed link (feed, canonical), a requisite, the REST root.

    ``element``: an lxml element, or the attributes of another parser's (``crawler.lexborpage``), by ``get``.
    """
    href = element.get("href")
    if href is None:
        return
    rel = element.get("rel")
    if rel is None:
        return
    if rel == "canonical" or (rel == "alternate" and "xml" in (element.get("type") or "")):
        found.links.append(href)
        if rel == "canonical" and found.canonical is None:
            found.canonical = href.strip()
    if f" {rel} ".find(" stylesheet ") >= 0 or "icon" in rel or rel in ("preload", "modulepreload"):
        found.requisites.append(href)
    if rel == "https://api.w.org/" and found.rest_root is None:
        found.rest_root = href


def page_links(tree: etree._Element) -> list[str]:
    """Hrefs a reader can follow from an HTML page (plus its feeds and canonical URL): ``page_urls(tree).links``."""
    return page_urls(tree).links


def requisites(tree: etree._Element) -> list[str]:
    """Every stylesheet, script, image (``srcset`` candidates too), icon, font and media URL a page loads."""
    return page_urls(tree).requisites


def srcset_urls(srcset: str) -> list[str]:
    """The candidate URLs of a ``srcset`` attribute (``a.jpg 300w, b.jpg 1024w`` -> ``[a.jpg, b.jpg]``)."""
    return [part.split()[0] for part in srcset.split(",") if part.strip()]


def css_urls(css: str) -> list[str]:
    """URLs a stylesheet loads: ``url(...)`` (fonts, images) and ``@import``; ``data:`` URLs left out."""
    if "@" not in css and "url(" not in css.lower():  # most inline styles load nothing: the regex would try each char
        return []
    found = [m.group(2) or m.group(4) for m in _CSS_URL.finditer(css)]
    return [url.strip() for url in found if url and not url.strip().lower().startswith("data:")]


class CssScanner:
    """``css_urls`` that remembers the large inline stylesheets of a crawl.

    WordPress prints the same inline styles on every page (``global-styles``: 13 KB, a few ``url()`` in it), and
    scanning them costs more than the rest of the page's link extraction. The URLs are returned unresolved, so a
    remembered answer is the answer. At most ``max_chars`` characters of CSS are remembered (then forgotten whole).
    """

    def __init__(self, min_size: int = 1024, max_chars: int = 1 << 20):
        self.min_size = min_size
        self.max_chars = max_chars
        self._known: dict[str, list[str]] = {}
        self._chars = 0

    def __call__(self, css: str) -> list[str]:
        if len(css) < self.min_size:
            return css_urls(css)
        found = self._known.get(css)
        if found is None:
            if self._chars + len(css) > self.max_chars:
                self._known.clear()
                self._chars = 0
            found = self._known[css] = css_urls(css)
            self._chars += len(css)
        return list(found)


def feed_links(tree: etree._Element) -> list[str]:
    """Entry links of an RSS or Atom feed."""
    return [str(v).strip() for v in FEED_LINKS(tree)]


ATOM_UPDATED = etree.XPath("//*[local-name()='entry'][*[local-name()='updated']]")


def feed_updated(tree: etree._Element) -> dict[str, str]:
    """Atom entries' links with their ``<updated>`` date: a modification date, like a sitemap's lastmod.

    RSS has none (``pubDate`` is the publication date: an edited post keeps it), so RSS items are left out.
    """
    found = {}
    for entry in ATOM_UPDATED(tree):
        links = entry.xpath("*[local-name()='link'][not(@rel) or @rel='alternate']/@href")
        updated = entry.xpath("string(*[local-name()='updated'])").strip()
        if links and updated:
            found[str(links[0]).strip()] = updated
    return found


def rest_root(tree: etree._Element, link_header: str = "") -> str | None:
    """The WordPress REST API root a page announces (``<link rel="https://api.w.org/">`` or a Link header)."""
    found = REST_ROOT(tree)
    if found:
        return str(found[0])
    return rest_root_header(link_header)


def rest_root_header(link_header: str) -> str | None:
    """The WordPress REST API root a ``Link`` response header announces."""
    match = _LINK_HEADER_REST.search(link_header)
    return match.group(1) if match else None


def canonical_link(tree: etree._Element) -> str | None:
    """The page's ``rel=canonical`` URL, if it declares one (the first ``<link rel="canonical">`` with an href).

    Looked for element by element, so the search ends in the head where it is found (an XPath walks the whole tree).
    """
    for link in tree.iter("link"):
        if link.get("rel") == "canonical" and (href := link.get("href")) is not None:
            return href.strip()
    return None


def rest_entries(body: str) -> list[dict[str, Any]] | None:
    """The objects of a REST listing response; None when the body is not a JSON list (an error object)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else None


def parse_date(value: str | None) -> datetime | None:
    """A W3C / ISO 8601 date or date-time (sitemap ``lastmod``, REST ``modified_gmt``) as an aware datetime."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
