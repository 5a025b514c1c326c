"""Uploads during a crawl: the Scrapy extension that ships each finished file through the process's shipper.

At ``spider_opened`` it takes the site's spool folder (another process writing there stops the crawl:
``spool_busy``), checks the store once per process (a configuration error stops the crawl; an unreachable store
does not: the crawl goes on into the spool), aborts unfinished uploads a killed run left, and repairs what that run
left in the spool; those files are shipped first, in the background, WARCs before text before manifests.

Then every ``file_closed`` file (a WARC the exporter rotated or closed, a text batch the text pipeline closed) is
shipped off the reactor thread, at most ``ARCHIVE_UPLOAD_CONCURRENCY`` at once. A file the store does not take
stays in the spool and is tried again with a growing delay. While the spool holds ``ARCHIVE_SPOOL_MAX_SIZE`` bytes
waiting (the store is down or slow), the engine is paused until uploads catch up, so an outage costs time, not the
disk; after ``ARCHIVE_SPOOL_FULL_TIMEOUT`` seconds paused, the crawl stops (``store_unavailable``). At
``spider_closed`` every upload in flight is awaited and failed ones tried once more; what still fails is pending
(``warc/files_pending``), shipped by the next run or ``blogarc upload``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import defer

from pipelines.layout import is_warc_name, key_kind
from pipelines.services import Services
from pipelines.signals import announce_stored, file_closed
from pipelines.store.base import StoreConfigError, StoreUnavailable
from pipelines.store.shipper import Shipped
from pipelines.store.spool import SpoolBusy

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from pipelines.store.shipper import Leftovers

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 600.0


class Uploads:
    """Ship a site's finished files while its crawl goes on; see the module docstring."""

    def __init__(
        self,
        crawler: Crawler,
        services: Services,
        *,
        concurrency: int,
        retry_delay: float,
        spool_max: int,
        full_timeout: float,
    ):
        self.crawler = crawler
        self.services = services
        self.shipper = services.shipper
        self.spool_max = spool_max
        self.full_timeout = full_timeout
        self.retry_delay = self.first_retry_delay = retry_delay
        self.slots = defer.DeferredSemaphore(max(1, concurrency))
        self.site = ""
        self.waiting: dict[Path, tuple[str, int]] = {}  # files not yet in the store: key, size
        self.failed: list[Path] = []  # waiting for the next retry
        self.last_error: BaseException | None = None
        self._shipping: list[Deferred[Any]] = []
        self._retry_call: Any = None
        self._paused_since: float | None = None
        self._lock: Any = None
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Uploads:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED") and not settings.getbool("EXTRACT_ENABLED"):
            raise NotConfigured("nothing to upload")
        uploads = cls(
            crawler,
            Services.of(crawler),  # a bad store URI raises ValueError here on purpose: never crawl without a store
            concurrency=settings.getint("ARCHIVE_UPLOAD_CONCURRENCY", 2),
            retry_delay=settings.getfloat("ARCHIVE_UPLOAD_RETRY_DELAY", 30),
            spool_max=settings.getint("ARCHIVE_SPOOL_MAX_SIZE", 0),
            full_timeout=settings.getfloat("ARCHIVE_SPOOL_FULL_TIMEOUT", 3600),
        )
        crawler.signals.connect(uploads.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(uploads.file_closed, signal=file_closed)
        crawler.signals.connect(uploads.check_spool, signal=signals.response_downloaded)
        crawler.signals.connect(uploads.spider_closed, signal=signals.spider_closed)
        return uploads

    async def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", None) or spider.name
        try:
            self._lock = self.shipper.spool.lock(self.site)
        except SpoolBusy as exc:
            logger.error("%s", exc)
            raise CloseSpider("spool_busy") from None
        started = time.time()
        if await self._check_store():
            aborted = await run_in_thread(self._abort_unfinished, started)
            self.crawler.stats.inc_value("archive/uploads_aborted", aborted)
        found = await run_in_thread(self.shipper.leftovers, self.site)
        self.crawler.stats.inc_value("warc/files_repaired", found.repaired)
        if found.warcs or found.texts or found.manifests:
            logger.info("Shipping %d file(s) an earlier run left in the spool", len(found.warcs) + len(found.texts))
        self._shipping.append(deferred_from_coro(self._ship_leftovers(found)))

    async def _check_store(self) -> bool:
        """Stop on a configuration error; go on into the spool when the store cannot be reached now."""
        try:
            await run_in_thread(self.services.check_store)
        except StoreConfigError as exc:
            logger.error("Store %s: %s", self.services.store.uri, exc)
            raise CloseSpider("store_config_error") from None
        except StoreUnavailable as exc:
            logger.warning(
                "Store %s unreachable (%s); crawling into the spool %s",
                self.services.store.uri,
                exc,
                self.shipper.spool.root,
            )
            return False
        return True

    def _abort_unfinished(self, started: float) -> int:
        try:
            return self.shipper.abort_unfinished(self.site, started)
        except StoreUnavailable as exc:
            logger.warning("Could not look for unfinished uploads: %s", exc)
            return 0

    async def _ship_leftovers(self, found: Leftovers) -> None:
        """An earlier run's WARCs, then its text batches, then its manifests (each step once the last succeeded)."""
        await maybe_deferred_to_future(defer.DeferredList([self._enqueue(path, "") for path in found.warcs]))
        if self.failed:
            return  # the store is down: the rest waits for the next run or `blogarc upload`
        shipped = Shipped()
        await run_in_thread(self.shipper.ship_texts, found.texts, shipped)
        if not shipped.failed:
            await run_in_thread(self.shipper.ship_manifests, found.manifests, shipped)
        for obj in shipped.stored:
            self._stored(obj)

    def file_closed(self, path: Path, key: str) -> None:
        """Ship a file the crawl just finished."""
        self._shipping.append(self._enqueue(path, key))
        self.check_spool()

    def _enqueue(self, path: Path, key: str) -> Deferred[Any]:
        self.waiting[path] = (key, path.stat().st_size if path.exists() else 0)
        return self.slots.run(lambda: deferred_from_coro(self._ship(path)))

    async def _ship(self, path: Path) -> bool:
        """Ship one file; on failure keep it in the spool and schedule a retry."""
        if self._store_down():  # do not pay a round of timeouts per file: wait for the scheduled retry
            self.failed.append(path)
            return False
        key = self.waiting.get(path, ("", 0))[0]
        try:
            if is_warc_name(path.name) or path.suffix == ".cdxj":
                stored = await run_in_thread(self.shipper.ship_warc, path, self.site)
            else:
                stored = [await run_in_thread(self.shipper.ship_file, path, key)]
        except Exception as exc:  # any store error: keep the local file and try again later
            self.last_error = exc
            self.crawler.stats.inc_value(f"{'text' if key else 'warc'}/upload_errors")
            logger.warning("Could not ship %s (%s); it stays in %s", path.name, exc, path.parent)
            self.failed.append(path)
            self._schedule_retry()
            return False
        self.waiting.pop(path, None)
        self.retry_delay = self.first_retry_delay
        for obj in stored:
            self._stored(obj)
        logger.info("Stored %s (%d bytes)", self.services.store.uri_for(stored[0].key), stored[0].size)
        self.check_spool()
        return True

    def _stored(self, obj: Any) -> None:
        kind = key_kind(obj.key)
        self.crawler.stats.inc_value("warc/files_stored" if kind == "warc" else f"{kind}/files_stored")
        announce_stored(self.crawler, obj, kind)

    def _store_down(self) -> bool:
        """Whether the last upload found the store unreachable and a retry is already scheduled."""
        retry_pending = self._retry_call is not None and self._retry_call.active()
        return retry_pending and isinstance(self.last_error, StoreUnavailable) and not self._closing

    def _schedule_retry(self) -> None:
        if self._closing or (self._retry_call is not None and self._retry_call.active()):
            return
        self._retry_call = _call_later(self.retry_delay, self._retry_failed)
        self.retry_delay = min(self.retry_delay * 2, MAX_RETRY_DELAY)

    def _retry_failed(self) -> None:
        again, self.failed = self.failed, []
        self._shipping.extend(self._enqueue(path, self.waiting.get(path, ("", 0))[0]) for path in again)

    def check_spool(self, *args: Any, **kwargs: Any) -> None:
        """Pause fetching while the spool holds more than its limit in files waiting for the store."""
        if not self.spool_max or self._closing:
            return
        waiting = sum(size for _, size in self.waiting.values()) + self.crawler.stats.get_value("warc/open_bytes", 0)
        engine = self.crawler.engine
        if waiting >= self.spool_max and self._paused_since is None:
            self._paused_since = time.monotonic()
            engine.pause()
            self.crawler.stats.inc_value("archive/spool_full_pauses")
            logger.warning(
                "Spool full (%d bytes waiting for the store): crawling paused until uploads catch up", waiting
            )
            if self.full_timeout > 0:
                _call_later(self.full_timeout, self._give_up_if_still_paused, self._paused_since)
        elif waiting < self.spool_max and self._paused_since is not None:
            paused = time.monotonic() - self._paused_since
            self._paused_since = None
            engine.unpause()
            self.crawler.stats.inc_value("archive/spool_full_seconds", round(paused))
            logger.info("Spool below its limit again after %.0fs: crawling resumed", paused)

    def _give_up_if_still_paused(self, since: float) -> None:
        if self._paused_since == since and not self._closing:
            logger.error(
                "The store stayed unavailable for %.0fs with the spool full; stopping the crawl", self.full_timeout
            )
            self._paused_since = None
            self.crawler.engine.unpause()
            closing = self.crawler.engine.close_spider_async(reason="store_unavailable")
            self._shipping.append(deferred_from_coro(closing))

    async def spider_closed(self, spider: Spider) -> None:
        await self._drain()
        self._closing = True
        if self._retry_call is not None and self._retry_call.active():
            self._retry_call.cancel()
        await self._last_attempt()
        if self._lock is not None:
            self._lock.close()

    async def _drain(self) -> None:
        """Wait for every upload in flight, including those started while waiting."""
        while self._shipping:
            shipping, self._shipping = self._shipping, []
            for deferred in shipping:
                await maybe_deferred_to_future(deferred)

    async def _last_attempt(self) -> None:
        """Try the failed files once more; what still fails is reported pending (the next run ships it)."""
        left, self.failed = self.failed, []
        for index, path in enumerate(left):
            if not await self._ship(path) and isinstance(self.last_error, StoreUnavailable):
                self.failed.extend(left[index + 1 :])  # the store is down: do not wait for retries file by file
                break
        warcs = [path for path in self.failed if is_warc_name(path.name)]
        self.crawler.stats.set_value("warc/files_pending", len(warcs))
        if self.failed:
            logger.error(
                "%d file(s) could not reach %s and wait in the spool %s: %s. They ship at the next `blogarc crawl` "
                "or with `blogarc upload --store %s`.",
                len(self.failed),
                self.services.store.uri,
                self.shipper.spool.root,
                ", ".join(p.name for p in self.failed),
                self.services.store.uri,
            )


def _call_later(delay: float, function: Any, *args: Any) -> Any:
    """``reactor.callLater``; the reactor is imported when used, never at import time (Scrapy installs its own)."""
    from twisted.internet import reactor  # the installed one, once Scrapy chose it

    return reactor.callLater(delay, function, *args)
