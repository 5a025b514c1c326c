"""A worker's lease loop: what keeps its blogs its own, and what tells its crawls when Redis is away and back.

Every ``POLL`` second the loop may run one round, off the reactor thread (every third of a lease while Redis
answers, every second while it does not): a heartbeat; the renewal of every lease the worker holds (a blog whose
lease another worker took meanwhile is stopped at once, reason ``site_locked``: no run manifest, its state saved,
its files shipped, and the other worker absorbs its records as those of an interrupted run); the renewal of those
blogs' store locks (``ARCHIVE_LOCK_TTL`` is the lease in a worker, so a dead worker's store lock expires with its
lease); the removal of durable requests from the frontiers, and the notes of what each blog stored.

A failed Redis call anywhere (the loop, a claim, a scheduler) marks Redis away (``failed``): one warning, crawls go
on with what they have (``crawler.distributed.frontier``). The first round that succeeds brings them back.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import redis
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import threads

from crawler.distributed.connection import describe
from pipelines.runs.incremental import Incremental

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from crawler.distributed.frontier import Frontier
    from crawler.distributed.worker import Worker

logger = logging.getLogger(__name__)

POLL = 1.0  # seconds between claims when nothing is claimable, and between rounds while Redis is away


class LeaseLoop:
    """The lease loop of one worker; ``tick`` every ``POLL`` seconds."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self.down_since: float | None = None
        self._last = float("-inf")

    @property
    def up(self) -> bool:
        """Whether Redis answered the last call."""
        return self.down_since is None

    def tick(self) -> Deferred[Any] | None:
        """One round, when one is due (see the module docstring)."""
        worker = self.worker
        if self.up and time.monotonic() - self._last < worker.lease / 3:
            return None
        self._last = time.monotonic()
        held: dict[str, list[str]] = {}
        for rank, claim in worker.claims.items():
            if rank not in worker.lost:
                held.setdefault(claim.run_id, []).append(claim.site)
        locks = [lock for rank, crawler in worker.crawlers.items() if (lock := _store_lock(crawler, worker, rank))]
        notes = [frontier.take_notes() for frontier in worker.frontiers.values()]
        d = threads.deferToThread(self._round, held, locks, notes)
        d.addCallbacks(self._renewed, self._round_failed)
        return d

    def _round(self, held: dict[str, list[str]], locks: list[Any], notes: list[Any]) -> list[tuple[str, str]]:
        """In a thread: heartbeat, leases, store locks, frontier notes; returns the leases lost.

        Notes not written (Redis went away) are dropped: a durable request left in flight is fetched again after
        a takeover, never lost; a stored object not noted is missing from the manifest of a worker that takes over.
        """
        worker = self.worker
        queue = worker.queue
        queue.heartbeat(worker.me, worker.lease)
        lost = queue.renew(worker.me["worker"], worker.lease, held)
        for lock in locks:
            try:
                lock.renew()
            except Exception as exc:  # the store is down: the lock expires only after a lease without renewal
                logger.warning("Could not renew the store lock of %s (%s)", lock.site, exc)
        pipe = queue.client.pipeline(transaction=False)
        for keys, done, stored in notes:
            if done:
                pipe.hdel(keys["inflight"], *done)
            if stored:
                pipe.hset(keys["stored"], mapping=stored)
        pipe.execute()
        worker.open_work = queue.open_work()
        return lost

    def _renewed(self, lost: list[tuple[str, str]]) -> None:
        worker = self.worker
        if self.down_since is not None:
            logger.warning("Redis is back after %.0fs; crawls go on", time.monotonic() - self.down_since)
            self.down_since = None
        for frontier in worker.frontiers.values():
            frontier.online = True
        for run_id, site in lost:
            for rank, claim in worker.claims.items():
                if (claim.run_id, claim.site) == (run_id, site) and rank not in worker.lost:
                    worker.lost.add(rank)
                    logger.error(
                        "The lease of %s (job %s) is not this worker's any more (another worker took it over, or "
                        "Redis lost it); stopping its crawl",
                        site,
                        run_id,
                    )
                    if (crawler := worker.crawlers.get(rank)) is not None and crawler.engine is not None:
                        deferred_from_coro(crawler.engine.close_spider_async(reason="site_locked"))

    def _round_failed(self, failure: Any) -> None:
        if failure.check(redis.RedisError):
            self.failed(failure.value)
        else:
            logger.error("Lease loop: %s", failure.getErrorMessage())

    def failed(self, exc: BaseException) -> None:
        """A Redis call failed: Redis is away until a round succeeds."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("Redis is unreachable (%s); crawls go on, trying again every %.0fs", describe(exc), POLL)
        for frontier in self.worker.frontiers.values():
            frontier.online = False


def _store_lock(crawler: Crawler, worker: Worker, rank: int) -> Any:
    """The store lock a blog's crawl holds (None before its crawl opens, or once it closes)."""
    frontier: Frontier | None = worker.frontiers.get(rank)
    if frontier is None or frontier.closing or not getattr(crawler, "crawling", False):
        return None
    incremental = Incremental.of(crawler)
    return incremental.lock if incremental is not None else None
