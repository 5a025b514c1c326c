"""Articles marked up in the body of a page: schema.org microdata and microformats2 ``h-entry``.

What WordPress SEO plugins put in JSON-LD, other blog engines print as attributes on the post itself: Jekyll's
minima theme marks the post ``itemscope itemtype="http://schema.org/BlogPosting"`` and ``h-entry`` at once, Hugo
and Ghost themes of the IndieWeb kind print ``h-entry`` with ``p-name``, ``p-author h-card``, ``dt-published``.
``marked_entry`` reads the one article such a page marks up (its title, author and dates, by the rules of the
microdata and microformats2 specifications for the few properties a record needs); a page that marks up several
(a listing: each summary its own ``h-entry`` or ``BlogPosting``) declares no one article.

The few properties are read with XPath on the tree the crawl parsed already: a general parser (mf2py, extruct)
would parse the page a second time with another HTML parser to build every property of every item.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

# schema.org types that are an article (the same as metadata.ARTICLE_TYPES, which imports this module)
ARTICLE_TYPES = ("BlogPosting", "Article", "NewsArticle", "TechArticle", "Report", "SocialMediaPosting")

# Microdata items and h-entry candidates, in one scan (their attributes are checked in Python).
_CANDIDATES = etree.XPath("//*[@itemtype or contains(@class, 'h-entry')]")
# Items and entries that belong to other posts (widgets, related posts), never to the page's own article.
_FOREIGN = etree.XPath(
    "boolean(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget-area') or @id='secondary' or self::aside or self::footer])"
)


@dataclass
class Entry:
    """What a marked-up article says about itself; None where it says nothing."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    modified: str | None = None


def marked_entry(tree: etree._Element) -> Entry | None:
    """The page's one marked-up article (microdata first, then h-entry), or None when it marks up none or several."""
    candidates = _CANDIDATES(tree)
    scope = _only(c for c in candidates if c.get("itemscope") is not None and _is_article_scope(c))
    if scope is not None:
        return _microdata_entry(scope)
    entry = _only(c for c in candidates if "h-entry" in (c.get("class") or "").split() and not _nested_root(c))
    return _h_entry(entry) if entry is not None else None


def _only(found: object) -> etree._Element | None:
    """The one element of ``found`` outside widgets and asides; None when there are none or several."""
    kept = [element for element in found if not _FOREIGN(element)]  # type: ignore[attr-defined]
    return kept[0] if len(kept) == 1 else None


# ---------------------------------------------------------------- microdata (HTML Living Standard, §5.2)


def _is_article_scope(scope: etree._Element) -> bool:
    """An item of an article type that is not itself a property of another item (a Blog's ``blogPost``)."""
    types = {t.rstrip("/").rsplit("/", 1)[-1] for t in (scope.get("itemtype") or "").split()}
    return bool(types & set(ARTICLE_TYPES)) and not scope.get("itemprop")


def _microdata_entry(scope: etree._Element) -> Entry:
    author = _item_property(scope, "author")
    if author is not None and author.get("itemscope") is not None:
        name = _item_property(author, "name")
        author_name = _property_value(name) if name is not None else _text(author)
    else:
        author_name = _property_value(author) if author is not None else None
    return Entry(
        title=_value(scope, "headline") or _value(scope, "name"),
        author=author_name,
        published=_value(scope, "datePublished"),
        modified=_value(scope, "dateModified"),
    )


def _item_property(scope: etree._Element, name: str) -> etree._Element | None:
    """The first element giving property ``name`` of the item ``scope`` (not of an item nested in it)."""
    for element in scope.iterdescendants():
        if name in (element.get("itemprop") or "").split() and _owner(element) is scope:
            return element
    return None


def _owner(element: etree._Element) -> etree._Element | None:
    """The item a property belongs to: the nearest ancestor with ``itemscope``."""
    return next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)


def _value(scope: etree._Element, name: str) -> str | None:
    element = _item_property(scope, name)
    return _property_value(element) if element is not None else None


# The attribute an element carries a microdata value in. A link's href is left out on purpose: the properties read
# here are names and dates, and an author linked to a profile is named by the link's text.
_VALUE_ATTRIBUTES = {"meta": "content", "time": "datetime", "data": "value"}


def _property_value(element: etree._Element) -> str | None:
    """A property's value: ``content``, then its element's value attribute, then its text."""
    value = element.get("content")
    if value is None and element.tag in _VALUE_ATTRIBUTES:
        value = element.get(_VALUE_ATTRIBUTES[element.tag])
    return _clean(value) if value is not None else _text(element)


# ---------------------------------------------------------------- microformats2 (microformats.org/wiki/h-entry)


def _roots(element: etree._Element) -> list[str]:
    return [c for c in (element.get("class") or "").split() if c.startswith("h-")]


def _nested_root(entry: etree._Element) -> bool:
    """Whether an h-entry is a property of another microformat (a cited post, a reply context)."""
    return any(_roots(a) for a in entry.iterancestors())


def _mf_property(root: etree._Element, name: str) -> etree._Element | None:
    """The first element with class ``name`` belonging to ``root``, not to a microformat nested in it."""
    for element in root.iterdescendants():
        if name in (element.get("class") or "").split():
            owner = next((a for a in element.iterancestors() if _roots(a)), None)
            if owner is root:
                return element
    return None


def _h_entry(entry: etree._Element) -> Entry:
    return Entry(
        title=_mf_text(entry, "p-name"),
        author=_h_card_name(_mf_property(entry, "p-author")),
        published=_mf_date(entry, "dt-published"),
        modified=_mf_date(entry, "dt-updated"),
    )


def _mf_text(root: etree._Element, name: str) -> str | None:
    element = _mf_property(root, name)
    if element is None:
        return None
    return _clean(element.get("title")) if element.tag == "abbr" and element.get("title") else _text(element)


def _mf_date(root: etree._Element, name: str) -> str | None:
    """A ``dt-*`` value: ``datetime`` of a ``time``, the ``value-class`` parts, or the element's text."""
    element = _mf_property(root, name)
    if element is None:
        return None
    if element.get("datetime"):
        return _clean(element.get("datetime"))
    parts = [p.get("datetime") or p.get("title") or _text(p) for p in element.xpath(".//*[@class='value']")]
    return _clean(" ".join(p for p in parts if p)) or _text(element)


def _h_card_name(author: etree._Element | None) -> str | None:
    """An author's name: the ``p-name`` of an ``h-card``, else its text, else the alt text of its photo."""
    if author is None:
        return None
    if "h-card" in (author.get("class") or "").split():
        name = _mf_text(author, "p-name")
        if name:
            return name
    return _text(author) or _clean(" ".join(author.xpath(".//img/@alt")))


# ---------------------------------------------------------------- text


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _text(element: etree._Element) -> str | None:
    return _clean(element.text_content())
