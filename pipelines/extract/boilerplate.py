"""The page as trafilatura should see it: WordPress and Jetpack boilerplate pruned, media text made plain text.

Rules are data (CSS selectors, caption classes, credit patterns). Pruning happens before trafilatura sees the page:
comment lists and forms, share/like/related blocks, post navigation, author boxes, widgets, footers and
caption-sized captions are removed so trafilatura's heuristics never have to guess about them. What media say that
is the author's text (a descriptive caption without its credit, the description in a dead plugin player's fallback)
becomes a plain paragraph, since trafilatura drops anything classed caption or embedded.

Fifty selectors compiled to fifty XPath expressions cost one full scan of the tree each (about 13 ms on a news
page, more than trafilatura's own extraction); simple selectors (``tag``, ``#id``, ``.class``, ``tag.class.other``)
are therefore indexed by id, class and tag and matched in one pass over the id and class values of the page (about
1.2 ms). Other selectors are compiled to one XPath union.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml.cssselect import CSSSelector

# Blocks that are never main text on WordPress (core themes, block themes, Jetpack, WordPress.com), as named rules
# (``ExtractOptions.rules_off`` switches one off by name: bench/extract_ablation.py measures each).
SELECTOR_RULES: dict[str, tuple[str, ...]] = {
    # the structured comments are read before pruning; the form is never a comment
    "comments": (
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
    # oEmbed cards of other posts ("[embed]" of a WordPress URL): a link to another post, not this post's text
    "embed-cards": ("blockquote.wp-embedded-content", "iframe.wp-embedded-content"),
    "post-navigation": (".post-navigation", ".posts-navigation", ".nav-links", ".wp-block-post-navigation-link"),
    "navigation": (".navigation",),  # a generic class name, outside WordPress too
    "author-box": (".author-info", ".author-bio", ".entry-author"),
    "entry-meta": (
        ".entry-footer",
        ".entry-meta",
        ".wp-block-post-date",
        ".wp-block-post-author",
        ".wp-block-post-author-name",
        ".wp-block-post-terms",
    ),
    # WordPress widgets always carry a widget_{id_base} class (Blogger's main post is a div.widget.Blog, so a bare
    # .widget would remove whole Blogger posts)
    "widgets": ("#secondary", ".widget-area", '.widget[class*="widget_"]'),
    "site-footer": (
        "#colophon",
        ".site-footer",
        ".site-info",
        "header.wp-block-template-part",
        "footer.wp-block-template-part",
    ),
    "screen-reader-text": (".screen-reader-text", ".skip-link"),  # accessibility helpers
    "wpcom-chrome": ("#wpadminbar", "#actionbar", ".wpcnt", "#marketingbar"),  # WordPress.com's bars
}
BOILERPLATE_SELECTORS: tuple[str, ...] = tuple(css for group in SELECTOR_RULES.values() for css in group)

# Captions: image credits and file names are not the author's text (shared/seeds/README.md). Pruned only when
# they are caption-sized: some themes and editors put whole posts inside a caption element. trafilatura drops
# anything classed caption, so a caption worth keeping is moved into a paragraph of its own.
CAPTION_SELECTORS: tuple[str, ...] = ("figcaption", ".wp-caption-text", ".wp-caption-dd", ".wp-element-caption")
MAX_CAPTION_WORDS = 60
# A caption the author wrote as a sentence about the picture is post text, kept without its credit line: one of
# the caption shortcode (wp-caption-text; wp-caption-dd on WordPress before 3.4 and VIP) that, once the credit
# ("Image Credit: X via Flickr", "(AP Photo/X)") is cut, still has MIN_DESCRIPTIVE_CAPTION_WORDS words and is said
# once on the page. Credit lines, file names, labels and captions repeated under every image of a gallery go.
DESCRIPTIVE_CAPTION_CLASSES = frozenset({"wp-caption-text", "wp-caption-dd"})
MIN_DESCRIPTIVE_CAPTION_WORDS = 12
_CREDIT_MARK = r"(?:credits?|courtesy|photo(?:graph)?s?|image|picture|source|getty|reuters|afp|ap|©)"
CREDITS = (
    re.compile(rf"\((?=[^()]*\b{_CREDIT_MARK}\b)[^()]*\)", re.IGNORECASE),  # "(Photo by: X/AFP/Getty Images)"
    re.compile(
        rf"(?:^|(?<=[.!?]))\s*{_CREDIT_MARK}\b\s*(?:credits?|by|of)?\s*[:/].*$", re.IGNORECASE
    ),  # "Image Credit: X"
    re.compile(r"(?:^|(?<=[.!?]))\s*(?:photo(?:graph)?|image|picture)?\s*(?:credits?|courtesy)\b.*$", re.IGNORECASE),
)

# Plugin players: a Flash or other plugin <object> plays nothing today; a browser shows its fallback content (the
# markup inside it, nested objects included) in its place. What a reader takes from that fallback is the
# description of the video: a paragraph that still says MIN_DESCRIPTIVE_CAPTION_WORDS words once its credit is cut
# (status lines such as "This video is no longer available." are shorter). The object gives way to those paragraphs.
# A post's featured video, printed by the theme between the post's title and its body (WordPress's .entry-title and
# .entry-content), is outside the body an extractor reads: its description opens the body.
_PLAYERS = etree.XPath("//object[not(ancestor::object)]")
_TITLE = "contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')"
_BODY = "contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')"
_NEXT_TITLE_OR_BODY = etree.XPath(f"(following::*[{_TITLE} or {_BODY}])[1]")
_PREVIOUS_TITLE_OR_BODY = etree.XPath(f"(preceding::*[{_TITLE} or {_BODY}])[last()] | ancestor::*[{_BODY}]")
_SIMPLE = re.compile(r"(?P<tag>[a-z][a-z0-9]*)?(?P<rest>(?:[.#][\w-]+)+)?$")
_PART = re.compile(r"([.#])([\w-]+)")
_ID_AND_CLASS_VALUES = etree.XPath("//@id | //@class")
BOILERPLATE, CAPTION = "boilerplate", "caption"
# The media rules, named as the selector rules are: caption-sized captions pruned (descriptive captions are kept
# from among those, so they go with them), descriptive captions and plugin players' descriptions made paragraphs.
CAPTIONS, DESCRIPTIVE_CAPTIONS, PLAYER_DESCRIPTIONS = "captions", "descriptive-captions", "player-descriptions"
MEDIA_RULES = (CAPTIONS, DESCRIPTIVE_CAPTIONS, PLAYER_DESCRIPTIONS)


def selectors(rules_off: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """The selectors of the rules not in ``rules_off`` by label (``BOILERPLATE``, ``CAPTION``), for ``Matcher``."""
    return {
        BOILERPLATE: tuple(css for name, group in SELECTOR_RULES.items() if name not in rules_off for css in group),
        CAPTION: () if CAPTIONS in rules_off else CAPTION_SELECTORS,
    }


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


def prune(tree: etree._Element, matcher: Matcher, rules_off: frozenset[str] = frozenset()) -> int:
    """Remove boilerplate and caption-sized captions from ``tree`` (tail text stays); return how many were removed.

    Plugin players (``<object>``) then give way to the descriptions in their fallback content (not counted).

    HTML comments (``<!-- -->``) go as well, their tails kept, and are not counted: trafilatura's own parser drops
    them, but on a tree it is handed it keeps them and loses the text that follows one inside a block (a paragraph
    opening with ``<!-- more -->`` or a plugin marker comes out empty).

    Args:
        tree: the tree to prune, in place.
        matcher: selectors labelled ``BOILERPLATE`` or ``CAPTION``; a caption longer than ``MAX_CAPTION_WORDS``
            words is kept (with what it contains).
        rules_off: ``DESCRIPTIVE_CAPTIONS`` and ``PLAYER_DESCRIPTIONS`` when they are switched off.
    """
    etree.strip_tags(tree, etree.Comment)
    found = matcher.find(tree)
    captions = {el: " ".join(" ".join(el.itertext()).split()) for el, labels in found.items() if labels == {CAPTION}}
    chosen = {el for el in found if el not in captions or len(captions[el].split()) <= MAX_CAPTION_WORDS}
    if DESCRIPTIVE_CAPTIONS not in rules_off:
        keep_descriptions({el: text for el, text in captions.items() if el in chosen})
    removed = 0
    for el in chosen:
        if el.getparent() is not None and not any(a in chosen for a in el.iterancestors()):
            drop(el)
            removed += 1
    if PLAYER_DESCRIPTIONS not in rules_off:
        keep_player_descriptions(tree)
    return removed


def keep_descriptions(captions: dict[etree._Element, str]) -> None:
    """Copy the description of each descriptive caption (see ``DESCRIPTIVE_CAPTION_CLASSES``) into the post."""
    said = Counter(captions.values())
    for caption, text in captions.items():
        if said[text] == 1 and DESCRIPTIVE_CAPTION_CLASSES.intersection((caption.get("class") or "").split()):
            described = description(text)
            if len(described.split()) >= MIN_DESCRIPTIVE_CAPTION_WORDS:
                _as_paragraph(caption, described)


def keep_player_descriptions(tree: etree._Element) -> None:
    """Replace each plugin ``<object>`` by the descriptions in its fallback content (see ``_PLAYERS``)."""
    for player in _PLAYERS(tree):
        paragraphs = []
        for block in player.iter("p"):
            text = description(" ".join(block.itertext()))
            if len(text.split()) >= MIN_DESCRIPTIVE_CAPTION_WORDS:
                paragraphs.append(player.makeelement("p", {}))
                paragraphs[-1].text = text
        body = _lead_player_body(player) if paragraphs else None
        if body is not None:  # a featured video between the post's title and its body: the body opens with it
            paragraphs[-1].tail, body.text = body.text, None
            body[0:0] = paragraphs
        elif paragraphs:  # in its place
            paragraphs[-1].tail, player.tail = player.tail, None
            for paragraph in reversed(paragraphs):
                player.addnext(paragraph)
        drop(player)


def _lead_player_body(player: etree._Element) -> etree._Element | None:
    """The body of the post whose title comes before ``player`` and whose body after it (None when it is in none)."""
    before, after = _PREVIOUS_TITLE_OR_BODY(player), _NEXT_TITLE_OR_BODY(player)
    if len(before) == 1 and "entry-title" in before[0].get("class").split() and after:
        return after[0] if "entry-content" in after[0].get("class").split() else None
    return None


def description(caption: str) -> str:
    """A caption's text without its credit line."""
    for credit in CREDITS:
        caption = credit.sub("", caption)
    caption = re.sub(r"\s+(?=[.,;:])", "", " ".join(caption.split()))
    return re.sub(r"([.!?])\.+$", r"\1", caption)  # "... 2013. (Photo by: X)." leaves "2013.."


def _as_paragraph(caption: etree._Element, text: str) -> None:
    """Put a caption's text in a paragraph after its image block; trafilatura drops anything classed caption."""
    block = caption
    for ancestor in caption.iterancestors():
        if ancestor.getparent() is None or not (ancestor.tag == "figure" or "caption" in (ancestor.get("class") or "")):
            break
        block = ancestor
    if block.getparent() is not None:
        paragraph = caption.makeelement("p", {})
        paragraph.text, paragraph.tail, block.tail = text, block.tail, None
        block.addnext(paragraph)


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
