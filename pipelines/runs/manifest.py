"""The run manifest: ``runs/{site}/{run_id}.json``, written last, once everything else of the run is stored.

It says what the run fetched, wrote, skipped and failed, and lists every object the run stored (WARCs, CDXJ
indexes, text batches) with size and SHA-256, so a reader can tell a finished run from an interrupted one (no
manifest, or ``"status": "interrupted"``) and verify each object. It is written on ``engine_stopped``, which Scrapy
sends after every ``spider_closed`` handler (WARC shipping, feed export) has finished.

What the run meant to fetch and did not is named under ``lost``, by kind (``bomb``, ``oversize``, ``redirect_chain``,
``url_too_long``, ``decode``, ``unparsed``, ``internal``, ``timeout``...: ``crawler/losses.py`` lists them), each
URL with its reason (``ARCHIVE_MANIFEST_MAX_LOST`` a kind; ``counts.lost`` is always complete); ``robots`` names
the hosts whose robots.txt was not plain rules (unreachable: everything disallowed; unavailable; cut at its size
limit).

When files of the run could not reach the store (it was down), the manifest names them under ``pending`` and is
itself parked in the local spool instead of the store, so it stays the last object of the run: the next run or
``blogarc upload`` ships the pending files, then ``Shipper.complete_manifest`` moves them to ``files`` (as the
store describes them), sets the status the crawl earned, and stores the manifest.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.asyncio import run_in_thread

from pipelines import __version__
from pipelines.layout import key_kind, manifest_key, text_prefix
from pipelines.runs.incremental import Incremental
from pipelines.services import Services
from pipelines.signals import announce_stored, object_stored
from pipelines.store.base import file_sha256
from pipelines.store.shipper import FINISHED_REASONS, Shipped
from pipelines.store.spool import local_file

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from pipelines.store.base import StoredObject
    from pipelines.store.shipper import Shipper

logger = logging.getLogger(__name__)

# Settings a reader of the manifest needs to interpret the run, with the typed getter that reads each (values
# given with -s arrive as strings). Never add credentials here.
MANIFEST_SETTINGS = {
    "USER_AGENT": "get",
    "ROBOTSTXT_OBEY": "getbool",
    "AUTOTHROTTLE_ENABLED": "getbool",
    "DOWNLOAD_DELAY": "getfloat",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "getint",
    "DEPTH_LIMIT": "getint",
    "CLOSESPIDER_PAGECOUNT": "getint",
    "CLOSESPIDER_TIMEOUT": "getfloat",
    "WARC_MAX_SIZE": "getint",
    "WARC_GZIP": "getbool",
    "EXTRACT_ENABLED": "getbool",
    "TRAFILATURA_FAVOR_PRECISION": "getbool",
    "TEXT_BATCH_ITEMS": "getint",
    "DOWNLOAD_MAXSIZE": "getint",
    "ARCHIVE_MAX_PAGE_SIZE": "getint",
    "ARCHIVE_MAX_PARSE_SIZE": "getint",
    "ARCHIVE_MAX_FRONTIER": "getint",
    "ARCHIVE_MAX_NEW_URLS_PER_PAGE": "getfloat",
    "ARCHIVE_ALLOW_PRIVATE": "getbool",
}

# Stats copied into ``counts``: (manifest name, stats key).
COUNTS = (
    ("requests", "downloader/request_count"),
    ("responses", "downloader/response_count"),
    ("bytes_received", "downloader/response_bytes"),
    ("records_written", "item_scraped_count"),
    ("warc_records", "warc/records"),
    ("warc_bytes", "warc/bytes"),
    ("warc_files_stored", "warc/files_stored"),
    ("warc_files_pending", "warc/files_pending"),
    ("warc_files_repaired", "warc/files_repaired"),
    ("warc_write_errors", "warc/write_errors"),  # pairs the disk refused (the first one stops the crawl)
    ("pages_unarchived", "pages/unarchived"),  # pages without text records: their pairs were refused
    ("text_files_stored", "text/files_stored"),
    ("extract_ok", "extract/ok"),
    ("extract_empty", "extract/empty"),
    ("extract_failed", "extract/failed"),
    ("robots_forbidden", "robotstxt/forbidden"),
    # incremental runs (pipelines/runs/incremental.py): what the crawl state saved the blog and the store
    ("conditional_requests", "incremental/conditional_requests"),
    ("revisits_not_modified", "incremental/revisits/server-not-modified"),
    ("revisits_identical", "incremental/revisits/identical-payload-digest"),
    ("skipped_by_date", "incremental/skipped_by_date"),
    ("skipped_requisites", "incremental/skipped_requisite"),
    ("text_new", "incremental/new"),
    ("text_changed", "incremental/changed"),
    ("state_checkpoints", "incremental/checkpoints"),
)
# Reasons a crawl never started: nothing to describe.
NOT_STARTED_REASONS = ("store_config_error", "spool_busy", "site_locked")
# What a run's ``status`` says (``run_status``): finished, or why not.
FINISHED, INTERRUPTED, UNREACHABLE, FAILED, TIMEOUT = "finished", "interrupted", "unreachable", "failed", "timeout"
FAILURE_STATUSES = (UNREACHABLE, FAILED, TIMEOUT)
ERROR_PREFIXES = (
    "feedexport/failed_count/",
    "downloader/exception_type_count/",
    "spider_exceptions/",
    "pages/http_",
    "extract/failed",
)
# Not errors: refusals (robots.txt, offsite, bounds) and losses, which ``lost`` names and ``counts.lost`` counts.
NOT_ERRORS = (
    "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest",
    "downloader/exception_type_count/crawler.losses.DownloadLost",
)


class RunManifest:
    """Collect what the run stored and write its manifest last."""

    def __init__(self, crawler: Crawler, shipper: Shipper, max_lost: int = 10_000):
        self.crawler = crawler
        self.max_lost = max_lost
        self.lost: dict[str, list[dict[str, str]]] = {}  # kind -> [{url, reason}]
        self.robots: dict[str, str] = {}  # robots.txt URL -> what it was
        self.shipper = shipper
        self.store = shipper.store
        self.spool = shipper.spool
        self.objects: list[tuple[StoredObject, str]] = []
        self.seeds: list[str] = []
        self.site = ""
        self.run_id = ""
        self.written: dict[str, Any] | None = None  # the manifest as written (stored or parked), once it is

    @classmethod
    def of(cls, crawler: Crawler) -> RunManifest | None:
        """The run manifest component of ``crawler`` (None when it is not enabled, or the crawl never started)."""
        try:
            extensions = crawler.extensions.middlewares if crawler.extensions else ()
        except RuntimeError:  # Scrapy's "Crawler.extensions is not set yet": its spider could not be made
            return None
        return next((ext for ext in extensions if isinstance(ext, cls)), None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunManifest:
        max_lost = crawler.settings.getint("ARCHIVE_MANIFEST_MAX_LOST", 10_000)
        manifest = cls(crawler, Services.of(crawler).shipper, max_lost)
        crawler.signals.connect(manifest.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(manifest.object_stored, signal=object_stored)
        crawler.signals.connect(manifest.engine_stopped, signal=signals.engine_stopped)
        return manifest

    def spider_opened(self, spider: Spider) -> None:
        self.site = getattr(spider, "site", None) or spider.name
        self.run_id = getattr(spider, "run_id", "")
        self.seeds = [getattr(spider, "start_url", "")]

    def object_stored(self, obj: StoredObject, kind: str) -> None:
        self.objects.append((obj, kind))

    def note_lost(self, kind: str, url: str, reason: str) -> None:
        """A URL the run meant to fetch (or read) and did not, named under ``lost``; its count is the caller's."""
        entries = self.lost.setdefault(kind, [])
        if len(entries) < self.max_lost:
            entries.append({"url": url, "reason": reason})

    def note_robots(self, url: str, policy: str) -> None:
        """A host's robots.txt that was not plain rules: what it was, in words."""
        self.robots[url] = policy

    async def engine_stopped(self) -> None:
        if not self.run_id or self.crawler.stats.get_value("finish_reason") in NOT_STARTED_REASONS:
            return
        for obj in await run_in_thread(self._ship_parked_text):
            self.crawler.stats.inc_value("text/files_stored")
            announce_stored(self.crawler, obj, "text")
        pending = await run_in_thread(self.spool.pending, self.site, self.run_id)
        key = manifest_key(self.site, self.run_id)
        self.written = self.build(pending)
        if await run_in_thread(self.shipper.put_manifest, key, self.written, pending):
            logger.info("Run manifest: %s", self.store.uri_for(key))
        else:
            logger.warning("Run manifest parked in %s until the pending files reach the store", self.spool.root)

    def _ship_parked_text(self) -> list[StoredObject]:
        """One more try for text batches the store refused during the crawl (they belong to this run)."""
        shipped = Shipped()
        self.shipper.ship_texts(self.spool.parked(text_prefix(self.site, self.run_id)), shipped)
        return shipped.stored

    def build(self, pending: list[str] | None = None) -> dict[str, Any]:
        """The manifest as a JSON-ready dict; ``pending`` are the keys of files still in the local spool."""
        stats = self.crawler.stats.get_stats()
        settings = self.crawler.settings
        return {
            "run_id": self.run_id,
            "site": self.site,
            "seeds": self.seeds,
            "status": run_status(stats, pending),
            "seed_failure": seed_failure(stats),
            "finish_reason": stats.get("finish_reason"),
            "started_at": _iso(stats.get("start_time")),
            "finished_at": _iso(stats.get("finish_time")) or datetime.now(UTC).isoformat(),
            "software": {"name": "blogarc", "version": __version__, "hostname": socket.gethostname()},
            "store": self.store.uri,
            "settings": {name: getattr(settings, getter)(name) for name, getter in MANIFEST_SETTINGS.items()},
            "counts": self.counts(stats),
            "files": [
                {"key": obj.key, "kind": kind, "size": obj.size, "sha256": obj.sha256}
                for obj, kind in sorted(self.objects, key=lambda pair: pair[0].key)
            ],
            "pending": [self.pending_entry(key) for key in pending or []],
            "lost": self.lost,
            "robots": self.robots,
            **self.incremental(),
        }

    def incremental(self) -> dict[str, Any]:
        """The run's incremental mode and ``gone``: posts and pages of earlier runs that now answer 404/410.

        Their error responses are archived in this run's WARCs; the crawl state drops them.
        """
        incremental = Incremental.of(self.crawler)
        return incremental.summary() if incremental is not None else {}

    def pending_entry(self, key: str) -> dict[str, Any]:
        """A file still in the spool: its size and SHA-256 as they are now (an index not yet made has neither)."""
        entry: dict[str, Any] = {"key": key, "kind": key_kind(key)}
        if (path := local_file(self.spool, key)) is not None:
            entry.update(size=path.stat().st_size, sha256=file_sha256(path))
        return entry

    @staticmethod
    def counts(stats: dict[str, Any]) -> dict[str, Any]:
        """Run counts from the crawl stats: totals, pages by kind, and errors by kind."""
        counts: dict[str, Any] = {name: stats.get(key, 0) for name, key in COUNTS}
        counts["pages"] = {k.removeprefix("pages/"): v for k, v in stats.items() if k.startswith("pages/")}
        counts["errors"] = {k: v for k, v in stats.items() if k.startswith(ERROR_PREFIXES) and k not in NOT_ERRORS}
        counts["listed"] = {
            k.removeprefix("links/listed/"): v for k, v in stats.items() if k.startswith("links/listed/")
        }
        counts["discovered"] = {
            k.removeprefix("links/discovered/"): v for k, v in stats.items() if k.startswith("links/discovered/")
        }
        counts["refused"] = {
            k.removeprefix("links/refused/"): v for k, v in stats.items() if k.startswith("links/refused/")
        }
        counts["lost"] = {k.removeprefix("lost/"): v for k, v in stats.items() if k.startswith("lost/")}
        # how near the link-trap bounds the blog came: the highest new-URL rate, the longest backlog, which stopped it
        counts["bounds"] = {k.removeprefix("bounds/"): v for k, v in stats.items() if k.startswith("bounds/")}
        return counts


