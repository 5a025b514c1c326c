"""Middlewares of blogarc: conditional requests (downloader), start requests (spider).

``ConditionalRequests`` makes incremental crawls cheap for the blog: a URL the crawl state knows is asked for with
``If-None-Match`` (its last ``ETag``) and ``If-Modified-Since`` (its last ``Last-Modified``), so an unchanged page
costs a ``304 Not Modified`` and no body. The WARC exporter turns that 304 into a ``revisit`` record. Hubs the spider
must read in full every run (the home page, sitemaps, REST listings: ``request.meta["hub"]``) and ``robots.txt``
are never conditional. What the archive holds comes from the incremental component (``pipelines/runs/incremental.py``);
in a first or ``--full`` run it knows nothing and this middleware does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.spidermiddlewares.start import StartSpiderMiddleware

from pipelines.runs.incremental import Incremental

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class ConditionalRequests:
    """Add validators from the crawl state to requests for URLs archived before."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.incremental: Incremental | None | bool = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Add ``If-None-Match`` / ``If-Modified-Since`` when the state knows the URL (the request goes on)."""
        if self.incremental is False:  # extensions exist before the first request: look once
            self.incremental = Incremental.of(self.crawler)
        incremental = self.incremental
        if incremental is None or request.meta.get("hub") or urlsplit(request.url).path == "/robots.txt":
            return
        known = incremental.validators(request.url)
        if known is None:
            return
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1"))
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1"))
        if known.etag or known.last_modified:
            self.crawler.stats.inc_value("incremental/conditional_requests")


class StartRequests(StartSpiderMiddleware):
    """Scrapy's ``StartSpiderMiddleware``, which marks start requests (``is_start_request``), without its output layer.

    Scrapy wraps each spider middleware that handles a callback's output in async generators that every object
    yielded passes through (three for this one); this one only acts on start requests (``response`` None), so for
    a callback's output it was a pass-through. Without the methods, Scrapy leaves it out of the output chain.
    """

    process_spider_output = None
    process_spider_output_async = None
