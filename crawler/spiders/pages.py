"""What an HTML page leads to: its links, requisites and REST root through admission, and the backlog of pages.

A mixin of ``crawler.spiders.blog.BlogSpider`` (its callbacks must be spider methods). Admitted pages wait in the
``Backlog`` as URLs, and their Requests are made as the downloader has room: a sitemap lists every post at once,
and as Requests in Scrapy's queue they would cost a kilobyte each (tens of MB for a blog of 10^4 posts), as URLs
here a tenth of that. Every callback takes some (enough to fill the downloader, and one more), and the spider's
idle handler refills the crawl when it runs dry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.http import TextResponse

from crawler import discovery
from crawler.bounds import LINK_DEPTH, LinkBounds

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.admission import Admission
    from crawler.lexborpage import LexborPage
    from crawler.listings import Listings
    from crawler.pagetree import TreePage


class Backlog:
    """Admitted page URLs waiting for a Request, first in first out, each with its link depth.

    The depth is ``crawler.bounds``' (links from the home page or a listed page); None for a page a listing gave.
    """

    def __init__(self, concurrency: int = 16):
        self.concurrency = concurrency  # the downloader's CONCURRENT_REQUESTS
        self.urls: deque[str] = deque()
        self.depths: deque[int | None] = deque()
        self.linked = 0  # how many of them links found (depth not None): the frontier the link-trap bounds watch

    def __len__(self) -> int:
        return len(self.urls)

    def add(self, url: str, depth: int | None = None) -> None:
        """Queue an admitted page."""
        self.urls.append(url)
        self.depths.append(depth)
        self.linked += depth is not None

    def take(self, downloading: int, count: int | None = None) -> Iterator[tuple[str, int | None]]:
        """Pages to request now: ``count``, or enough to fill the downloader and one more.

        ``downloading``: the requests in the downloader and those waiting for it in Scrapy's scheduler. Counting
        the waiting ones too is what keeps the pages here: each callback topping the downloader up again without
        them sent ~3 more requests a response to the scheduler, ~10,000 Requests (40 MB) by the middle of a crawl
        of 20,000 posts.
        """
        if count is None:
            count = max(0, self.concurrency + 1 - downloading)
        while count > 0 and self.urls:  # other callbacks take from it between two of these yields
            count -= 1
            url, depth = self.urls.popleft(), self.depths.popleft()
            self.linked -= depth is not None
            yield url, depth

    def drop_linked(self) -> int:
        """Drop the pages links found (link following stopped: ``crawler.bounds``); how many there were."""
        kept = [(url, depth) for url, depth in zip(self.urls, self.depths, strict=True) if depth is None]
        dropped = len(self.urls) - len(kept)
        self.urls, self.depths = deque(url for url, _ in kept), deque(None for _ in kept)
        self.linked = 0
        return dropped


def waiting_requests(engine: Any) -> int:
    """Requests waiting in Scrapy's own scheduler, in this process's memory or JOBDIR queues.

    0 for a scheduler that counts them elsewhere: a worker's frontier (scrapy-redis, a ``Scheduler`` subclass whose
    length is a round trip to Redis) keeps its requests in Redis, not in this process.
    """
    scheduler = engine.scheduler
    return len(scheduler) if type(scheduler).__len__ is Scheduler.__len__ else 0


class PageLinks:
    """Page callbacks' share of ``BlogSpider``: links, requisites, the REST root, the backlog."""

    admission: Admission
    backlog: Backlog
    options: dict[str, bool]
    rest_root: str | None
    listings: Listings
    scan_css: discovery.CssScanner
    bounds: LinkBounds
    crawler: Any
    admit: Any
    parse: Any
    rest_requests: Any
    release: Any

    def follow(
        self, base: str, hrefs: Iterable[str], source: str, requisite: bool = False, depth: int | None = None
    ) -> Iterator[Request]:
        """Requests for the admitted URLs among ``hrefs`` (relative to ``base``, ``depth`` links from a listing)."""
        hrefs = list(hrefs)
        self.crawler.stats.inc_value(f"links/listed/{source}", len(hrefs))
        for url in self.admission.hrefs(base, hrefs):
            if (request := self.admit(url, source, requisite=requisite, depth=depth)) is not None:
                yield request
        if source == "links":
            self.bounds.page_done()

    def from_backlog(self, count: int | None = None) -> Iterator[Request]:
        """Requests for pages of the backlog (``Backlog.take``)."""
        engine = self.crawler.engine
        for url, depth in self.backlog.take(len(engine.downloader.active) + waiting_requests(engine), count):
            yield Request(url, callback=self.parse, meta={"hub": False, LINK_DEPTH: depth or 0})

    def page_requests(self, response: TextResponse, page: LexborPage | TreePage) -> Iterator[Request]:
        """Links, requisites and the REST API of an HTML page (``crawler.pagetree.page_tree``), through admission."""
        urls = page.urls(self.scan_css)
        if urls.canonical:
            self.admission.mark_seen(urljoin(response.url, urls.canonical))
        if self.options["follow_links"]:
            yield from self.follow(response.url, urls.links, "links", depth=response.meta.get(LINK_DEPTH, 0) + 1)
        if self.options["requisites"]:
            yield from self.follow(response.url, urls.requisites, "requisite", requisite=True)
        if self.rest_root is None and self.options["rest"]:
            root = urls.rest_root or discovery.rest_root_header(response.headers.get(b"Link", b"").decode("latin-1"))
            if root and urlsplit(urljoin(response.url, root)).netloc in self.admission.hosts:
                yield from self.rest_requests(urljoin(response.url, root))
        if response.meta.get("seed") and not self.listings.started:
            yield from self.release(self.listings.settle())  # the blog announces no REST API: nothing to wait for

    def parse_requisite(self, response: Response) -> Iterator[Request]:
        """Archive-only responses; a stylesheet's own requisites (fonts, images, imports) are followed."""
        yield from self.from_backlog()
        self.crawler.stats.inc_value("pages/requisite")
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if response.status < 400 and "css" in content_type and isinstance(response, TextResponse):
            yield from self.follow(response.url, discovery.css_urls(response.text), "requisite", requisite=True)
