"""Incremental crawls: the Scrapy extension that holds the site's lock and crawl state for a run.

At ``spider_opened`` it takes the site's lock in the store (``pipelines/runs/sitelock.py``; a second overlapping run
waits ``ARCHIVE_LOCK_WAIT`` seconds, then stops with reason ``site_locked``), loads the crawl state
(``pipelines/runs/state.py``) and chooses the run's mode, put on the spider as ``spider.crawl_state``:

* ``full``: no state yet, or ``ARCHIVE_INCREMENTAL`` off (``blogarc crawl --full``): every body is stored again;
* ``revalidate``: every ``ARCHIVE_REVALIDATE_EVERY`` runs: every known URL is asked for again (conditionally), none
  is skipped on the strength of a sitemap ``lastmod`` or REST ``modified_gmt``;
* ``incremental``: conditional requests (``crawler/middlewares.py``), revisit records for unchanged payloads
  (``pipelines/warc/exporter.py``), and posts whose listed date is older than their last capture are not fetched.

The state is written every ``ARCHIVE_STATE_CHECKPOINT`` seconds (the lock renewed with it) and at
``spider_closed``, then the lock is released.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from pipelines.runs.sitelock import SiteLock, SiteLocked
from pipelines.runs.state import CrawlState, load_state, state_key
from pipelines.store.base import store_from_settings

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from pipelines.store.base import Store

logger = logging.getLogger(__name__)


class Incremental:
    """Lock, load, checkpoint and save a site's crawl state around one run."""

    def __init__(
        self,
        crawler: Crawler,
        store: Store,
        *,
        incremental: bool = True,
        revalidate_every: int = 0,
        checkpoint: float = 600.0,
        lock_wait: float = 30.0,
        lock_ttl: float = 3600.0,
    ):
        self.crawler = crawler
        self.store = store
        self.incremental = incremental
        self.revalidate_every = revalidate_every
        self.checkpoint_interval = checkpoint
        self.lock_wait = lock_wait
        self.lock_ttl = max(lock_ttl, 2 * checkpoint)  # a live holder renews well before its lock expires
        self.lock: SiteLock | None = None
        self.state: CrawlState | None = None
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Incremental:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("the crawl state points into WARC files, and WARC_ENABLED is off")
        extension = cls(
            crawler,
            store_from_settings(settings),
            incremental=settings.getbool("ARCHIVE_INCREMENTAL", True),
            revalidate_every=settings.getint("ARCHIVE_REVALIDATE_EVERY"),
            checkpoint=settings.getfloat("ARCHIVE_STATE_CHECKPOINT", 600.0),
            lock_wait=settings.getfloat("ARCHIVE_LOCK_WAIT", 30.0),
            lock_ttl=settings.getfloat("ARCHIVE_LOCK_TTL", 3600.0),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    async def spider_opened(self, spider: Spider) -> None:
        site = getattr(spider, "site", None) or spider.name
        self.lock = SiteLock(self.store, site, getattr(spider, "run_id", "") or "?", self.lock_ttl)
        try:
            await run_in_thread(self.lock.acquire, self.lock_wait)
        except SiteLocked as exc:
            logger.error("%s. Not crawling it again at the same time; try later.", exc)
            raise CloseSpider("site_locked") from None
        self.state = await run_in_thread(load_state, self.store, site)
        self.state.mode = self.choose_mode(self.state)
        self.state.start_run(getattr(spider, "run_id", ""), revalidate=self.state.mode != "incremental")
        spider.crawl_state = self.state
        stats = self.crawler.stats
        stats.set_value("incremental/mode", self.state.mode)
        stats.set_value("incremental/known_urls", len(self.state.previous))
        logger.info(
            "Crawl state %s: %d known URLs, run %d, mode %s",
            state_key(site),
            len(self.state.previous),
            self.state.runs,
            self.state.mode,
        )
        if self.checkpoint_interval > 0:
            self._loop = task.LoopingCall(lambda: deferred_from_coro(self.checkpoint()))
            self._loop.start(self.checkpoint_interval, now=False)

    def choose_mode(self, state: CrawlState) -> str:
        """``full`` without state or when asked for; ``revalidate`` every N runs; ``incremental`` otherwise."""
        if not self.incremental or not state.exists:
            return "full"
        if self.revalidate_every and state.runs_since_revalidation() >= self.revalidate_every:
            return "revalidate"
        return "incremental"

    async def checkpoint(self) -> None:
        """Save the state and renew the lock, so a long run's progress survives a crash."""
        if self.state is None or self.lock is None or not self.lock.held:
            return
        try:
            size = await run_in_thread(self.state.save, self.store)
            await run_in_thread(self.lock.renew)
        except Exception as exc:  # the store is down: the next checkpoint or the end of the run tries again
            logger.warning("Could not checkpoint the crawl state (%s)", exc)
            return
        self.crawler.stats.inc_value("incremental/checkpoints")
        logger.debug("Checkpointed the crawl state (%d bytes)", size)

    async def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.lock is None or not self.lock.held:
            return
        try:
            if self.state is not None:
                size = await run_in_thread(self.state.save, self.store)
                self.crawler.stats.set_value("incremental/state_bytes", size)
        except Exception as exc:  # the WARCs are safe; the next run only captures more than it needs to
            logger.error("Could not save the crawl state %s (%s)", state_key(self.lock.site), exc)
        finally:
            await run_in_thread(self.lock.release)
