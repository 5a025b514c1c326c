"""The text pipeline: a Scrapy item pipeline that writes each clean-text record of a crawl into its batch.

Each record is appended to the open batch of the site's run in the spool and flushed before ``process_item``
returns (``pipelines/text/batches.py``), then ``record_written`` is sent: from then on the crawl state may say the
URL has this text, because a killed crawl keeps it (the next start repairs and ships the batch). Batches close at
``TEXT_BATCH_ITEMS`` records and when the spider closes; each closed file (``part-NNNNN.jsonl.gz`` and, with
``TEXT_PARQUET``, its ``.parquet`` twin) is announced with ``file_closed`` and shipped by ``Uploads``.

A full batch closes in a thread (gzip and Parquet of ~14 MB take the crawl's thread for most of a second; both
release the GIL): it is detached first, so the next record goes into the next batch's file and never into the one
being closed, whose records were durable before their ``record_written``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import DeferredList

from pipelines.layout import text_prefix
from pipelines.services import Services
from pipelines.signals import file_closed, record_written
from pipelines.text.batches import TextBatches, close_batch, next_batch
from pipelines.text.record import TextRecord

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class TextPipeline:
    """Write text records to durable batches in the spool and announce the batches that close."""

    def __init__(self, crawler: Crawler, services: Services, batch_items: int, parquet: bool):
        self.crawler = crawler
        self.services = services
        self.batch_items = batch_items
        self.parquet = parquet
        self.batches: TextBatches | None = None
        self.closing: set[Deferred[Any]] = set()  # full batches being closed in a thread

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextPipeline:
        settings = crawler.settings
        if not settings.getbool("EXTRACT_ENABLED"):
            raise NotConfigured("EXTRACT_ENABLED is off")
        return cls(crawler, Services.of(crawler), settings.getint("TEXT_BATCH_ITEMS"), settings.getbool("TEXT_PARQUET"))

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        site = getattr(spider, "site", None) or spider.name
        run_id = getattr(spider, "run_id", "") or "run"
        try:  # a run id given again (``--run-id``) to a killed run: its stored batches keep their numbers
            taken = await run_in_thread(self.services.store.list_keys, text_prefix(site, run_id))
        except Exception as exc:  # the store is down: the crawl goes on into the spool
            logger.warning("Could not list the stored text batches of run %s (%s)", run_id, exc)
            taken = []
        first = next_batch(taken)
        self.batches = TextBatches(self.services.spool, site, run_id, self.batch_items, self.parquet, first)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, TextRecord) or self.batches is None:
            return item
        full = self.batches.write(item.as_dict())
        self.crawler.signals.send_catch_log(signal=record_written, record=item)
        if full is not None:
            self._close_in_thread(full)
        return item

    async def close_spider(self) -> None:
        await maybe_deferred_to_future(DeferredList(list(self.closing)))
        if self.batches is not None:
            self._announce(await run_in_thread(self.batches.close))

    def _close_in_thread(self, path: Path) -> None:
        closing = deferred_from_coro(run_in_thread(close_batch, path, self.parquet))
        self.closing.add(closing)
        closing.addCallbacks(self._announce, self._close_failed, errbackArgs=(path,))
        closing.addBoth(lambda _: self.closing.discard(closing))

    def _close_failed(self, failure: Any, path: Path) -> None:
        """A batch that could not close stays in the spool as it is (``.open``): the next start closes it."""
        logger.error("Could not close the text batch %s: %s", path, failure.getErrorMessage())

    def _announce(self, closed: list[tuple[Path, str]]) -> None:
        for path, key in closed:
            self.crawler.signals.send_catch_log(signal=file_closed, path=path, key=key)
