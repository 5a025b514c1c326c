"""``blogarc worker``: claim blogs from the queue in Redis and crawl them, the one-machine way.

A ``Worker`` is a ``crawler.runner.JobRunner`` whose blogs come from ``JobQueue.claim`` instead of a sites file:
each of its ``--concurrent-sites`` lanes claims a blog, crawls it with ``BlogSpider`` and the process's shared
services (store, spool, extraction pool), records how it ended, and claims the next. A crawl gets the job's run id
and settings (``enqueue -s``), then the blog's own line's, and the blog's frontier in Redis
(``crawler.distributed.frontier``), reached by the scheduler and the two middlewares of
``crawler.distributed.components``.

The lease loop (``crawler.distributed.leases``) renews the worker's leases and its blogs' store locks, stops a
crawl whose lease another worker took, and tells the crawls when Redis is away and back. Before a claimed blog's
crawl opens, what this machine's spool holds for it is settled (``crawler.distributed.leftovers``), and the whole
spool when the worker starts and stops.

A blog ends **done** (finished, page limit included: its files may still wait in the spool), **failed**
(unreachable, failed, timeout, or it could not start), or goes back to **waiting** (shutdown, its store lock held by
a run outside the queue, the store unavailable): another claim goes on from its frontier. The worker that ends the
last blog of a job writes the job manifest (``runs/_job/{run_id}.json``) from every blog's result in Redis.
``--burst`` makes the worker leave once nothing is waiting and nothing is held by a live worker.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import redis
from scrapy.utils.reactor import install_reactor
from twisted.internet import task, threads
from twisted.internet.defer import inlineCallbacks

from crawler.distributed.frontier import Frontier
from crawler.distributed.keys import FrontierKeys
from crawler.distributed.leases import POLL, LeaseLoop
from crawler.distributed.leftovers import settle_site, settle_spool
from crawler.runner import JobRunner, SiteResult
from pipelines.runs.manifest import FAILURE_STATUSES
from pipelines.store.shipper import FINISHED_REASONS

if TYPE_CHECKING:
    from collections.abc import Generator

    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from twisted.internet.defer import Deferred

    from crawler.distributed.jobs import Claim, JobQueue
    from pipelines.services import Services

logger = logging.getLogger(__name__)


def worker_identity(name: str | None = None) -> dict[str, Any]:
    """``{"worker": "HOST:PID:TOKEN", "host", "pid"}``: unique per process (a restart is a new worker)."""
    host, pid = socket.gethostname(), os.getpid()
    return {"worker": name or f"{host}:{pid}:{secrets.token_hex(3)}", "host": host, "pid": pid}


def outcome(result: SiteResult) -> str:
    """``done``, ``failed`` or ``waiting`` (back in the queue) for a blog's crawl result."""
    if result.finish_reason in FINISHED_REASONS:
        return "done"
    if result.status in FAILURE_STATUSES or result.finish_reason == "error":
        return "failed"
    return "waiting"


