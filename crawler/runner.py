"""A job of many blogs in one process: at most N crawling at once, the rest waiting in order.

``blogarc crawl --sites FILE`` hands its blogs to a ``JobRunner``. It keeps ``ARCHIVE_CONCURRENT_SITES`` lanes
(``--concurrent-sites``); each lane creates the crawler of the next waiting blog, runs it to its end and takes the
next, so crawlers (their schedulers, stats, WARC writers) exist for the running blogs only and memory follows N, not
the length of the sites file. Every crawler gets the job's ``Services`` (one store client, spool, shipper,
extraction pool). Each blog keeps its own politeness: one crawler, one downloader, its own delays and limits.

What a finished blog leaves is a small ``SiteResult`` (its status, figures, manifest key); the job manifest
(``runs/_job/{run_id}.json``, ``pipelines.layout.job_manifest_key``) sums them once every blog is over. A blog that
fails (unreachable, failed, timeout: ``pipelines.runs.manifest.run_status``) does not stop the others; a shutdown
(Ctrl-C, SIGTERM) stops the running ones and starts no more: the waiting blogs end as ``not started``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.settings import SETTINGS_PRIORITIES
from twisted.internet.defer import DeferredList, inlineCallbacks

from crawler.admission import redacted
from crawler.logs import DOWNLOAD_LOGGERS, ONCE_PER_JOB_LOGGERS, OneLinePerProblem
from crawler.progress import JobProgress
from crawler.shutdown import JobProcess
from crawler.spiders.blog import BlogSpider
from pipelines import __version__
from pipelines.layout import job_manifest_key, manifest_key, site_key
from pipelines.runs.manifest import (
    ERROR_PREFIXES,
    FAILURE_STATUSES,
    NOT_STARTED_REASONS,
    RunManifest,
    run_status,
    seed_failure,
)

if TYPE_CHECKING:
    from collections.abc import Generator

    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from twisted.internet.defer import Deferred

    from pipelines.services import Services

logger = logging.getLogger(__name__)

NOT_STARTED = "not started"
# Settings a job of many blogs changes for each blog unless the command line set them: the figures are in the run
# manifest (no stats dump of 60 lines per blog) and the job has the one live progress line.
QUIET_PER_SITE = {"STATS_DUMP": "False", "PROGRESS_LIVE": "False", "PROGRESS_PER_SITE": "False"}


@dataclass
class SiteResult:
    """What one blog of the job became: its status (a run manifest's, or ``not started``) and its figures."""

    url: str
    site: str
    status: str = NOT_STARTED
    finish_reason: str = NOT_STARTED
    manifest: str = ""  # key of the run manifest ("" when none was written)
    pages: int = 0  # responses received
    records: int = 0  # text records written
    bytes: int = 0  # WARC bytes written
    warc_files: int = 0  # WARC files stored
    files_pending: int = 0  # files waiting in the spool
    errors: int = 0  # errors by kind, as the run manifest counts them (HTTP errors, download exceptions...)
    seed_failure: str | None = None  # how the seed failed (``pipelines.runs.manifest.seed_failure``)
    started_at: str | None = None
    finished_at: str | None = None


class JobRunner:
    """Run the crawls of many blogs, ``concurrent`` at a time; see the module docstring."""

    def __init__(
        self, settings: Settings, services: Services, sites: list[tuple[str, dict[str, str]]], concurrent: int
    ):
        self.settings = settings
        self.services = services
        self.waiting = deque(enumerate(sites))  # (rank in the sites file, (url, overrides))
        self.concurrent = max(1, concurrent)
        self.running: dict[int, Crawler] = {}  # by rank
        self.done: dict[int, SiteResult] = {}  # by rank
        self.stopping = False
        self.many = len(sites) > 1
        self.started_at = datetime.now(UTC)
        self.process = JobProcess(settings)  # a second Ctrl-C stops at once (crawler/shutdown.py)
        self.quiet = {
            name: value
            for name, value in QUIET_PER_SITE.items()
            if (settings.getpriority(name) or 0) < SETTINGS_PRIORITIES["cmdline"]
        }
        self.log_filter = OneLinePerProblem()

    def run(self) -> list[SiteResult]:
        """Crawl every blog (blocks until the job is over); one result per blog, in the sites' order."""
        # on the loggers, not the handlers: each new crawler installs a new handler of Scrapy's (the crawlers'
        # counters, LogCounterHandler, still count every line)
        for name in ONCE_PER_JOB_LOGGERS + DOWNLOAD_LOGGERS:
            logging.getLogger(name).addFilter(self.log_filter)
        lanes = [self._lane() for _ in range(self.lane_count())]
        progress = JobProgress.start(self) if self.many else None
        DeferredList(lanes).addBoth(self._stop)
        self.process.start(stop_after_crawl=False)
        if progress is not None:
            progress.stop()
        for name in ONCE_PER_JOB_LOGGERS + DOWNLOAD_LOGGERS:
            logging.getLogger(name).removeFilter(self.log_filter)
        for rank, (url, _) in self.waiting:  # a shutdown left them waiting
            self.done[rank] = SiteResult(url, _site(url))
        return [self.done[rank] for rank in sorted(self.done)]

    # --- where blogs come from: the sites file here; a queue in Redis for a worker (crawler/distributed/worker.py)

    def lane_count(self) -> int:
        """How many blogs may crawl at once."""
        return min(self.concurrent, len(self.waiting))

    def next_site(self) -> Any:
        """The next blog to crawl, ``(rank, (url, overrides))``, or None when there is none (or the job stops).

        A subclass may return a Deferred of it (a blog claimed from a queue).
        """
        return self.waiting.popleft() if self.waiting and not self.stopping else None

    def prepare(self, rank: int, crawler: Crawler) -> None:
        """Called with each blog's crawler before it crawls (a worker attaches the blog's frontier)."""

    def site_finished(self, rank: int, crawler: Crawler) -> Any:
        """Called once a blog's crawl is over and its ``SiteResult`` is in ``done`` (may return a Deferred)."""

    @inlineCallbacks
    def _lane(self) -> Generator[Deferred[Any], Any, None]:
        """Crawl the next waiting blog until none waits (or the job stops)."""
        while (claimed := (yield self.next_site())) is not None:
            rank, (url, overrides) = claimed
            crawler = self.process.create_crawler(BlogSpider)
            self.services.attach(crawler)  # one store client, spool, shipper and extraction pool for every blog
            self.prepare(rank, crawler)
            if self.many:
                overrides = {**self.quiet, **overrides}
            self.running[rank] = crawler
            error = ""
            try:
                yield self.process.crawl(crawler, url=url, overrides=overrides)
            except Exception as exc:  # a blog that cannot start (a bad setting in its line) fails alone
                error = f"{type(exc).__name__}: {exc}"
                logger.error("%s: could not crawl: %s", redacted(url), error)
            finally:
                del self.running[rank]
            self.done[rank] = self._result(url, crawler, error)
            yield self.site_finished(rank, crawler)

    def _result(self, url: str, crawler: Crawler, error: str) -> SiteResult:
        """The small record of a finished crawl (the crawler itself is dropped)."""
        stats = stats_of(crawler)
        reason = stats.get("finish_reason") or ("error" if error else NOT_STARTED)
        if reason == "shutdown":
            self.stopping = True  # Ctrl-C or SIGTERM: no more blogs start
        component = RunManifest.of(crawler)
        written = component.written if component is not None else None
        result = SiteResult(redacted(url), _site(url), finish_reason=reason)
        if written is not None:
            counts = written["counts"]
            result.status, result.manifest = written["status"], manifest_key(written["site"], written["run_id"])
            result.pages, result.records, result.bytes = (
                counts["responses"],
                counts["records_written"],
                counts["warc_bytes"],
            )
            result.warc_files, result.files_pending = counts["warc_files_stored"], len(written["pending"])
            result.started_at, result.finished_at = written["started_at"], written["finished_at"]
            result.errors = sum(counts["errors"].values())
            result.seed_failure = written.get("seed_failure")
        elif reason not in NOT_STARTED_REASONS and stats:
            result.status, result.seed_failure = run_status(stats), seed_failure(stats)
        elif error:
            result.status = "failed"
        return result

    def figures(self) -> dict[str, Any]:
        """Sites done, running and waiting, pages fetched so far and errors: the job's progress line."""
        running = [stats_of(crawler) for crawler in self.running.values()]
        failures = sum(result.status in FAILURE_STATUSES for result in self.done.values())
        return {
            "done": len(self.done),
            "running": len(self.running),
            "waiting": len(self.waiting),
            "pages": sum(r.pages for r in self.done.values())
            + sum(s.get("response_received_count", 0) for s in running),
            # errors by kind, as the run manifests count them (log_count/ERROR counts every crawler's lines)
            "errors": sum(r.errors for r in self.done.values()) + sum(_errors(stats) for stats in running),
            "failed_sites": failures,
        }

    def _stop(self, outcome: Any) -> Any:
        """Every lane is over: stop the reactor (a shutdown may be stopping it already)."""
        from twisted.internet import reactor  # noqa: PLC0415 - the one Scrapy installed

        reactor.callLater(0, _stop_reactor, reactor)
        return outcome

    # --- the job manifest ---------------------------------------------------------------------------------------

    def job_manifest(
        self, results: list[SiteResult], run_id: str | None = None, started_at: datetime | None = None
    ) -> dict[str, Any]:
        """The job manifest: sites by status, the sum of their figures, and one entry per blog.

        ``run_id`` and ``started_at`` are the job's (default: this process's; a worker gives its queued job's).
        """
        by_status: dict[str, list[str]] = {}
        for result in results:
            by_status.setdefault(result.status, []).append(result.site)
        return {
            "run_id": run_id or self.settings.get("ARCHIVE_RUN_ID"),
            "kind": "job",
            "started_at": (started_at or self.started_at).isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "software": {"name": "blogarc", "version": __version__, "hostname": socket.gethostname()},
            "store": self.services.store.uri,
            "concurrent_sites": self.concurrent,
            "site_timeout": self.settings.getfloat("CLOSESPIDER_TIMEOUT"),
            "sites_by_status": by_status,
            "counts": {
                "sites": len(results),
                **{name: sum(getattr(r, name) for r in results) for name in SUMMED},
            },
            "sites": [asdict(result) for result in results],
        }

    def write_job_manifest(
        self, results: list[SiteResult], run_id: str | None = None, started_at: datetime | None = None
    ) -> str:
        """Store the job manifest (kept in the spool if the store refuses it); returns where it went."""
        manifest = self.job_manifest(results, run_id, started_at)
        key = job_manifest_key(manifest["run_id"])
        body = json.dumps(manifest, indent=2).encode("utf-8")
        try:
            self.services.store.put_bytes(key, body)
            return self.services.store.uri_for(key)
        except Exception as exc:  # the store went down at the very end: the figures are kept locally
            path = self.services.spool.park_bytes(key, body)
            logger.warning("Could not store the job manifest %s (%s); kept in %s", key, exc, path)
            return str(path)


SUMMED = ("pages", "records", "bytes", "warc_files", "files_pending", "errors")


def _stop_reactor(reactor: Any) -> None:
    with contextlib.suppress(RuntimeError):  # ReactorNotRunning: a shutdown (Ctrl-C) got there first
        reactor.stop()


def _errors(stats: dict[str, Any]) -> int:
    return sum(value for key, value in stats.items() if key.startswith(ERROR_PREFIXES))


def stats_of(crawler: Crawler) -> dict[str, Any]:
    """A crawler's stats; none before its crawl started, or when it could not start (Scrapy raises then)."""
    try:
        return crawler.stats.get_stats() if crawler.stats else {}
    except RuntimeError:  # "Crawler.stats is not set yet": the spider could not be made
        return {}


def _site(url: str) -> str:
    return site_key(url if "://" in url else f"https://{url}")
