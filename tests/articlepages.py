"""Fixture pages of blog engines other than WordPress, one per way a page says "I am an article", with their truth.

Each page is made from one ``Article`` (the truth the tests compare against), in the markup its engine prints:

- ``json-ld-type-list``: JSON-LD whose ``@type`` is a list (``["BlogPosting", "Article"]``), author a Person;
- ``json-ld-graph``: an ``@graph`` (Yoast-style: WebPage, Article, Person linked by ``@id``);
- ``og-article``: Open Graph only (``og:type`` ``article``, ``article:published_time``, ``article:author`` as a
  name), as Ghost and many static-site SEO partials print it;
- ``microdata``: schema.org microdata, a Jekyll layout's ``itemscope itemtype="https://schema.org/BlogPosting"``
  with ``itemprop="name headline"``, ``datePublished``, ``dateModified`` and an author Person item;
- ``h-entry``: microformats2 as IndieWeb Hugo themes print it (``h-entry``, ``p-name``, ``p-author h-card`` with
  a photo, ``dt-published``, ``dt-updated``, ``e-content``);
- ``minima``: Jekyll's default theme, both at once (``post h-entry`` with ``BlogPosting`` microdata).

``listing`` is a home page of several ``h-entry`` summaries: no single article, so no post.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Article:
    title: str
    author: str
    published: str
    modified: str | None
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _article(n: int, title: str, author: str) -> Article:
    body = tuple(
        f"{title}: paragraph {i}, about the {('tram', 'bridge', 'market', 'river')[i % 4]} we passed on day {n + i} "
        "and the long conversation that followed about where the city should put its next station."
        for i in range(6)
    )
    return Article(title, author, f"2024-0{n}-0{n}T10:00:00+02:00", f"2024-0{n}-1{n}T08:30:00+02:00", body)


ARTICLES = {
    "json-ld-type-list": _article(1, "Trams of Lisbon", "Inês Carvalho"),
    "json-ld-graph": _article(2, "The bridges of Porto", "Rui Matos"),
    "og-article": _article(3, "Markets at dawn", "Sofia Lind"),
    "microdata": _article(4, "Along the Tagus", "Jordan Lee"),
    "h-entry": _article(5, "A station for the east side", "Ada Mwangi"),
    # minima prints no modification date
    "minima": replace(_article(6, "Notes from the night tram", "Kai Sørensen"), modified=None),
}


def _page(head: str, body: str, title: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)} | City '
        f'Notes</title>\n{head}</head>\n<body>\n<header class="site-header"><a class="site-title" href="/">'
        'City Notes</a><nav><a href="/">Home</a> <a href="/about/">About</a></nav></header>\n'
        f'<main class="page-content">\n{body}</main>\n<footer class="site-footer"><p>City Notes, a blog.</p></footer>'
        "\n</body>\n</html>\n"
    )


def _paragraphs(a: Article) -> str:
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in a.paragraphs)


def _plain_body(a: Article) -> str:
    """A post with no markup of its own: the page's head has to say what it is."""
    return f'<article class="post">\n<h1 class="post-title">{html.escape(a.title)}</h1>\n{_paragraphs(a)}</article>\n'


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>\n'


def json_ld_type_list(a: Article) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": ["BlogPosting", "Article"],
        "headline": a.title,
        "author": {"@type": "Person", "name": a.author},
        "datePublished": a.published,
        "dateModified": a.modified,
    }
    return _page(_ld(data), _plain_body(a), a.title)


def json_ld_graph(a: Article) -> str:
    graph = [
        {"@type": "WebPage", "@id": "https://city.example/p/#webpage", "name": f"{a.title} | City Notes"},
        {
            "@type": "Article",
            "@id": "https://city.example/p/#article",
            "isPartOf": {"@id": "https://city.example/p/#webpage"},
            "headline": a.title,
            "author": {"@id": "https://city.example/#/person/1"},
            "datePublished": a.published,
            "dateModified": a.modified,
        },
        {"@type": "Person", "@id": "https://city.example/#/person/1", "name": a.author},
    ]
    return _page(_ld({"@context": "https://schema.org", "@graph": graph}), _plain_body(a), a.title)


