"""Incremental crawls: the Scrapy extension that holds the site's lock and crawl state for a run.

At ``spider_opened`` it takes the site's lock in the store (``pipelines/runs/sitelock.py``; a second overlapping run
waits ``ARCHIVE_LOCK_WAIT`` seconds, then stops with reason ``site_locked``), loads the crawl state
(``pipelines/runs/state.py``) and chooses the run's mode:

* ``full``: no state yet, or ``ARCHIVE_INCREMENTAL`` off (``blogarc crawl --full``): every body is stored again;
* ``revalidate``: every ``ARCHIVE_REVALIDATE_EVERY`` runs: every known URL is asked for again (conditionally), none
  is skipped on the strength of a sitemap ``lastmod`` or REST ``modified_gmt``;
* ``incremental``: conditional requests (``crawler/middlewares.py``), revisit records for unchanged payloads
  (``pipelines/warc/exporter.py``), and posts whose listed date is older than their last capture are not fetched.

The state is written every ``ARCHIVE_STATE_CHECKPOINT`` seconds (the lock renewed with it) and at
``spider_closed``, then the lock is released.

This extension is the state's one owner: the WARC exporter, the conditional-request middleware, the spider and the
run manifest reach it through ``Incremental.of(crawler)`` and ask it questions (``revisit_for``, ``validators``,
``skip_requisite``, ``change_of``...); none of them touches the state itself. It never runs ahead of the spool: a
capture is noted once its records are written (``note_capture``), a text fingerprint once its record is durable in
a batch file (``record_written``), and a checkpoint leaves out the new captures of pages still being handled (their
extraction in flight; ``pipelines/runs/settle.py`` says when a callback is done), so it never claims what a killed
run did not keep: a capture in the state means its page got its record, or had none to get.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import task
from twisted.internet.defer import Deferred

from pipelines.layout import state_key
from pipelines.runs.interrupted import Interrupted, interrupted_texts
from pipelines.runs.sitelock import SiteLock, SiteLocked
from pipelines.runs.state import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    CrawlState,
    UrlState,
    load_state,
    note_capture,
    payload_digest,
)
from pipelines.services import Services
from pipelines.signals import record_written
from pipelines.warc.files import Revisit

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from pipelines.store.base import Store
    from pipelines.text.record import TextRecord
    from pipelines.warc.files import RecordLocation

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
        self.gone: list[str] = []  # posts and pages of earlier runs that now answer 404/410
        self.interrupted = Interrupted()  # what killed runs left (pipelines/runs/interrupted.py)
        self.run_id = ""
        self._loop: task.LoopingCall | None = None
        self._loop_ended: Deferred[Any] | None = None  # fires once the loop is stopped and no checkpoint runs

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Incremental:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("the crawl state points into WARC files, and WARC_ENABLED is off")
        extension = cls(
            crawler,
            Services.of(crawler).store,
            incremental=settings.getbool("ARCHIVE_INCREMENTAL", True),
            revalidate_every=settings.getint("ARCHIVE_REVALIDATE_EVERY"),
            checkpoint=settings.getfloat("ARCHIVE_STATE_CHECKPOINT", 600.0),
            lock_wait=settings.getfloat("ARCHIVE_LOCK_WAIT", 30.0),
            lock_ttl=settings.getfloat("ARCHIVE_LOCK_TTL", 3600.0),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.record_written, signal=record_written)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    @classmethod
    def of(cls, crawler: Crawler) -> Incremental | None:
        """The crawler's incremental component, or None when it is not installed (WARC capture off)."""
        extensions = getattr(crawler, "extensions", None)
        found = [ext for ext in getattr(extensions, "middlewares", ()) if isinstance(ext, cls)]
        return found[0] if found else None

    async def spider_opened(self, spider: Spider) -> None:
        site = getattr(spider, "site", None) or spider.name
        self.run_id = getattr(spider, "run_id", "") or ""
        self.lock = SiteLock(self.store, site, self.run_id or "?", self.lock_ttl)
        try:
            await run_in_thread(self.lock.acquire, self.lock_wait)
        except SiteLocked as exc:
            logger.error("%s. Not crawling it again at the same time; try later.", exc)
            raise CloseSpider("site_locked") from None
        self.state = await run_in_thread(load_state, self.store, site)
        self.state.mode = self.choose_mode(self.state)
        self.state.start_run(getattr(spider, "run_id", ""), revalidate=self.state.mode != "incremental")
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
            self._loop_ended = self._loop.start(self.checkpoint_interval, now=False)

    def choose_mode(self, state: CrawlState) -> str:
        """``full`` without state or when asked for; ``revalidate`` every N runs; ``incremental`` otherwise."""
        if not self.incremental or not state.exists:
            return "full"
        if self.revalidate_every and state.runs_since_revalidation() >= self.revalidate_every:
            return "revalidate"
        return "incremental"

    async def engine_started(self) -> None:
        """Read what killed runs left (every spider_opened handler, the spool's repair too, has finished)."""
        if self.state is None:
            return
        absorbed = set(self.state.meta.get("absorbed_runs", []))
        spool = Services.of(self.crawler).spool
        try:
            found = await run_in_thread(interrupted_texts, self.store, spool, self.state.site, absorbed)
        except Exception as exc:  # the store is down: records of a killed run may be written again
            logger.warning("Could not read the text of interrupted runs (%s)", exc)
            return
        self.interrupted = found
        self.crawler.stats.set_value("incremental/interrupted_runs", len(found.runs))

    # --- what the other components ask ----------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``full``, ``revalidate`` or ``incremental`` (``full`` before the state is loaded)."""
        return self.state.mode if self.state is not None else "full"

    def revisit_for(self, response: Response) -> Revisit | None:
        """A revisit when the archive holds this payload already: the server said so (304) or the digest does."""
        state = self.state
        if state is None:
            return None
        prior = state.known(response.url)
        if prior is None and response.status not in (200, 304) and response.body:
            prior = state.known_payload(payload_digest(response.body))  # the same error page for every URL
        if prior is None:
            return None
        if response.status == 304:
            profile = REVISIT_NOT_MODIFIED
        elif payload_digest(response.body) == prior.digest:
            profile = REVISIT_IDENTICAL
        else:
            return None
        return Revisit(
            profile, {"uri": prior.url, "date": prior.date, "digest": prior.digest, "record_id": prior.record_id}
        )

    def note_capture(self, response: Response, location: RecordLocation, revisit: Revisit | None) -> None:
        """Learn from an exchange whose records were just written (called by the WARC exporter)."""
        if self.state is None:
            return
        if revisit is not None:
            self.crawler.stats.inc_value(f"incremental/revisits/{revisit.profile.rsplit('/', 1)[-1]}")
        prior = self.state.known(response.url)
        if prior is None and revisit is not None and response.status not in (200, 304):
            prior = self.state.known_payload(revisit.refers_to["digest"])
        note_capture(self.state, response, location, prior, revisit is not None)

    def validators(self, url: str) -> UrlState | None:
        """What a conditional request for ``url`` can send (None in a full run or for an unknown URL).

        None too for a capture made by a killed run: its page's links may never have been followed (a 304 has none).
        """
        known = self.state.known(url) if self.state is not None else None
        return None if known is None or self.state.captured_by_killed_run(known) else known

    def skip_requisite(self, url: str) -> bool:
        """Whether a stylesheet, script or image archived before need not be asked for again.

        They change their URL (``?ver=``) when they change: archived once is enough until the next revalidation.
        """
        return self.state is not None and self.state.skip_by_date and url in self.state.previous

    def last_capture(self, url: str) -> str | None:
        """When ``url`` was last captured (a WARC-Date), if a listed date may skip fetching it in this run."""
        state = self.state
        prior = state.previous.get(url) if state is not None and state.skip_by_date else None
        return prior.last_seen if prior is not None else None

    def change_of(self, url: str, text_sha256: str) -> str:
        """``new``, ``changed`` or ``unchanged``: the text of ``url`` against the last record the state knows."""
        prior = self.state.previous.get(url) if self.state is not None else None
        if prior is None or prior.text_sha256 is None:
            return "new"
        return "unchanged" if prior.text_sha256 == text_sha256 else "changed"

    def recorded_by_killed_run(self, url: str, text_sha256: str) -> bool:
        """Whether a killed run already wrote this text for ``url`` (the state then learns it, as if written now)."""
        if self.state is None or self.interrupted.texts.get(url) != text_sha256:
            return False
        self.state.set_text(url, text_sha256, self.interrupted.origins.get(url))
        return True

    @property
    def skips_unchanged_text(self) -> bool:
        """Whether a page whose text did not change gets no new record (every run but a full one)."""
        return self.state is not None and self.state.conditional

    def record_written(self, record: TextRecord) -> None:
        """A text record is durable in its batch file: the state may now say the URL has this text."""
        if self.state is not None:
            self.state.set_text(record.url, record.text_sha256)
            self.state.settle(record.url)

    def page_done(self, url: str) -> None:
        """The callback of ``url``'s response is done and wrote no record (``pipelines.runs.settle``)."""
        if self.state is not None:
            self.state.settle(url)

    def note_gone(self, url: str) -> bool:
        """A post or page with a record in an earlier run answers 404/410: drop it from the state, list it."""
        prior = self.state.previous.get(url) if self.state is not None else None
        if prior is None or prior.text_sha256 is None or url in self.gone:
            return False
        self.state.mark_gone(url)
        self.gone.append(url)
        self.crawler.stats.inc_value("incremental/gone")
        return True

    def known_texts(self) -> list[str]:
        """URLs of earlier runs' posts and pages (those that had a text record), sorted."""
        if self.state is None:
            return []
        return sorted(url for url, prior in self.state.previous.items() if prior.text_sha256 is not None)

    def summary(self) -> dict[str, Any]:
        """What the run manifest says of the run: its mode, its number, and what is gone."""
        if self.state is None:
            return {}
        return {"mode": self.state.mode, "run_number": self.state.runs, "gone": sorted(self.gone)}

    # --- the state in the store -----------------------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Save the state and renew the lock, so a long run's progress survives a crash."""
        if self.state is None or self.lock is None or not self.lock.held:
            return
        try:  # a page whose callback is not done yet keeps its last capture: its record may be in flight
            size = await run_in_thread(self.state.snapshot(settled=True).save, self.store)
            await run_in_thread(self.lock.renew)
        except Exception as exc:  # the store is down: the next checkpoint or the end of the run tries again
            logger.warning("Could not checkpoint the crawl state (%s)", exc)
            return
        self.crawler.stats.inc_value("incremental/checkpoints")
        logger.debug("Checkpointed the crawl state (%d bytes)", size)

    async def spider_closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._loop_ended is not None:  # a checkpoint still saving would renew the lock once it is released
            with contextlib.suppress(Exception):  # checkpoint() logs its own failures; the lock must go regardless
                await maybe_deferred_to_future(self._loop_ended)
        if self.lock is None or not self.lock.held:
            return
        try:
            if self.state is not None:
                absorbed = set(self.state.meta.get("absorbed_runs", [])) | set(self.interrupted.runs)
                self.state.meta["absorbed_runs"] = sorted(absorbed)[-100:]  # only a run that ends absorbs
                self.state.end_run()
                size = await run_in_thread(self.state.snapshot().save, self.store)
                self.crawler.stats.set_value("incremental/state_bytes", size)
        except Exception as exc:  # the WARCs are safe; the next run only captures more than it needs to
            logger.error("Could not save the crawl state %s (%s)", state_key(self.lock.site), exc)
        finally:
            await run_in_thread(self.lock.release)
