"""BlogSpider: crawl one blog, archive every exchange, and yield a clean-text record per post and page.

``scrapy crawl blog -a url=https://blog.example.org`` (or ``blogarc crawl URL``). One spider run covers one site
(host), so stats, WARC files, text batches and the run manifest are per site; the CLI runs one crawler per blog.

Discovery here is the reader's: every link on the blog's host reachable from the home page (and the RSS/Atom feeds
the pages announce). Links are filtered in one cheap pass per page (known URLs and refused URLs are dropped before
any Request is built), since building ~100 mostly duplicate Requests per page is where a naive crawler spends
its CPU.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.http import TextResponse, XmlResponse

from crawler.items import TextRecord
from crawler.wordpress import TEXT_KINDS, canonical_url, page_kind, refusal, same_site_hosts
from pipelines.extraction import extract_post
from pipelines.extraction_pool import ExtractionPool, default_workers
from pipelines.layout import check_run_id, new_run_id, site_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

TEXT_FEED = "store:text/%(site)s/%(run_id)s/part-%(batch_id)05d.jsonl.gz"
_LINKS = "//a/@href | //link[@rel='alternate'][contains(@type, 'xml')]/@href | //link[@rel='canonical']/@href"
_FEED_LINKS = (
    "//*[local-name()='item']/*[local-name()='link']/text() | //*[local-name()='entry']/*[local-name()='link']/@href"
)


class BlogSpider(Spider):
    """Crawl one blog by its links; see the module docstring."""

    name = "blog"

    def __init__(self, url: str | None = None, run_id: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not url:
            raise ValueError("BlogSpider needs the blog's URL: scrapy crawl blog -a url=https://blog.example.org")
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not a web URL: {url!r}")
        self.start_url = canonical_url(url)
        self.site = site_key(url)
        self.hosts = same_site_hosts(url)
        self.allowed_domains = sorted({h.split(":")[0] for h in self.hosts})
        self.run_id = check_run_id(run_id) if run_id else ""
        self.seen: set[str] = set()
        self.extract = True
        self.favor_precision = False
        self.pool: ExtractionPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.run_id = spider.run_id or check_run_id(settings.get("ARCHIVE_RUN_ID") or new_run_id())
        spider.extract = settings.getbool("EXTRACT_ENABLED")
        spider.favor_precision = settings.getbool("TRAFILATURA_FAVOR_PRECISION")
        workers = settings.getint("EXTRACT_WORKERS", -1)
        workers = default_workers() if workers < 0 else workers
        spider.pool = ExtractionPool(workers) if spider.extract and workers > 0 else None
        if spider.extract and not settings.getdict("FEEDS"):
            # Settings are not frozen until extensions are built, which happens after the spider exists.
            settings.set("FEEDS", {TEXT_FEED: text_feed_options(settings)}, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        self.seen.add(self.start_url)
        yield Request(self.start_url, callback=self.parse)

    async def parse(self, response: Response) -> AsyncIterator[Request | TextRecord]:
        """Follow the links of any page; yield a text record when the page is a post or a page."""
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("pages/not_text")
            return
        if response.status >= 400:
            stats.inc_value(f"pages/http_{response.status}")
            return
        if isinstance(response, XmlResponse) or _is_feed(response):
            stats.inc_value("pages/feed")
            for request in self.follow(response, response.xpath(_FEED_LINKS).getall(), source="feed"):
                yield request
            return
        for request in self.follow(response, response.xpath(_LINKS).getall(), source="links"):
            yield request
        kind = classify(response)
        stats.inc_value(f"pages/{kind}")
        if kind in TEXT_KINDS and self.extract:
            record = await self.text_record(response, kind)
            if record is not None:
                yield record

    def follow(self, response: Response, hrefs: list[str], source: str) -> Iterator[Request]:
        """Requests for the new, allowed, on-site URLs among ``hrefs``."""
        stats = self.crawler.stats
        base = response.url
        for href in hrefs:
            url = urljoin(base, href.strip())
            if not url.startswith(("http://", "https://")):
                continue
            url = canonical_url(url)
            if url in self.seen:
                continue
            self.seen.add(url)
            if urlsplit(url).netloc not in self.hosts:
                stats.inc_value("links/offsite")
                continue
            rule = refusal(url)
            if rule is not None:
                stats.inc_value(f"links/refused/{rule}")
                continue
            stats.inc_value(f"links/discovered/{source}")
            yield Request(url, callback=self.parse)

    async def text_record(self, response: TextResponse, kind: str) -> TextRecord | None:
        """Extract the clean text of a post or page (in a worker process when there is a pool)."""
        stats = self.crawler.stats
        try:
            if self.pool is None:  # in-process: reuse Scrapy's parsed tree
                extracted = extract_post(response.selector.root, response.url, self.favor_precision)
            else:
                future = self.pool.submit(response.body, response.encoding, response.url, self.favor_precision)
                extracted = await asyncio.wrap_future(future)
        except Exception as exc:  # noqa: BLE001 - hostile markup must cost one page, never the crawl
            stats.inc_value("extract/failed")
            logger.warning("Extraction failed on %s: %r", response.url, exc)
            return None
        if extracted is None:
            stats.inc_value("extract/empty")
            return None
        stats.inc_value("extract/ok")
        stats.inc_value(f"extract/{kind}")
        return TextRecord.from_page(
            extracted, response, site=self.site, kind=kind, run_id=self.run_id, canonical=canonical_url(response.url)
        )

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def text_feed_options(settings: Any) -> dict[str, Any]:
    """Scrapy FEEDS options for the clean-text batches: gzipped JSON Lines, a file per batch."""
    return {
        "format": "jsonlines",
        "encoding": "utf-8",
        "batch_item_count": settings.getint("TEXT_BATCH_ITEMS"),
        "postprocessing": ["scrapy.extensions.postprocessing.GzipPlugin"],
        "store_empty": False,
        "item_classes": [TextRecord],
    }


def classify(response: TextResponse) -> str:
    """The kind of an HTML page, from its body classes, ``og:type`` and JSON-LD."""
    body_classes = (response.xpath("//body/@class").get() or "").split()
    og_type = response.xpath("//meta[@property='og:type']/@content").get()
    blog_posting = False
    if not body_classes:
        scripts = response.xpath("//script[@type='application/ld+json']/text()").getall()
        blog_posting = any(_is_blog_posting(s) for s in scripts)
    return page_kind(body_classes, og_type, blog_posting)


def _is_blog_posting(json_ld: str) -> bool:
    try:
        data = json.loads(json_ld)
    except ValueError:
        return False
    nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
    return any(isinstance(n, dict) and n.get("@type") in ("BlogPosting", "Article", "NewsArticle") for n in nodes)


def _is_feed(response: TextResponse) -> bool:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    return "rss" in content_type or "atom" in content_type
