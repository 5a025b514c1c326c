"""Metadata a page declares about itself: JSON-LD, ``og:``/``article:`` meta, microdata, h-entry, WordPress markup.

These are what WordPress and its SEO plugins (and other blog engines: ``pipelines.extract.entries``) emit for exactly
this purpose, so they are read before any guess (trafilatura's heuristics fill only what is left). Read-only on the
tree; call before boilerplate is pruned, since bylines and term lists live in the entry meta and footer blocks that
pruning removes.

The author, in this order: JSON-LD's ``author``; a marked-up entry's (microdata ``author``, h-entry ``p-author``);
``<meta name="author">``; the byline (``.byline``, ``.posted-by``, ``.entry-author``, ``.post-author``: its ``.fn``,
else its ``rel=author`` link) or the core post-author block's name (``.wp-block-post-author__name``, WordPress 6.1;
``.wp-block-post-author-name``, 6.2+), the first of these in the page; the meta tags of analytics and library
metadata (``article:author`` when it is a name); an author box's name (see ``_bio_name``). Never a commenter (nothing
inside a comment or comment list counts), never an author box's link text ("View all of X's posts."), never a
``rel=author`` link outside the byline.

``declares_article`` is the page's own answer to "is this an article" (``crawler.wordpress.classify_page`` asks
it when WordPress body classes do not decide; re-extraction classifies through the same function).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from lxml import etree

from pipelines.extract import jsonld
from pipelines.extract.entries import ARTICLE_TYPES, Entry, marked_entry

PAGE_TYPES = ("WebPage", "AboutPage", "ContactPage", "ProfilePage", "ItemPage")

# Link lists that belong to other posts (widgets, related posts, query loops), never to this page's terms.
_FOREIGN = (
    "ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget-area') or @id='secondary' or contains(@class, 'jp-relatedposts')"
    " or contains(@class, 'wp-block-query') or contains(@class, 'wp-block-post-template')]"
)
# Bylines: the theme's "By X" line (Twenty Twenty-One .byline inside .posted-by, Twenty Twenty .post-author,
# Twenty Nineteen and older .byline .author.vcard .fn), and the core post-author block's name element (WordPress
# 6.1 .wp-block-post-author__name, 6.2+ .wp-block-post-author-name), whose whole text is the name. One scan with
# cheap substring tests finds the candidates; their class tokens are checked in Python.
BYLINE_CLASSES = frozenset({"byline", "posted-by", "entry-author", "post-author"})
NAME_CLASSES = frozenset({"wp-block-post-author__name", "wp-block-post-author-name"})
# Author boxes (Twenty Twenty-One .author-bio, Twenty Twenty and older .author-bio/.author-info, the core
# post-author-biography block) and comments: a byline inside one of them is no byline of the post.
_BIO = (
    "contains(@class, 'author-bio') or contains(@class, 'author-info') or contains(@class, 'author-box')"
    " or contains(@class, 'about-author') or contains(@class, 'wp-block-post-author-biography')"
)
_ASIDE = (
    f"ancestor::*[{_BIO} or @id='comments' or contains(@class, 'comment-list') or contains(@class, 'commentlist')"
    " or contains(@class, 'comments-area') or contains(@class, 'wp-block-comments')"
    " or contains(@class, 'wp-block-post-comments') or contains(concat(' ', normalize-space(@class), ' '), ' comment ')"
    " or starts-with(@id, 'comment-') or starts-with(@id, 'div-comment-')]"
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
    "bylines": etree.XPath("//*[contains(@class, 'by') or contains(@class, 'author')]"),  # all of the classes
    "byline_name": etree.XPath(
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]"
        " | .//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"
    ),
    "elsewhere": etree.XPath(f"boolean({_FOREIGN} or {_ASIDE})"),
    "meta_author": etree.XPath("//meta[@name='author']/@content"),
    "bio": etree.XPath(f"//*[contains(@class, 'author')][{_BIO}][not({_FOREIGN})]"),  # a cheap test first
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
    """Read a page's own metadata: JSON-LD first, then a marked-up entry, meta tags and WordPress markup."""
    entity, graph = main_entity(tree)
    meta = meta_tags(tree)
    entry = marked_entry(tree) or Entry()
    return Declared(
        title=_title(entity, meta) or entry.title,
        author=_author_name(entity, graph) or entry.author or _page_author(tree, meta),
        published=_str(entity.get("datePublished")) or entry.published or _first_text(_XPATH["published"](tree)),
        modified=_str(entity.get("dateModified")) or entry.modified or _first_text(_XPATH["modified"](tree)),
        categories=_terms(_XPATH["categories"](tree)),
        tags=_terms(_XPATH["tags"](tree)),
        description=_str(entity.get("description")) or _str(meta.get("description") or meta.get("og:description")),
        image=_image(entity.get("image")) or _str(meta.get("og:image")),
        canonical_url=_first_text(_XPATH["canonical"](tree)) or _str(meta.get("og:url")),
        language=_language(_first_text(_XPATH["language"](tree)) or entity.get("inLanguage") or meta.get("og:locale")),
    )


