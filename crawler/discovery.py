"""Where a blog tells us about its URLs: links, page requisites, feeds, REST listings, stylesheets, post parts.

Each function takes what one response holds (a parsed tree, CSS text, JSON) and returns URLs, unfiltered and
unresolved to the crawl's scope: the spider decides what to fetch (``crawler.wordpress.ScopeRules``).
No Scrapy here: unit-tested in ``tests/test_discovery.py``. Post parts (``post_parts``) are WordPress knowledge, in
``crawler.wordpress``; they are named here too, for the callers that read the rest of a page from this module.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from crawler.wordpress import PART_HREFS as POST_PARTS
from crawler.wordpress import post_parts as post_parts  # re-exported

# Links a reader can follow (post-part links are taken out in ``page_links``).
PAGE_LINKS = etree.XPath(
    "//a/@href | //link[@rel='alternate'][contains(@type, 'xml')]/@href | //link[@rel='canonical']/@href"
)
# What a browser loads to render the page (replay needs them in the archive).
REQUISITE_URLS = etree.XPath(
    "//link[contains(concat(' ', @rel, ' '), ' stylesheet ') or contains(@rel, 'icon')"
    " or @rel='preload' or @rel='modulepreload']/@href"
    " | //script/@src | //img/@src | //input[@type='image']/@src | //video/@poster | //audio/@src"
    " | //source/@src | //track/@src | //embed/@src | //object/@data"
)
SRCSETS = etree.XPath("//img/@srcset | //source/@srcset")
STYLE_ATTRS = etree.XPath("//@style[contains(., 'url(')] | //style/text()")
REST_ROOT = etree.XPath("//link[@rel='https://api.w.org/']/@href")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href")
FEED_LINKS = etree.XPath(
    "//*[local-name()='item']/*[local-name()='link']/text()"
    " | //*[local-name()='entry']/*[local-name()='link'][not(@rel) or @rel='alternate']/@href"
)

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)
_LINK_HEADER_REST = re.compile(r'<([^>]+)>\s*;\s*rel="https://api\.w\.org/"')


def page_links(tree: etree._Element) -> list[str]:
    """Hrefs a reader can follow from an HTML page (plus its feeds and canonical URL).

    Post-part links (<!--nextpage-->'s "Pages: 1 2 3") are left out: a post's parts are fetched together with the
    post, so that it becomes one record.
    """
    parts = {str(v) for v in POST_PARTS(tree)}
    return [str(v) for v in PAGE_LINKS(tree) if not parts or str(v) not in parts]


def requisites(tree: etree._Element) -> list[str]:
    """Every stylesheet, script, image (``srcset`` candidates too), icon, font and media URL a page loads."""
    urls = [str(v) for v in REQUISITE_URLS(tree)]
    for srcset in SRCSETS(tree):
        urls.extend(srcset_urls(str(srcset)))
    for style in STYLE_ATTRS(tree):
        urls.extend(css_urls(str(style)))
    return urls


def srcset_urls(srcset: str) -> list[str]:
    """The candidate URLs of a ``srcset`` attribute (``a.jpg 300w, b.jpg 1024w`` -> ``[a.jpg, b.jpg]``)."""
    return [part.split()[0] for part in srcset.split(",") if part.strip()]


def css_urls(css: str) -> list[str]:
    """URLs a stylesheet loads: ``url(...)`` (fonts, images) and ``@import``; ``data:`` URLs left out."""
    found = [m.group(2) or m.group(4) for m in _CSS_URL.finditer(css)]
    return [url.strip() for url in found if url and not url.strip().lower().startswith("data:")]


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
    match = _LINK_HEADER_REST.search(link_header)
    return match.group(1) if match else None


def canonical_link(tree: etree._Element) -> str | None:
    """The page's ``rel=canonical`` URL, if it declares one."""
    found = CANONICAL(tree)
    return str(found[0]).strip() if found else None


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
