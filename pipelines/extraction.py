"""Clean text, metadata and comments of one blog post or page (trafilatura + WordPress knowledge).

Input is a parsed lxml tree (Scrapy's ``response.selector.root``: no second parse) or HTML text, plus the page URL.
The page's own metadata (JSON-LD, ``article:*`` meta, bylines) and its reader comments (WordPress comment markup,
as structured data) are read first; then WordPress and Jetpack boilerplate (comment forms, share and like blocks,
related posts, post navigation, author boxes, widgets, footers) is pruned and trafilatura extracts the main text,
filling the metadata the page did not declare. Comments never enter ``text``.

No Scrapy imports here: the same code re-extracts text from WARC files without a crawl.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura import bare_extraction
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.settings import Extractor

from pipelines.metadata import declared_metadata

logger = logging.getLogger(__name__)

# Blocks that are never main text on WordPress (core themes, block themes, Jetpack, WordPress.com).
BOILERPLATE_SELECTORS = (
    "#comments",
    ".comments-area",
    ".comment-list",
    "#respond",
    ".comment-respond",
    "#commentform",
    ".wp-block-comments",
    ".wp-block-comment-template",
    ".wp-block-post-comments-form",
    ".sharedaddy",
    ".sd-sharing",
    ".sd-like",
    ".wpl-likebox",
    ".jetpack-likes-widget-wrapper",
    "#jp-relatedposts",
    ".jp-relatedposts",
    ".wp-block-jetpack-related-posts",
    ".post-navigation",
    ".posts-navigation",
    ".navigation",
    ".nav-links",
    ".wp-block-post-navigation-link",
    ".author-info",
    ".author-bio",
    ".entry-author",
    ".entry-footer",
    ".entry-meta",
    ".wp-block-post-date",
    ".wp-block-post-author",
    ".wp-block-post-author-name",
    ".wp-block-post-terms",
    "#secondary",
    ".widget-area",
    ".widget",
    "#colophon",
    ".site-footer",
    ".site-info",
    "header.wp-block-template-part",
    "footer.wp-block-template-part",
    ".screen-reader-text",
    ".skip-link",
    "#wpadminbar",
    "#actionbar",
    ".wpcnt",
    "#marketingbar",
    "figcaption",
    ".wp-caption-text",
    ".wp-element-caption",
)

# Comment parts, each a list of selectors tried in order (most specific first).
_COMMENTS = CSSSelector("li.comment, li.pingback, li.trackback")
_COMMENT_PARTS = {
    "author": [CSSSelector(c) for c in (".comment-author .fn", ".wp-block-comment-author-name", ".comment-author")],
    "time": [CSSSelector(c) for c in (".comment-metadata time", ".wp-block-comment-date time", "time")],
    "content": [CSSSelector(c) for c in (".comment-content", ".wp-block-comment-content")],
}
_HTML_LANG = etree.XPath("/html/@lang")
_COMMENT_ID = re.compile(r"(?:comment|li-comment|div-comment)-(\d+)$")


@dataclass
class Extracted:
    """What extraction finds on a page; the record builder adds URL, WARC and crawl fields."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    modified: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        """Words in ``text``, split on whitespace."""
        return len(self.text.split())

    @property
    def text_sha256(self) -> str:
        """Hex SHA-256 of ``text`` as UTF-8 (to tell changed text from unchanged)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def extractor_options(favor_precision: bool = False) -> Extractor:
    """Trafilatura options, built once per configuration (comments always off: they are read separately)."""
    return Extractor(output_format="python", precision=favor_precision, comments=False, with_metadata=True)


@lru_cache(maxsize=1)
def boilerplate_xpaths() -> list[etree.XPath]:
    """The boilerplate selectors, compiled once."""
    return [etree.XPath(CSSSelector(css).path) for css in BOILERPLATE_SELECTORS]


def parse_html(html: str | bytes) -> lxml.html.HtmlElement | None:
    """Parse HTML text; None when there is nothing to parse."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def extract_post(
    page: str | bytes | lxml.html.HtmlElement, url: str | None = None, favor_precision: bool = False
) -> Extracted | None:
    """Extract main text, metadata and comments from one post or page.

    Args:
        page: a parsed tree (left unchanged) or the HTML.
        url: the page URL, used for metadata and relative links.
        favor_precision: trafilatura's precision mode.

    Returns:
        An ``Extracted``, or None when the page has no main text.
    """
    # Pruning changes the tree: work on a copy of a caller's tree, on our own parse otherwise.
    tree = copy.deepcopy(page) if isinstance(page, etree._Element) else parse_html(page)
    if tree is None:
        return None
    declared = declared_metadata(tree)
    comments = extract_comments(tree)
    prune_unwanted_nodes(tree, boilerplate_xpaths())
    document = bare_extraction(tree, url=url, options=extractor_options(favor_precision))
    if document is None:
        return None
    title = declared.title or document.title
    text = paragraphs(document.text or "", title)
    if not text:
        return None
    return Extracted(
        text=text,
        title=title,
        author=declared.author or document.author,
        published=declared.published or document.date,
        modified=declared.modified,
        categories=declared.categories or _split_terms(document.categories),
        tags=declared.tags or _split_terms(document.tags),
        language=_language(tree, document.language),
        description=declared.description or document.description,
        image=document.image,
        canonical_url=document.url,
        comments=comments,
    )


def clean_text(html: str) -> str:
    """The ``text`` a record of this page would hold ("" when there is none); a stable benchmark entry point."""
    extracted = extract_post(html)
    return extracted.text if extracted else ""


def paragraphs(text: str, title: str | None = None) -> str:
    """Trafilatura's one-block-per-line text, blocks separated by blank lines, without a leading title line."""
    blocks = [line.strip() for line in text.splitlines() if line.strip()]
    if title and blocks and blocks[0] == title.strip():
        blocks = blocks[1:]
    return "\n\n".join(blocks)


def extract_comments(tree: etree._Element) -> list[dict[str, Any]]:
    """Reader comments from WordPress comment markup, in page order, with their threading."""
    comments = []
    for node in _COMMENTS(tree):
        comment_id = _comment_id(node)
        if comment_id is None:
            continue
        parent = next((p for p in node.iterancestors("li") if _comment_id(p) is not None), None)
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


def _own_part(comment: etree._Element, part: str) -> etree._Element | None:
    """The first match of a comment part that belongs to this comment, not to a reply nested in it."""
    for selector in _COMMENT_PARTS[part]:
        for found in selector(comment):
            owner = next(found.iterancestors("li"), None)
            if owner is comment or _comment_id(owner) is None:
                return found
    return None


def _comment_id(node: etree._Element) -> str | None:
    match = _COMMENT_ID.search(node.get("id") or "")
    return match.group(1) if match else None


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return " ".join(node.text_content().split()) or None


def _block_text(node: etree._Element) -> str:
    blocks = node.xpath(".//p | .//li | .//blockquote[not(p)] | .//pre")
    parts = [" ".join(b.text_content().split()) for b in blocks] or [_text(node) or ""]
    return "\n\n".join(p for p in parts if p)


def _split_terms(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item.strip()]


def _language(tree: etree._Element, detected: str | None) -> str | None:
    declared = _first(_HTML_LANG(tree))
    if declared:
        return declared.split("-")[0].split("_")[0].lower()
    return detected