class Worker(JobRunner):
    """Crawl blogs claimed from the queue; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        queue: JobQueue,
        *,
        concurrent: int,
        lease: float,
        burst: bool = False,
    ):
        super().__init__(settings, services, [], concurrent)
        self.many = True  # one progress line for the worker, quiet crawls
        self.queue = queue
        self.lease = lease
        self.burst = burst
        self.me = worker_identity()
        self.claims: dict[int, Claim] = {}  # by rank: this worker's own count of claims
        self.frontiers: dict[int, Frontier] = {}
        self.crawlers: dict[int, Crawler] = {}
        self.lost: set[int] = set()
        self.preferred: dict[str, list[str]] = {}
        self.open_work = (0, 0)
        self.leases = LeaseLoop(self)
        self._idle_until = float("-inf")
        self._ranks = iter(range(1 << 62))

    def run(self) -> list[SiteResult]:
        """Settle the spool, claim and crawl until stopped (or, with ``burst``, until the queue is empty)."""
        # the crawls' reactor, before the lease loop or a claim touches one (the first crawl would install it)
        install_reactor(self.settings["TWISTED_REACTOR"], self.settings["ASYNCIO_EVENT_LOOP"])
        self.preferred = settle_spool(self.services.shipper, self.queue, self.me, time.time())
        logger.info("Worker %s: up to %d blogs at once, lease %.0fs", self.me["worker"], self.concurrent, self.lease)
        loop = task.LoopingCall(self.leases.tick)
        loop.start(POLL, now=True)
        try:
            results = super().run()
        finally:
            if loop.running:
                loop.stop()
        for claim in self.claims.values():  # the reactor stopped under them (shutdown): they wait again
            self._give_back(claim)
        settle_spool(self.services.shipper, self.queue, self.me, time.time())
        return results

    def lane_count(self) -> int:
        return self.concurrent

    # --- claiming -------------------------------------------------------------------------------------------------

    @inlineCallbacks
    def next_site(self) -> Generator[Deferred[Any], Any, tuple[int, tuple[str, dict[str, str]]] | None]:
        """Claim a blog (polling while none is claimable); None once the worker stops or a burst is over."""
        while not self.stopping:
            if time.monotonic() >= self._idle_until:  # else another lane found nothing to claim a moment ago
                try:
                    claimed = yield threads.deferToThread(self._claim)
                except redis.RedisError as exc:
                    self.leases.failed(exc)
                    claimed = None
                if claimed is not None:
                    claim, overrides = claimed
                    if self.stopping:
                        yield threads.deferToThread(self._give_back, claim)
                        return None
                    rank = next(self._ranks)
                    self.claims[rank] = claim
                    logger.info("Claimed %s of job %s (attempt %d)", claim.site, claim.run_id, claim.attempt)
                    return rank, (claim.url, overrides)
                self._idle_until = time.monotonic() + POLL
            if self.burst and self.leases.up and not any(self.open_work) and not self.claims:
                return None
            yield task.deferLater(_reactor(), POLL, lambda: None)
        return None

    def _claim(self) -> tuple[Claim, dict[str, str]] | None:
        """In a thread: claim a blog, settle what the spool holds for it; with the settings its crawl gets.

        The settings: the job's (``enqueue -s``), then the blog's own line's, then the job's run id.
        """
        claim = self.queue.claim(self.me, self.lease, self.services.store.uri, self.preferred)
        if claim is None:
            self.open_work = self.queue.open_work()
            return None
        if claim.site in self.preferred.get(claim.run_id, []):
            self.preferred[claim.run_id].remove(claim.site)
        settle_site(self.services.shipper, self.queue, claim.site, self.me, time.time())
        job = self.queue.job_settings(claim.run_id)
        return claim, {**job, **claim.overrides, "ARCHIVE_RUN_ID": claim.run_id}

    def prepare(self, rank: int, crawler: Crawler) -> None:
        claim = self.claims[rank]
        settings = self.settings
        frontier = Frontier(
            self.queue.client,
            FrontierKeys(self.queue.keys(claim.run_id).frontier_prefix, claim.site),
            resumed=claim.resumed,
            warc=settings.getbool("WARC_ENABLED"),
            text=settings.getbool("EXTRACT_ENABLED"),
        )
        frontier.online = self.leases.up
        frontier.on_outage = self.leases.failed
        frontier.attach(crawler)
        self.frontiers[rank] = frontier
        self.crawlers[rank] = crawler

    # --- ending a blog --------------------------------------------------------------------------------------------

    @inlineCallbacks
    def site_finished(self, rank: int, crawler: Crawler) -> Generator[Deferred[Any], Any, None]:
        """Record how the blog ended in the queue (retrying while Redis is away), then forget it."""
        result, claim = self.done[rank], self.claims[rank]
        self.frontiers.pop(rank, None)
        self.crawlers.pop(rank, None)
        if result.finish_reason == "store_config_error":
            self.stopping = True  # every blog would fail the same way
        if rank in self.lost:
            logger.warning("%s: stopped, its lease went to another worker", claim.site)
            del self.claims[rank]
            return
        ended = outcome(result)
        while True:
            try:
                yield threads.deferToThread(self._record_end, claim, result, ended)
                break
            except redis.RedisError as exc:
                self.leases.failed(exc)
                if self.stopping:
                    return  # the lease expires; whoever takes the blog over finds it crawled
                yield task.deferLater(_reactor(), POLL, lambda: None)
        del self.claims[rank]
        logger.info(
            "%s: %s (%s, %s); %d responses, %d text records; manifest %s",
            result.site,
            ended,
            result.status,
            result.finish_reason,
            result.pages,
            result.records,
            result.manifest or "none",
        )

    def _record_end(self, claim: Claim, result: SiteResult, ended: str) -> None:
        """In a thread: complete or give back the blog; write the job manifest if it was the job's last."""
        if ended == "waiting":
            self._give_back(claim)
            return
        entry = {**asdict(result), "worker": self.me["worker"], "attempt": claim.attempt}
        left = self.queue.complete(self.me["worker"], claim, entry, failed=ended == "failed")
        if left == -1:
            logger.warning("%s ended, but another worker holds it now; its result is not recorded", claim.site)
        elif left == 0 and self.queue.finish_if_over(claim.run_id):
            self._write_job_manifest(claim.run_id)

    def _give_back(self, claim: Claim) -> None:
        try:
            if self.queue.release(self.me["worker"], claim):
                logger.info("%s goes back to the queue; its frontier waits there", claim.site)
        except redis.RedisError as exc:
            logger.warning("Could not give %s back (%s); it is taken over when its lease expires", claim.site, exc)

    def _write_job_manifest(self, run_id: str) -> None:
        names = set(SiteResult.__dataclass_fields__)
        results = [SiteResult(**{k: v for k, v in entry.items() if k in names}) for entry in self.queue.results(run_id)]
        created = float(self.queue.meta(run_id).get("created") or time.time())
        where = self.write_job_manifest(results, run_id, datetime.fromtimestamp(created, UTC))
        logger.info("Job %s is over: job manifest %s", run_id, where)

    def figures(self) -> dict[str, Any]:
        figures = super().figures()
        figures["waiting"] = self.open_work[0]
        return figures


def _reactor() -> Any:
    from twisted.internet import reactor  # noqa: PLC0415 - the one Scrapy installed

    return reactor
