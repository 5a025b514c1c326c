"""BlogSpider: crawl one blog completely and politely; sources in, requests out.

``scrapy crawl blog -a url=https://blog.example.org`` (or ``blogarc crawl URL``). One spider run covers one site
(host), so stats, WARC files, text batches and the run manifest are per site; the CLI runs one crawler per blog.

Discovery merges every source a blog offers, each optional: sitemaps (``Sitemap:`` lines of robots.txt,
``/wp-sitemap.xml``, ``/sitemap.xml`` and their children, through Scrapy's SitemapSpider), RSS/Atom feeds the pages
announce, the WordPress REST API the pages announce (``/wp-json/`` or ``?rest_route=``), and the links a reader can
follow. Every candidate URL goes through ``crawler.admission`` before a Request is built. Pages are classified from
their own markup (``crawler.wordpress.classify_page``); posts and pages become text records through
``crawler.recorder``. Page requisites (stylesheets, scripts, images, fonts) are archived for replay, never
extracted. The incremental component (``pipelines.runs.incremental``) says what an earlier run already holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse
from scrapy.spiders import SitemapSpider

from crawler import discovery
from crawler.admission import Admission
from crawler.bounds import LinkBounds
from crawler.listings import Listings
from crawler.pagetree import page_tree
from crawler.recorder import Recorder
from crawler.spiders.pages import Backlog, PageLinks
from crawler.spiders.sources import Sources
from crawler.wordpress import TEXT_KINDS, ScopeRules
from pipelines.layout import check_run_id, new_run_id, site_key
from pipelines.offload import Offload
from pipelines.runs.incremental import Incremental
from pipelines.services import Services

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from pipelines.text.record import TextRecord

# A listed date must be this much older than our last capture to skip a fetch: the blog's clock is not ours, and
# lastmod has whole seconds (an edit right after a capture must not hide behind it). Costs a 304 at most.
LASTMOD_SLACK = timedelta(minutes=5)
NEVER_UNCHANGED = datetime.max.replace(tzinfo=UTC)  # the listing cannot tell: every page is fetched


def admission_for(url: str, settings: Any) -> Admission:
    """The admission rules of a crawl of ``url`` with these settings (also what ``--explain`` asks).

    Raises:
        ValueError: for an ``ARCHIVE_SINCE`` that is not an ISO 8601 date.
    """
    since = discovery.parse_date(settings.get("ARCHIVE_SINCE") or None)
    if settings.get("ARCHIVE_SINCE") and since is None:
        raise ValueError(f"ARCHIVE_SINCE is not an ISO 8601 date: {settings.get('ARCHIVE_SINCE')!r}")
    rules = ScopeRules.build(
        settings.getdict("WORDPRESS_DENY_RULES"),
        settings.get("WORDPRESS_TRACKING_PARAMS") or None,
        settings.getlist("WORDPRESS_ASSET_HOSTS") or None,
    )
    return Admission(url, rules, max_pages=settings.getint("ARCHIVE_MAX_PAGES"), since=since)


class BlogSpider(PageLinks, Sources, SitemapSpider):
    """Crawl one blog from all its discovery sources; see the module docstring."""

    name = "blog"
    sitemap_rules = [("", "parse")]
    # A callback yields at most one item (a text record) and some requests. Scrapy starts CONCURRENT_ITEMS asyncio
    # tasks per response to process its output (100 by default): a quarter of the crawl's CPU time for nothing.
    custom_settings = {"CONCURRENT_ITEMS": 1}

    def __init__(
        self, url: str | None = None, run_id: str | None = None, overrides: dict[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.overrides = overrides or {}
        if not url:
            raise ValueError("BlogSpider needs the blog's URL: scrapy crawl blog -a url=https://blog.example.org")
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not a web URL: {url!r}")
        self.url = url
        self.site = site_key(url)
        self.run_id = check_run_id(run_id) if run_id else ""
        self.admission = Admission(url)
        self.start_url = self.admission.start_url
        self.allowed_domains = sorted({h.split(":")[0] for h in self.admission.hosts})
        self.rest_root: str | None = None
        self.scan_css = discovery.CssScanner()  # the same inline styles on every page: read them once
        self.tree_parser: type[etree.HTMLParser] = etree.HTMLParser
        self.parsing = Offload("blogarc-parse")  # pages are parsed in this thread (``page_tree``)
        self.swept = False
        self.backlog = Backlog()  # admitted pages without a Request yet (``crawler.spiders.pages``)
        self.bounds = LinkBounds(0, 0, 0, 1)  # link-trap bounds, from the settings in from_crawler
        self.blog_changed: datetime | None = None  # when the REST listing says the blog last changed
        self.options: dict[str, bool] = {"extract": False, "requisites": True, "follow_links": True}
        self.incremental: Incremental | None = None  # the run's components, met when the spider opens
        self.recorder: Recorder | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        for name, value in spider.overrides.items():  # per-site settings (sites file); not frozen yet
            settings.set(name, value, priority="cmdline")
        spider.admission = admission_for(spider.url, settings)
        spider.start_url = spider.admission.start_url
        spider.run_id = spider.run_id or check_run_id(settings.get("ARCHIVE_RUN_ID") or new_run_id())
        spider.options = {
            name: settings.getbool(setting)
            for name, setting in (
                ("extract", "EXTRACT_ENABLED"),
                ("requisites", "ARCHIVE_REQUISITES"),
                ("follow_links", "ARCHIVE_FOLLOW_LINKS"),
                ("sitemaps", "WORDPRESS_SITEMAPS"),
                ("rest", "WORDPRESS_REST"),
            )
        }
        spider.rest_per_page = settings.getint("WORDPRESS_REST_PER_PAGE")
        spider.backlog.concurrency = settings.getint("CONCURRENT_REQUESTS")
        spider.listings = Listings(enabled=spider.options["rest"])
        spider.bounds = LinkBounds.from_settings(settings, crawler, spider.site, spider.backlog.drop_linked)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.robots_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(spider.sweep_known, signal=signals.spider_idle)
        return spider

    def opened(self, spider: Any) -> None:
        """Meet the run's components: the shared extraction pool and the incremental component."""
        services = Services.of(self.crawler)
        self.incremental = Incremental.of(self.crawler)
        pool = services.pool() if self.options["extract"] else None
        if self.options["extract"] and pool is None:  # extraction in this process, on the spider's tree
            self.tree_parser = lxml.html.HTMLParser
        self.recorder = Recorder(
            self.crawler,
            self.admission,
            self.site,
            self.run_id,
            extract_options=services.extract_options,
            pool=pool,
            incremental=self.incremental,
            listings=self.listings,
        )

    # --- admission into requests --------------------------------------------------------------------------------

    def admit(
        self, url: str, source: str, callback: Any = None, requisite: bool = False, depth: int | None = None
    ) -> Request | None:
        """A Request for ``url`` if admission lets it in and the archive does not hold it already; None otherwise.

        A page found while the REST listing is read is parked, and admitted when it has been (``crawler.listings``).
        """
        stats = self.crawler.stats
        if not url.startswith(("http://", "https://")):
            return None
        page = not requisite and callback in (None, self.parse)
        if page and url != self.start_url and self.listings.park(url, source):
            self.bounds.park(url, source, depth)
            return None
        verdict = self.admission.admit(url, requisite)
        if verdict.refused == "seen":
            return None
        if verdict.refused is not None:
            stats.inc_value(f"links/refused/{verdict.refused}")
            return None
        stats.inc_value(f"links/discovered/{source}")
        url = verdict.url
        if requisite:
            if self.incremental is not None and self.incremental.skip_requisite(url):
                stats.inc_value("incremental/skipped_requisite")
                return None
            meta = {"allow_offsite": True, "requisite": True}  # requisite: exempt from DEPTH_LIMIT and the bounds
            return Request(url, callback=self.parse_requisite, meta=meta, priority=-1)
        if page and self.unchanged_since_capture(url):
            stats.inc_value("incremental/skipped_by_date")
            return None
        if page and self.blog_unchanged_since_capture(url):
            stats.inc_value("incremental/skipped_unchanged_blog")
            return None
        linked, depth = page and source == "links", self.bounds.depth(url, depth)  # link-trap bounds (crawler.bounds)
        if linked and (bound := self.bounds.refusal(url, depth, self.backlog.linked)) is not None:
            stats.inc_value(f"links/refused/{bound}")
            return None
        self.admission.count_page()
        if page and source != "start":
            self.backlog.add(url, depth if linked else None)  # its Request comes when there is room (from_backlog)
            return None
        # sitemaps are hubs: their lastmod dates are what lets an incremental run skip unchanged posts
        return Request(url, callback=callback or self.parse, meta={"hub": callback == self._parse_sitemap})

    def unchanged_since_capture(self, url: str) -> bool:
        """Whether a sitemap lastmod or REST modified_gmt says ``url`` did not change since its last capture."""
        if self.incremental is None or url == self.start_url:
            return False
        listed = self.admission.listed_date(url)
        captured = discovery.parse_date(self.incremental.last_capture(url))
        return listed is not None and captured is not None and listed < captured - LASTMOD_SLACK

    def blog_unchanged_since_capture(self, url: str) -> bool:
        """Whether ``url``, an archive, feed or later part of a post (not in the REST listing), needs no fetch.

        Such a page only shows posts; when the complete listing says no post or page changed, appeared or went
        since its last capture, neither did the page (a revalidation run fetches it anyway).
        """
        if self.incremental is None or url == self.start_url or url in self.listings.posts:
            return False
        captured = discovery.parse_date(self.incremental.last_capture(url))
        if captured is None:
            return False
        if self.blog_changed is None:  # once a run: pages are admitted once the listing is read (or given up)
            changed = self.listings.last_change(self.incremental.known_texts())
            self.blog_changed = changed or NEVER_UNCHANGED
        return self.blog_changed < captured - LASTMOD_SLACK

    def take_page(self) -> bool:
        """Use one page of the ``--max-pages`` budget; False (and counted) when none is left."""
        if not self.admission.take_page():
            self.crawler.stats.inc_value("links/refused/max-pages")
            return False
        return True

    # --- pages --------------------------------------------------------------------------------------------------

    async def parse(self, response: Response) -> AsyncIterator[Request | TextRecord]:
        """Follow what any page links to; yield a text record when the page is a post or a page."""
        for request in self.from_backlog():
            yield request
        stats = self.crawler.stats
        if response.meta.get("seed"):  # after its redirects: a seed that fails fails the run (run_status)
            stats.set_value("seed/status", response.status)
        if response.status == 304:  # unchanged: archived as a revisit; its links were followed when it changed
            stats.inc_value("incremental/not_modified")
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("pages/not_text")
            return
        if response.status >= 400:
            stats.inc_value(f"pages/http_{response.status}")
            if response.status in (404, 410) and self.incremental is not None:
                self.incremental.note_gone(response.url)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if any(t in content_type for t in ("rss", "atom", "/xml")):
            for request in self.parse_feed(response):
                yield request
            return
        page = await page_tree(response, self.parsing, self.tree_parser)
        for request in self.page_requests(response, page):
            yield request
        kind = await page.kind(response.url)
        stats.inc_value(f"pages/{kind}")
        if kind in TEXT_KINDS and response.meta.get("warc_revisit"):
            stats.inc_value("incremental/unchanged")  # same payload as archived: same text, no new record
            return
        if not self.options["extract"]:
            return
        # Every HTML page is counted once under extract/*, with the keys `blogarc extract` uses
        if page.empty:  # an empty body: lxml parses it as a bare <html/>, there is nothing to classify
            stats.inc_value("extract/empty")
        elif kind not in TEXT_KINDS:
            stats.inc_value(f"extract/skipped/{kind}")
        elif self.recorder is not None and (record := await self.recorder.record(response, kind, page)) is not None:
            yield record

    def sweep_known(self) -> None:
        """When the crawl is idle: the backlog's pages, then (once) the posts and pages of earlier runs not reached.

        Unchanged hubs answer 304 and are not parsed, and a deleted post is no longer linked: this is how both
        are still revalidated (a 304 each, or the 404 that lists a post as gone).
        """
        if not self.listings.settled:  # a listing page hangs or the seed gave no page: wait no longer
            requests = list(self.release(self.listings.settle()))  # pages go to the backlog
            for request in requests:
                self.crawler.engine.crawl(request)
            if requests:
                raise DontCloseSpider
        if not self.backlog and not self.swept and self.incremental is not None:
            self.swept = True
            for url in self.incremental.known_texts():
                self.admit(url, "state")  # into the backlog
        requests = list(self.from_backlog(2 * self.backlog.concurrency))  # the crawl ran dry: refill it
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def closed(self, reason: str) -> None:
        self.parsing.shutdown()
        services = Services.of(self.crawler)
        pool = services.pool() if self.options["extract"] else None
        if pool is not None and pool.restarts:  # not under extract/*, where each page is counted once
            self.crawler.stats.set_value("extract_workers/restarts", pool.restarts)
        if services.owner is self.crawler:  # nobody else shares these services (a plain `scrapy crawl`)
            services.close()
