"""The WARC exporter: a Scrapy extension that archives every HTTP exchange of a crawl (capture only).

It listens to ``response_downloaded``, which Scrapy sends right after the download handler returns, before the
downloader middlewares run: the response is still compressed and redirects are not yet followed, so robots.txt,
redirects, 404s and gzip bodies are all archived as they came. Records go to a ``.open`` file in the site's spool
folder (``pipelines/warc/files.py``); each file that closes (at ``WARC_MAX_SIZE``, or when the crawl ends) is
announced with ``file_closed`` and shipped by ``pipelines/store/uploads.py``.

Each pair is built (``records.Exchange``, ``records.PairBuilder``: headers, SHA-1 digests), compressed and written
here, on the crawl's thread, before the response goes on: its callback finds ``request.meta["warc"]`` and the crawl
state knows the capture. A thread of its own did that work until the seventh session of issue 18: hashlib and
libdeflate release the GIL, but taking it back cost more than the second core gave. Each pair handed over and back
made the two threads contend for the GIL at every socket call of the crawl's thread, and a crawl of the 400-post
bench blog used ~20% more CPU, for no shorter wall time (``bench/README.md``).

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
from scrapy.utils.defer import deferred_from_coro

from pipelines import __version__
from pipelines.layout import warc_key
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

    from pipelines.store.spool import Spool
    from pipelines.warc.files import Appended
    from pipelines.warc.records import Revisit

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
        self.failed = False  # a write failed (disk full, spool gone): the crawl is closing
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

    def _warcinfo(self) -> dict[str, str]:
        settings = self.crawler.settings
        chosen = {name: settings.get(name) for name in WARCINFO_SETTINGS if settings.get(name) is not None}
        chosen["robots"] = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        chosen["isPartOf"] = self.site
        return warcinfo_fields(f"blogarc/{__version__}", chosen)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Write the exchange's records; the response goes on once they are in the file."""
        assert self.roller is not None, "spider_opened runs first"
        revisit = self.incremental.revisit_for(response) if self.incremental is not None else None
        try:
            appended = self.roller.append(Exchange.of(request, response, revisit))
        except OSError as exc:  # disk full, spool gone: an archive crawl cannot go on without its archive
            self._write_failed(exc, response)
            return
        self._written(appended, request, response, revisit)

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

    def _write_failed(self, exc: OSError, response: Response) -> None:
        self.crawler.stats.inc_value("warc/write_errors")
        if self.failed:  # the crawl is closing already: the responses still arriving are counted, not logged
            return
        self.failed = True
        logger.error("Cannot write WARC records for %s (%s); stopping the crawl", response.url, exc)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error"))

    def _announce(self, path: Path) -> None:
        self.crawler.stats.set_value("warc/open_bytes", 0)
        self.crawler.signals.send_catch_log(signal=file_closed, path=path, key=warc_key(self.site, path.name))

    def spider_closed(self, spider: Spider) -> None:
        """Close the last file; ``Uploads`` (connected after this extension) ships it."""
        if self.roller is not None and (last := self.roller.close()) is not None:
            self._announce(last)
