"""The Scrapy components of a worker's crawls: scrapy-redis's scheduler on the blog's frontier, and two middlewares.

``FrontierScheduler`` is scrapy-redis's persistent ``Scheduler`` (its ``PriorityQueue`` encoding, its
``RFPDupeFilter`` fingerprints) on the keys of the blog's ``Frontier``, with two changes: a request is queued and
its fingerprint noted in one script, and taken from the queue into ``inflight`` in one script (the scheduler of
scrapy-redis does each in two steps, and a worker killed between them would lose a request or a fingerprint); and
Redis being away is not an error (see ``crawler.distributed.frontier``). A blog taken over from a dead worker reads
its hubs again (home page, sitemaps, REST listings: ``meta["hub"]``), which the fingerprints would otherwise keep it
from: the crawl knows its listed dates again, and its run manifest describes a crawl that reached the blog.

``FrontierDownloads`` (downloader middleware, outermost) and ``FrontierPages`` (spider middleware, outermost) say
when the crawl is done with a request (``Frontier.handled``): its download failed for good, or its callback's
output is over. A redirect or retry is noticed by the scheduler: the new request carries the old one's token.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import redis
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.frontier import TOKEN, Frontier, token_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"


def frontier_of(crawler: Crawler) -> Frontier:
    """The crawler's frontier; the components exist only in a worker's crawls.

    Raises:
        RuntimeError: outside ``blogarc worker``.
    """
    frontier = Frontier.of(crawler)
    if frontier is None:
        raise RuntimeError("the frontier components run under `blogarc worker` only (no frontier attached)")
    return frontier


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler on one blog's frontier; see the module docstring."""

    def __init__(self, frontier: Frontier, crawler: Crawler):
        keys = frontier.keys
        super().__init__(
            server=frontier.client,
            persist=True,  # the frontier outlives the crawl until the blog is complete (JobQueue.complete)
            queue_key=keys["requests"],
            queue_cls=QUEUE_CLASS,
            dupefilter=RFPDupeFilter(frontier.client, key=keys["dupefilter"]),
            serializer=picklecompat,
        )
        self.frontier = frontier
        self.stats = crawler.stats
        self.waiting: list[tuple[bytes, float, str, str | None]] = []  # queued while Redis is away
        self.hubs_read: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        return cls(frontier_of(crawler), crawler)

    def open(self, spider: Spider) -> None:
        # scrapy-redis's open, less its Spider.log call (deprecated in Scrapy 2.19) and its Redis call
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer
        )
        if self.frontier.resumed:
            logger.info("%s: going on with a crawl an earlier holder started; hubs are read again", spider.site)

    def enqueue_request(self, request: Request) -> bool:
        parent = request.meta.pop(TOKEN, None)  # a redirect or retry of a request taken from the frontier
        hub_again = bool(self.frontier.resumed and request.meta.get("hub") and request.url not in self.hubs_read)
        if hub_again:
            self.hubs_read.add(request.url)
        filtered = not (request.dont_filter or hub_again)
        fingerprint = self.df.request_fingerprint(request) if filtered else ""
        entry = (self.queue._encode_request(request), -request.priority, fingerprint, parent)
        if not self._online():
            self.waiting.append(entry)
            return True
        queued = self._push(*entry)
        if queued is None:
            self.waiting.append(entry)
            return True
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _push(self, data: bytes, score: float, fingerprint: str, parent: str | None) -> bool | None:
        """Queue one request; None when Redis is away. Its parent is handled once it is in Redis."""
        try:
            queued = self.frontier.push(data, score, fingerprint)
        except redis.RedisError as exc:
            self._offline(exc)
            return None
        if parent is not None:
            self.frontier.handled(parent)
        return queued

    def next_request(self) -> Request | None:
        if not self._online():
            return None
        try:
            data = self.frontier.pop()
        except redis.RedisError as exc:
            self._offline(exc)
            return None
        if data is None:
            return None
        token = token_of(data)
        try:
            request = self.queue._decode_request(data)
        except Exception as exc:  # a request this blogarc cannot read back (another version's): dropped, counted
            logger.error("%s: dropped a queued request that cannot be decoded (%s)", self.frontier.keys.site, exc)
            self.stats.inc_value("scheduler/undecodable/redis")
            self.frontier.handled(token)
            return None
        request.meta[TOKEN] = token
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if not self._online():
            return True  # unknown while Redis is away: the crawl must not end for lack of requests
        try:
            return self.frontier.queued() > 0
        except redis.RedisError as exc:
            self._offline(exc)
            return True

    def __len__(self) -> int:
        try:
            return self.frontier.queued() + len(self.waiting)
        except redis.RedisError:
            return len(self.waiting)

    def _online(self) -> bool:
        """Whether Redis is reachable; when it is back, the requests that waited for it are queued first."""
        if not self.frontier.online:
            return False
        while self.waiting:
            if self._push(*self.waiting[0]) is None:
                return False
            self.waiting.pop(0)
        return True

    def _offline(self, exc: BaseException) -> None:
        if self.frontier.online:
            self.stats.inc_value("scheduler/redis_outages")
        self.frontier.outage(exc)


class _OnFrontier:
    """A middleware of the crawler's frontier."""

    def __init__(self, frontier: Frontier):
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(frontier_of(crawler))


class FrontierDownloads(_OnFrontier):
    """Downloader middleware (outermost): a request whose download failed for good is handled."""

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if (token := request.meta.get(TOKEN)) is not None:
            self.frontier.handled(token)


class FrontierPages(_OnFrontier):
    """Spider middleware (outermost): a response whose callback's output is over is handled (once its records are)."""

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        token = response.meta.get(TOKEN)
        try:
            for output in result:
                if token is not None:
                    self.frontier.page_output(token, output)
                yield output
        finally:
            if token is not None:
                self.frontier.page_over(token)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        token = response.meta.get(TOKEN)
        try:
            async for output in result:
                if token is not None:
                    self.frontier.page_output(token, output)
                yield output
        finally:
            if token is not None:
                self.frontier.page_over(token)

    def process_spider_exception(self, response: Response, exception: BaseException) -> None:
        if (token := response.meta.get(TOKEN)) is not None:
            self.frontier.page_over(token)
