"""The discovery sources of BlogSpider: the seed, robots.txt, sitemaps, RSS/Atom feeds and the WordPress REST API.

A mixin of ``crawler.spiders.blog.BlogSpider`` (its callbacks must be spider methods): each source parses what it
fetched (``crawler.discovery``), notes the dates it lists (sitemap ``lastmod``, REST ``modified_gmt``, Atom
``updated``: ``--since`` and incremental skips use them) and hands every URL it finds to the spider's admission
(``admit``, ``follow``), which decides what is fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler import discovery
from crawler.listings import FIELDS, ROUTES, Listings
from crawler.losses import DownloadLost
from crawler.wordpress import rest_listing_url

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.admission import Admission

WELL_KNOWN_SITEMAPS = ("/wp-sitemap.xml", "/sitemap.xml")
USERS_FIELDS = "id,name"  # the users listing gives each author's display name


class Sources:
    """The seed, sitemaps, feeds and the REST API, for a spider with ``admission``, ``admit``, ``follow``."""

    admission: Admission
    options: dict[str, bool]
    rest_root: str | None
    rest_per_page: int
    listings: Listings
    crawler: Any
    start_url: str
    settings: Any
    admit: Any

    async def start(self) -> AsyncIterator[Request]:
        if home := self.admit(self.start_url, "start"):
            home.meta["hub"] = True  # read in full every run: new posts show up here first
            home.meta["seed"] = True
            yield home.replace(errback=self.seed_lost)
        if not self.options["sitemaps"]:
            return
        base = "/".join(self.start_url.split("/", 3)[:3])
        if not self.settings.getbool("ROBOTSTXT_OBEY"):  # otherwise the robots middleware fetches it for us
            yield Request(base + "/robots.txt", callback=self._parse_sitemap)
        for path in WELL_KNOWN_SITEMAPS:
            if request := self.admit(base + path, "sitemap", callback=self._parse_sitemap):
                yield request

    def seed_lost(self, failure: Any) -> None:
        """The seed's download was given up on (a loss, named already): the run fails, whatever else answers.

        A refusal (robots.txt, scope) is not a failure of the blog: ``run_status`` tells those apart.
        """
        if failure.check(DownloadLost):
            self.crawler.stats.set_value("seed/lost", failure.value.kind)

    def robots_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        """Schedule the sitemaps robots.txt lists (the robots middleware fetched it; no second request)."""
        if spider is not self or not self.options["sitemaps"] or urlsplit(request.url).path != "/robots.txt":
            return
        if urlsplit(request.url).netloc not in self.admission.hosts or response.status != 200:
            return
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if sitemap := self.admit(url, "sitemap", callback=self._parse_sitemap):
                self.crawler.engine.crawl(sitemap)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """SitemapSpider's parsing, with every URL through admission (scope, traps, de-duplication)."""
        if response.status >= 400:
            self.crawler.stats.inc_value(f"pages/http_{response.status}")
            return
        self.crawler.stats.inc_value("pages/sitemap")
        for request in super()._parse_sitemap(response):
            self.crawler.stats.inc_value("links/listed/sitemap")
            callback = request.callback if request.callback == self._parse_sitemap else self.parse
            admitted = self.admit(request.url, "sitemap", callback=callback)
            if admitted is not None:
                yield admitted

    def _get_sitemap_body(self, response: Response) -> bytes | None:
        """SitemapSpider's body of a sitemap, or None (Scrapy logs "Ignoring invalid sitemap") when it holds no XML.

        Scrapy hands the body of any URL ending in ``.xml`` to its sitemap parser, which fails in a generator on one
        without an XML element (an image, an empty answer at ``/wp-sitemap.xml``): an error line for a page.
        """
        body = super()._get_sitemap_body(response)  # type: ignore[misc]
        if body is None:
            return None
        try:
            Sitemap(body)  # reads as far as the first element
        except StopIteration:
            self.crawler.stats.inc_value("sitemaps/not_xml")
            return None
        return body

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Remember each entry's ``lastmod``; with ``--since``, drop entries not modified since."""
        since = self.admission.since
        for entry in entries:
            lastmod = discovery.parse_date(entry.get("lastmod"))
            self.admission.note_date(entry["loc"], lastmod)
            if since and lastmod and lastmod < since:
                self.crawler.stats.inc_value("links/refused/since")
                continue
            yield entry

    def rest_requests(self, api_root: str) -> Iterator[Request]:
        """First listing page of posts, pages and users from the REST API root a page announced."""
        if not self.options["rest"] or self.rest_root is not None:
            return
        self.rest_root = api_root
        routes = (*ROUTES, "users")
        self.listings.begin(routes)
        for route in routes:
            if self.take_page():
                yield self.rest_listing(route, 1)
            else:
                yield from self.release(self.listings.done(route, ok=False))

    def rest_listing(self, route: str, page: int) -> Request:
        """The Request for one listing page of the REST API (a hub: never conditional)."""
        since = self.admission.since.strftime("%Y-%m-%dT%H:%M:%S") if self.admission.since else None
        if route == "users":
            url = rest_listing_url(self.rest_root or "", route, page, 100, None, USERS_FIELDS)
        else:
            url = rest_listing_url(self.rest_root or "", route, page, self.rest_per_page, since, FIELDS)
        meta = {"rest_route": route, "rest_page": page, "hub": True}
        return Request(url, callback=self.parse_rest, errback=self.rest_failed, meta=meta)

    def parse_rest(self, response: Response) -> Iterator[Request]:
        """Note each entry's dates and author and follow its ``link``; request the next page while there is one."""
        stats = self.crawler.stats
        page, route = response.meta["rest_page"], response.meta["rest_route"]
        entries = discovery.rest_entries(response.text) if isinstance(response, TextResponse) else None
        if response.status != 200 or entries is None:
            stats.inc_value("rest/unavailable")
            yield from self.release(self.listings.done(route, ok=False))
            return
        stats.inc_value("pages/rest")
        if route == "users":
            self.listings.note_authors(entries)
        for entry in entries if route != "users" else ():
            link = entry.get("link")
            if not isinstance(link, str):
                continue
            self.listings.note(self.admission.rules.canonical(urljoin(response.url, link)), entry)
            self.admission.note_date(link, discovery.parse_date(entry.get("modified_gmt")))
            yield from self.follow(response.url, [link], "rest")
        total = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if entries and page < total:
            if self.take_page():
                yield self.rest_listing(route, page + 1)
            else:  # --max-pages: the listing stops short of the whole blog
                yield from self.release(self.listings.done(route, ok=False))
        else:
            yield from self.release(self.listings.done(route))

    def rest_failed(self, failure: Any) -> Iterator[Request]:
        """A listing page that could not be fetched ends its route: the crawl goes on from links and sitemaps."""
        self.crawler.stats.inc_value("rest/unavailable")
        yield from self.release(self.listings.done(failure.request.meta["rest_route"], ok=False))

    def release(self, parked: list[tuple[str, str]]) -> Iterator[Request]:
        """Requests for the pages parked while the listing was read, in the order they were found."""
        if parked:
            self.crawler.stats.inc_value("links/parked", len(parked))
        for url, source in parked:
            if (request := self.admit(url, source)) is not None:
                yield request

    def parse_feed(self, response: TextResponse) -> Iterator[Request]:
        """An RSS or Atom feed: its entries' links, and Atom ``updated`` dates for incremental skips."""
        self.crawler.stats.inc_value("pages/feed")
        for link, updated in discovery.feed_updated(response.selector.root).items():
            self.admission.note_date(urljoin(response.url, link), discovery.parse_date(updated))
        yield from self.follow(response.url, discovery.feed_links(response.selector.root), "feed")
