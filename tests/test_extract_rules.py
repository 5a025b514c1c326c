"""Extraction rules switched off by name (``ExtractOptions.rules_off``), and parity with plain trafilatura's input.

bench/extract_ablation.py measures what each rule costs or buys; these tests check that the switch does what it
says: a rule switched off no longer acts, the others still do, and an unknown name is refused.
"""

from __future__ import annotations

import pickle
import re
import unicodedata

import lxml.html
import pytest
import trafilatura

from pipelines.extract.boilerplate import SELECTOR_RULES, prune
from pipelines.extract.core import boilerplate_matcher, clean_text, extract_post
from pipelines.extract.options import (
    CHROME_ONLY,
    CONTENT_FIGURES,
    KEEP_MOST_OF_PAGE,
    POST_CONTENT,
    RULES,
    TITLE_LINE,
    ExtractOptions,
)

POST = "".join(
    f"<p>Paragraph {i}: the ferry left the harbour late because the tide was low that morning.</p>" for i in range(6)
)


def element_for(css: str) -> str:
    """An element that the simple selector ``css`` (``tag``, ``.class``, ``#id``, ``tag.a.b``) matches."""
    found = re.fullmatch(r"([a-z][a-z0-9]*)?((?:[.#][\w-]+)+)?", css)
    assert found, f"{css!r}: not a simple selector; give this test an element for it"
    parts = re.findall(r"([.#])([\w-]+)", found[2] or "")
    classes = " ".join(v for kind, v in parts if kind == ".")
    ids = [v for kind, v in parts if kind == "#"]
    attributes = (f' class="{classes}"' if classes else "") + (f' id="{ids[0]}"' if ids else "")
    return f"<{found[1] or 'div'}{attributes}>x</{found[1] or 'div'}>"


def test_unknown_rule_names_are_refused():
    with pytest.raises(ValueError, match="no-such-rule"):
        ExtractOptions(rules_off=frozenset({"no-such-rule", "comments"}))
    assert ExtractOptions(rules_off=frozenset(RULES)).rules_off == frozenset(RULES)


def test_rules_off_is_a_frozenset_and_travels_to_workers():
    options = ExtractOptions(rules_off=["title-line", "comments"])  # any iterable of names
    assert options.rules_off == frozenset({"title-line", "comments"})
    assert pickle.loads(pickle.dumps(options)) == options and hash(options) == hash(pickle.loads(pickle.dumps(options)))
    assert not options.applies("comments") and options.applies("jetpack")


@pytest.mark.parametrize("rule", sorted(SELECTOR_RULES))
def test_a_selector_rule_switched_off_matches_nothing_of_its_own(rule):
    for css in SELECTOR_RULES[rule]:
        tree = lxml.html.document_fromstring(f"<html><body>{element_for(css)}</body></html>")
        assert boilerplate_matcher().find(tree), css
        assert not boilerplate_matcher(frozenset({rule})).find(tree), css
        others = frozenset(RULES) - {rule}
        assert boilerplate_matcher(others).find(tree), css  # switching the other rules off leaves this one on


def test_the_text_rules_switch_off():
    title = "The Late Ferry"
    html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{POST}</article></body></html>"
    assert not clean_text(html).startswith(title)
    assert clean_text(html, ExtractOptions(rules_off=frozenset({TITLE_LINE}))).startswith(title)
    menu = "".join(f"<li><a href='/{w}/'>{w} and more {w}</a></li>" for w in ("ferries", "tides", "harbours", "boats"))
    chrome = f"<html><head><title>Home</title></head><body><nav><ul>{menu}</ul></nav></body></html>"
    assert clean_text(chrome) == ""
    assert "ferries" in clean_text(chrome, ExtractOptions(rules_off=frozenset({CHROME_ONLY})))
    wrapped = (
        f"<html><body><article><p>A short opening line.</p><div class='entry-meta'>{POST}</div></article></body></html>"
    )
    assert "Paragraph 4" in clean_text(wrapped)  # a block holding most of the page is no boilerplate
    assert clean_text(wrapped, ExtractOptions(rules_off=frozenset({KEEP_MOST_OF_PAGE}))) == "A short opening line."
    assert "Paragraph 4" in clean_text(wrapped, ExtractOptions(rules_off=frozenset({KEEP_MOST_OF_PAGE, "entry-meta"})))


def test_a_kept_wrapper_still_loses_the_boilerplate_inside_it():
    share = "<div class='sharedaddy'><h3>Share this:</h3><ul><li><a href='?share=x'>Share on X</a></li></ul></div>"
    tree = lxml.html.document_fromstring(f"<html><body><div class='entry-meta'>{POST}{share}</div></body></html>")
    assert prune(tree, boilerplate_matcher(), 0.5) == 1
    assert tree.find_class("entry-meta") and not tree.find_class("sharedaddy")


