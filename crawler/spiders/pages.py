"""What an HTML page leads to: its links, requisites and REST root through admission, and the backlog of pages.

A mixin of ``crawler.spiders.blog.BlogSpider`` (its callbacks must be spider methods). Admitted pages wait in the
``Backlog`` as URLs, and their Requests are made as the downloader has room: a sitemap lists every post at once,
and as Requests in Scrapy's queue they would cost a kilobyte each (tens of MB for a blog of 10^4 posts), as URLs
here a tenth of that. Every callback takes some (enough to fill the downloader, and one more), and the spider's
idle handler refills the crawl when it runs dry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse

from crawler import discovery

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.admission import Admission
    from crawler.listings import Listings


class Backlog:
    """Admitted page URLs waiting for a Request, first in first out."""

    def __init__(self, concurrency: int = 16):
        self.concurrency = concurrency  # the downloader's CONCURRENT_REQUESTS
        self.urls: deque[str] = deque()

    def __len__(self) -> int:
        return len(self.urls)

    def add(self, url: str) -> None:
        """Queue an admitted page."""
        self.urls.append(url)

    def take(self, downloading: int, count: int | None = None) -> Iterator[str]:
        """URLs to request now: ``count``, or enough to fill the downloader (``downloading`` in it) and one more."""
        if count is None:
            count = 1 + max(0, self.concurrency - downloading)
        while count > 0 and self.urls:  # other callbacks take from it between two of these yields
            count -= 1
            yield self.urls.popleft()


class PageLinks:
    """Page callbacks' share of ``BlogSpider``: links, requisites, the REST root, the backlog."""

    admission: Admission
    backlog: Backlog
    options: dict[str, bool]
    rest_root: str | None
    listings: Listings
    scan_css: discovery.CssScanner
    crawler: Any
    follow: Any
    parse: Any
    rest_requests: Any
    release: Any

    def from_backlog(self, count: int | None = None) -> Iterator[Request]:
        """Requests for pages of the backlog (``Backlog.take``)."""
        for url in self.backlog.take(len(self.crawler.engine.downloader.active), count):
            yield Request(url, callback=self.parse, meta={"hub": False})

    def page_requests(self, response: TextResponse, tree: Any) -> Iterator[Request]:
        """Links, requisites and the REST API of an HTML page, through admission."""
        urls = discovery.page_urls(tree, self.scan_css, response.text)
        if urls.canonical:
            self.admission.mark_seen(urljoin(response.url, urls.canonical))
        if self.options["follow_links"]:
            yield from self.follow(response.url, urls.links, "links")
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
