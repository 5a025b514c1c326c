"""Generate a WordPress-like static blog (classic theme markup, Twenty Sixteen) for the benchmark.

``python bench/make_blog.py OUT [--posts 2000] [--base-url http://127.0.0.1:8080] [--seed 1]`` writes a folder that
any static server can serve with ``index.html`` (and ``index.xml`` under ``/feed/``) as directory index:

- posts at ``/%year%/%monthnum%/%postname%/`` (``YYYY/MM/slug/index.html``), a few pages (``/about/`` ...);
- home ``/`` with 10 posts a page and ``/page/N/``; category, tag, author and monthly archives, paginated;
- ``robots.txt`` (``Disallow: /wp-admin/``), ``wp-sitemap.xml`` and its sub-sitemaps, ``/feed/`` and
  ``/comments/feed/`` (RSS 2.0), a ``404.html`` and the theme's static files (CSS, JS).

Every HTML page carries the chrome of a classic WordPress theme: a head with meta, Open Graph, JSON-LD, inline
global styles and the emoji script, the header with its menu, the sidebar widgets (search, recent posts, recent
comments, monthly archives, categories, tag cloud, meta) and the footer: about 100 on-site links a page, most of
them the same on every page. A post page weighs about 65 KB. Output is deterministic for a given seed and base URL.

Plain Python, no dependencies; ``build()`` returns what was generated (post and page URLs) for coverage checks.
"""

# The HTML, CSS and RSS templates are kept as WordPress writes them, one line each: long lines allowed.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

SITE_NAME = "Field Notes"
TAGLINE = "Slow thoughts on code, gardens and the places in between"
PER_PAGE = 10
WP_VERSION = "6.5.2"
START = datetime(2023, 1, 2, 8, 0, tzinfo=timezone.utc)
SPAN_DAYS = 730  # posts spread over two years: 24 monthly archives in the sidebar

CATEGORIES = [
    "Programming",
    "Gardening",
    "Travel",
    "Books",
    "Photography",
    "Cooking",
    "Music",
    "Open Source",
    "Science",
    "Notes",
]
TAGS = [
    "python",
    "linux",
    "compost",
    "tomatoes",
    "trains",
    "mountains",
    "novels",
    "poetry",
    "film",
    "lenses",
    "bread",
    "coffee",
    "jazz",
    "vinyl",
    "git",
    "databases",
    "rust",
    "birds",
    "weather",
    "maps",
    "history",
    "bicycles",
    "tea",
    "fermentation",
    "hiking",
    "rivers",
    "archives",
    "typography",
    "sound",
    "winter",
]
AUTHORS = [("anna-lindqvist", "Anna Lindqvist"), ("tomas-reyes", "Tomás Reyes"), ("mira-okafor", "Mira Okafor")]
PAGES = [
    ("about", "About"),
    ("contact", "Contact"),
    ("colophon", "Colophon"),
    ("privacy-policy", "Privacy Policy"),
]
COMMENTERS = [
    "Jo",
    "Priya Natarajan",
    "Lukas",
    "Hannah B.",
    "Omar",
    "Chen Wei",
    "Sofia Marquez",
    "Dave",
    "Ingrid",
    "Kwame Mensah",
    "Elena",
    "Pat O'Brien",
    "Yuki",
    "Fatima Z.",
    "Marco",
    "Ruth",
]

_FUNCTION = [
    "the",
    "the",
    "the",
    "a",
    "a",
    "an",
    "of",
    "of",
    "of",
    "to",
    "to",
    "in",
    "in",
    "and",
    "and",
    "and",
    "that",
    "is",
    "is",
    "was",
    "for",
    "on",
    "with",
    "as",
    "it",
    "at",
    "by",
    "from",
    "this",
    "be",
    "are",
    "not",
    "or",
    "but",
    "which",
    "have",
    "has",
    "had",
    "were",
    "their",
    "its",
    "one",
    "all",
    "when",
    "there",
    "can",
    "more",
    "than",
    "so",
    "what",
    "about",
    "into",
    "out",
    "up",
    "only",
    "some",
    "then",
    "could",
    "would",
    "also",
    "how",
    "after",
    "over",
    "just",
    "any",
    "most",
    "other",
    "even",
    "because",
]
_NOUNS = [
    "garden",
    "morning",
    "river",
    "station",
    "window",
    "kitchen",
    "letter",
    "library",
    "harbour",
    "orchard",
    "bridge",
    "notebook",
    "language",
    "compiler",
    "server",
    "network",
    "pattern",
    "silence",
    "season",
    "evening",
    "neighbour",
    "market",
    "village",
    "mountain",
    "valley",
    "city",
    "journey",
    "camera",
    "lens",
    "shadow",
    "light",
    "colour",
    "photograph",
    "recipe",
    "bread",
    "oven",
    "flour",
    "yeast",
    "coffee",
    "cup",
    "record",
    "melody",
    "rhythm",
    "guitar",
    "piano",
    "book",
    "chapter",
    "story",
    "author",
    "reader",
    "page",
    "margin",
    "paragraph",
    "sentence",
    "word",
    "idea",
    "question",
    "answer",
    "problem",
    "solution",
    "function",
    "variable",
    "database",
    "query",
    "index",
    "table",
    "file",
    "folder",
    "memory",
    "process",
    "thread",
    "signal",
    "storm",
    "weather",
    "cloud",
    "rain",
    "snow",
    "winter",
    "summer",
    "autumn",
    "spring",
    "field",
    "forest",
    "tree",
    "root",
    "leaf",
    "seed",
    "soil",
    "compost",
    "tomato",
    "bean",
    "bicycle",
    "train",
    "platform",
    "ticket",
    "map",
    "border",
    "history",
    "archive",
    "museum",
    "street",
    "corner",
    "friend",
    "teacher",
    "student",
    "child",
    "grandmother",
    "machine",
    "engine",
    "tool",
    "hammer",
    "workshop",
]
_VERBS = [
    "finds",
    "keeps",
    "opens",
    "carries",
    "remembers",
    "builds",
    "follows",
    "changes",
    "shows",
    "writes",
    "reads",
    "breaks",
    "fixes",
    "grows",
    "waits",
    "turns",
    "holds",
    "brings",
    "learns",
    "teaches",
    "tests",
    "measures",
    "travels",
    "returns",
    "starts",
    "ends",
    "moves",
    "listens",
    "sings",
    "cooks",
    "bakes",
    "plants",
    "waters",
    "prunes",
    "collects",
    "sorts",
    "counts",
    "draws",
    "paints",
    "compiles",
    "runs",
    "crashes",
    "explains",
    "suggests",
    "forgets",
    "imagines",
]
_ADJECTIVES = [
    "quiet",
    "small",
    "old",
    "new",
    "long",
    "short",
    "bright",
    "dark",
    "warm",
    "cold",
    "slow",
    "quick",
    "careful",
    "simple",
    "strange",
    "familiar",
    "patient",
    "heavy",
    "light",
    "green",
    "golden",
    "grey",
    "narrow",
    "wide",
    "early",
    "late",
    "gentle",
    "rough",
    "clear",
    "honest",
    "useful",
    "broken",
    "hidden",
    "open",
    "distant",
    "local",
    "curious",
    "ordinary",
    "generous",
    "tired",
]
_ADVERBS = [
    "slowly",
    "carefully",
    "quietly",
    "often",
    "rarely",
    "finally",
    "suddenly",
    "almost",
    "always",
    "never",
    "gently",
]