def test_comments_go_however_much_they_outweigh_a_short_post():
    # Twenty Twenty-Three's "Hello world!": one line of post, a longer comment thread below it
    thread = "".join(
        f"<li class='comment'><div class='wp-block-comment-content'><p>Reader {i} thinks the harbour wall should be "
        "rebuilt in stone before the winter storms, as it was in the old days of the ferry.</p></div></li>"
        for i in range(4)
    )
    html = (
        "<html><body><main><div class='entry-content wp-block-post-content'><p>Welcome to the harbour notes.</p></div>"
        f"<div class='wp-block-comments'><h2>Comments</h2><ol class='wp-block-comment-template'>{thread}</ol></div>"
        "</main></body></html>"
    )
    assert "rebuilt in stone" not in clean_text(html)
    assert "rebuilt in stone" not in extract_post(html).text


def test_a_page_that_opens_with_an_xml_declaration_has_its_text():
    # XHTML pages open with <?xml ... encoding=...?>; lxml refuses such a str, trafilatura and Scrapy parse bytes
    html = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        f"<title>Ferries</title></head><body><div class='post'>{POST}</div></body></html>"
    )
    assert "Paragraph 5" in clean_text(html)
    assert extract_post(html).text == clean_text(html)


def test_a_stray_control_character_does_not_cost_the_page_its_text():
    # one BEL pasted into a paragraph: in the tree, trafilatura gives up on the whole page; its own parse drops it
    html = f"<html><body><article><p>The ferry bell rang\x07 twice before it left.</p>{POST}</article></body></html>"
    assert "The ferry bell rang twice before it left." in clean_text(html)
    assert "Paragraph 5" in extract_post(html).text


def test_text_is_composed_unicode_as_trafilatura_gives_it():
    decomposed = unicodedata.normalize("NFD", "Die Gurtlänge wird geprüft, bevor die Fähre ablegt. ") * 6
    html = f"<html><body><article><p>{decomposed}</p>{POST}</article></body></html>"
    text = clean_text(html)
    assert "Gurtlänge wird geprüft" in text and unicodedata.is_normalized("NFC", text)
    assert text.split("\n\n")[0] == trafilatura.extract(html, include_comments=False).split("\n")[0]


def single_view(content: str, body_class: str = "single single-post postid-7", extra: str = "") -> str:
    """A WordPress single post page around ``content``: tagline, post navigation and a comment outside it."""
    return (
        f"<html><head><title>A Short Note</title></head><body class='{body_class}'><header><p class='site-description'>"
        "Notes from the shore, every week</p></header><main><article><h1>A Short Note</h1>"
        f"<div class='entry-content'>{content}</div>{extra}</article><nav class='post-navigation'><a href='/a/'>"
        "Previous post: the ferry timetable of last winter</a></nav><p>Maria wrote on the day: what a lovely walk it"
        " was along the harbour wall.</p></main></body></html>"
    )


def test_post_content_reads_a_wordpress_single_view_from_its_one_container():
    short = "<p>Welcome to WordPress. This is your first post. Edit or delete it, then start writing!</p>"
    page = single_view(short)
    assert clean_text(page) == "Welcome to WordPress. This is your first post. Edit or delete it, then start writing!"
    whole = clean_text(page, ExtractOptions(rules_off=frozenset({POST_CONTENT})))
    assert "Notes from the shore" in whole or "lovely walk" in whole  # trafilatura's fallback: the whole page
    two = single_view(short, extra="<div class='entry-content'><p>A related post's text.</p></div>")
    assert clean_text(two) == clean_text(two, ExtractOptions(rules_off=frozenset({POST_CONTENT})))  # not one
    archive = single_view(short, body_class="archive category category-walks")
    assert clean_text(archive) == clean_text(archive, ExtractOptions(rules_off=frozenset({POST_CONTENT})))


def test_content_figures_keeps_galleries_and_embed_titles_but_not_an_image_caption():
    figures = (
        POST + "<figure class='wp-block-image'><img src='a.png'><figcaption class='wp-element-caption'>"
        "Photo credit: the harbour trust</figcaption></figure><figure class='wp-block-gallery has-nested-images'>"
        "<figure class='wp-block-image'><img src='b.png'><figcaption class='wp-element-caption'>Boats in the blue"
        " harbour</figcaption></figure></figure><figure class='wp-block-embed is-type-wp-embed'><div"
        " class='wp-block-embed__wrapper'><blockquote class='wp-embedded-content'><a href='/tide/'>Tide at the"
        " dune</a></blockquote><iframe class='wp-embedded-content' title='Tide at the dune'></iframe></div></figure>"
    )
    blocks = clean_text(single_view(figures)).split("\n\n")
    assert "Boats in the blue harbour" in blocks and "Tide at the dune" in blocks
    assert not [b for b in blocks if "credit" in b]
    off = clean_text(single_view(figures), ExtractOptions(rules_off=frozenset({CONTENT_FIGURES})))
    assert "Boats in the blue" not in off and "Tide at the dune" not in off and "Paragraph 5" in off
