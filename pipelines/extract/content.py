"""A WordPress single post or page read from its one content container, not from the whole page.

WordPress marks every single view in the body's classes (``postid-N`` for a post of any type, ``page-id-N`` for a
page: ``body_class()``, which classic and block themes print alike) and prints the post's content, ``the_content``,
in one container: ``.entry-content`` on classic themes (WordPress's own and most others), the post-content block on
block themes (``.wp-block-post-content``, which carries ``entry-content`` too). When a single view has exactly one
such container, trafilatura reads that container alone (rule ``post-content``): a short post, under trafilatura's
minimum, then no longer falls back to the page's whole text (tagline, byline, post navigation, the comments).
A page with several containers (related posts printed with their content) or none is read whole, as before.

Inside the container, figures are the author's (rule ``content-figures``): trafilatura drops every ``figure``, and
with it gallery captions, pull quotes and the title of an embedded post's card, which WordPress renders as part of
the content; they are kept as blocks, and the embed card is not pruned there (``embed-cards`` still prunes cards
on other pages). A single image's caption stays out, as everywhere (shared/seeds: caption and credit lines are
not body text), unless it is in a gallery.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import lxml.html
from lxml import etree

from pipelines.extract.boilerplate import EMBED_CARDS, Matcher, prune
from pipelines.extract.options import CONTENT_FIGURES, POST_CONTENT, ExtractOptions

_BODY_CLASS = etree.XPath("/html/body/@class")
_SINGLE_VIEW = re.compile(r"(?:^|\s)(?:postid|page-id)-\d+(?:\s|$)")
_CONTAINER_CLASSES = frozenset({"entry-content", "wp-block-post-content"})
_CONTAINERS = etree.XPath("//*[contains(@class, 'entry-content') or contains(@class, 'wp-block-post-content')]")
_GALLERIES = frozenset({"wp-block-gallery", "gallery", "tiled-gallery"})


def post_container(tree: etree._Element) -> etree._Element | None:
    """The one content container of a WordPress single view; None for other pages or several containers."""
    classes = _BODY_CLASS(tree)
    if not classes or not _SINGLE_VIEW.search(classes[0]):
        return None
    found = [el for el in _CONTAINERS(tree) if _CONTAINER_CLASSES & set((el.get("class") or "").split())]
    return found[0] if len(found) == 1 else None


def post_content(
    tree: etree._Element, options: ExtractOptions, matcher: Callable[[frozenset[str]], Matcher]
) -> etree._Element | None:
    """The page's content container alone, pruned, as a document (None: read the whole page); ``tree`` unchanged.

    ``matcher`` gives the boilerplate rules' matcher for a set of rules off. With ``content-figures`` the
    container's embed cards stay (a figure of the content, kept as its title).
    """
    if not options.applies(POST_CONTENT):
        return None
    figures = options.applies(CONTENT_FIGURES)
    rules = matcher(options.rules_off | {EMBED_CARDS} if figures else options.rules_off)
    return content_document(tree, rules, options.pruned_share, figures)


def content_document(
    tree: etree._Element, matcher: Matcher, max_share: float, keep_figures: bool
) -> etree._Element | None:
    """A document holding a pruned copy of the page's content container alone; None when there is none.

    Args:
        tree: the page (read, not changed).
        matcher: the boilerplate rules to prune the container with (Jetpack's blocks sit inside it).
        max_share: as ``prune``'s, measured against the container's text.
        keep_figures: keep the figures of the content as blocks (``content-figures``).
    """
    container = post_container(tree)
    if container is None:
        return None
    content = copy.deepcopy(container)
    content.tail = None
    prune(content, matcher, max_share)
    if keep_figures:
        unwrap_figures(content)
    document = lxml.html.Element("html")
    etree.SubElement(document, "body").append(content)
    return document


def unwrap_figures(content: etree._Element) -> None:
    """Figures trafilatura would drop become plain blocks: embed cards, pull quotes, galleries and their captions.

    Their classes and links go too: trafilatura drops elements whose class says caption, embed or embedded, and a
    block that is all link text, as an embed card's title is.
    """
    kept = [figure for figure in content.iter("figure") if _kept(figure)]  # decided before any tag changes
    for figure in kept:
        figure.tag = "div"
        for caption in figure.iter("figcaption"):
            caption.tag = "p"
        for el in figure.iter():
            el.attrib.pop("class", None)
        etree.strip_tags(figure, "a")  # an embed card is one link: trafilatura drops a block that is all link


def _kept(figure: etree._Element) -> bool:
    """All figures but a single image with its caption (left to trafilatura, which drops both)."""
    if figure.find("figcaption") is None or figure.find(".//img") is None:
        return True
    return any(_GALLERIES & set((el.get("class") or "").split()) for el in (figure, *figure.iterancestors()))
