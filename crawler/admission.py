"""Admission: the one place that decides whether a URL is fetched (pure: no Scrapy, no I/O).

Every candidate URL (from sitemaps, feeds, the REST API, links, requisites) goes through ``Admission.admit``:
canonical form (``crawler.wordpress.ScopeRules``), already seen, scope (the blog's hosts; asset hosts for
requisites), trap rules, ``--max-pages`` and ``--since``. Most links of a page repeat the ones of every other page
(menus, sidebars), so ``hrefs`` drops an href already decided before it is resolved and canonicalised, which is
where admission spends its time. Each decision is counted by the caller under ``links/*``.

A seed URL with credentials (``http://user:password@host/``) is refused (``ValueError``, ``seed_refusal``): they
would make every request offsite and land in logs, manifests and WARC request records; blogarc does not log in.

What was seen is kept as Python's 64-bit string hashes, not the strings: a crawl's memory must not grow by the
length of every URL and href it met, and the hashes are kept compactly (``crawler.keyset``: ~10 bytes a key, for
~10^5 keys per 10^4 posts). They are cut to 60 bits (``KEY``): at 10^6 URLs a collision, which would skip one URL,
has odds of about 5*10^-7.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from crawler.keyset import KeySet
from crawler.wordpress import ScopeRules, same_site_hosts

KEY = (1 << 60) - 1  # the bits of a string's hash kept as its key in the seen sets (see the module docstring)
# Absolute hrefs decided before, kept as the strings the pages give (cleared when full): the menu and sidebar links
# every page repeats are then skipped by one set look-up, before the key of each is computed (~95% of a page's hrefs)
KNOWN_HREFS = 2048


def redacted(url: str) -> str:
    """``url`` with the password of its userinfo (if any) shown as ``***``: what logs and messages may show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def seed_refusal(url: str) -> str | None:
    """Why ``url`` cannot be a seed (credentials in it), or None."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.username is None and parts.password is None:
        return None
    return (
        f"{redacted(url)}: a seed URL with credentials is refused (blogarc does not log in to blogs, and they would "
        "reach logs, manifests and WARC request records); give the URL without 'user:password@'"
    )


@dataclass
class Verdict:
    """What admission decided for one URL: ``url`` (canonical) is fetched when ``refused`` is None."""

    url: str
    refused: str | None = None  # a rule name, "offsite", "max-pages", "since"; "seen" for a duplicate


@dataclass
class Admission:
    """The admission state of one blog's crawl."""

    start_url: str
    rules: ScopeRules = field(default_factory=ScopeRules.build)
    max_pages: int = 0
    since: datetime | None = None
    hosts: frozenset[str] = frozenset()
    seen: KeySet = field(default_factory=KeySet)  # hashes of canonical URLs
    decided_hrefs: KeySet = field(default_factory=KeySet)  # hashes of hrefs (absolute, fragment dropped)
    known_hrefs: set[str] = field(default_factory=set)  # absolute hrefs as given, in decided_hrefs (KNOWN_HREFS)
    listed_dates: dict[int, datetime] = field(default_factory=dict)  # by URL hash: lastmod, modified_gmt, Atom
    pages_admitted: int = 0

    def __post_init__(self) -> None:
        if (problem := seed_refusal(self.start_url)) is not None:
            raise ValueError(problem)
        self.start_url = self.rules.canonical(self.start_url)
        self.hosts = self.hosts or same_site_hosts(self.start_url)

    def admit(self, url: str, requisite: bool = False) -> Verdict:
        """Decide ``url``: canonical form, seen, scope, traps, limits (``count_page`` once a page is requested)."""
        url = self.rules.canonical(url)
        key = hash(url) & KEY
        if key in self.seen:
            return Verdict(url, "seen")
        self.seen.add(key)
        return Verdict(url, self.refusal(url, requisite))

    def refusal(self, url: str, requisite: bool = False) -> str | None:
        """Why ``url`` is not fetched (a rule name, ``offsite``, ``max-pages``, ``since``), or None."""
        on_site = urlsplit(url).netloc in self.hosts
        if not on_site and not (requisite and self.rules.is_asset_host(url)):
            return "offsite"
        reason = self.rules.refusal(url)
        if reason is not None or requisite:
            return reason
        if self.max_pages and self.pages_admitted >= self.max_pages:
            return "max-pages"
        known = self.listed_date(url)
        if self.since and known and known < self.since:
            return "since"
        return None

    def take_page(self) -> bool:
        """Use one page of the ``--max-pages`` budget (hubs fetched outside admission); False when none is left."""
        if self.max_pages and self.pages_admitted >= self.max_pages:
            return False
        self.pages_admitted += 1
        return True

    def count_page(self) -> None:
        """An admitted page is requested: it uses one page of the ``--max-pages`` budget."""
        self.pages_admitted += 1

    def note_date(self, url: str, when: datetime | None) -> None:
        """Remember a date a listing gives for ``url`` (for ``--since`` and incremental skips)."""
        if when is not None:
            self.listed_dates[hash(self.rules.canonical(url)) & KEY] = when

    def listed_date(self, url: str) -> datetime | None:
        """The date a listing gave for ``url`` (canonical), if any."""
        return self.listed_dates.get(hash(url) & KEY)

    def mark_seen(self, url: str) -> str:
        """Note ``url`` (a declared canonical URL, a post part) as seen; return its canonical form."""
        url = self.rules.canonical(url)
        self.seen.add(hash(url) & KEY)
        return url

    def hrefs(self, base: str, hrefs: Iterable[str]) -> Iterator[str]:
        """The absolute URLs among ``hrefs`` (relative to ``base``) not decided before, for ``admit``."""
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        known = self.known_hrefs
        for href in [href for href in hrefs if href not in known]:
            if href.startswith(("http://", "https://")):  # decided whatever the base: remembered as given
                if len(known) >= KNOWN_HREFS:
                    known.clear()
                known.add(href)
            href = href.strip()
            # the fragment never reaches the canonical URL: #comment-12 links decide nothing new
            bare = href.partition("#")[0]
            if bare.startswith(("http://", "https://")):
                key = hash(bare) & KEY
            elif bare.startswith("//"):
                key = hash(f"{parts.scheme}:{bare}") & KEY
            elif bare.startswith("/"):
                key = hash(origin + bare) & KEY
            else:
                key = hash(f"{base} {bare}") & KEY
            if key in self.decided_hrefs:
                continue
            self.decided_hrefs.add(key)
            url = urljoin(base, href)
            if url.startswith(("http://", "https://")):
                yield url
