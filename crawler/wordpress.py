"""WordPress knowledge as data: what a URL is, what a page is, and what the crawl must never fetch.

Pure functions and tables, no Scrapy: unit-tested in ``tests/test_wordpress_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# URLs never fetched, with the reason reported in stats (``links/refused/<reason>``). Matched against the path and
# query of the URL. Each is an action, a duplicate or an endless space, never content a reader sees once.
DENY_RULES: dict[str, re.Pattern[str]] = {
    "admin": re.compile(r"/wp-admin(?:/|$)|/wp-login\.php|/xmlrpc\.php|/wp-cron\.php"),
    "reply": re.compile(r"[?&](?:replytocom|unapproved|moderation-hash)="),
    "share": re.compile(r"[?&](?:share|nb|like_comment|_wpnonce)="),
    "jetpack": re.compile(r"jetpack-comment|/wp-json/|[?&]rest_route="),
    "search": re.compile(r"[?&]s=|/search/"),
    "embed": re.compile(r"/embed/?$|[?&]embed="),
    # per-post comment feeds and per-category/tag feeds repeat what the main /feed/ and the pages hold
    "sub-feed": re.compile(r"^/.+/feed(?:/(?:rss2?|atom|rdf))?/?$"),
    "trackback": re.compile(r"/trackback/?$"),
    "amp": re.compile(r"[?&]amp(?:=|&|$)|/amp/?$"),
    "calendar": re.compile(r"[?&](?:ical|outlook-ical|tribe-bar-date)="),
}

# Query parameters that only track the visitor (Jetpack related posts add relatedposts_*); dropped before
# de-duplication.
TRACKING_PARAMS = re.compile(r"^(?:utm_[a-z_]+|fbclid|gclid|mc_cid|mc_eid|_ga|relatedposts_[a-z_]+)$")

# Body classes that WordPress themes emit, in the order they decide a page's kind.
BODY_CLASS_KINDS: tuple[tuple[str, str], ...] = (
    ("attachment", "attachment"),
    ("single-post", "post"),
    ("single", "post"),
    ("page", "page"),
    ("error404", "other"),
    ("search", "other"),
    ("archive", "archive"),
    ("blog", "archive"),
    ("home", "archive"),
    ("paged", "archive"),
)
TEXT_KINDS = frozenset({"post", "page"})
FEED_TYPES = re.compile(r"application/(?:rss|atom)\+xml|application/xml|text/xml")


def refusal(url: str) -> str | None:
    """The name of the rule that refuses ``url``, or None when it may be fetched."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    for name, pattern in DENY_RULES.items():
        if pattern.search(target):
            return name
    return None


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, fragment and tracking parameters dropped, query sorted."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(sorted(query)), ""))


def same_site_hosts(url: str) -> frozenset[str]:
    """Host names that belong to the blog of ``url``: the host with and without ``www.``."""
    host = (urlsplit(url).netloc or "").lower()
    bare = host.removeprefix("www.")
    return frozenset({bare, f"www.{bare}"})


def page_kind(body_classes: Iterable[str], og_type: str | None = None, blog_posting: bool = False) -> str:
    """Classify a page as post, page, archive, attachment or other.

    WordPress body classes decide first (every theme that calls ``body_class()`` has them); blogs that are not
    WordPress are recognised by ``og:type=article`` or a JSON-LD ``BlogPosting``.
    """
    classes = set(body_classes)
    for css_class, kind in BODY_CLASS_KINDS:
        if css_class in classes:
            return kind
    if (og_type or "").lower() == "article" or blog_posting:
        return "post"
    return "other"
