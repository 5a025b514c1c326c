"""The WARC exporter: a Scrapy extension that archives every HTTP exchange of a crawl.

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns, before the
downloader middlewares run: the response is still compressed and redirects are not yet followed, so robots.txt,
redirects, 404s and gzip bodies are all archived as they came. Records go to a ``.open`` file in a local spool
folder (``pipelines/store/spool.py``).

Each file is shipped as soon as it closes, while the crawl goes on: indexed (CDXJ), copied to the store off the
reactor thread (at most ``ARCHIVE_UPLOAD_CONCURRENCY`` files at once), and deleted locally only after the store
verified it. A file that cannot be shipped stays in the spool and is tried again with a growing delay. When the
spool holds ``ARCHIVE_SPOOL_MAX_SIZE`` bytes waiting (the store is down or slow), the engine is paused until
uploads catch up, so an outage costs time, not the disk; after ``ARCHIVE_SPOOL_FULL_TIMEOUT`` seconds paused, the
crawl stops (``store_unavailable``). At start the store is checked (a configuration error stops the crawl; an
unreachable store does not), unfinished uploads a killed run left are aborted, and files a killed or failed run
left in the spool are repaired and shipped first.

Settings: ``WARC_ENABLED``, ``WARC_PREFIX``, ``WARC_MAX_SIZE``, ``WARC_GZIP``, ``ARCHIVE_STORE``,
``ARCHIVE_SPOOL_DIR``, ``ARCHIVE_UPLOAD_*``, ``ARCHIVE_SPOOL_*`` (see ``crawler/settings.py``). The response
record's location is put in ``request.meta["warc"]`` (a ``RecordLocation``) so callbacks can point text records
at it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import defer, reactor

from pipelines import __version__
from pipelines.runs.state import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, note_capture, payload_digest
from pipelines.signals import announce_stored
from pipelines.store.base import StoreConfigError, StoreUnavailable, check_once, spool_dir, store_from_settings
from pipelines.store.spool import Spool, SpoolBusy, ship_parked, ship_warc
from pipelines.warc.files import Revisit, WarcRoller
from pipelines.warc.records import warcinfo_fields

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.internet.defer import Deferred

    from pipelines.runs.state import CrawlState, UrlState
    from pipelines.store.base import Store

logger = logging.getLogger(__name__)

# Settings worth recording in each file's warcinfo record. Never add credentials here.
WARCINFO_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DEPTH_LIMIT",
    "CLOSESPIDER_PAGECOUNT",
)
MAX_RETRY_DELAY = 600.0


class WarcExporter:
    """Write every request/response pair to rolling WARC files and ship closed files to the store."""

    def __init__(
        self, crawler: Crawler, store: Store, spool: Path, prefix: str, max_size: int, gzip: bool, gzip_level: int = 6
    ):
        self.crawler = crawler
        self.store = store
        self.spool = Spool(spool)
        self.spool_root = spool
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.gzip_level = gzip_level
        settings = crawler.settings
        self.spool_max = settings.getint("ARCHIVE_SPOOL_MAX_SIZE", 0)
        self.full_timeout = settings.getfloat("ARCHIVE_SPOOL_FULL_TIMEOUT", 3600)
        self.retry_delay = self.first_retry_delay = settings.getfloat("ARCHIVE_UPLOAD_RETRY_DELAY", 30)
        self.slots = defer.DeferredSemaphore(max(1, settings.getint("ARCHIVE_UPLOAD_CONCURRENCY", 2)))
        self.site = ""
        self.roller: WarcRoller | None = None
        self.waiting: dict[Path, int] = {}  # closed files not yet in the store, with their sizes
        self.failed: list[Path] = []  # waiting for the next retry
        self._shipping: list[Deferred[Any]] = []
        self._retry_call: Any = None
        self._paused_since: float | None = None
        self._lock: Any = None
        self._closing = False
        self.last_error: BaseException | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcExporter:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        # A bad store URI raises ValueError here on purpose: NotConfigured would silently crawl without archiving.
        store = store_from_settings(settings)
        exporter = cls(
            crawler,
            store,
            spool_dir(settings, store),
            prefix=settings.get("WARC_PREFIX"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip=settings.getbool("WARC_GZIP"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
        )
        crawler.signals.connect(exporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(exporter.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(exporter.spider_closed, signal=signals.spider_closed)
        return exporter

    async def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", None) or spider.name
        try:
            self._lock = self.spool.lock(self.site)
        except SpoolBusy as exc:
            logger.error("%s", exc)
            raise CloseSpider("spool_busy") from None
        started = time.time()
        await self._check_store(started)
        self.roller = WarcRoller(
            self.spool.site_dir(self.site), self.prefix, self._warcinfo(), self.max_size, self.gzip, self.gzip_level
        )
        leftovers, repaired = await run_in_thread(self.spool.leftover_warcs, self.site)
        self.crawler.stats.inc_value("warc/files_repaired", repaired)
        if leftovers:
            logger.info("Shipping %d file(s) left in %s by an earlier run", len(leftovers), self.roller.directory)
        self._shipping.append(deferred_from_coro(self._ship_leftovers(leftovers)))

    async def _check_store(self, started: float) -> None:
        """Stop on a configuration error; go on into the spool when the store cannot be reached now."""
        try:
            await run_in_thread(check_once, self.store)
        except StoreConfigError as exc:
            logger.error("Store %s: %s", self.store.uri, exc)
            raise CloseSpider("store_config_error") from None
        except StoreUnavailable as exc:
            logger.warning(
                "Store %s unreachable (%s); crawling into the spool %s", self.store.uri, exc, self.spool.root
            )
            return
        for prefix in (f"warc/{self.site}/", f"text/{self.site}/"):
            try:
                aborted = await run_in_thread(self.store.abort_incomplete, prefix.rstrip("/"), started)
            except Exception as exc:  # e.g. no permission to list uploads: a clean-up, not a reason to stop
                logger.warning("Could not look for unfinished uploads under %s: %s", prefix, exc)
                continue
            if aborted:
                logger.warning("Aborted %d unfinished upload(s) a killed run left under %s", aborted, prefix)
            self.crawler.stats.inc_value("archive/uploads_aborted", aborted)

    def _warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        chosen = {name: settings.get(name) for name in WARCINFO_SETTINGS if settings.get(name) is not None}
        chosen["robots"] = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        chosen["isPartOf"] = self.site
        return warcinfo_fields(f"blogarc/{__version__}", chosen)

    async def _ship_leftovers(self, leftovers: list[Path]) -> None:
        """Ship an earlier run's WARCs, then its parked text batches and manifests (manifests last)."""
        await maybe_deferred_to_future(defer.DeferredList([self._enqueue(path) for path in leftovers]))
        if self.failed:
            return  # the store is down: parked files wait for the next run or `blogarc upload`
        for path, key in self.spool.parked(f"text/{self.site}/") + self.spool.parked(f"runs/{self.site}/"):
            try:
                if key.startswith("runs/"):
                    from pipelines.runs.manifest import complete_parked_manifest  # noqa: PLC0415 - manifest imports us

                    await run_in_thread(complete_parked_manifest, self.store, path, key)
                else:
                    await run_in_thread(ship_parked, self.store, path, key)
            except Exception as exc:  # keep it parked; it is named in the summary
                logger.warning("Could not ship %s: %s", key, exc)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        assert self.roller is not None, "spider_opened runs first"
        size_before = self.roller.current.size if self.roller.current else 0
        state: CrawlState | None = getattr(spider, "crawl_state", None)
        prior = state.known(response.url) if state is not None else None
        if state is not None and prior is None and response.status not in (200, 304) and response.body:
            prior = state.known_payload(payload_digest(response.body))
        revisit = self._revisit(response, prior)
        try:
            location = self.roller.write_pair(request, response, revisit)
        except OSError as exc:  # disk full, spool gone: an archive crawl cannot go on without its archive
            self.crawler.stats.inc_value("warc/write_errors")
            logger.error("Cannot write WARC records for %s (%s); stopping the crawl", response.url, exc)
            self._shipping.append(deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error")))
            return
        request.meta["warc"] = location
        stats = self.crawler.stats
        if revisit is not None:
            request.meta["warc_revisit"] = revisit.profile
            stats.inc_value(f"incremental/revisits/{revisit.profile.rsplit('/', 1)[-1]}")
        if state is not None:
            note_capture(state, response, location, prior, revisit is not None)
        stats.inc_value("warc/records", 2)
        stats.inc_value("warc/bytes", self.roller.current.size - size_before if self.roller.current else 0)
        closed = self.roller.rotate_if_full()
        if closed is not None:
            self._shipping.append(self._enqueue(closed))
        self._check_spool()

    @staticmethod
    def _revisit(response: Response, prior: UrlState | None) -> Revisit | None:
        """A revisit when the archive holds this payload already: the server said so (304) or the digest does."""
        if prior is None:
            return None
        if response.status == 304:
            profile = REVISIT_NOT_MODIFIED
        elif response.status != 304 and payload_digest(response.body) == prior.digest:
            profile = REVISIT_IDENTICAL
        else:
            return None
        original = {"uri": prior.url, "date": prior.date, "digest": prior.digest, "record_id": prior.record_id}
        return Revisit(profile, original)

    def _enqueue(self, path: Path) -> Deferred[Any]:
        """Ship ``path`` when an upload slot is free."""
        self.waiting[path] = path.stat().st_size if path.exists() else 0
        return self.slots.run(lambda: deferred_from_coro(self._ship(path)))

    async def _ship(self, path: Path) -> bool:
        """Index a closed WARC, copy both files to the store, and delete them locally once verified."""
        stats = self.crawler.stats
        if self._store_down():  # do not pay a round of timeouts per file: wait for the scheduled retry
            self.failed.append(path)
            return False
        try:
            stored = await run_in_thread(ship_warc, self.store, path, self.site)
        except Exception as exc:  # any store error: keep the local files and try again later
            self.last_error = exc
            stats.inc_value("warc/upload_errors")
            logger.warning("Could not ship %s (%s); it stays in %s", path.name, exc, path.parent)
            self.failed.append(path)
            self._schedule_retry()
            return False
        self.waiting.pop(path, None)
        self.retry_delay = self.first_retry_delay
        for obj, kind in stored:
            announce_stored(self.crawler, obj, kind)
        stats.inc_value("warc/files_stored")
        logger.info("Stored %s (%d bytes)", self.store.uri_for(stored[0][0].key), stored[0][0].size)
        self._check_spool()
        return True

    def _store_down(self) -> bool:
        """Whether the last upload found the store unreachable and a retry is already scheduled."""
        retry_pending = self._retry_call is not None and self._retry_call.active()
        return retry_pending and isinstance(self.last_error, StoreUnavailable) and not self._closing

    def _schedule_retry(self) -> None:
        if self._closing or (self._retry_call is not None and self._retry_call.active()):
            return
        self._retry_call = reactor.callLater(self.retry_delay, self._retry_failed)
        self.retry_delay = min(self.retry_delay * 2, MAX_RETRY_DELAY)

    def _retry_failed(self) -> None:
        again, self.failed = self.failed, []
        self._shipping.extend(self._enqueue(path) for path in again)

    def _check_spool(self) -> None:
        """Pause fetching while the spool holds more than its limit in files waiting for the store."""
        if not self.spool_max or self._closing:
            return
        waiting = sum(self.waiting.values()) + (self.roller.current.size if self.roller and self.roller.current else 0)
        engine = self.crawler.engine
        if waiting >= self.spool_max and self._paused_since is None:
            self._paused_since = time.monotonic()
            engine.pause()
            self.crawler.stats.inc_value("archive/spool_full_pauses")
            logger.warning(
                "Spool full (%d bytes waiting for the store): crawling paused until uploads catch up", waiting
            )
            if self.full_timeout > 0:
                reactor.callLater(self.full_timeout, self._give_up_if_still_paused, self._paused_since)
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
            self._shipping.append(
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_unavailable"))
            )

    async def spider_closed(self, spider: Spider) -> None:
        if self.roller is not None:
            last = self.roller.close()
            if last is not None:
                self._shipping.append(self._enqueue(last))
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
        self.crawler.stats.set_value("warc/files_pending", len(self.failed))
        if self.failed:
            logger.error(
                "%d WARC file(s) could not reach %s and wait in %s: %s. They ship at the next `blogarc crawl` or "
                "with `blogarc upload --store %s`.",
                len(self.failed),
                self.store.uri,
                self.spool.site_dir(self.site),
                ", ".join(p.name for p in self.failed),
                self.store.uri,
            )