def run_status(stats: dict[str, Any], pending: list[str] | None = None) -> str:
    """What became of a run, from its crawl stats.

    ``timeout``: its time budget (``CLOSESPIDER_TIMEOUT``, ``blogarc crawl --site-timeout``) stopped it;
    ``unreachable``: no HTTP answer at all (DNS failure, connection refused, TLS error, timeouts);
    ``failed``: it answered, but only with errors (robots.txt aside, nothing below 400), or its seed (the URL the
    crawl was given) failed (an HTTP error after its redirects, or its download was lost) whatever else answered,
    or its robots.txt was unreachable (a 5xx: everything disallowed, RFC 9309) and nothing was fetched;
    ``interrupted``: stopped for another reason (shutdown, store down), or files still wait in the spool (the
    status becomes ``finished`` once they are shipped); ``finished`` otherwise.
    """
    if stats.get("finish_reason") == "closespider_timeout":
        return TIMEOUT
    if not stats.get("downloader/response_count"):
        return UNREACHABLE
    pages_ok = answered_ok(stats, "downloader/response_status_count/") - answered_ok(
        stats, "robotstxt/response_status_count/"
    )
    closed_by_robots = stats.get("robotstxt/forbidden") and not stats.get("robotstxt/unreachable")
    if pages_ok <= 0 and not closed_by_robots:  # a blog robots.txt closes is not one that fails
        return FAILED
    if seed_failure(stats) is not None:
        return FAILED
    if stats.get("finish_reason") not in FINISHED_REASONS or pending:
        return INTERRUPTED
    return FINISHED


def seed_failure(stats: dict[str, Any]) -> str | None:
    """How the seed failed (``HTTP 404``, ``lost: dns``), from the spider's ``seed/*`` stats; None if it did not."""
    if stats.get("seed/lost"):
        return f"lost: {stats['seed/lost']}"
    if stats.get("seed/status", 0) >= 400:
        return f"HTTP {stats['seed/status']}"
    return None


def answered_ok(stats: dict[str, Any], prefix: str) -> int:
    """Responses below 400 among the stats ``{prefix}{status}``."""
    return sum(
        count
        for key, count in stats.items()
        if key.startswith(prefix) and key[len(prefix) :].isdigit() and int(key[len(prefix) :]) < 400
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None
