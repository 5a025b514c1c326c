"""When a page is handled: the spider middleware that tells the crawl state a callback is done.

A checkpoint of the crawl state must not claim more than a killed run keeps (issue 12). A page's capture is
noted when its response is archived, before its callback runs; its text record is written later (extraction runs
in a worker process). A checkpoint in between would name the capture without its record, and the next run,
trusting it, would get a 304 or an identical payload and never write that record. So the state keeps a new
capture out of its checkpoints (``CrawlState.pending``) until the page is handled: its record is durable
(``record_written``), or its callback ended without one (this middleware: an archive page, a requisite, an
unchanged text, a failed extraction...). Responses no callback sees (robots.txt, the other parts of a split post)
stay out of the checkpoints and are saved at the end of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.runs.incremental import Incremental
from pipelines.text.record import TextRecord

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.crawler import Crawler
    from scrapy.http import Response


class PageSettled:
    """Spider middleware: a response whose callback ended without a text record is handled."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.incremental: Incremental | None | bool = False  # looked up on the first response

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageSettled:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        recorded = False
        try:
            for output in result:
                recorded = recorded or isinstance(output, TextRecord)
                yield output
        finally:
            self._done(response, recorded)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        recorded = False
        try:
            async for output in result:
                recorded = recorded or isinstance(output, TextRecord)
                yield output
        finally:
            self._done(response, recorded)

    def process_spider_exception(self, response: Response, exception: BaseException) -> None:
        self._done(response, False)  # the callback failed: its page gets no record in this run

    def _done(self, response: Response, recorded: bool) -> None:
        """A record yielded settles its page once it is durable (``record_written``); no record settles it now."""
        if self.incremental is False:
            self.incremental = Incremental.of(self.crawler)
        if isinstance(self.incremental, Incremental) and not recorded:
            self.incremental.page_done(response.url)
