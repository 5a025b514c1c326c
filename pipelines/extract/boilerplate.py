"""The page as trafilatura should see it: the WordPress and Jetpack boilerplate trafilatura misses, pruned.

Rules are data: named groups of CSS selectors (``SELECTOR_RULES``), pruned before trafilatura sees the page:
comment sections and forms, Jetpack share/like/related blocks, oEmbed cards of other posts, author boxes, entry
meta, old-style caption lists, screen-reader labels and WordPress.com's bars. Each group is kept because it removes
boilerplate trafilatura leaves on real WordPress pages, or that the seed page and the tests forbid, without costing
text (bench/extract_ablation.py measures each with it switched off; bench/README.md has the figures). What
trafilatura drops by itself (``nav``, ``footer``, ``aside``, ``figure``, most caption markup) needs no rule here, and
a selector on a generic class name (``.navigation``, ``.widget-area``) also matches the wrapper of a whole article.

Selectors compiled to XPath expressions cost one full scan of the tree each (about 13 ms for fifty on a news page,
more than trafilatura's own extraction); simple selectors (``tag``, ``#id``, ``.class``, ``tag.class.other``) are
therefore indexed by id, class and tag and matched in one pass over the id and class values of the page. Other
selectors are compiled to one XPath union.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml.cssselect import CSSSelector

# Blocks that are never main text on WordPress (core themes, block themes, Jetpack, WordPress.com), as named rules
# (``ExtractOptions.rules_off`` switches one off by name: bench/extract_ablation.py measures each).
COMMENTS, EMBED_CARDS = "comments", "embed-cards"
SELECTOR_RULES: dict[str, tuple[str, ...]] = {
    # the structured comments are read before pruning; the form is never a comment
    COMMENTS: (
        "#comments",
        ".comments-area",
        ".comment-list",
        "#respond",
        ".comment-respond",
        "#commentform",
        ".wp-block-comments",
        ".wp-block-comment-template",
        ".wp-block-post-comments-form",
    ),
    "jetpack": (  # sharing buttons, likes and related posts
        ".sharedaddy",
        ".sd-sharing",
        ".sd-like",
        ".wpl-likebox",
        ".jetpack-likes-widget-wrapper",
        "#jp-relatedposts",
        ".jp-relatedposts",
        ".wp-block-jetpack-related-posts",
    ),
    # oEmbed cards of other posts ("[embed]" of a WordPress URL): a link to another post, not this post's text; inside
    # a WordPress post's one content container they are kept as their title (content-figures: pipelines.extract.content)
    EMBED_CARDS: ("blockquote.wp-embedded-content", "iframe.wp-embedded-content"),
    "author-box": (".author-info", ".author-bio", ".entry-author"),
    "entry-meta": (
        ".entry-footer",
        ".entry-meta",
        ".wp-block-post-date",
        ".wp-block-post-author",
        ".wp-block-post-author-name",
        ".wp-block-post-terms",
    ),
    # captions of WordPress's caption shortcode before 3.4 (and on VIP): dl.wp-caption > dd.wp-caption-dd, which
    # trafilatura keeps as list items (credit lines included); figcaption and p.wp-caption-text it drops itself
    "captions": (".wp-caption-dd",),
    "screen-reader-text": (".screen-reader-text", ".skip-link"),  # accessibility helpers
    "wpcom-chrome": ("#wpadminbar", "#actionbar", ".wpcnt", "#marketingbar"),  # WordPress.com's bars
}
BOILERPLATE_SELECTORS: tuple[str, ...] = tuple(css for group in SELECTOR_RULES.values() for css in group)

_SIMPLE = re.compile(r"(?P<tag>[a-z][a-z0-9]*)?(?P<rest>(?:[.#][\w-]+)+)?$")
_PART = re.compile(r"([.#])([\w-]+)")
_ID_AND_CLASS_VALUES = etree.XPath("//@id | //@class")


def selectors(rules_off: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """The selectors of each rule not in ``rules_off``, labelled with the rule's name: ``Matcher.compile``'s input."""
    return {name: group for name, group in SELECTOR_RULES.items() if name not in rules_off}


@dataclass(frozen=True)
class _Rule:
    tag: str | None
    element_id: str | None
    classes: frozenset[str]
    label: str

    def matches(self, tag: str, element_id: str | None, classes: set[str]) -> bool:
        return (
            (self.tag is None or self.tag == tag)
            and (self.element_id is None or self.element_id == element_id)
            and self.classes <= classes
        )


@dataclass
class Matcher:
    """Labelled selectors matched in one walk: simple ones indexed by id, class and bare tag; the rest as XPath."""

    by_id: dict[str, list[_Rule]] = field(default_factory=dict)
    by_class: dict[str, list[_Rule]] = field(default_factory=dict)
    tags: dict[str, set[str]] = field(default_factory=dict)
    xpaths: dict[str, etree.XPath] = field(default_factory=dict)

    @classmethod
    def compile(cls, selectors: dict[str, Iterable[str]]) -> Matcher:
        """Index the simple selectors of each label; compile the others into one XPath union per label."""
        matcher = cls()
        for label, group in selectors.items():
            complex_paths = []
            for css in group:
                found = _SIMPLE.match(css.strip())
                if not found or not (found["tag"] or found["rest"]):
                    complex_paths.append(CSSSelector(css).path)
                    continue
                matcher._index(found["tag"], _PART.findall(found["rest"] or ""), label)
            if complex_paths:
                matcher.xpaths[label] = etree.XPath(" | ".join(complex_paths))
        return matcher

    def _index(self, tag: str | None, parts: list[tuple[str, str]], label: str) -> None:
        ids = [value for kind, value in parts if kind == "#"]
        rule = _Rule(tag, ids[0] if ids else None, frozenset(v for k, v in parts if k == "."), label)
        if rule.element_id:
            self.by_id.setdefault(rule.element_id, []).append(rule)
        elif rule.classes:
            self.by_class.setdefault(min(rule.classes), []).append(rule)
        else:
            self.tags.setdefault(tag, set()).add(label)

    def find(self, tree: etree._Element) -> dict[etree._Element, set[str]]:
        """Every element some selector matches, with the labels of the selectors it matches."""
        found: dict[etree._Element, set[str]] = {}
        for el in self._candidates(tree):
            labels = self._labels(el)
            if labels:
                found[el] = labels
        if self.tags:
            for el in tree.iter(*self.tags):
                found.setdefault(el, set()).update(self.tags[el.tag])
        for label, xpath in self.xpaths.items():
            for el in xpath(tree):
                found.setdefault(el, set()).add(label)
        return found

    def _candidates(self, tree: etree._Element) -> dict[etree._Element, None]:
        """Elements whose id or one of whose classes some rule names, in document order.

        Reads the attribute values, not the elements: an element object costs more to make than a string, and
        few of the hundreds of elements with an id or class on a page are candidates.
        """
        candidates: dict[etree._Element, None] = {}
        for value in _ID_AND_CLASS_VALUES(tree):
            if value in self.by_id if value.attrname == "id" else not self.by_class.keys().isdisjoint(value.split()):
                candidates[value.getparent()] = None
        return candidates

    def _labels(self, el: etree._Element) -> set[str]:
        element_id = el.get("id")
        rules = self.by_id.get(element_id, []) if element_id else []
        names = (el.get("class") or "").split()
        for name in names:
            rules = rules + self.by_class[name] if name in self.by_class else rules
        if not rules:
            return set()
        tag = el.tag if isinstance(el.tag, str) else ""
        classes = set(names)
        return {rule.label for rule in rules if rule.matches(tag, element_id, classes)}


def prune(tree: etree._Element, matcher: Matcher, max_share: float = 1.0) -> int:
    """Remove what ``matcher`` matches from ``tree`` (tail text stays); return how many subtrees were removed.

    HTML comments (``<!-- -->``) go as well, their tails kept, and are not counted: trafilatura's own parser drops
    them, but on a tree it is handed it keeps them and loses the text that follows one inside a block (a paragraph
    opening with ``<!-- more -->`` or a plugin marker comes out empty).

    Args:
        tree: the tree to prune, in place.
        matcher: the selectors, labelled with their rules' names.
        max_share: a block holding more than this share of the page's text is kept, whatever a rule says of its
            class: boilerplate is never most of a page, the wrapper of the post is (a theme or page builder that
            puts the whole post in a text widget or an entry-meta block). Comment sections are the exception (a
            long thread outweighs its post). 1.0: every match goes. What the kept block holds is still matched.
    """
    etree.strip_tags(tree, etree.Comment)
    found = matcher.find(tree)
    if found and max_share < 1:
        most = text_size(tree) * max_share
        found = {el: labels for el, labels in found.items() if COMMENTS in labels or text_size(el) <= most}
    removed = 0
    for el in found:
        if el.getparent() is not None and not any(a in found for a in el.iterancestors()):
            drop(el)
            removed += 1
    return removed


def text_size(el: etree._Element) -> int:
    """The size of the text a reader sees in ``el``: bytes of its text, scripts and styles left out.

    Serialised by lxml (a tenth of the cost of visiting the text nodes from Python: this runs on most pages).
    """
    size = len(etree.tostring(el, method="text", encoding="utf-8", with_tail=False))
    for hidden in el.iter("script", "style", "noscript"):
        size -= len(etree.tostring(hidden, method="text", encoding="utf-8", with_tail=False))
    return size


def drop(el: etree._Element) -> None:
    """Remove an element and its subtree, keeping the text that follows it (its tail)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
