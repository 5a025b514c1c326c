"""Pages of other blog engines: each way of declaring an article is recognised, and its author, dates and title read.

Pages and truth come from ``tests/articlepages.py`` (its docstring says which engine prints which markup).
"""

from __future__ import annotations

import pytest

from crawler.wordpress import classify_page
from pipelines.extract.core import extract_post, parse_html
from pipelines.extract.entries import marked_entry
from pipelines.extract.metadata import declares_article
from tests import articlepages
from tests.articlepages import ARTICLES

URL = "https://city.example/p/"


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_the_page_declares_an_article(name):
    tree = parse_html(articlepages.page(name))
    assert declares_article(tree)
    assert classify_page(tree, URL) == "post"


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_title_author_and_dates_come_from_the_markup(name):
    article = ARTICLES[name]
    extracted = extract_post(articlepages.page(name), URL)
    assert (extracted.title, extracted.author) == (article.title, article.author)
    assert (extracted.published, extracted.modified) == (article.published, article.modified)
    assert all(paragraph in extracted.text for paragraph in article.paragraphs)


def test_a_listing_of_entries_is_no_article():
    tree = parse_html(articlepages.listing())
    assert marked_entry(tree) is None
    assert not declares_article(tree)
    assert classify_page(tree, "https://city.example/") == "other"


def test_an_entry_cited_inside_the_post_lends_it_no_author():
    # the h-entry page holds a reply (h-cite) with its own p-author and p-name
    entry = marked_entry(parse_html(articlepages.page("h-entry")))
    assert (entry.title, entry.author) == (ARTICLES["h-entry"].title, ARTICLES["h-entry"].author)


def test_a_blog_posting_that_is_a_property_of_a_blog_is_a_listing_item():
    items = "".join(
        f'<article itemprop="blogPost" itemscope itemtype="https://schema.org/BlogPosting">'
        f'<h2 itemprop="headline">{a.title}</h2></article>'
        for a in ARTICLES.values()
    )
    html = f'<html><body><main itemscope itemtype="https://schema.org/Blog">{items}</main></body></html>'
    assert not declares_article(parse_html(html))
