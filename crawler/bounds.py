"""Bounds on a blog's link following: what an endless link trap hits first and a real blog never does.

A trap (a calendar without end, pages that link to ever new random paths) makes every page it serves link to new
pages; a real blog links mostly to pages it has linked before (menus, sidebars, archives), and a blog's own listings
(sitemaps, the REST API, feeds) are finite. Three bounds on the pages found by links, each a setting, each counted
(``links/refused/<bound>``) and warned once per blog (``LinkBounds``, which the spider asks as it admits a page):

* **depth** (``DEPTH_LIMIT``, Scrapy's setting, default 1000): a page more links away than that from the home page
  or from a page a listing gave is not admitted (a trap of one new page per page ends here). Requisites are exempt;
* **frontier** (``ARCHIVE_MAX_FRONTIER``, default 100,000): pages found by links waiting for a request (in the
  spider's backlog, ``crawler.spiders.pages.Backlog``) when a link finds one more; the pages listings gave wait
  there too but do not count (a blog whose sitemaps list 10^6 posts is not a trap);
* **new-URL rate** (``ARCHIVE_MAX_NEW_URLS_PER_PAGE``, default 20, over ``ARCHIVE_NEW_URLS_WINDOW`` = 200 pages):
  new pages a page's links add, on average over the last pages (each counts for at most five times the limit, so
  one page listing every post does not trip it). The bench blog (``bench/make_blog.py``, 2,000 posts, 3,500
  pages) peaks at 3.7 crawled by its links alone (1.1 with its sitemaps), with at most 2,079 pages waiting and
  101 links deep; the trap of the hostile fixture adds 50 a page (``python bench/hostile.py wordpress|trap``).

Reaching the frontier or the rate **stops link following** for the rest of the blog's run: no page found by a link
is admitted any more and those still waiting are dropped (``on_stop``), so the crawl ends soon after. Listings,
requisites and pages already requested go on. The depth of a page found by a link travels with it
(``request.meta["link_depth"]``); ``LinkDepth``, Scrapy's ``DepthMiddleware`` in its place, keeps that depth for
``DEPTH_PRIORITY`` and the depth stats, and applies ``DEPTH_LIMIT`` only to what the spider did not decide (hubs:
sitemaps and REST listings, whose own chains may be long, are exempt).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy.spidermiddlewares.depth import DepthMiddleware

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

LINK_DEPTH = "link_depth"  # request.meta: links away from the home page or a listed page (bounds decided it)
PAGE_WEIGHT = 5  # a page counts for at most this many times ARCHIVE_MAX_NEW_URLS_PER_PAGE in the rate


class LinkBounds:
    """The link-following bounds of one blog's crawl (see the module docstring)."""

    def __init__(
        self, max_depth: int, max_frontier: int, max_rate: float, window: int, crawler: Any = None, site: str = ""
    ):
        self.max_depth, self.max_frontier, self.max_rate = max_depth, max_frontier, max_rate
        self.crawler, self.site = crawler, site  # stats are the crawler's, which has them once the crawl starts
        self.pages: deque[int] = deque(maxlen=max(window, 1))  # new pages each of the last pages found
        self.found = 0  # new pages found by the links of the page being read
        self.stopped: str | None = None  # the bound that stopped link following
        self.warned: set[str] = set()
        self.on_stop: Callable[[], int] = lambda: 0  # drops the waiting pages found by links; how many
        self.parked: dict[str, int | None] = {}  # link depth of the pages parked while the REST listing is read

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, crawler: Any = None, site: str = "", on_stop: Callable[[], int] | None = None
    ) -> LinkBounds:
        bounds = cls(
            settings.getint("DEPTH_LIMIT"),
            settings.getint("ARCHIVE_MAX_FRONTIER"),
            settings.getfloat("ARCHIVE_MAX_NEW_URLS_PER_PAGE"),
            settings.getint("ARCHIVE_NEW_URLS_WINDOW"),
            crawler,
            site,
        )
        bounds.on_stop = on_stop or bounds.on_stop
        return bounds

    def park(self, url: str, source: str, depth: int | None) -> None:
        """A page a link found waits for the REST listing (``crawler.listings``): keep its depth till then."""
        if source == "links":
            self.parked.setdefault(url, depth)

    def depth(self, url: str, depth: int | None) -> int | None:
        """The link depth of a page a link found: ``depth``, or the one it had when it was parked."""
        return self.parked.pop(url, depth) if depth is None else depth

    def refusal(self, url: str, depth: int | None, waiting: int) -> str | None:
        """The bound that refuses a page a link found (``depth`` None: unknown), with ``waiting`` pages queued."""
        if self.stopped is not None:
            return self.stopped
        if self.max_depth and depth is not None and depth > self.max_depth:
            self.warn("depth", f"links deeper than DEPTH_LIMIT ({self.max_depth}) are not followed ({url[:200]})")
            return "depth"
        if self.max_frontier and waiting >= self.max_frontier:
            self.stop("frontier", f"{waiting:,} pages wait for a request (ARCHIVE_MAX_FRONTIER)")
            return "frontier"
        self.found += 1
        self._max("bounds/frontier_max", waiting + 1)
        return None

    def page_done(self) -> None:
        """The links of one page are all admitted: note how many were new; stop link following past the rate."""
        found, self.found = self.found, 0
        if self.stopped is not None or not self.max_rate:
            return
        self.pages.append(min(found, int(self.max_rate * PAGE_WEIGHT)))
        if len(self.pages) < (self.pages.maxlen or 1):
            return
        rate = sum(self.pages) / len(self.pages)
        self._max("bounds/new_urls_per_page_max", round(rate, 2))
        if rate > self.max_rate:
            why = (
                f"its last {len(self.pages)} pages linked to {rate:.1f} new pages each (ARCHIVE_MAX_NEW_URLS_PER_PAGE)"
            )
            self.stop("new-url-rate", why)

    def stop(self, bound: str, why: str) -> None:
        """Stop link following for the rest of the run, drop the pages found by links still waiting, say so once."""
        self.stopped = bound
        dropped = self.on_stop()
        if self.crawler is not None:
            self.crawler.stats.set_value("bounds/stopped_by", bound)
            self.crawler.stats.inc_value(f"links/refused/{bound}", dropped)
        self.warn(bound, f"link following stops: {why}; a link trap? {dropped} waiting pages found by links dropped")

    def warn(self, bound: str, message: str) -> None:
        if bound not in self.warned:
            self.warned.add(bound)
            logger.warning("%s: %s", self.site, message)

    def _max(self, key: str, value: float) -> None:
        if self.crawler is not None:
            self.crawler.stats.max_value(key, value)


class LinkDepth(DepthMiddleware):
    """Scrapy's ``DepthMiddleware``; a page's ``link_depth`` is its depth, and requisites are exempt from the limit.

    A page found by a link was admitted by ``LinkBounds`` with its link depth, and is requested later from the
    backlog, from whichever page's callback has room: Scrapy's own count (the depth of that page plus one) would
    measure the crawl's length, not the page's distance.
    """

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        # pages of the backlog carry their link depth; requisites and hubs (sitemaps, REST listings) are exempt
        decided = LINK_DEPTH in request.meta or request.meta.get("requisite") or request.meta.get("hub")
        if response is None or not decided:
            return super().get_processed_request(request, response)
        limit, self.maxdepth = self.maxdepth, 0
        try:
            processed = super().get_processed_request(request, response)
        finally:
            self.maxdepth = limit
        if processed is not None and LINK_DEPTH in processed.meta:
            processed.meta["depth"] = processed.meta[LINK_DEPTH]
        return processed
