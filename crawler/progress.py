"""Progress while a crawl runs: a live status line on a terminal, periodic log lines otherwise, a summary at the end.

Replaces Scrapy's LogStats (``LOGSTATS_INTERVAL = 0`` in settings) with figures an archivist cares about: pages
fetched, requests queued, posts extracted, WARC bytes written. A job of many blogs (``crawler.runner``) adds one
line for the whole job (``JobProgress``): sites done, running and waiting, pages a second, errors.

The live line is drawn by blogarc's log handler (``crawler.logs.LogHandler.status``), which prints log lines above
it and cuts it to the terminal's width; without that handler on a terminal (``scrapy crawl blog``, a log file,
output to a pipe) the figures are logged every ``PROGRESS_INTERVAL`` seconds instead.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.logs import LogHandler
from crawler.output import human_bytes
from pipelines.runs.manifest import ERROR_PREFIXES

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from crawler.runner import JobRunner

logger = logging.getLogger(__name__)


__all__ = ["JobProgress", "Progress", "human_bytes"]


def live_handler(settings: BaseSettings) -> LogHandler | None:
    """The log handler of ``blogarc crawl`` when it can draw a live line and ``PROGRESS_LIVE`` allows; else None."""
    handler = LogHandler.installed()
    wanted = settings.getbool("PROGRESS_LIVE", True)
    return handler if handler is not None and handler.live and wanted else None


class Progress:
    """Report crawl progress; see the module docstring."""

    def __init__(self, crawler: Crawler, interval: float, live: LogHandler | None):
        self.crawler = crawler
        self.interval = interval  # 0: no lines while the crawl runs, only the last one
        self.live = live
        self.started = time.monotonic()
        self.site = ""
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured  # a choice (PROGRESS_INTERVAL = 0), not a problem: no warning
        if not crawler.settings.getbool("PROGRESS_PER_SITE", True):  # a job's blog: the job's line reports
            return cls(crawler, 0, None).connect()
        live = live_handler(crawler.settings)
        return cls(crawler, 0.5 if live else interval, live).connect()

    def connect(self) -> Progress:
        self.crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        return self

    def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", spider.name)
        self.started = time.monotonic()
        if self.interval > 0:
            self.task = create_looping_call(self.report)
            self.task.start(self.interval, now=False)

    def figures(self) -> dict[str, Any]:
        """The numbers on the progress line."""
        stats = self.crawler.stats
        queued = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        return {
            "fetched": stats.get_value("response_received_count", 0),
            "queued": queued,
            "extracted": stats.get_value("extract/ok", 0),
            "warc_bytes": stats.get_value("warc/bytes", 0),
            # as the run manifest counts them (log_count/ERROR would count every crawler's lines of the process)
            "errors": sum(v for k, v in stats.get_stats().items() if k.startswith(ERROR_PREFIXES)),
        }

    def line(self) -> str:
        f = self.figures()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"{self.site}: {f['fetched']} pages fetched ({f['fetched'] / elapsed:.1f}/s), {f['queued']} queued, "
            f"{f['extracted']} posts/pages extracted, {human_bytes(f['warc_bytes'])} WARC, {f['errors']} errors"
        )

    def report(self) -> None:
        if self.live is not None:
            self.live.status(self.line())
        else:
            logger.info("Progress: %s", self.line())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live is not None:
            self.live.clear_status()
        logger.info("Finished (%s) in %.0fs. %s", reason, time.monotonic() - self.started, self.line())


class JobProgress:
    """The job's progress line, every ``PROGRESS_INTERVAL`` seconds (live on a terminal), and a last one at the end."""

    def __init__(self, runner: JobRunner, live: LogHandler | None):
        self.runner = runner
        self.live = live
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def start(cls, runner: JobRunner) -> JobProgress:
        """Report on ``runner`` from when the reactor runs (a 0 interval: only the last line)."""
        interval = runner.settings.getfloat("PROGRESS_INTERVAL")
        live = live_handler(runner.settings) if interval > 0 else None
        progress = cls(runner, live)
        if interval > 0:
            progress.task = create_looping_call(progress.report)
            progress.task.start(1.0 if live else interval, now=False)
        return progress

    def line(self) -> str:
        f = self.runner.figures()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"job: {f['done']} sites done, {f['running']} running, {f['waiting']} waiting; {f['pages']} pages "
            f"({f['pages'] / elapsed:.1f}/s); {f['failed_sites']} sites failed, {f['errors']} errors"
        )

    def report(self) -> None:
        if self.live is not None:
            self.live.status(self.line())
        else:
            logger.info("Progress: %s", self.line())

    def stop(self) -> None:
        """The job is over: the last line."""
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live is not None:
            self.live.clear_status()
        logger.info("Job finished in %.0fs. %s", time.monotonic() - self.started, self.line())
