"""Bounds on a blog's link following: what an endless link trap hits first and a real blog never does.

A trap (a calendar without end, pages that link to ever new random paths) makes every page it serves link to new
pages; a real blog links mostly to pages it has linked before (menus, sidebars, archives), and a blog's own listings
(sitemaps, the REST API, feeds) are finite. Three bounds, each a setting, each counted (``links/refused/<bound>``)
and warned once per blog:

* **depth** (``DEPTH_LIMIT``, Scrapy's, default 1000): a page more links away from the home page or a listing is
  not requested (``LinkDepth``; a trap of one new page per page ends here). Requisites are exempt: a page at the
  limit keeps its images;
* **frontier** (``ARCHIVE_MAX_FRONTIER``, default 100,000): page requests found by following links that wait in
  the scheduler at once. A blog discovered from its sitemaps never has that many waiting; a trap does;
* **new-URL rate** (``ARCHIVE_MAX_NEW_URLS_PER_PAGE``, default 20, over ``ARCHIVE_NEW_URLS_WINDOW`` = 200 pages):
  new page requests a page's links add, on average over the last pages that were not listings (each page counts
  for at most five times the limit, so one page listing every post does not trip it). The bench blog
  (``bench/make_blog.py``, 2,000 posts, 3,500 pages) peaks at 6.2, crawled by its links alone too, with at most
  946 pages waiting; the trap of the hostile fixture adds 48 a page (``python bench/hostile.py wordpress|trap``).

Reaching the frontier or the rate **stops link following** for the rest of the blog's run: no page request found
by a link is admitted any more, and those still waiting are dropped when they leave the scheduler (``BoundsGate``),
so the crawl ends soon after. Listings, requisites and pages already downloading go on. ``CrawlBounds`` (spider
middleware) decides; ``BoundsGate`` (downloader middleware) counts what leaves the scheduler and drops the rest.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.depth import DepthMiddleware

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

LINK_FOUND = "link_found"  # request.meta flag: a page request found by a link, counted in the frontier
PAGE_WEIGHT = 5  # a page counts for at most this many times ARCHIVE_MAX_NEW_URLS_PER_PAGE in the rate


class LinkDepth(DepthMiddleware):
    """Scrapy's ``DepthMiddleware``; requisites are exempt from ``DEPTH_LIMIT``, and refusals counted and warned."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is not None and request.meta.get("requisite"):
            limit, self.maxdepth = self.maxdepth, 0
            try:
                return super().get_processed_request(request, response)
            finally:
                self.maxdepth = limit
        processed = super().get_processed_request(request, response)
        if processed is None:
            self.stats.inc_value("links/refused/depth")
            if self.stats.get_value("links/refused/depth") == 1:
                logger.warning(
                    "%s: links deeper than DEPTH_LIMIT (%d) are not followed (%s is the first); a link trap?",
                    getattr(self.crawler.spider, "site", ""),
                    self.maxdepth,
                    request.url[:300],
                    extra={"spider": self.crawler.spider},
                )
        return processed


class CrawlBounds:
    """Spider middleware: the frontier and new-URL-rate bounds of one blog (see the module docstring)."""

    def __init__(self, crawler: Crawler, max_frontier: int, max_rate: float, window: int):
        self.crawler = crawler
        self.max_frontier = max_frontier
        self.max_rate = max_rate
        self.pages: deque[int] = deque(maxlen=max(window, 1))  # new page requests of each of the last pages
        self.waiting = 0  # LINK_FOUND requests in the scheduler
        self.stopped: str | None = None  # the bound that stopped link following

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlBounds:
        settings = crawler.settings
        bounds = cls(
            crawler,
            settings.getint("ARCHIVE_MAX_FRONTIER"),
            settings.getfloat("ARCHIVE_MAX_NEW_URLS_PER_PAGE"),
            settings.getint("ARCHIVE_NEW_URLS_WINDOW"),
        )
        crawler.signals.connect(bounds.request_dropped, signal=signals.request_dropped)
        return bounds

    def process_spider_output(self, response: Response | None, result: Iterable[Any]) -> Iterable[Any]:
        new = 0
        for item in result:
            if isinstance(item, Request) and (item := self.admit(item, response)) is None:
                continue
            new += isinstance(item, Request) and LINK_FOUND in item.meta
            yield item
        self.page_done(response, new)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        new = 0
        async for item in result:
            if isinstance(item, Request) and (item := self.admit(item, response)) is None:
                continue
            new += isinstance(item, Request) and LINK_FOUND in item.meta
            yield item
        self.page_done(response, new)

    def admit(self, request: Request, response: Response | None) -> Request | None:
        """``request`` if the bounds let it through (flagged ``LINK_FOUND`` when it counts), else None."""
        if response is None or response.meta.get("hub") or request.meta.get("requisite"):
            return request  # start requests, what listings list, requisites
        if self.stopped is None and self.max_frontier and self.waiting >= self.max_frontier:
            self.stop("frontier", f"{self.waiting:,} pages found by links wait (ARCHIVE_MAX_FRONTIER)")
        if self.stopped is not None:
            self.crawler.stats.inc_value(f"links/refused/{self.stopped}")
            return None
        request.meta[LINK_FOUND] = True
        self.waiting += 1
        self.crawler.stats.max_value("bounds/frontier_max", self.waiting)
        return request

    def page_done(self, response: Response | None, new: int) -> None:
        """Note how many new page requests a page's links made; stop link following past the rate."""
        if response is None or response.meta.get("hub") or self.stopped is not None or not self.max_rate:
            return
        self.pages.append(min(new, int(self.max_rate * PAGE_WEIGHT)))
        rate = sum(self.pages) / len(self.pages)
        self.crawler.stats.max_value("bounds/new_urls_per_page_max", round(rate, 2))
        if len(self.pages) == self.pages.maxlen and rate > self.max_rate:
            self.stop(
                "new-url-rate",
                f"its last {len(self.pages)} pages linked to {rate:.1f} new pages each on average "
                "(ARCHIVE_MAX_NEW_URLS_PER_PAGE)",
            )

    def stop(self, bound: str, why: str) -> None:
        """Stop link following for the rest of the run, and say why, once."""
        self.stopped = bound
        self.crawler.stats.set_value("bounds/stopped_by", bound)
        logger.warning(
            "%s: link following stops: %s; a link trap? %d waiting pages found by links are dropped",
            getattr(self.crawler.spider, "site", ""),
            why,
            self.waiting,
            extra={"spider": self.crawler.spider},
        )

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        if request.meta.pop(LINK_FOUND, False):  # the scheduler refused it (a duplicate): it does not wait
            self.waiting -= 1


class BoundsGate:
    """Downloader middleware: a ``LINK_FOUND`` request leaves the scheduler; dropped if link following stopped."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.bounds: CrawlBounds | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoundsGate:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.pop(LINK_FOUND, False):
            return
        if self.bounds is None:
            self.bounds = self.crawler.get_spider_middleware(CrawlBounds)
        if self.bounds is None:
            return
        self.bounds.waiting -= 1
        if self.bounds.stopped is not None:
            self.crawler.stats.inc_value(f"links/refused/{self.bounds.stopped}")
            raise IgnoreRequest(f"link following stopped ({self.bounds.stopped})")
