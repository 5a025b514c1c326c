"""Reader comments as structured data: WordPress comment markup first, trafilatura's comment extraction as fallback.

WordPress (classic themes, block themes, WordPress.com) renders each comment as an ``li`` with id ``comment-N``
(``li-comment-N`` in some themes), its author in ``.comment-author``, its date in a ``time`` element and its text in
``.comment-content``; replies are nested lists inside their parent's ``li``, which gives the threading. Pages with
no such markup but with a comment section (other platforms, custom themes) get trafilatura's comment text, split
into one unthreaded comment per block, with ids ``t1``, ``t2``…. The comment form is never a comment: it has no
comment id, and trafilatura's extractor discards forms.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.main_extractor import extract_comments as trafilatura_comments
from trafilatura.settings import MANUALLY_CLEANED, Extractor

# Comment parts, each a list of selectors tried in order (most specific first).
_COMMENTS = CSSSelector("li.comment, li.pingback, li.trackback, article.comment")
_COMMENT_PARTS = {
    "author": [CSSSelector(c) for c in (".comment-author .fn", ".wp-block-comment-author-name", ".comment-author")],
    "time": [CSSSelector(c) for c in (".comment-metadata time", ".wp-block-comment-date time", "time")],
    "content": [CSSSelector(c) for c in (".comment-content", ".wp-block-comment-content")],
}
_COMMENT_ID = re.compile(r"(?:comment|li-comment|div-comment)-(\d+)$")
# Sections that may hold comments, for trafilatura's comment extractor (whose expressions all want "comment" in an
# id or class); a cheap test before any copy is made. A comment form's box ("commentform") holds no comments.
_COMMENT_SECTIONS = etree.XPath(
    "//*[self::div or self::section or self::ol or self::ul]"
    "[contains(@id, 'comment') or contains(@class, 'comment')][not(contains(@id, 'form') or contains(@class, 'form'))]"
)
# WordPress comment sections (even without comments: a closed or empty thread is not a job for the fallback).
_WORDPRESS_SECTION = etree.XPath(
    "boolean(//*[@id='comments' or @id='respond' or contains(@class, 'comments-area')"
    " or contains(@class, 'wp-block-comments') or contains(@class, 'comment-respond')])"
)
_FALLBACK_OPTIONS = Extractor(output_format="python", comments=True)
_CLEANED_TAGS = frozenset(MANUALLY_CLEANED)


def extract_comments(tree: etree._Element) -> list[dict[str, Any]]:
    """Reader comments from WordPress comment markup, in page order, with their threading (read-only)."""
    comments = []
    seen: set[str] = set()
    for node in _COMMENTS(tree):
        comment_id = _comment_id(node)
        if comment_id is None or comment_id in seen:  # article.comment sits inside li.comment in some themes
            continue
        seen.add(comment_id)
        ancestors = node.iterancestors("li", "article")
        parent = next((p for p in ancestors if _comment_id(p) not in (None, comment_id)), None)
        content = _own_part(node, "content")
        when = _own_part(node, "time")
        comments.append(
            {
                "id": comment_id,
                "parent": _comment_id(parent) if parent is not None else None,
                "author": _text(_own_part(node, "author")),
                "published": when.get("datetime") if when is not None else None,
                "text": _block_text(content) if content is not None else "",
            }
        )
    return comments


def fallback_comments(tree: etree._Element) -> list[dict[str, Any]]:
    """Comments found by trafilatura's comment extractor, one unthreaded comment per text block (read-only).

    Runs only when the page has an element whose id or class mentions comments and no WordPress comment section
    (WordPress markup without ``li.comment`` means no comments). The extractor cleans and cuts the tree it is
    given, so it gets a small document made of copies of those sections, not a copy of the whole page.
    """
    sections = _COMMENT_SECTIONS(tree)
    if not sections or _WORDPRESS_SECTION(tree):
        return []
    chosen = set(sections)
    body = lxml.html.Element("body")  # trafilatura's cleaning wants lxml.html elements
    body.extend(copy.deepcopy(s) for s in sections if _outermost_kept(s, chosen))
    document = lxml.html.Element("html")
    document.append(body)
    cleaned = convert_tags(tree_cleaning(document, _FALLBACK_OPTIONS), _FALLBACK_OPTIONS)
    found, _, _ = trafilatura_comments(cleaned, _FALLBACK_OPTIONS)
    blocks = [" ".join(" ".join(block.itertext()).split()) for block in found]
    return [
        {"id": f"t{n}", "parent": None, "author": None, "published": None, "text": text}
        for n, text in enumerate((b for b in blocks if b), start=1)
    ]


def _outermost_kept(section: etree._Element, chosen: set[etree._Element]) -> bool:
    """Whether ``section`` is in no other chosen section, nor in an element trafilatura's cleaning removes.

    Such an element goes with all it holds: a "Recent Comments" widget in an ``aside`` is no comment section.
    """
    return not any(a in chosen or a.tag in _CLEANED_TAGS for a in section.iterancestors())


def _own_part(comment: etree._Element, part: str) -> etree._Element | None:
    """The first match of a comment part that belongs to this comment, not to a reply nested in it."""
    for selector in _COMMENT_PARTS[part]:
        for found in selector(comment):
            owner = next((a for a in found.iterancestors("li", "article") if _comment_id(a) is not None), None)
            if owner is None or _comment_id(owner) == _comment_id(comment):
                return found
    return None


def _comment_id(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    match = _COMMENT_ID.search(node.get("id") or "")
    return match.group(1) if match else None


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return " ".join(node.text_content().split()) or None


def _block_text(node: etree._Element) -> str:
    blocks = node.xpath(".//p | .//li | .//blockquote[not(p)] | .//pre")
    parts = [" ".join(b.text_content().split()) for b in blocks] or [_text(node) or ""]
    return "\n\n".join(p for p in parts if p)
