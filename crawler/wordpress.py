"""WordPress knowledge as data: what a URL is, what a page is, and what the crawl must never fetch.

Pure functions and tables, no Scrapy: unit-tested in ``tests/test_wordpress_rules.py``. ``ScopeRules`` gathers the
rules one crawl applies, with the user's overrides (``WORDPRESS_DENY_RULES``, ``WORDPRESS_TRACKING_PARAMS``,
``WORDPRESS_ASSET_HOSTS``) merged over the defaults below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from pipelines.extract.metadata import declares_article

# URLs never fetched, with the reason reported in stats (``links/refused/<reason>``). Matched against the path and
# query of the URL. Each is an action, a duplicate or an endless space, never content a reader sees once.
DENY_RULES: dict[str, str] = {
    "admin": r"/wp-admin(?:/|$)|/wp-login\.php|/xmlrpc\.php|/wp-cron\.php|/wp-comments-post\.php",
    "reply": r"[?&](?:replytocom|unapproved|moderation-hash)=",
    "share": r"[?&](?:share|nb|like_comment|_wpnonce|like_actor)=",
    "jetpack": r"jetpack-comment|/wp-json/|[?&]rest_route=",
    "search": r"[?&]s=|/search/",
    "embed": r"/embed/?$|[?&]embed=",
    # per-post comment feeds and per-category/tag feeds repeat what the main /feed/ and the pages hold
    "sub-feed": (
        r"^/.+/feed(?:/(?:rss2?|atom|rdf))?/?$|[?&]feed=comments"
        r"|^/\?(?=(?:.*&)?feed=)(?=(?:.*&)?(?:p|page_id|cat|tag|author|m)=)"  # plain permalinks: /?feed=rss2&p=27
    ),
    "trackback": r"/trackback/?$",
    "amp": r"[?&]amp(?:=|&|$)|/amp/?$",
    "calendar": r"[?&](?:ical|outlook-ical|tribe-bar-date|eventDisplay)=",
    "preview": r"[?&](?:preview|preview_id|preview_nonce)=",
    "print": r"[?&]print=|/print/?$",
}

# Query parameters that only track the visitor (Jetpack related posts add relatedposts_*); dropped before
# de-duplication, so a tracking variant of a URL is the URL itself.
TRACKING_PARAMS = r"^(?:utm_[a-z_]+|fbclid|gclid|mc_cid|mc_eid|_ga|relatedposts_[a-z_]+|ref_src)$"

# Hosts whose files may be fetched as page requisites even though they are not the blog: WordPress.com's CDNs
# (i0.wp.com photon, s0.wp.com static, stats), its uploads host, and any host serving WordPress's own folders.
ASSET_HOSTS = (r"(?:^|\.)wp\.com$", r"(?:^|\.)files\.wordpress\.com$")
ASSET_PATHS = re.compile(r"/wp-(?:content|includes)/")

# A path segment seen this often, or a pair of segments repeated back to back, marks a relative-link loop
# (``/2024/03/2024/03/2024/03/``), a classic crawler trap.
MAX_SEGMENT_REPEATS = 2

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
# URLs that show part of a post whose record comes from its main URL (comment pages).
PART_OF_POST = re.compile(r"/comment-page-\d+/?$")
PART_OF_POST_QUERY = re.compile(r"(?:^|&)cpage=\d+")

# The parts of a post split with <!--nextpage--> (wp_link_pages()). Since WordPress 5.1 every item of its line, the
# links and the current part alike, has the class post-page-numbers, whatever the label a theme gives it ("2",
# "Page 2", "Seite 2": the label is the theme's, translated) and whatever the line's container (p.post-nav-links by
# default, as block themes print it; .page-links in most classic themes). The current part is found by its place
# in that line, never by its label. Older WordPress (the current part is bare text) and the previous/next mode
# ("Next page") are read from the part URLs WordPress builds (_wp_link_page): part 1 at the permalink, part N at
# permalink + "N/" (pretty permalinks), "page/N/" (a static front page) or "&page=N" (plain permalinks).
# A cheap substring test first: the token tests build a string for every element of the page.
PART_CLASSES = ("page-links", "post-nav-links", "post-page-numbers")  # the classes of the part line and its items
PART_ITEMS = etree.XPath(
    "//*[contains(@class, 'post-page-numbers')]"
    "[contains(concat(' ', normalize-space(@class), ' '), ' post-page-numbers ')]"
)
PART_LINES = etree.XPath(
    "//*[contains(@class, 'page-links') or contains(@class, 'post-nav-links')]"
    "[contains(concat(' ', normalize-space(@class), ' '), ' page-links ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' post-nav-links ')]//a/@href"
)
# every part link, for link discovery to leave out (a post's parts are fetched with the post: ``post_parts``)
PART_HREFS = etree.XPath(
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' post-page-numbers ')]/@href"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' page-links ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' post-nav-links ')]//a/@href"
)
PART_SUFFIX = re.compile(r"^(?:page/)?(\d+)/?$")
MAX_POST_PARTS = 100  # a split post with more parts is a trap (or a book): the first ones are joined


@dataclass(frozen=True)
class ScopeRules:
    """The rules of one crawl: refusals, tracking parameters and asset hosts, defaults merged with overrides."""

    deny: dict[str, re.Pattern[str]] = field(default_factory=dict)
    tracking: re.Pattern[str] = re.compile(TRACKING_PARAMS)
    asset_hosts: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def build(
        cls,
        deny: Mapping[str, str | None] | None = None,
        tracking: str | None = None,
        asset_hosts: Iterable[str] | None = None,
    ) -> ScopeRules:
        """Defaults with overrides: a deny rule set to None or "" is switched off, a new name adds a rule."""
        rules = {**DENY_RULES, **(deny or {})}
        return cls(
            deny={name: re.compile(pattern) for name, pattern in rules.items() if pattern},
            tracking=re.compile(tracking or TRACKING_PARAMS),
            asset_hosts=tuple(re.compile(p) for p in (ASSET_HOSTS if asset_hosts is None else asset_hosts)),
        )

    def refusal(self, url: str) -> str | None:
        """The name of the rule that refuses ``url``, or None when it may be fetched."""
        parts = urlsplit(url)
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        for name, pattern in self.deny.items():
            if pattern.search(target):
                return name
        if has_path_loop(parts.path):
            return "path-loop"
        return None

    def canonical(self, url: str) -> str:
        """Scheme and host lower-cased, fragment and tracking parameters dropped, query sorted."""
        parts = urlsplit(url)
        query = parts.query
        if query:  # most URLs have none: nothing to parse, drop or sort
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not self.tracking.match(k)]
            query = urlencode(sorted(pairs))
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))

    def is_asset_host(self, url: str) -> bool:
        """Whether a page requisite at ``url`` may be fetched although it is not on the blog's host."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return bool(ASSET_PATHS.search(parts.path)) or any(p.search(host) for p in self.asset_hosts)


