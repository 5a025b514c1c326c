"""The WARC exporter: a Scrapy extension that archives every HTTP exchange of a crawl (capture only).

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns, before the
downloader middlewares run: the response is still compressed and redirects are not yet followed, so robots.txt,
redirects, 404s and gzip bodies are all archived as they came. Records go to a ``.open`` file in the site's spool
folder (``pipelines/warc/files.py``); each file that closes (at ``WARC_MAX_SIZE``, or when the crawl ends) is
announced with ``file_closed`` and shipped by ``pipelines/store/uploads.py``.

What the records need is copied off Scrapy's objects on the crawl's thread (``records.Exchange``); the records are
built (warcio: headers, SHA-1 digests), compressed and written in one thread of their own (hashlib and libdeflate
release the GIL: the second core does it). ``WarcWritten``, a downloader middleware nearest the
downloader, holds each response until its records are written, so nothing downstream sees a difference.

Whether a response is written as a revisit, and what the crawl state learns from each capture, is the incremental
component's decision (``pipelines/runs/incremental.py``); the exporter only asks and writes.

Settings: ``WARC_ENABLED``, ``WARC_PREFIX``, ``WARC_MAX_SIZE``, ``WARC_GZIP``, ``WARC_GZIP_LEVEL`` (see
``crawler/settings.py``). The response record's location is put in ``request.meta["warc"]`` (a ``RecordLocation``)
so callbacks can point text records at it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future

from pipelines import __version__
from pipelines.layout import warc_key
from pipelines.offload import Offload
from pipelines.runs.incremental import Incremental
from pipelines.services import Services
from pipelines.signals import file_closed
from pipelines.warc.files import WarcRoller
from pipelines.warc.records import Exchange, warcinfo_fields

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.python.failure import Failure

    from pipelines.store.spool import Spool
    from pipelines.warc.files import Appended
    from pipelines.warc.records import Revisit

logger = logging.getLogger(__name__)

WRITING = "_warc_writing"  # request.meta key of the Deferred of a pair being written (popped by WarcWritten)

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
    """Write every request/response pair to rolling WARC files; announce each file that closes."""

    def __init__(self, crawler: Crawler, spool: Spool, prefix: str, max_size: int, gzip: bool, gzip_level: int = 6):
        self.crawler = crawler
        self.spool = spool
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.gzip_level = gzip_level
        self.site = ""
        self.roller: WarcRoller | None = None
        self.writing: Offload | None = None  # the thread that compresses and writes records
        self.incremental: Incremental | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcExporter:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        exporter = cls(
            crawler,
            Services.of(crawler).spool,
            prefix=settings.get("WARC_PREFIX"),
            max_size=settings.getint("WARC_MAX_SIZE"),
            gzip=settings.getbool("WARC_GZIP"),
            gzip_level=settings.getint("WARC_GZIP_LEVEL"),
        )
        crawler.signals.connect(exporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(exporter.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(exporter.spider_closed, signal=signals.spider_closed)
        return exporter

    def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", None) or spider.name
        self.incremental = Incremental.of(self.crawler)
        # files are opened on the first write, after every spider_opened handler (the spool lock, the repair of
        # what a killed run left) has finished
        self.roller = WarcRoller(
            self.spool.site_dir(self.site), self.prefix, self._warcinfo(), self.max_size, self.gzip, self.gzip_level
        )
        self.writing = Offload("blogarc-warc")

    def _warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        chosen = {name: settings.get(name) for name in WARCINFO_SETTINGS if settings.get(name) is not None}
        chosen["robots"] = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        chosen["isPartOf"] = self.site
        return warcinfo_fields(f"blogarc/{__version__}", chosen)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Take the exchange off Scrapy's objects here; build, compress and write its records in the thread.

        The response goes on only once its records are written (``WarcWritten``): its callback finds
        ``request.meta["warc"]`` and the crawl state knows the capture, as when the write was done here.
        """
        assert self.roller is not None and self.writing is not None, "spider_opened runs first"
        revisit = self.incremental.revisit_for(response) if self.incremental is not None else None
        written = self.writing.run(self.roller.append, Exchange.of(request, response, revisit))
        written.addCallbacks(
            self._written, self._write_failed, callbackArgs=(request, response, revisit), errbackArgs=(response,)
        )
        request.meta[WRITING] = written

    def _written(self, appended: Appended, request: Request, response: Response, revisit: Revisit | None) -> None:
        """A pair is in its file: tell the request, the crawl state and the stats; announce a file it closed."""
        request.meta["warc"] = appended.location
        if revisit is not None:
            request.meta["warc_revisit"] = revisit.profile
        if self.incremental is not None:
            self.incremental.note_capture(response, appended.location, revisit)
        stats = self.crawler.stats
        stats.inc_value("warc/records", 2)
        stats.inc_value("warc/bytes", appended.written)
        stats.set_value("warc/open_bytes", appended.size)
        if appended.closed is not None:
            self._announce(appended.closed)

    def _write_failed(self, failure: Failure, response: Response) -> None:
        if not failure.check(OSError):  # a bug, not the disk: let it show
            failure.raiseException()
        # disk full, spool gone: an archive crawl cannot go on without its archive
        self.crawler.stats.inc_value("warc/write_errors")
        logger.error("Cannot write WARC records for %s (%s); stopping the crawl", response.url, failure.value)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error"))

    def _announce(self, path: Path) -> None:
        self.crawler.stats.set_value("warc/open_bytes", 0)
        self.crawler.signals.send_catch_log(signal=file_closed, path=path, key=warc_key(self.site, path.name))

    def spider_closed(self, spider: Spider) -> None:
        """Write what is left, close the last file; ``Uploads`` (connected after this extension) ships it."""
        if self.writing is not None:
            self.writing.drain()  # every pair written and told about, before the last file closes
        if self.roller is not None and (last := self.roller.close()) is not None:
            self._announce(last)


class WarcWritten:
    """Downloader middleware: a response goes on to the other middlewares once its records are in the WARC file.

    It sits nearest the downloader (installed by the add-on), so no middleware sees a response before its capture
    is written, and callbacks find ``request.meta["warc"]``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcWritten:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        written = request.meta.pop(WRITING, None)
        if written is not None and not written.called:
            await maybe_deferred_to_future(written)
        return response