def declared_title(tree: etree._Element) -> str | None:
    """The title ``declared_metadata`` gives, without reading the rest."""
    title = _title(main_entity(tree)[0], meta_tags(tree))
    return title or (marked_entry(tree) or Entry()).title


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

    ``og:type`` ``article``; a JSON-LD node of one of ``ARTICLE_TYPES`` (its ``@type`` a string or a list, the
    node at the top of a script, in a list, or in an ``@graph``); or one article marked up in the body (microdata
    of an article type, or an ``h-entry``: ``pipelines.extract.entries``; a listing marks up several). Cheapest
    first: JSON-LD is parsed only when the meta tag says nothing.
    """
    if _XPATH["og_type"](tree).strip().lower() == "article":
        return True
    return jsonld.declares_article(_XPATH["json_ld"](tree)) or marked_entry(tree) is not None


def main_entity(tree: etree._Element) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The JSON-LD node describing this page (an article type before a web page type), and all nodes by @id."""
    nodes = json_ld_nodes(tree)
    graph = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    for wanted in (ARTICLE_TYPES, PAGE_TYPES):
        for node in nodes:
            if jsonld.has_type(node, wanted):
                return node, graph
    return {}, graph


def json_ld_nodes(tree: etree._Element) -> list[dict[str, Any]]:
    """Every JSON-LD node of the page's scripts, lists and ``@graph`` flattened; scripts that do not parse skipped."""
    return jsonld.nodes(_XPATH["json_ld"](tree))


def _author_name(entity: dict[str, Any], graph: dict[str, dict[str, Any]]) -> str | None:
    author = entity.get("author") if entity else None
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = graph.get(author.get("@id", ""), author)
        return _str(author.get("name"))
    return _str(author)


def _page_author(tree: etree._Element, meta: dict[str, str]) -> str | None:
    """The author the page's markup names (see the module docstring for the order), after JSON-LD and entries."""
    return (
        _meta_name(_XPATH["meta_author"](tree))
        or _byline_name(tree)
        or _meta_author(meta)
        or _bio_name(_XPATH["bio"](tree))
    )


def _byline_name(tree: etree._Element) -> str | None:
    """The first name a byline or a post-author block gives, outside widgets, comments and author boxes."""
    for candidate in _XPATH["bylines"](tree):
        classes = set((candidate.get("class") or "").split())
        if not classes & (BYLINE_CLASSES | NAME_CLASSES) or _XPATH["elsewhere"](candidate):
            continue
        name = (
            _str(candidate.text_content()) if classes & NAME_CLASSES else _first_text(_XPATH["byline_name"](candidate))
        )
        if name:
            return name
    return None


def _meta_name(values: list[Any]) -> str | None:
    name = _first_text(values)
    return name if name and "://" not in name else None


def _meta_author(meta: dict[str, str]) -> str | None:
    """An author name from the meta tags of analytics and library metadata (never a profile URL)."""
    for key in ("parsely-author", "sailthru.author", "dc.creator", "article:author"):
        name = _str(meta.get(key))
        if name and "://" not in name:
            return name
    return None


def _bio_name(boxes: list[etree._Element]) -> str | None:
    """The name an author box gives: its ``.author-name``/``.fn``, else what its heading and its author link share.

    Twenty Twenty-One, when the author has a biography, prints the name only there: ``<h2 class="author-title">By
    X</h2>`` and ``<a class="author-link" rel="author">View all of X's posts.</a>``, both translated. The words the
    two have in common, whatever the language, are the name; the link's own text never is.
    """
    for box in boxes[:1]:
        named = box.xpath(".//*[contains(@class, 'author-name') or contains(concat(' ', @class, ' '), ' fn ')]")
        if named:
            return _str(named[0].text_content())
        headings = box.xpath(".//*[self::h2 or self::h3 or self::h4 or contains(@class, 'author-title')]")
        links = box.xpath(".//a[contains(concat(' ', @rel, ' '), ' author ') or contains(@class, 'author-link')]")
        if headings and links:
            return _shared_words(_str(headings[0].text_content()) or "", _str(links[0].text_content()) or "")
    return None


def _shared_words(a: str, b: str) -> str | None:
    """The longest run of whole words two texts share (None when it has no letter)."""
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    i, j, size = match.a, match.b, match.size

    def inside_word(text: str, at: int) -> bool:
        return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()

    while size and (inside_word(a, i) or inside_word(b, j)):
        i, j, size = i + 1, j + 1, size - 1
    while size and (inside_word(a, i + size) or inside_word(b, j + size)):
        size -= 1
    run = a[i : i + size].strip(" .,:;!?-–—'’\"")
    return run if any(c.isalpha() for c in run) else None


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
        text = _str(value.text_content() if isinstance(value, etree._Element) else str(value))
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