def og_article(a: Article) -> str:
    head = (
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{html.escape(a.title)}">\n'
        f'<meta property="article:published_time" content="{a.published}">\n'
        f'<meta property="article:modified_time" content="{a.modified}">\n'
        f'<meta property="article:author" content="{html.escape(a.author)}">\n'
    )
    return _page(head, _plain_body(a), a.title)


def microdata(a: Article) -> str:
    body = (
        '<article class="post" itemscope itemtype="https://schema.org/BlogPosting">\n<header class="post-header">\n'
        f'<h1 class="post-title" itemprop="name headline">{html.escape(a.title)}</h1>\n<p class="post-meta">\n'
        f'<time datetime="{a.published}" itemprop="datePublished">{a.published[:10]}</time>\n'
        f' • <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">'
        f"{html.escape(a.author)}</span></span>\n"
        f' • Last updated: <time datetime="{a.modified}" itemprop="dateModified">{a.modified[:10]}</time>\n'
        f'</p>\n</header>\n<div class="post-content" itemprop="articleBody">\n{_paragraphs(a)}</div>\n</article>\n'
    )
    return _page("", body, a.title)


def h_entry(a: Article) -> str:
    body = (
        f'<article class="h-entry">\n<header><h1 class="p-name">{html.escape(a.title)}</h1>\n<small>Published: '
        f'<time class="dt-published" datetime="{a.published}">{a.published[:10]}</time> by '
        f'<a class="p-author h-card" href="/about/"><img class="u-photo" src="/me.jpg" alt=""> '
        f'{html.escape(a.author)}</a>, updated <time class="dt-updated" datetime="{a.modified}">'
        f"{a.modified[:10]}</time></small></header>\n"
        f'<div class="e-content">\n{_paragraphs(a)}</div>\n<a class="u-url" href="/p/">#</a>\n'
        '<section class="replies"><article class="h-cite"><span class="p-author h-card">A reader</span> '
        '<span class="p-name">Replied</span></article></section>\n</article>\n'
    )
    return _page("", body, a.title)


def minima(a: Article) -> str:
    """Jekyll minima's ``_layouts/post.html``."""
    body = (
        '<article class="post h-entry" itemscope itemtype="http://schema.org/BlogPosting">\n\n'
        '    <header class="post-header">\n'
        f'        <h1 class="post-title p-name" itemprop="name headline">{html.escape(a.title)}</h1>\n'
        f'        <p class="post-meta"><time class="dt-published" datetime="{a.published}" '
        f'itemprop="datePublished">{a.published[:10]}\n            </time>• <span itemprop="author" itemscope '
        f'itemtype="http://schema.org/Person"><span class="p-author h-card"\n                    itemprop="name">'
        f"{html.escape(a.author)}</span></span></p>\n    </header>\n\n"
        f'    <div class="post-content e-content" itemprop="articleBody">\n{_paragraphs(a)}    </div>\n\n'
        '    <a class="u-url" href="/p/" hidden></a>\n</article>\n'
    )
    return _page("", body, a.title)


def listing() -> str:
    items = "".join(
        f'<li class="h-entry"><a class="p-name u-url" href="/{key}/">{html.escape(a.title)}</a> '
        f'<time class="dt-published" datetime="{a.published}">{a.published[:10]}</time></li>\n'
        for key, a in ARTICLES.items()
    )
    return _page("", f'<ul class="post-list">\n{items}</ul>\n', "City Notes")


PAGES = {
    "json-ld-type-list": json_ld_type_list,
    "json-ld-graph": json_ld_graph,
    "og-article": og_article,
    "microdata": microdata,
    "h-entry": h_entry,
    "minima": minima,
}


def page(name: str) -> str:
    """The fixture page ``name`` (a key of ``ARTICLES``)."""
    return PAGES[name](ARTICLES[name])
