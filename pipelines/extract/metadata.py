"""Metadata a page declares about itself: JSON-LD, Open Graph / ``article:*`` meta, WordPress markup.

These are what WordPress and its SEO plugins emit for exactly this purpose, so they are read before any guess
(trafilatura's heuristics fill only what is left). Read-only on the tree; call before boilerplate is pruned,
since bylines and term lists live in the entry meta and footer blocks that pruning removes.

``declares_article`` is the page's own answer to "is this an article" (``crawler.wordpress.classify_page`` asks
it when WordPress body classes do not decide; re-extraction classifies through the same function).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

ARTICLE_TYPES = ("BlogPosting", "Article", "NewsArticle", "TechArticle", "Report", "SocialMediaPosting")
PAGE_TYPES = ("WebPage", "AboutPage", "ContactPage", "ProfilePage", "ItemPage")

# Link lists that belong to other posts (widgets, related posts, query loops), never to this page's terms.
_FOREIGN = (
    "ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget-area') or @id='secondary' or contains(@class, 'jp-relatedposts')"
    " or contains(@class, 'wp-block-query') or contains(@class, 'wp-block-post-template')]"
)
_XPATH = {
    "json_ld": etree.XPath("//script[@type='application/ld+json']/text()"),
    "og_type": etree.XPath("string(//meta[@property='og:type']/@content)"),
    "meta": etree.XPath("//meta[@content][@property or @name]"),
    "canonical": etree.XPath("//link[@rel='canonical']/@href"),
    "language": etree.XPath(
        "/html/@lang | //meta[@http-equiv='content-language' or @http-equiv='Content-Language']/@content"
    ),
    "published": etree.XPath(
        "//meta[@property='article:published_time']/@content"
        " | //time[contains(@class, 'entry-date') and contains(@class, 'published')]/@datetime"
        f" | //div[contains(@class, 'wp-block-post-date')][not({_FOREIGN})]//time/@datetime"
    ),
    "modified": etree.XPath(
        "//meta[@property='article:modified_time' or @property='og:updated_time']/@content"
        " | //time[contains(@class, 'updated')]/@datetime"
    ),
    "author": etree.XPath(
        "//meta[@name='author']/@content"
        f" | //*[contains(@class, 'byline')][not({_FOREIGN})]//*[contains(@class, 'fn')]//text()"
        f" | //*[contains(@class, 'wp-block-post-author-name')][not({_FOREIGN})]//text()"
        # the_author_posts_link(): themes without a .byline still link the author's archive with rel="author"
        f" | //a[contains(concat(' ', @rel, ' '), ' author ')][not({_FOREIGN})]//text()"
    ),
    "categories": etree.XPath(
        f"//a[contains(concat(' ', @rel, ' '), ' category ')][not({_FOREIGN})]"
        f" | //*[contains(@class, 'taxonomy-category')][not({_FOREIGN})]//a"
        # WordPress SEO plugins put the primary category in article:section; static site generators (Hugo) put
        # the content section there ("posts"), which is no category
        " | //meta[@property='article:section'][//meta[@name='generator'][starts-with(@content, 'WordPress')]]"
        "/@content"
    ),
    "tags": etree.XPath(
        f"//a[@rel='tag'][not(ancestor::*[contains(@class, 'taxonomy-category')])][not({_FOREIGN})]"
        " | //meta[@property='article:tag']/@content"
    ),
}


@dataclass
class Declared:
    """What the page says about itself; None or empty where it says nothing."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    modified: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    language: str | None = None


def declared_metadata(tree: etree._Element) -> Declared:
    """Read a page's own metadata: JSON-LD first, then meta tags and WordPress markup."""
    entity, graph = main_entity(tree)
    meta = meta_tags(tree)
    return Declared(
        title=_title(entity, meta),
        author=_author_name(entity, graph) or _first_text(_XPATH["author"](tree)) or _meta_author(meta),
        published=_str(entity.get("datePublished")) or _first_text(_XPATH["published"](tree)),
        modified=_str(entity.get("dateModified")) or _first_text(_XPATH["modified"](tree)),
        categories=_terms(_XPATH["categories"](tree)),
        tags=_terms(_XPATH["tags"](tree)),
        description=_str(entity.get("description")) or _str(meta.get("description") or meta.get("og:description")),
        image=_image(entity.get("image")) or _str(meta.get("og:image")),
        canonical_url=_first_text(_XPATH["canonical"](tree)) or _str(meta.get("og:url")),
        language=_language(_first_text(_XPATH["language"](tree)) or entity.get("inLanguage") or meta.get("og:locale")),
    )