DEFAULT_RULES = ScopeRules.build()


def refusal(url: str) -> str | None:
    """``DEFAULT_RULES.refusal``: the rule that refuses ``url`` by default, or None."""
    return DEFAULT_RULES.refusal(url)


def canonical_url(url: str) -> str:
    """``DEFAULT_RULES.canonical``: the URL as de-duplication sees it."""
    return DEFAULT_RULES.canonical(url)


def has_path_loop(path: str) -> bool:
    """Whether a path repeats itself: a segment more than twice, or a run of segments twice in a row."""
    segments = [s for s in path.split("/") if s]
    if any(segments.count(s) > MAX_SEGMENT_REPEATS for s in set(segments)):
        return True
    for size in range(2, len(segments) // 2 + 1):
        for start in range(len(segments) - 2 * size + 1):
            if segments[start : start + size] == segments[start + size : start + 2 * size]:
                return True
    return False


def is_post_part(url: str) -> bool:
    """Whether ``url`` shows part of a post recorded from its main URL (a comment page)."""
    parts = urlsplit(url)
    return bool(PART_OF_POST.search(parts.path) or PART_OF_POST_QUERY.search(parts.query))


def post_parts(tree: etree._Element, url: str | None = None, html: str | None = None) -> tuple[int | None, list[str]]:
    """For a post split with ``<!--nextpage-->``: which part this page is (1-based), and the others' hrefs.

    The hrefs are as the page gives them, in part order. Returns ``(None, [])`` for a page that is not split (or
    whose part line cannot be read). ``url`` (the page's URL) is needed only for the pages that give no
    ``post-page-numbers`` items (WordPress before 5.1, the previous/next mode). ``html``, the text the tree was
    parsed from, when the caller has it: a page whose text names none of ``PART_CLASSES`` is not split, which
    spares two walks of the whole tree (as ``crawler.discovery.page_urls``: a class named with character
    references is not seen).
    """
    if html is not None and not any(name in html for name in PART_CLASSES):
        return None, []
    items = [(item.tag, item.get("href"), item.get("aria-current")) for item in PART_ITEMS(tree)]
    return read_part_line(items, lambda: [str(href) for href in PART_LINES(tree)], url)


def read_part_line(
    items: list[tuple[str, str | None, str | None]], line_hrefs: Callable[[], list[str]], url: str | None
) -> tuple[int | None, list[str]]:
    """``post_parts``' answer from what a parsed page gives (lxml's tree or Lexbor's: ``crawler.lexborpage``).

    ``items``: its part items (tag, href, aria-current) in document order; ``line_hrefs``: the hrefs of the links
    under its part lines in document order, called only when there are no items.
    """
    current = [n for n, (tag, _, aria_current) in enumerate(items, start=1) if tag != "a" or aria_current]
    if items and len(current) == 1:
        hrefs = [href for tag, href, _ in items if tag == "a" and href]
        return current[0], list(dict.fromkeys(hrefs))
    found = [href for tag, href, _ in items if tag == "a"] if items else line_hrefs()
    hrefs = list(dict.fromkeys(str(href) for href in found if href))
    numbers = part_numbers([url or "", *(urljoin(url or "", href) for href in hrefs)]) if hrefs else None
    if not numbers:
        return None, []
    here = numbers.pop(url or "")
    by_number = {numbers[urljoin(url or "", href)]: href for href in reversed(hrefs)}
    return here, [by_number[n] for n in sorted(by_number) if n != here]


def part_numbers(urls: list[str]) -> dict[str, int] | None:
    """Each URL's part number, when all of them are parts of one post by WordPress's part URLs; else None."""
    candidates = set(urls)
    for url in urls:  # part 1 need not be among them (the last part in previous/next mode links only back)
        parts = urlsplit(url)
        head, _, last = parts.path.rstrip("/").rpartition("/")
        if last.isdigit():
            head = head.removesuffix("/page")
            candidates.add(urlunsplit((parts.scheme, parts.netloc, head + "/", parts.query, "")))
    for first in sorted(candidates, key=lambda u: (len(u), u)):
        numbers = {url: _part_after(first, url) for url in urls}
        if all(numbers.values()) and len(set(numbers.values())) == len(numbers):
            return numbers  # type: ignore[return-value]
    return None


def _part_after(first: str, url: str) -> int | None:
    """The part number ``url`` has as a part of the post whose first part is ``first`` (None: it is not one)."""
    if url == first:
        return 1
    a, b = urlsplit(first), urlsplit(url)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        return None
    if a.path == b.path:  # plain permalinks: ?p=12 -> ?p=12&page=2
        query = dict(parse_qsl(b.query))
        page = query.pop("page", "")
        return int(page) if page.isdigit() and query == dict(parse_qsl(a.query)) else None
    base = a.path if a.path.endswith("/") else a.path + "/"
    match = PART_SUFFIX.match(b.path[len(base) :]) if b.path.startswith(base) and a.query == b.query else None
    return int(match.group(1)) if match and int(match.group(1)) > 1 else None


def same_site_hosts(url: str) -> frozenset[str]:
    """Host names that belong to the blog of ``url``: the host with and without ``www.``."""
    host = (urlsplit(url).netloc or "").lower()
    bare = host.removeprefix("www.")
    return frozenset({bare, f"www.{bare}"})


_BODY_CLASSES = etree.XPath("string(//body/@class)")


def classify_page(tree: etree._Element, url: str) -> str:
    """The kind of a parsed HTML page: ``part`` (of a post recorded from its main URL), else by ``page_kind``'s rule.

    The page's own declarations (``og:type``, JSON-LD: ``pipelines.extract.metadata.declares_article``) are read
    only when its body classes do not decide: JSON-LD is the costly signal, and WordPress pages always have them.
    """
    if is_post_part(url):
        return "part"
    # the parser puts <body> under the root: found there without the XPath's walk of the whole tree
    body = tree.find("body")
    body_classes = (body.get("class", "") if body is not None else _BODY_CLASSES(tree)).split()
    return body_class_kind(body_classes) or ("post" if declares_article(tree) else "other")


def body_class_kind(body_classes: Iterable[str]) -> str | None:
    """The kind WordPress body classes give a page (see ``BODY_CLASS_KINDS``), or None when none of them decides."""
    classes = set(body_classes)
    return next((kind for css_class, kind in BODY_CLASS_KINDS if css_class in classes), None)


def page_kind(body_classes: Iterable[str], article: bool = False) -> str:
    """Classify a page as post, page, archive, attachment or other.

    WordPress body classes decide first (every theme that calls ``body_class()`` has them); a page they do not
    decide is a post when it declares itself an article (``article``: ``declares_article``'s answer), else other.
    """
    return body_class_kind(body_classes) or ("post" if article else "other")


def rest_listing_url(
    api_root: str, route: str, page: int, per_page: int, modified_after: str | None, fields: str = "id,link"
) -> str:
    """A WordPress REST API listing URL, for pretty (``/wp-json/``) and plain (``?rest_route=/``) API roots.

    Only the ``fields`` the crawl needs are asked for (``_fields``), to keep the responses small.
    """
    params = {"page": str(page), "per_page": str(per_page), "_fields": fields}
    if modified_after:
        params["modified_after"] = modified_after
    parts = urlsplit(api_root)
    if "rest_route=" in parts.query:
        query = urlencode({"rest_route": f"/wp/v2/{route}", **params})
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))
    base = api_root if api_root.endswith("/") else api_root + "/"
    return f"{base}wp/v2/{route}?{urlencode(params)}"