def _word(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.42:
        return rng.choice(_FUNCTION)
    if r < 0.72:
        return rng.choice(_NOUNS)
    if r < 0.86:
        return rng.choice(_VERBS)
    if r < 0.97:
        return rng.choice(_ADJECTIVES)
    return rng.choice(_ADVERBS)


def sentence(rng: random.Random, low: int = 8, high: int = 26) -> str:
    """A sentence of English words (not grammar, but the right words in about the right proportions)."""
    words = [_word(rng) for _ in range(rng.randint(low, high))]
    for i in range(2, len(words) - 2):
        if rng.random() < 0.07:
            words[i] += ","
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".......?!")


def paragraph(rng: random.Random, low: int = 3, high: int = 8) -> str:
    """A paragraph of ``low`` to ``high`` sentences."""
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def slugify(text: str) -> str:
    """A WordPress-like slug: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def title_case(rng: random.Random) -> str:
    """A post title of a few words, capitalised like a headline."""
    words = [
        rng.choice(_ADJECTIVES),
        rng.choice(_NOUNS),
        rng.choice(["and", "of", "in", "for", "after"]),
        rng.choice(["the", "a", "my"]),
        rng.choice(_NOUNS),
    ]
    if rng.random() < 0.4:
        words.insert(0, rng.choice(["On", "Notes on", "Why", "How", "Against", "A Year of"]))
    return " ".join(w[:1].upper() + w[1:] if i == 0 or len(w) > 3 else w for i, w in enumerate(words))


@dataclass
class Comment:
    """A reader comment; replies nest in ``children``."""

    id: int
    parent: int
    author: str
    url: str | None
    date: datetime
    text: str
    children: list[Comment] = field(default_factory=list)


@dataclass
class Post:
    """A generated post and everything its pages show."""

    id: int
    title: str
    slug: str
    date: datetime
    modified: datetime
    author: tuple[str, str]
    categories: list[str]
    tags: list[str]
    body: str = ""
    excerpt: str = ""
    comments: list[Comment] = field(default_factory=list)  # top-level, children nested
    comment_count: int = 0

    @property
    def path(self) -> str:
        return f"/{self.date:%Y}/{self.date:%m}/{self.slug}/"


def _fmt_date(d: datetime) -> str:
    return f"{d:%B} {d.day}, {d:%Y}"


class Blog:
    """The generated blog's data and its renderer."""

    def __init__(self, posts: int = 2000, base_url: str = "", seed: int = 1):
        self.rng = random.Random(seed)
        self.base = base_url.rstrip("/")
        self.posts: list[Post] = []  # oldest first
        self.comment_seq = 0
        self._make_posts(posts)
        self.newest = sorted(self.posts, key=lambda p: p.date, reverse=True)
        self.by_category = {c: [p for p in self.newest if c in p.categories] for c in CATEGORIES}
        self.by_tag = {t: [p for p in self.newest if t in p.tags] for t in TAGS}
        self.by_author = {a: [p for p in self.newest if p.author[0] == a] for a, _ in AUTHORS}
        months: dict[str, list[Post]] = {}
        for p in self.newest:
            months.setdefault(f"{p.date:%Y/%m}", []).append(p)
        self.by_month = months
        self.all_comments = sorted(
            (c for p in self.posts for c in _walk(p.comments)), key=lambda c: c.date, reverse=True
        )
        self.comment_post = {c.id: p for p in self.posts for c in _walk(p.comments)}
        self._sidebar = self._render_sidebar()
        self._global_css = _global_styles()
        self._emoji = _emoji_script(self.base)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    # --- data -------------------------------------------------------------------------------------------------
    def _make_posts(self, n: int) -> None:
        rng = self.rng
        slugs: set[str] = set()
        step = SPAN_DAYS * 86400 / max(n, 1)
        for i in range(n):
            title = title_case(rng)
            slug = slugify(title)
            while slug in slugs:
                slug = f"{slugify(title)}-{rng.randint(2, 99)}"
            slugs.add(slug)
            date = START + timedelta(seconds=int(i * step + rng.randint(0, int(step * 0.8))))
            modified = date + timedelta(days=rng.choice([0, 0, 0, 1, 3, 40]), minutes=rng.randint(0, 300))
            post = Post(
                id=100 + i * 3,
                title=title,
                slug=slug,
                date=date,
                modified=modified,
                author=rng.choice(AUTHORS),
                categories=rng.sample(CATEGORIES, rng.choice([1, 1, 2])),
                tags=rng.sample(TAGS, rng.randint(2, 4)),
            )
            post.body = self._body(post, self.posts)
            post.excerpt = sentence(rng, 20, 40) + " " + sentence(rng, 15, 30)
            post.comments = self._comments(post)
            post.comment_count = sum(1 for _ in _walk(post.comments))
            self.posts.append(post)

    def _body(self, post: Post, earlier: list[Post]) -> str:
        rng = self.rng
        parts = []
        for i in range(rng.randint(12, 27)):
            if i and rng.random() < 0.15:
                parts.append(f'<h2 class="wp-block-heading">{escape(title_case(rng))}</h2>')
            if rng.random() < 0.08:
                items = "".join(f"<li>{escape(sentence(rng, 4, 12))}</li>" for _ in range(rng.randint(3, 6)))
                parts.append(f'<ul class="wp-block-list">{items}</ul>')
            elif rng.random() < 0.05:
                parts.append(
                    f'<blockquote class="wp-block-quote"><p>{escape(paragraph(rng, 1, 3))}</p>'
                    f"<cite>{escape(rng.choice(COMMENTERS))}</cite></blockquote>"
                )
            text = escape(paragraph(rng))
            if earlier and rng.random() < 0.12:  # a link to an earlier post, in the running text
                other = rng.choice(earlier[-200:])
                text += f' See also <a href="{self.url(other.path)}">{escape(other.title)}</a>.'
            elif rng.random() < 0.05:
                text += (
                    f' (<a href="https://en.wikipedia.org/wiki/{rng.choice(_NOUNS).title()}" '
                    f'target="_blank" rel="noreferrer noopener">more here</a>)'
                )
            parts.append(f"<p>{text}</p>")
        return "\n".join(parts)

    def _comments(self, post: Post) -> list[Comment]:
        rng = self.rng
        n = rng.choice([0, 0, 1, 2, 2, 3, 3, 4, 5, 6])
        top: list[Comment] = []
        flat: list[Comment] = []
        when = post.date
        for _ in range(n):
            self.comment_seq += 1
            when = when + timedelta(hours=rng.randint(1, 72))
            name = rng.choice(COMMENTERS)
            url = f"https://{slugify(name)}.example.net/" if rng.random() < 0.4 else None
            parent = rng.choice(flat) if flat and rng.random() < 0.35 else None
            c = Comment(
                self.comment_seq,
                parent.id if parent else 0,
                name,
                url,
                when,
                "\n\n".join(paragraph(rng, 1, 3) for _ in range(rng.choice([1, 1, 2]))),
            )
            (parent.children if parent else top).append(c)
            flat.append(c)
        return top

    # --- chrome -----------------------------------------------------------------------------------------------
    def head(
        self,
        title: str,
        canonical: str,
        description: str,
        og_type: str = "website",
        post: Post | None = None,
        extra: str = "",
    ) -> str:
        b = self.base
        full_title = (
            f"{escape(title)} &#8211; {escape(SITE_NAME)}"
            if title
            else f"{escape(SITE_NAME)} &#8211; {escape(TAGLINE)}"
        )
        graph: list[dict] = [
            {
                "@type": "WebPage",
                "@id": canonical,
                "url": canonical,
                "name": title or SITE_NAME,
                "isPartOf": {"@id": f"{b}/#website"},
                "inLanguage": "en-US",
                "breadcrumb": {"@id": f"{canonical}#breadcrumb"},
            },
            {
                "@type": "BreadcrumbList",
                "@id": f"{canonical}#breadcrumb",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{b}/"},
                    {"@type": "ListItem", "position": 2, "name": title or SITE_NAME},
                ],
            },
            {
                "@type": "WebSite",
                "@id": f"{b}/#website",
                "url": f"{b}/",
                "name": SITE_NAME,
                "description": TAGLINE,
                "inLanguage": "en-US",
                "potentialAction": [
                    {
                        "@type": "SearchAction",
                        "target": {"@type": "EntryPoint", "urlTemplate": f"{b}/?s={{search_term_string}}"},
                        "query-input": "required name=search_term_string",
                    }
                ],
            },
        ]
        og = [
            ("og:locale", "en_US"),
            ("og:type", og_type),
            ("og:title", title or SITE_NAME),
            ("og:description", description),
            ("og:url", canonical),
            ("og:site_name", SITE_NAME),
        ]
        if post is not None:
            author_url = f"{b}/author/{post.author[0]}/"
            graph.insert(
                0,
                {
                    "@type": "BlogPosting",
                    "@id": f"{canonical}#article",
                    "isPartOf": {"@id": canonical},
                    "author": {"name": post.author[1], "@id": f"{b}/#/schema/person/{post.author[0]}"},
                    "headline": post.title,
                    "datePublished": post.date.isoformat(),
                    "dateModified": post.modified.isoformat(),
                    "mainEntityOfPage": {"@id": canonical},
                    "wordCount": len(post.body.split()),
                    "commentCount": post.comment_count,
                    "keywords": post.tags,
                    "articleSection": post.categories,
                    "inLanguage": "en-US",
                    "potentialAction": [
                        {"@type": "CommentAction", "name": "Comment", "target": [f"{canonical}#respond"]}
                    ],
                },
            )
            graph.append(
                {
                    "@type": "Person",
                    "@id": f"{b}/#/schema/person/{post.author[0]}",
                    "name": post.author[1],
                    "url": author_url,
                }
            )
            og += [
                ("article:published_time", post.date.isoformat()),
                ("article:modified_time", post.modified.isoformat()),
                ("article:author", author_url),
            ]
            og += [("article:section", c) for c in post.categories]
            og += [("article:tag", t) for t in post.tags]
        og_html = "\n".join(f'<meta property="{k}" content="{escape(v)}" />' for k, v in og)
        ld = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
        return f"""<!DOCTYPE html>
<html lang="en-US" class="no-js">
<head>
	<meta charset="UTF-8">
	<meta name="viewport" content="width=device-width, initial-scale=1">
	<link rel="profile" href="https://gmpg.org/xfn/11">
		<link rel="pingback" href="{b}/xmlrpc.php">
		<script>(function(html){{html.className = html.className.replace(/\\bno-js\\b/,'js')}})(document.documentElement);</script>
<title>{full_title}</title>
<meta name="description" content="{escape(description)}" />
<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1" />
<link rel="canonical" href="{canonical}" />
{extra}{og_html}
<meta name="twitter:card" content="summary_large_image" />
<script type="application/ld+json" class="yoast-schema-graph">{ld}</script>
<link rel='dns-prefetch' href='//fonts.googleapis.com' />
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed" href="{b}/feed/" />
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Comments Feed" href="{b}/comments/feed/" />
{self._emoji}
<link rel='stylesheet' id='wp-block-library-css' href='{b}/wp-includes/css/dist/block-library/style.min.css?ver={WP_VERSION}' media='all' />
<style id='wp-block-library-theme-inline-css'>
.wp-block-audio figcaption{{color:#555;font-size:13px;text-align:center}}.is-dark-theme .wp-block-audio figcaption{{color:#ffffffa6}}.wp-block-audio{{margin:0 0 1em}}.wp-block-code{{border:1px solid #ccc;border-radius:4px;font-family:Menlo,Consolas,monaco,monospace;padding:.8em 1em}}.wp-block-embed figcaption{{color:#555;font-size:13px;text-align:center}}.wp-block-image figcaption{{color:#555;font-size:13px;text-align:center}}.wp-block-pullquote{{border-bottom:4px solid;border-top:4px solid;color:currentColor;margin-bottom:1.75em}}.wp-block-quote{{border-left:.25em solid;margin:0 0 1.75em;padding-left:1em}}.wp-block-quote cite,.wp-block-quote footer{{color:currentColor;font-size:.8125em;font-style:normal;position:relative}}.wp-block-separator.has-css-opacity{{opacity:.4}}.wp-block-table{{margin:0 0 1em}}.wp-block-video{{margin:0 0 1em}}
</style>
<style id='classic-theme-styles-inline-css'>
/*! This file is auto-generated */
.wp-block-button__link{{color:#fff;background-color:#32373c;border-radius:9999px;box-shadow:none;text-decoration:none;padding:calc(.667em + 2px) calc(1.333em + 2px);font-size:1.125em}}.wp-block-file__button{{background:#32373c;color:#fff;text-decoration:none}}
</style>
<style id='global-styles-inline-css'>
{self._global_css}
</style>
<link rel='stylesheet' id='twentysixteen-fonts-css' href='{b}/wp-content/themes/twentysixteen/fonts/merriweather-plus-montserrat-plus-inconsolata.css?ver=20230328' media='all' />
<link rel='stylesheet' id='genericons-css' href='{b}/wp-content/themes/twentysixteen/genericons/genericons.css?ver=20201208' media='all' />
<link rel='stylesheet' id='twentysixteen-style-css' href='{b}/wp-content/themes/twentysixteen/style.css?ver=20240402' media='all' />
<link rel='stylesheet' id='twentysixteen-block-style-css' href='{b}/wp-content/themes/twentysixteen/css/blocks.css?ver=20240117' media='all' />
<script src="{b}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script src="{b}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.4.1" id="jquery-migrate-js"></script>
<link rel="https://api.w.org/" href="{b}/wp-json/" /><link rel="EditURI" type="application/rsd+xml" title="RSD" href="{b}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress {WP_VERSION}" />
<style>.recentcomments a{{display:inline !important;padding:0 !important;margin:0 !important;}}</style></head>
"""

    def menu(self, label: str, menu_id: str) -> str:
        b = self.base
        items = (
            [("/", "Home"), ("/about/", "About")]
            + [(f"/category/{slugify(c)}/", c) for c in CATEGORIES[:3]]
            + [("/contact/", "Contact")]
        )
        lis = "".join(
            f'<li id="menu-item-{10 + i}" class="menu-item menu-item-type-custom menu-item-object-custom '
            f'menu-item-{10 + i}"><a href="{b}{path}">{escape(name)}</a></li>'
            for i, (path, name) in enumerate(items)
        )
        return (
            f'<nav id="{menu_id}" class="main-navigation" aria-label="{label}">'
            f'<div class="menu-main-container"><ul id="menu-main" class="primary-menu">{lis}</ul></div></nav>'
        )

    def header(self, body_class: str) -> str:
        b = self.base
        return f"""
<body class="{body_class} wp-embed-responsive group-blog">
<div id="page" class="site">
	<div class="site-inner">
		<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
		<header id="masthead" class="site-header">
			<div class="site-header-main">
				<div class="site-branding">
					<p class="site-title"><a href="{b}/" rel="home">{escape(SITE_NAME)}</a></p>
					<p class="site-description">{escape(TAGLINE)}</p>
				</div><!-- .site-branding -->
				<button id="menu-toggle" class="menu-toggle">Menu</button>
				<div id="site-header-menu" class="site-header-menu">
					{self.menu("Primary Menu", "site-navigation")}
				</div><!-- .site-header-menu -->
			</div><!-- .site-header-main -->
		</header><!-- .site-header -->
		<div id="content" class="site-content">
"""

    def _render_sidebar(self) -> str:
        b = self.base
        recent = "".join(f'<li><a href="{b}{p.path}">{escape(p.title)}</a></li>' for p in self.newest[:5])
        comments = []
        for c in self.all_comments[:5]:
            post = self.comment_post[c.id]
            who = (
                f'<a href="{c.url}" class="url" rel="ugc external nofollow">{escape(c.author)}</a>'
                if c.url
                else escape(c.author)
            )
            comments.append(
                f'<li class="recentcomments"><span class="comment-author-link">{who}</span> on '
                f'<a href="{b}{post.path}#comment-{c.id}">{escape(post.title)}</a></li>'
            )
        archives = "".join(
            f"<li><a href='{b}/{month}/'>{datetime.strptime(month, '%Y/%m'):%B %Y}</a></li>" for month in self.by_month
        )
        cats = "".join(
            f'<li class="cat-item cat-item-{i + 2}"><a href="{b}/category/{slugify(c)}/">{escape(c)}</a></li>'
            for i, c in enumerate(CATEGORIES)
        )
        counts = {t: len(self.by_tag[t]) for t in TAGS}
        low, high = min(counts.values()), max(counts.values())
        cloud = " ".join(
            f'<a href="{b}/tag/{slugify(t)}/" class="tag-cloud-link tag-link-{20 + i} tag-link-position-{i + 1}" '
            f'style="font-size: {8 + 14 * (counts[t] - low) / max(high - low, 1):.1f}pt;" '
            f'aria-label="{t} ({counts[t]} items)">{t}</a>'
            for i, t in enumerate(sorted(TAGS))
        )
        return f"""
	<aside id="secondary" class="sidebar widget-area">
		<section id="search-2" class="widget widget_search">
<form role="search" method="get" class="search-form" action="{b}/">
	<label>
		<span class="screen-reader-text">Search for:</span>
		<input type="search" class="search-field" placeholder="Search &hellip;" value="" name="s" />
	</label>
	<button type="submit" class="search-submit"><span class="screen-reader-text">Search</span></button>
</form>
</section>
		<section id="recent-posts-2" class="widget widget_recent_entries">
		<h2 class="widget-title">Recent Posts</h2><nav aria-label="Recent Posts">
		<ul>{recent}</ul>
		</nav></section>
		<section id="recent-comments-2" class="widget widget_recent_comments"><h2 class="widget-title">Recent Comments</h2><nav aria-label="Recent Comments"><ul id="recentcomments">{"".join(comments)}</ul></nav></section>
		<section id="archives-2" class="widget widget_archive"><h2 class="widget-title">Archives</h2><nav aria-label="Archives">
			<ul>{archives}</ul>
			</nav></section>
		<section id="categories-2" class="widget widget_categories"><h2 class="widget-title">Categories</h2><nav aria-label="Categories">
			<ul>{cats}</ul>
			</nav></section>
		<section id="tag_cloud-2" class="widget widget_tag_cloud"><h2 class="widget-title">Tags</h2><nav aria-label="Tags"><div class="tagcloud">{cloud}</div>
</nav></section>
		<section id="meta-2" class="widget widget_meta"><h2 class="widget-title">Meta</h2><nav aria-label="Meta">
		<ul>
			<li><a href="{b}/wp-login.php">Log in</a></li>
			<li><a href="{b}/feed/">Entries feed</a></li>
			<li><a href="{b}/comments/feed/">Comments feed</a></li>
			<li><a href="https://wordpress.org/">WordPress.org</a></li>
		</ul>
		</nav></section>
	</aside><!-- .sidebar .widget-area -->
"""

    def footer(self, single: bool = False) -> str:
        b = self.base
        reply_js = (
            (
                f'<script src="{b}/wp-includes/js/comment-reply.min.js?ver={WP_VERSION}" id="comment-reply-js" '
                'async data-wp-strategy="async"></script>\n'
            )
            if single
            else ""
        )
        return f"""
		</div><!-- .site-content -->
		<footer id="colophon" class="site-footer">
				{self.menu("Footer Primary Menu", "footer-navigation")}
			<div class="site-info">
				<span class="site-title"><a href="{b}/" rel="home">{escape(SITE_NAME)}</a></span>
				<a class="privacy-policy-link" href="{b}/privacy-policy/" rel="privacy-policy">Privacy Policy</a><span role="separator" aria-hidden="true"></span>
				<a href="https://wordpress.org/" class="imprint">Proudly powered by WordPress</a>
			</div><!-- .site-info -->
		</footer><!-- .site-footer -->
	</div><!-- .site-inner -->
</div><!-- .site -->
{reply_js}<script src="{b}/wp-content/themes/twentysixteen/js/skip-link-focus-fix.js?ver=20170530" id="twentysixteen-skip-link-focus-fix-js"></script>
<script id="twentysixteen-script-js-extra">
var screenReaderText = {{"expand":"expand child menu","collapse":"collapse child menu"}};
</script>
<script src="{b}/wp-content/themes/twentysixteen/js/functions.js?ver=20230629" id="twentysixteen-script-js"></script>
</body>
</html>
"""

    # --- pages ------------------------------------------------------------------------------------------------
    def entry_footer(self, post: Post) -> str:
        b = self.base
        cats = ", ".join(
            f'<a href="{b}/category/{slugify(c)}/" rel="category tag">{escape(c)}</a>' for c in post.categories
        )
        tags = ", ".join(f'<a href="{b}/tag/{slugify(t)}/" rel="tag">{escape(t)}</a>' for t in post.tags)
        avatar = hashlib.md5(post.author[0].encode()).hexdigest()
        n = post.comment_count
        comments_link = (
            f'<span class="comments-link"><a href="{b}{post.path}#comments">'
            f'{n} Comment{"s" if n != 1 else ""}<span class="screen-reader-text"> on '
            f"{escape(post.title)}</span></a></span>"
            if n
            else f'<span class="comments-link"><a href="{b}{post.path}#respond">Leave a comment'
            f'<span class="screen-reader-text"> on {escape(post.title)}</span></a></span>'
        )
        return f"""<footer class="entry-footer">
		<span class="byline"><span class="author vcard"><img alt='' src='https://secure.gravatar.com/avatar/{avatar}?s=49&#038;d=mm&#038;r=g' srcset='https://secure.gravatar.com/avatar/{avatar}?s=98&#038;d=mm&#038;r=g 2x' class='avatar avatar-49 photo' height='49' width='49' decoding='async'/><span class="screen-reader-text">Author </span> <a class="url fn n" href="{b}/author/{post.author[0]}/">{escape(post.author[1])}</a></span></span><span class="posted-on"><span class="screen-reader-text">Posted on </span><a href="{b}{post.path}" rel="bookmark"><time class="entry-date published" datetime="{post.date.isoformat()}">{_fmt_date(post.date)}</time><time class="updated" datetime="{post.modified.isoformat()}">{_fmt_date(post.modified)}</time></a></span><span class="cat-links"><span class="screen-reader-text">Categories </span>{cats}</span><span class="tags-links"><span class="screen-reader-text">Tags </span>{tags}</span>{comments_link}
	</footer><!-- .entry-footer -->"""

    def comment_html(self, post: Post, c: Comment, depth: int, index: int) -> str:
        b = self.base
        parity = "even" if index % 2 == 0 else "odd"
        classes = f"comment {parity} thread-{parity} depth-{depth}" + (" parent" if c.children else "")
        avatar = hashlib.md5(c.author.encode()).hexdigest()
        who = (
            f"<a href='{c.url}' class='url' rel='ugc external nofollow'>{escape(c.author)}</a>"
            if c.url
            else escape(c.author)
        )
        paras = "".join(f"<p>{escape(p)}</p>\n" for p in c.text.split("\n\n"))
        reply = (
            (
                f"<div class=\"reply\"><a rel='nofollow' class='comment-reply-link' href='{b}{post.path}?replytocom={c.id}#respond' "
                f'data-commentid="{c.id}" data-postid="{post.id}" data-belowelement="div-comment-{c.id}" '
                f'data-respondelement="respond" data-replyto="Reply to {escape(c.author)}" '
                f"aria-label='Reply to {escape(c.author)}'>Reply</a></div>"
            )
            if depth < 5
            else ""
        )
        children = ""
        if c.children:
            children = (
                '<ol class="children">'
                + "".join(self.comment_html(post, child, depth + 1, i) for i, child in enumerate(c.children))
                + "</ol>"
            )
        return f"""
		<li id="comment-{c.id}" class="{classes}">
			<article id="div-comment-{c.id}" class="comment-body">
				<footer class="comment-meta">
					<div class="comment-author vcard">
						<img alt='' src='https://secure.gravatar.com/avatar/{avatar}?s=42&#038;d=mm&#038;r=g' srcset='https://secure.gravatar.com/avatar/{avatar}?s=84&#038;d=mm&#038;r=g 2x' class='avatar avatar-42 photo' height='42' width='42' loading='lazy' decoding='async'/>						<b class="fn">{who}</b> <span class="says">says:</span>					</div><!-- .comment-author -->
					<div class="comment-metadata">
						<a href="{b}{post.path}#comment-{c.id}"><time datetime="{c.date.isoformat()}">{_fmt_date(c.date)} at {c.date:%I:%M %p}</time></a>					</div><!-- .comment-metadata -->
				</footer><!-- .comment-meta -->
				<div class="comment-content">
					{paras}
				</div><!-- .comment-content -->
				{reply}
			</article><!-- .comment-body -->{children}
		</li><!-- #comment-## -->"""

    def comments_area(self, post: Post) -> str:
        b = self.base
        listing = ""
        if post.comments:
            n = post.comment_count
            heading = (
                f"One thought on &ldquo;{escape(post.title)}&rdquo;"
                if n == 1
                else f"{n} thoughts on &ldquo;{escape(post.title)}&rdquo;"
            )
            items = "".join(self.comment_html(post, c, 1, i) for i, c in enumerate(post.comments))
            listing = f"""
			<h2 class="comments-title">{heading}</h2>
		<ol class="comment-list">{items}
		</ol><!-- .comment-list -->
"""
        return f"""
<div id="comments" class="comments-area">
{listing}
		<div id="respond" class="comment-respond">
		<h2 id="reply-title" class="comment-reply-title">Leave a Reply <small><a rel="nofollow" id="cancel-comment-reply-link" href="{b}{post.path}#respond" style="display:none;">Cancel reply</a></small></h2><form action="{b}/wp-comments-post.php" method="post" id="commentform" class="comment-form" novalidate><p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> <span class="required-field-message">Required fields are marked <span class="required">*</span></span></p><p class="comment-form-comment"><label for="comment">Comment <span class="required">*</span></label> <textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required></textarea></p><p class="comment-form-author"><label for="author">Name <span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" autocomplete="name" required /></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span></label> <input id="email" name="email" type="email" value="" size="30" maxlength="100" aria-describedby="email-notes" autocomplete="email" required /></p>
<p class="comment-form-url"><label for="url">Website</label> <input id="url" name="url" type="url" value="" size="30" maxlength="200" autocomplete="url" /></p>
<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" name="wp-comment-cookies-consent" type="checkbox" value="yes" /> <label for="wp-comment-cookies-consent">Save my name, email, and website in this browser for the next time I comment.</label></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment" /> <input type='hidden' name='comment_post_ID' value='{post.id}' id='comment_post_ID' />
<input type='hidden' name='comment_parent' id='comment_parent' value='0' />
</p></form>	</div><!-- #respond -->
	</div><!-- .comments-area -->
"""

    def single(self, post: Post, index: int) -> str:
        b = self.base
        canonical = self.url(post.path)
        nav = []
        if index > 0:
            prev = self.posts[index - 1]
            nav.append(
                f'<div class="nav-previous"><a href="{b}{prev.path}" rel="prev"><span class="meta-nav" aria-hidden="true">Previous</span> '
                f'<span class="screen-reader-text">Previous post:</span> <span class="post-title">{escape(prev.title)}</span></a></div>'
            )
        if index + 1 < len(self.posts):
            nxt = self.posts[index + 1]
            nav.append(
                f'<div class="nav-next"><a href="{b}{nxt.path}" rel="next"><span class="meta-nav" aria-hidden="true">Next</span> '
                f'<span class="screen-reader-text">Next post:</span> <span class="post-title">{escape(nxt.title)}</span></a></div>'
            )
        cats = " ".join(f"category-{slugify(c)}" for c in post.categories)
        tags = " ".join(f"tag-{slugify(t)}" for t in post.tags)
        body_class = f"post-template-default single single-post postid-{post.id} single-format-standard"
        return "".join(
            [
                self.head(post.title, canonical, post.excerpt[:155], "article", post),
                self.header(body_class),
                f"""
	<div id="primary" class="content-area">
		<main id="main" class="site-main">

<article id="post-{post.id}" class="post-{post.id} post type-post status-publish format-standard hentry {cats} {tags}">
	<header class="entry-header">
		<h1 class="entry-title">{escape(post.title)}</h1>	</header><!-- .entry-header -->

	<div class="entry-summary">
		<p>{escape(post.excerpt)}</p>
	</div><!-- .entry-summary -->

	<div class="entry-content">
		{post.body}
	</div><!-- .entry-content -->

	<div class="author-info">
		<div class="author-avatar"></div>
		<div class="author-description">
			<h2 class="author-title"><span class="author-heading">Author:</span> {escape(post.author[1])}</h2>
			<p class="author-bio">Writes about {escape(", ".join(CATEGORIES[:3]).lower())} and whatever the garden allows.
				<a class="author-link" href="{b}/author/{post.author[0]}/" rel="author">View all posts by {escape(post.author[1])}</a>
			</p>
		</div>
	</div><!-- .author-info -->

	{self.entry_footer(post)}
</article><!-- #post-{post.id} -->
{self.comments_area(post)}
	<nav class="navigation post-navigation" aria-label="Posts">
		<h2 class="screen-reader-text">Post navigation</h2>
		<div class="nav-links">{"".join(nav)}</div>
	</nav>
		</main><!-- .site-main -->
	</div><!-- .content-area -->
""",
                self._sidebar,
                self.footer(single=True),
            ]
        )

    def page(self, slug: str, title: str, index: int) -> str:
        rng = random.Random(f"page-{slug}")
        path = f"/{slug}/"
        body = "\n".join(f"<p>{escape(paragraph(rng))}</p>" for _ in range(rng.randint(3, 7)))
        return "".join(
            [
                self.head(title, self.url(path), f"{title} – {SITE_NAME}"),
                self.header(f"page-template-default page page-id-{2 + index}"),
                f"""
	<div id="primary" class="content-area">
		<main id="main" class="site-main">
<article id="post-{2 + index}" class="post-{2 + index} page type-page status-publish hentry">
	<header class="entry-header"><h1 class="entry-title">{escape(title)}</h1></header><!-- .entry-header -->
	<div class="entry-content">
{body}
	</div><!-- .entry-content -->
</article><!-- #post-## -->
		</main><!-- .site-main -->
	</div><!-- .content-area -->
""",
                self._sidebar,
                self.footer(),
            ]
        )

    def pagination(self, base_path: str, current: int, total: int) -> str:
        if total <= 1:
            return ""
        b = self.base

        def href(n: int) -> str:
            return f"{b}{base_path}" if n == 1 else f"{b}{base_path}page/{n}/"

        parts = []
        if current > 1:
            parts.append(f'<a class="prev page-numbers" href="{href(current - 1)}">Previous page</a>')
        dots = False
        for n in range(1, total + 1):
            if n == current:
                parts.append(
                    f'<span aria-current="page" class="page-numbers current">'
                    f'<span class="meta-nav screen-reader-text">Page </span>{n}</span>'
                )
                dots = False
            elif n <= 1 or n > total - 1 or abs(n - current) <= 1:
                parts.append(
                    f'<a class="page-numbers" href="{href(n)}"><span class="meta-nav screen-reader-text">Page </span>{n}</a>'
                )
                dots = False
            elif not dots:
                parts.append('<span class="page-numbers dots">&hellip;</span>')
                dots = True
        if current < total:
            parts.append(f'<a class="next page-numbers" href="{href(current + 1)}">Next page</a>')
        return (
            f'<nav class="navigation pagination" aria-label="Posts"><h2 class="screen-reader-text">Posts navigation</h2>'
            f'<div class="nav-links">{"".join(parts)}</div></nav>'
        )

    def summary(self, post: Post) -> str:
        b = self.base
        cats = " ".join(f"category-{slugify(c)}" for c in post.categories)
        return f"""
<article id="post-{post.id}" class="post-{post.id} post type-post status-publish format-standard hentry {cats}">
	<header class="entry-header">
		<h2 class="entry-title"><a href="{b}{post.path}" rel="bookmark">{escape(post.title)}</a></h2>	</header><!-- .entry-header -->
	<div class="entry-summary">
		<p>{escape(post.excerpt)} <a href="{b}{post.path}" class="more-link">Continue reading<span class="screen-reader-text"> &#8220;{escape(post.title)}&#8221;</span></a></p>
	</div><!-- .entry-summary -->
	{self.entry_footer(post)}
</article><!-- #post-{post.id} -->
"""

    def archive(
        self, base_path: str, title: str, description: str, posts: list[Post], n: int, total: int, body_class: str
    ) -> str:
        b = self.base
        path = base_path if n == 1 else f"{base_path}page/{n}/"
        rels = ""
        if n > 1:
            rels += f'<link rel="prev" href="{b}{base_path if n == 2 else f"{base_path}page/{n - 1}/"}" />\n'
        if n < total:
            rels += f'<link rel="next" href="{b}{base_path}page/{n + 1}/" />\n'
        page_title = title if n == 1 else f"{title} &#8211; Page {n}"
        if n > 1:
            body_class += f" paged paged-{n}"
        header = (
            f'<header class="page-header"><h1 class="page-title">{escape(title)}</h1>'
            f'<div class="taxonomy-description"><p>{escape(description)}</p></div></header><!-- .page-header -->'
            if title
            else ""
        )
        return "".join(
            [
                self.head(page_title if title else "", self.url(path), description or TAGLINE, extra=rels),
                self.header(body_class),
                f"""
	<div id="primary" class="content-area">
		<main id="main" class="site-main">
		{header}
		{"".join(self.summary(p) for p in posts)}
		{self.pagination(base_path, n, total)}
		</main><!-- .site-main -->
	</div><!-- .content-area -->
""",
                self._sidebar,
                self.footer(),
            ]
        )

    def archives(self) -> dict[str, str]:
        """Every archive page: path -> HTML."""
        out: dict[str, str] = {}
        rng = random.Random("archive-descriptions")

        def paged(base_path: str, title: str, description: str, posts: list[Post], body_class: str) -> None:
            total = max(1, -(-len(posts) // PER_PAGE))
            for n in range(1, total + 1):
                path = base_path if n == 1 else f"{base_path}page/{n}/"
                out[path] = self.archive(
                    base_path, title, description, posts[(n - 1) * PER_PAGE : n * PER_PAGE], n, total, body_class
                )

        paged("/", "", "", self.newest, "home blog")
        for i, c in enumerate(CATEGORIES):
            paged(
                f"/category/{slugify(c)}/",
                f"Category: {c}",
                sentence(rng),
                self.by_category[c],
                f"archive category category-{slugify(c)} category-{i + 2}",
            )
        for i, t in enumerate(TAGS):
            paged(f"/tag/{slugify(t)}/", f"Tag: {t}", "", self.by_tag[t], f"archive tag tag-{slugify(t)} tag-{20 + i}")
        for i, (slug, name) in enumerate(AUTHORS):
            paged(
                f"/author/{slug}/",
                f"Author: {name}",
                sentence(rng),
                self.by_author[slug],
                f"archive author author-{slug} author-{i + 1}",
            )
        for month, posts in self.by_month.items():
            label = f"{datetime.strptime(month, '%Y/%m'):%B %Y}"
            paged(f"/{month}/", f"Month: {label}", "", posts, "archive date")
        return out

    # --- feeds and sitemaps -----------------------------------------------------------------------------------
    def rss(self, kind: str) -> str:
        b = self.base
        now = self.newest[0].modified if self.newest else START
        items = []
        if kind == "posts":
            for p in self.newest[:10]:
                cats = "".join(f"\n\t\t<category><![CDATA[{c}]]></category>" for c in p.categories + p.tags)
                items.append(f"""	<item>
		<title>{escape(p.title)}</title>
		<link>{b}{p.path}</link>
		<comments>{b}{p.path}#respond</comments>
		<dc:creator><![CDATA[{p.author[1]}]]></dc:creator>
		<pubDate>{p.date:%a, %d %b %Y %H:%M:%S} +0000</pubDate>{cats}
		<guid isPermaLink="false">{b}/?p={p.id}</guid>
		<description><![CDATA[{p.excerpt} [&#8230;]]]></description>
		<content:encoded><![CDATA[{p.body}]]></content:encoded>
		<slash:comments>{p.comment_count}</slash:comments>
	</item>""")
            title, link = SITE_NAME, f"{b}/feed/"
        else:
            for c in self.all_comments[:10]:
                p = self.comment_post[c.id]
                items.append(f"""	<item>
		<title>Comment on {escape(p.title)} by {escape(c.author)}</title>
		<link>{b}{p.path}#comment-{c.id}</link>
		<dc:creator><![CDATA[{c.author}]]></dc:creator>
		<pubDate>{c.date:%a, %d %b %Y %H:%M:%S} +0000</pubDate>
		<guid isPermaLink="false">{b}/?p={p.id}#comment-{c.id}</guid>
		<description><![CDATA[{c.text[:200]}]]></description>
	</item>""")
            title, link = f"Comments for {SITE_NAME}", f"{b}/comments/feed/"
        return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>
<channel>
	<title>{escape(title)}</title>
	<atom:link href="{link}" rel="self" type="application/rss+xml" />
	<link>{b}/</link>
	<description>{escape(TAGLINE)}</description>
	<lastBuildDate>{now:%a, %d %b %Y %H:%M:%S} +0000</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v={WP_VERSION}</generator>
{chr(10).join(items)}
</channel>
</rss>
"""

    def sitemaps(self) -> dict[str, str]:
        b = self.base
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        out: dict[str, str] = {}

        def urlset(entries: list[tuple[str, datetime | None]]) -> str:
            rows = "".join(
                f"<url><loc>{b}{path}</loc>" + (f"<lastmod>{mod.isoformat()}</lastmod>" if mod else "") + "</url>"
                for path, mod in entries
            )
            return f'{head}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>\n'

        posts = [(p.path, p.modified) for p in self.newest]
        for i in range(0, max(len(posts), 1), 2000):
            out[f"wp-sitemap-posts-post-{i // 2000 + 1}.xml"] = urlset(posts[i : i + 2000])
        out["wp-sitemap-posts-page-1.xml"] = urlset([(f"/{slug}/", None) for slug, _ in PAGES])
        out["wp-sitemap-taxonomies-category-1.xml"] = urlset([(f"/category/{slugify(c)}/", None) for c in CATEGORIES])
        out["wp-sitemap-taxonomies-post_tag-1.xml"] = urlset([(f"/tag/{slugify(t)}/", None) for t in TAGS])
        out["wp-sitemap-users-1.xml"] = urlset([(f"/author/{a}/", None) for a, _ in AUTHORS])
        rows = "".join(f"<sitemap><loc>{b}/{name}</loc></sitemap>" for name in out)
        out["wp-sitemap.xml"] = (
            f'{head}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>\n'
        )
        return out


def _walk(comments: list[Comment]):
    for c in comments:
        yield c
        yield from _walk(c.children)


def _global_styles() -> str:
    """WordPress 6.x ``global-styles-inline-css`` for a classic theme: presets and their utility classes."""
    colors = {
        "black": "#000000",
        "cyan-bluish-gray": "#abb8c3",
        "white": "#ffffff",
        "pale-pink": "#f78da7",
        "vivid-red": "#cf2e2e",
        "luminous-vivid-orange": "#ff6900",
        "luminous-vivid-amber": "#fcb900",
        "light-green-cyan": "#7bdcb5",
        "vivid-green-cyan": "#00d084",
        "pale-cyan-blue": "#8ed1fc",
        "vivid-cyan-blue": "#0693e3",
        "vivid-purple": "#9b51e0",
        "dark-gray": "#1a1a1a",
        "medium-gray": "#686868",
        "light-gray": "#e5e5e5",
        "blue-gray": "#4d545c",
        "bright-blue": "#007acc",
        "light-blue": "#9adffd",
        "dark-brown": "#402b30",
        "medium-brown": "#774e24",
        "dark-red": "#640c1f",
        "bright-red": "#ff675f",
        "yellow": "#ffef8e",
    }
    gradients = {
        "vivid-cyan-blue-to-vivid-purple": "linear-gradient(135deg,rgba(6,147,227,1) 0%,rgb(155,81,224) 100%)",
        "light-green-cyan-to-vivid-green-cyan": "linear-gradient(135deg,rgb(122,220,180) 0%,rgb(0,208,130) 100%)",
        "luminous-vivid-amber-to-luminous-vivid-orange": "linear-gradient(135deg,rgba(252,185,0,1) 0%,rgba(255,105,0,1) 100%)",
        "luminous-vivid-orange-to-vivid-red": "linear-gradient(135deg,rgba(255,105,0,1) 0%,rgb(207,46,46) 100%)",
        "very-light-gray-to-cyan-bluish-gray": "linear-gradient(135deg,rgb(238,238,238) 0%,rgb(169,184,195) 100%)",
        "cool-to-warm-spectrum": "linear-gradient(135deg,rgb(74,234,220) 0%,rgb(151,120,209) 20%,rgb(207,42,186) 40%,rgb(238,44,130) 60%,rgb(251,105,98) 80%,rgb(254,248,76) 100%)",
        "blush-light-purple": "linear-gradient(135deg,rgb(255,206,236) 0%,rgb(152,150,240) 100%)",
        "blush-bordeaux": "linear-gradient(135deg,rgb(254,205,165) 0%,rgb(254,45,45) 50%,rgb(107,0,62) 100%)",
        "luminous-dusk": "linear-gradient(135deg,rgb(255,203,112) 0%,rgb(199,81,192) 50%,rgb(65,88,208) 100%)",
        "pale-ocean": "linear-gradient(135deg,rgb(255,245,203) 0%,rgb(182,227,212) 50%,rgb(51,167,181) 100%)",
        "electric-grass": "linear-gradient(135deg,rgb(202,248,128) 0%,rgb(113,206,126) 100%)",
        "midnight": "linear-gradient(135deg,rgb(2,3,129) 0%,rgb(40,116,252) 100%)",
    }
    sizes = {"small": "13px", "medium": "20px", "large": "36px", "x-large": "42px"}
    spacing = {
        f"{n}0": v
        for n, v in zip(
            range(2, 9), ["0.44rem", "0.67rem", "1rem", "1.5rem", "2.25rem", "3.38rem", "5.06rem"], strict=True
        )
    }
    shadows = {
        "natural": "6px 6px 9px rgba(0, 0, 0, 0.2)",
        "deep": "12px 12px 50px rgba(0, 0, 0, 0.4)",
        "sharp": "6px 6px 0px rgba(0, 0, 0, 0.2)",
        "outlined": "6px 6px 0px -3px rgba(255, 255, 255, 1), 6px 6px rgba(0, 0, 0, 1)",
        "crisp": "6px 6px 0px rgba(0, 0, 0, 1)",
    }
    duotones = {
        "dark-grayscale": "url('#wp-duotone-dark-grayscale')",
        "grayscale": "url('#wp-duotone-grayscale')",
        "purple-yellow": "url('#wp-duotone-purple-yellow')",
        "blue-red": "url('#wp-duotone-blue-red')",
        "midnight": "url('#wp-duotone-midnight')",
        "magenta-yellow": "url('#wp-duotone-magenta-yellow')",
        "purple-green": "url('#wp-duotone-purple-green')",
        "blue-orange": "url('#wp-duotone-blue-orange')",
    }
    root = [
        "--wp--preset--aspect-ratio--square: 1;",
        "--wp--preset--aspect-ratio--4-3: 4/3;",
        "--wp--preset--aspect-ratio--3-4: 3/4;",
        "--wp--preset--aspect-ratio--3-2: 3/2;",
        "--wp--preset--aspect-ratio--16-9: 16/9;",
        "--wp--preset--aspect-ratio--9-16: 9/16;",
    ]
    root += [f"--wp--preset--color--{k}: {v};" for k, v in colors.items()]
    root += [f"--wp--preset--gradient--{k}: {v};" for k, v in gradients.items()]
    root += [f"--wp--preset--duotone--{k}: {v};" for k, v in duotones.items()]
    root += [f"--wp--preset--font-size--{k}: {v};" for k, v in sizes.items()]
    root += [f"--wp--preset--spacing--{k}: {v};" for k, v in spacing.items()]
    root += [f"--wp--preset--shadow--{k}: {v};" for k, v in shadows.items()]
    css = [":root{" + "".join(root) + "}"]
    css.append(
        ":where(.is-layout-flex){gap: 0.5em;}:where(.is-layout-grid){gap: 0.5em;}"
        "body .is-layout-flex{display: flex;}.is-layout-flex{flex-wrap: wrap;align-items: center;}"
        ".is-layout-flex > :is(*, div){margin: 0;}body .is-layout-grid{display: grid;}"
        ".is-layout-grid > :is(*, div){margin: 0;}:where(.wp-block-columns.is-layout-flex){gap: 2em;}"
        ":where(.wp-block-columns.is-layout-grid){gap: 2em;}:where(.wp-block-post-template.is-layout-flex){gap: 1.25em;}"
        ":where(.wp-block-post-template.is-layout-grid){gap: 1.25em;}"
    )
    for k in colors:
        css.append(f".has-{k}-color{{color: var(--wp--preset--color--{k}) !important;}}")
    for k in colors:
        css.append(f".has-{k}-background-color{{background-color: var(--wp--preset--color--{k}) !important;}}")
    for k in colors:
        css.append(f".has-{k}-border-color{{border-color: var(--wp--preset--color--{k}) !important;}}")
    for k in gradients:
        css.append(f".has-{k}-gradient-background{{background: var(--wp--preset--gradient--{k}) !important;}}")
    for k in sizes:
        css.append(f".has-{k}-font-size{{font-size: var(--wp--preset--font-size--{k}) !important;}}")
    css.append(
        ":where(.wp-block-post-template.is-layout-flex){gap: 1.25em;}:where(.wp-block-post-template.is-layout-grid){gap: 1.25em;}"
        ":where(.wp-block-pullquote){font-size: 1.5em;line-height: 1.6;}"
    )
    return "\n".join(css)


def _emoji_script(base: str) -> str:
    """WordPress's inline emoji detection script and styles (the same bytes on every page)."""
    settings = json.dumps(
        {
            "baseUrl": "https://s.w.org/images/core/emoji/15.0.3/72x72/",
            "ext": ".png",
            "svgUrl": "https://s.w.org/images/core/emoji/15.0.3/svg/",
            "svgExt": ".svg",
            "source": {"concatemoji": f"{base}/wp-includes/js/wp-emoji-release.min.js?ver={WP_VERSION}"},
        }
    ).replace("/", "\\/")
    rng = random.Random("emoji")
    body = []
    idents = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(90):  # a minified-looking loader (~5 KB), deterministic
        a, b_, c = rng.choice(idents), rng.choice(idents), rng.choice(idents)
        body.append(
            rng.choice(
                [
                    f'function {a}({b_},{c}){{return {b_}.getContext("2d",{{willReadFrequently:!0}})}}',
                    f"var {a}=new Uint16Array([55356,57339,8205,{rng.randint(55000, 58000)}]);",
                    f"{a}.clearRect(0,0,{b_}.width,{b_}.height),{a}.fillText({c},0,0);",
                    f'if("undefined"!=typeof Promise){{{a}=new Promise(function({b_}){{{c}.DOMReady={b_}}})}}',
                    f'{a}.supports[{b_}]="flag"==={b_}?{c}:!1,{a}.supports.everything={a}.supports.everything&&{a}.supports[{b_}];',
                ]
            )
        )
    return (
        f"<script>\nwindow._wpemojiSettings = {settings};\n/*! This file is auto-generated */\n"
        f"!function(i,n){{{''.join(body)}}}((window,document),window._wpemojiSettings);\n</script>\n"
        "<style id='wp-emoji-styles-inline-css'>\n\n\timg.wp-smiley, img.emoji {\n\t\tdisplay: inline !important;\n"
        "\t\tborder: none !important;\n\t\tbox-shadow: none !important;\n\t\theight: 1em !important;\n"
        "\t\twidth: 1em !important;\n\t\tmargin: 0 0.07em !important;\n\t\tvertical-align: -0.1em !important;\n"
        "\t\tbackground: none !important;\n\t\tpadding: 0 !important;\n\t}\n</style>"
    )


STATIC = {
    "wp-includes/css/dist/block-library/style.min.css": ".wp-block-image{margin:0 0 1em}" * 200,
    "wp-content/themes/twentysixteen/style.css": "/* Theme Name: Twenty Sixteen */\nbody{margin:0}\n" * 300,
    "wp-content/themes/twentysixteen/css/blocks.css": ".wp-block-quote{margin:0}\n" * 100,
    "wp-content/themes/twentysixteen/genericons/genericons.css": "@font-face{font-family:'Genericons'}\n" * 50,
    "wp-content/themes/twentysixteen/fonts/merriweather-plus-montserrat-plus-inconsolata.css": "@font-face{font-family:'Merriweather'}\n"
    * 20,
    "wp-includes/js/jquery/jquery.min.js": "/*! jQuery v3.7.1 */\n" + "!function(e,t){}(this,function(){});\n" * 800,
    "wp-includes/js/jquery/jquery-migrate.min.js": "/*! jQuery Migrate v3.4.1 */\n"
    + "jQuery.migrateVersion='3.4.1';\n" * 200,
    "wp-includes/js/comment-reply.min.js": "/*! This file is auto-generated */\nwindow.addComment=function(){};\n" * 30,
    "wp-content/themes/twentysixteen/js/skip-link-focus-fix.js": "( function() { } )();\n" * 10,
    "wp-content/themes/twentysixteen/js/functions.js": "( function( $ ) { } )( jQuery );\n" * 60,
}


def build(root: Path | str, posts: int = 2000, base_url: str = "", seed: int = 1) -> dict:
    """Write the blog under ``root``; return what was generated (paths are relative to the site's root URL).

    ``base_url`` (``http://127.0.0.1:PORT``) makes links absolute, as WordPress writes them; empty gives
    root-relative links (fine for browsing, not for sitemaps and feeds).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    blog = Blog(posts, base_url, seed)
    html_sizes: list[int] = []
    post_sizes: list[int] = []

    def write(path: str, text: str, index: str = "index.html") -> None:
        target = root / path.strip("/") / index if path.endswith("/") else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        target.write_bytes(data)
        if target.suffix == ".html":
            html_sizes.append(len(data))

    for i, post in enumerate(blog.posts):
        write(post.path, blog.single(post, i))
        post_sizes.append(html_sizes[-1])
    for i, (slug, title) in enumerate(PAGES):
        write(f"/{slug}/", blog.page(slug, title, i))
    archives = blog.archives()
    for path, html in archives.items():
        write(path, html)
    write("/404.html", blog.archive("/", "Oops! That page can&rsquo;t be found.", "", [], 1, 1, "error404"))
    write("/feed/", blog.rss("posts"), "index.xml")
    write("/comments/feed/", blog.rss("comments"), "index.xml")
    for name, xml in blog.sitemaps().items():
        write(f"/{name}", xml)
    write(
        "/robots.txt",
        f"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
        f"Sitemap: {blog.base}/wp-sitemap.xml\n",
    )
    for path, text in STATIC.items():
        write(f"/{path}", text)
    (root / "favicon.ico").write_bytes(b"\x00\x00\x01\x00" + b"\x00" * 60)
    return {
        "base_url": blog.base,
        "posts": [p.path for p in blog.posts],
        "pages": [f"/{slug}/" for slug, _ in PAGES],
        "archives": len(archives),
        "html_files": len(html_sizes),
        "html_bytes": sum(html_sizes),
        "post_page_bytes_avg": sum(post_sizes) / max(len(post_sizes), 1),
        "comments": blog.comment_seq,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: write the blog and print what was generated."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the blog into")
    parser.add_argument("--posts", type=int, default=2000, help="number of posts (default 2000)")
    parser.add_argument("--base-url", default="", help="absolute base URL for links, e.g. http://127.0.0.1:8080")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    info = build(args.out, args.posts, args.base_url, args.seed)
    print(
        f"{len(info['posts'])} posts, {len(info['pages'])} pages, {info['archives']} archive pages, "
        f"{info['html_files']} HTML files ({info['html_bytes'] / 1e6:.1f} MB, post pages "
        f"{info['post_page_bytes_avg'] / 1024:.1f} KB on average), {info['comments']} comments -> {args.out}"
    )


if __name__ == "__main__":
    main()