def declared_title(tree: etree._Element) -> str | None:
    """The title ``declared_metadata`` gives, without reading the rest."""
    return _title(main_entity(tree)[0], meta_tags(tree))


def _title(entity: dict[str, Any], meta: dict[str, str]) -> str | None:
    return _str(entity.get("headline")) or _str(meta.get("og:title"))


def meta_tags(tree: etree._Element) -> dict[str, str]:
    """``<meta>`` contents by lower-cased ``property`` or ``name``; the first of repeated tags wins."""
    found: dict[str, str] = {}
    for node in _XPATH["meta"](tree):
        key = (node.get("property") or node.get("name") or "").strip().lower()
        found.setdefault(key, node.get("content"))
    return found


def declares_article(tree: etree._Element) -> bool:
    """Whether a page declares itself an article: the one rule for "is this a post" beyond WordPress body classes.

    ``og:type`` ``article``, or a JSON-LD node of one of ``ARTICLE_TYPES``: its ``@type`` a string or a list, the
    node at the top of a script, in a list, or in an ``@graph``. ``og:type`` is read first: JSON-LD is the costly
    signal, parsed only when the meta tag says nothing.
    """
    if _XPATH["og_type"](tree).strip().lower() == "article":
        return True
    return any(_has_type(node, ARTICLE_TYPES) for node in json_ld_nodes(tree))


def main_entity(tree: etree._Element) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The JSON-LD node describing this page (an article type before a web page type), and all nodes by @id."""
    nodes = json_ld_nodes(tree)
    graph = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    for wanted in (ARTICLE_TYPES, PAGE_TYPES):
        for node in nodes:
            if _has_type(node, wanted):
                return node, graph
    return {}, graph


def json_ld_nodes(tree: etree._Element) -> list[dict[str, Any]]:
    """Every JSON-LD node of the page's scripts, lists and ``@graph`` flattened; scripts that do not parse skipped."""
    nodes: list[dict[str, Any]] = []
    for script in _XPATH["json_ld"](tree):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        nodes.extend(_flatten(data))
    return nodes


def _flatten(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _flatten(item)]
    if isinstance(data, dict):
        return _flatten(data["@graph"]) if "@graph" in data else [data]
    return []


def _has_type(node: dict[str, Any], wanted: tuple[str, ...]) -> bool:
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t in wanted for t in types)


def _author_name(entity: dict[str, Any], graph: dict[str, dict[str, Any]]) -> str | None:
    author = entity.get("author") if entity else None
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = graph.get(author.get("@id", ""), author)
        return _str(author.get("name"))
    return _str(author)


def _meta_author(meta: dict[str, str]) -> str | None:
    """An author name from the meta tags of analytics and library metadata (never a profile URL)."""
    for key in ("parsely-author", "sailthru.author", "dc.creator", "article:author"):
        name = _str(meta.get(key))
        if name and "://" not in name:
            return name
    return None


def _language(tag: Any) -> str | None:
    """The ISO 639-1 code of a language tag or locale (``en-GB``, ``en_US`` -> ``en``)."""
    tag = _str(tag)
    return tag.replace("_", "-").split("-")[0].lower() if tag else None


def _image(value: Any) -> str | None:
    """The URL of a JSON-LD ``image``: a URL, an ImageObject, or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _str(value)


def _str(value: Any) -> str | None:
    """A non-empty string with its whitespace collapsed, or None."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _first_text(values: list[Any]) -> str | None:
    for value in values:
        text = _str(str(value))
        if text:
            return text
    return None


def _terms(found: list[Any]) -> list[str]:
    terms: list[str] = []
    for item in found:
        text = _str(item.text_content() if isinstance(item, etree._Element) else str(item))
        if text and text not in terms:
            terms.append(text)
    return terms
