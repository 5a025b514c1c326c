"""The WARC exporter: a Scrapy extension that archives every HTTP exchange of a crawl.

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns, before the
downloader middlewares run: the response is still compressed and redirects are not yet followed, so robots.txt,
redirects, 404s and gzip bodies are all archived as they came. Records go to a ``.open`` file in a local spool
folder; closed files are indexed (CDXJ) and shipped to the store off the reactor thread, and the local copy is
deleted only after the store verified it. At start, files a killed or failed run left in the spool are repaired
and shipped first.

Settings: ``WARC_ENABLED``, ``WARC_PREFIX``, ``WARC_MAX_SIZE``, ``WARC_GZIP``, plus ``ARCHIVE_STORE`` and
``ARCHIVE_SPOOL_DIR`` (see ``crawler/settings.py``). The response record's location is put in
``request.meta["warc"]`` (a ``RecordLocation``) so callbacks can point text records at it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future

from pipelines import __version__
from pipelines.index import write_cdxj
from pipelines.layout import warc_key
from pipelines.signals import announce_stored
from pipelines.stores import StoredObject, spool_dir, store_from_settings
from pipelines.warc import warcinfo_fields
from pipelines.warcfile import OPEN_SUFFIX, WarcRoller, repair_open_file

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.internet.defer import Deferred

    from pipelines.stores import Store

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


class WarcExporter:
    """Write every request/response pair to rolling WARC files and ship closed files to the store."""

    def __init__(self, crawler: Crawler, store: Store, spool: Path, prefix: str, max_size: int, gzip: bool):
        self.crawler = crawler
        self.store = store
        self.spool_root = spool
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.site = ""
        self.roller: WarcRoller | None = None
        self._shipping: list[Deferred[Any]] = []

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
        )
        crawler.signals.connect(exporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(exporter.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(exporter.spider_closed, signal=signals.spider_closed)
        return exporter

    def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", None) or spider.name
        spool = self.spool_root / self.site
        self.roller = WarcRoller(spool, self.prefix, self._warcinfo(), self.max_size, gzip=self.gzip)
        for path in self._leftovers(spool):
            self._ship_later(path)

    def _warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        chosen = {name: settings.get(name) for name in WARCINFO_SETTINGS if settings.get(name) is not None}
        chosen["robots"] = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        chosen["isPartOf"] = self.site
        return warcinfo_fields(f"blogarc/{__version__}", chosen)

    def _leftovers(self, spool: Path) -> list[Path]:
        """WARCs an earlier run did not ship: ``.open`` files (repaired now) and closed ones."""
        found = []
        for path in sorted(spool.glob("*" + OPEN_SUFFIX)):
            self.crawler.stats.inc_value("warc/files_repaired")
            repaired = repair_open_file(path)
            if repaired is not None:
                found.append(repaired)
        found += [p for p in sorted(spool.glob("*.warc*")) if p not in found and p.suffix != OPEN_SUFFIX]
        if found:
            logger.info("Shipping %d WARC file(s) left in %s by an earlier run", len(found), spool)
        return found

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        assert self.roller is not None, "spider_opened runs first"
        size_before = self.roller.current.size if self.roller.current else 0
        try:
            location = self.roller.write_pair(request, response)
        except OSError as exc:  # disk full, spool gone: an archive crawl cannot go on without its archive
            self.crawler.stats.inc_value("warc/write_errors")
            logger.error("Cannot write WARC records for %s (%s); stopping the crawl", response.url, exc)
            self._shipping.append(deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error")))
            return
        request.meta["warc"] = location
        stats = self.crawler.stats
        stats.inc_value("warc/records", 2)
        stats.inc_value("warc/bytes", self.roller.current.size - size_before if self.roller.current else 0)
        closed = self.roller.rotate_if_full()
        if closed is not None:
            self._ship_later(closed)

    def _ship_later(self, path: Path) -> None:
        self._shipping.append(deferred_from_coro(self._ship(path)))

    async def _ship(self, warc_path: Path) -> None:
        """Index a closed WARC, copy both files to the store, and delete them locally once verified."""
        stats = self.crawler.stats
        try:
            stored = await run_in_thread(self._index_and_persist, warc_path)
        except Exception:  # any store error: keep the local files, the next run ships them
            stats.inc_value("warc/files_pending")
            logger.exception("Could not ship %s; it stays in %s for the next run", warc_path.name, warc_path.parent)
            return
        for obj, kind in stored:
            announce_stored(self.crawler, obj, kind)
        stats.inc_value("warc/files_stored")
        logger.info("Stored %s (%d bytes)", self.store.uri_for(stored[0][0].key), stored[0][0].size)

    def _index_and_persist(self, warc_path: Path) -> list[tuple[StoredObject, str]]:
        index_path = write_cdxj(warc_path)
        warc_obj = self.store.persist(warc_path, warc_key(self.site, warc_path.name))
        index_obj = self.store.persist(index_path, warc_key(self.site, index_path.name))
        warc_path.unlink()
        index_path.unlink()
        return [(warc_obj, "warc"), (index_obj, "cdxj")]

    async def spider_closed(self, spider: Spider) -> None:
        if self.roller is not None:
            last = self.roller.close()
            if last is not None:
                self._ship_later(last)
        for shipping in self._shipping:
            await maybe_deferred_to_future(shipping)
        self._shipping.clear()
