"""Jobs and leases in Redis: what ``blogarc enqueue`` writes, what workers claim, what ``blogarc jobs`` shows.

A job is a run id and its blogs, in the order of the sites file. Under ``blogarc:job:{run_id}``:

* ``(hash)`` run id, creation time, job settings (``enqueue -s``), the store it is for (if given), max attempts;
* ``:sites`` (hash) site -> ``{"url", "overrides", "rank"}``; ``:waiting`` (sorted set, by rank);
* ``:running`` (sorted set) site -> lease expiry (ms, Redis's clock); ``:holders`` (hash) site -> the worker;
* ``:attempts`` (hash) claims per site; ``:done`` and ``:failed`` (hashes) site -> what the crawl ended as;
* ``:site:{site}:…`` the blog's frontier while it is crawled (``crawler.distributed.frontier``).

``blogarc:jobs`` lists every job (by creation time), ``blogarc:active`` those with blogs left, ``blogarc:holding``
which job holds each site now (a blog in two jobs is never crawled twice at once), ``blogarc:worker:{id}`` each live
worker's heartbeat. Claims, renewals and hand-overs are Lua scripts (``crawler.distributed.scripts``).

A claim takes, in this order: a blog this machine's spool has leftovers of (``preferred``), a blog whose lease
expired (its worker died: the frontier it took is put back), the first waiting blog. A blog claimed more than
``max_attempts`` times (a blog that kills its worker every time) fails with ``too_many_attempts``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crawler.distributed import scripts
from crawler.distributed.keys import PREFIX, JobKeys

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5


class JobExists(Exception):
    """A job with this run id is in the queue already."""


@dataclass(frozen=True)
class Claim:
    """A blog a worker holds: which job, which site, and how many times it was claimed (1: a fresh start)."""

    run_id: str
    site: str
    url: str
    overrides: dict[str, str]
    rank: int
    attempt: int

    @property
    def resumed(self) -> bool:
        """Whether an earlier holder crawled part of it (its frontier goes on)."""
        return self.attempt > 1


class JobQueue:
    """Jobs and leases in one Redis database."""

    def __init__(self, client: redis.Redis, prefix: str = PREFIX):
        self.client = client
        self.prefix = prefix
        self._claim = client.register_script(scripts.CLAIM)
        self._renew = client.register_script(scripts.RENEW)
        self._complete = client.register_script(scripts.COMPLETE)
        self._release = client.register_script(scripts.RELEASE)
        self._open_work = client.register_script(scripts.OPEN_WORK)

    def keys(self, run_id: str) -> JobKeys:
        """The keys of job ``run_id``."""
        return JobKeys(run_id, self.prefix)

    def _global(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    # --- enqueue ------------------------------------------------------------------------------------------------

    def create_job(
        self,
        run_id: str,
        sites: list[tuple[str, str, dict[str, str]]],
        settings: dict[str, str],
        store: str = "",
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> int:
        """Put a job in the queue: ``sites`` are (site key, URL, per-site settings) in order; returns how many.

        Raises:
            JobExists: when the queue has a job with this run id.
        """
        keys = self.keys(run_id)
        meta = {"run_id": run_id, "created": f"{time.time():.3f}", "settings": json.dumps(settings)}
        meta |= {"store": store, "max_attempts": str(max_attempts)}
        if not self.client.hsetnx(keys.meta, "run_id", run_id):
            raise JobExists(f"the queue has a job {run_id} already")
        first: dict[str, tuple[str, dict[str, str]]] = {}
        for site, url, overrides in sites:  # a site listed twice is crawled once, with its first line
            first.setdefault(site, (url, overrides))
        meta["sites"] = str(len(first))
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(keys.meta, mapping=meta)
        for rank, (site, (url, overrides)) in enumerate(first.items()):
            pipe.hset(keys.sites, site, json.dumps({"url": url, "overrides": overrides, "rank": rank}))
            pipe.zadd(keys.waiting, {site: rank})
        pipe.zadd(self._global("jobs"), {run_id: time.time()})
        pipe.zadd(self._global("active"), {run_id: time.time()})
        pipe.execute()
        return len(first)

    def jobs(self, active_only: bool = False) -> list[str]:
        """Run ids of the jobs in the queue, oldest first (``active_only``: those with blogs left)."""
        key = self._global("active" if active_only else "jobs")
        return [run_id.decode() for run_id in self.client.zrange(key, 0, -1)]

    def job_settings(self, run_id: str) -> dict[str, str]:
        """The settings every blog of the job gets (``blogarc enqueue -s``)."""
        return json.loads(self.client.hget(self.keys(run_id).meta, "settings") or b"{}")

    def meta(self, run_id: str) -> dict[str, str]:
        """A job's own fields (empty when there is no such job)."""
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.keys(run_id).meta).items()}

    # --- workers ------------------------------------------------------------------------------------------------

    def claim(
        self, worker: dict[str, Any], lease: float, store: str, preferred: dict[str, list[str]] | None = None
    ) -> Claim | None:
        """Take a blog for ``worker`` (``{"worker": id, "host", "pid"}``) under a lease of ``lease`` seconds.

        Jobs made for another store (``enqueue --store``) are left to the workers of that store.
        """
        for run_id in self.jobs(active_only=True):
            meta = self.meta(run_id)
            if meta.get("store") and meta["store"] != store:
                continue
            claimed = self._claim_in(run_id, meta, worker, lease, (preferred or {}).get(run_id, []))
            if claimed is not None:
                return claimed
        return None

    def _claim_in(
        self, run_id: str, meta: dict[str, str], worker: dict[str, Any], lease: float, preferred: list[str]
    ) -> Claim | None:
        keys = self.keys(run_id)
        while True:
            reply = self._claim(
                keys=[
                    keys.waiting,
                    keys.running,
                    keys.holders,
                    keys.attempts,
                    self._global("holding"),
                    self._global("up"),
                    self._global("grace"),
                    keys.failed,
                    keys.sites,
                ],
                args=[
                    run_id,
                    worker["worker"],
                    json.dumps(worker),
                    int(lease * 1000),
                    int(meta.get("max_attempts") or DEFAULT_MAX_ATTEMPTS),
                    keys.frontier_prefix,
                    *preferred,
                ],
            )
            if reply is None:
                return None
            kind, site = reply[0].decode(), reply[1].decode()
            if kind == "claimed":
                entry = json.loads(reply[2])
                return Claim(run_id, site, entry["url"], entry.get("overrides") or {}, entry["rank"], int(reply[3]))
            logger.error("%s: claimed %s times without an end; failed (too_many_attempts)", site, reply[2].decode())
            self.finish_if_over(run_id)

    def renew(self, worker_id: str, lease: float, held: dict[str, list[str]]) -> list[tuple[str, str]]:
        """Push the leases of ``held`` ({run id: [site]}) ahead; returns the (run id, site) no longer held."""
        lost = []
        for run_id, sites in held.items():
            keys = self.keys(run_id)
            gone = self._renew(
                keys=[keys.running, keys.holders, self._global("up")], args=[worker_id, int(lease * 1000), *sites]
            )
            lost += [(run_id, site.decode()) for site in gone]
        return lost

    def heartbeat(self, worker: dict[str, Any], lease: float) -> None:
        """Say the worker is alive (``blogarc jobs`` shows which holders are)."""
        self.client.set(self._global(f"worker:{worker['worker']}"), json.dumps(worker), px=int(lease * 1000))

    def complete(self, worker_id: str, claim: Claim, result: dict[str, Any], failed: bool = False) -> int:
        """Record a blog's end (done or failed) and drop its frontier; -1 when ``worker_id`` no longer holds it.

        Returns the blogs of the job still waiting or running otherwise.
        """
        keys = self.keys(claim.run_id)
        return int(
            self._complete(
                keys=[
                    keys.running,
                    keys.holders,
                    self._global("holding"),
                    keys.failed if failed else keys.done,
                    keys.waiting,
                ],
                args=[claim.run_id, claim.site, worker_id, json.dumps(result), keys.frontier_prefix],
            )
        )

    def release(self, worker_id: str, claim: Claim) -> bool:
        """Give a blog back (shutdown, its store lock held elsewhere): it waits again, its frontier kept."""
        keys = self.keys(claim.run_id)
        return bool(
            self._release(
                keys=[keys.running, keys.holders, self._global("holding"), keys.waiting],
                args=[claim.run_id, claim.site, worker_id, claim.rank],
            )
        )

    def open_work(self) -> tuple[int, int]:
        """Blogs waiting, and blogs held by a live worker (unexpired lease), over every active job."""
        waiting = held = 0
        for run_id in self.jobs(active_only=True):
            keys = self.keys(run_id)
            found = self._open_work(keys=[keys.waiting, keys.running])
            waiting, held = waiting + int(found[0]), held + int(found[1])
        return waiting, held

    def finish_if_over(self, run_id: str) -> bool:
        """When no blog of the job waits or runs, mark it finished; True for the one caller that did."""
        keys = self.keys(run_id)
        if self.client.zcard(keys.waiting) or self.client.zcard(keys.running):
            return False
        self.client.zrem(self._global("active"), run_id)
        return bool(self.client.hsetnx(keys.meta, "finished", f"{time.time():.3f}"))

    def results(self, run_id: str) -> list[dict[str, Any]]:
        """What every ended blog of the job became (done and failed), in the sites file's order."""
        keys = self.keys(run_id)
        ranks = {k.decode(): json.loads(v)["rank"] for k, v in self.client.hgetall(keys.sites).items()}
        found = []
        for key in (keys.done, keys.failed):
            for site, value in self.client.hgetall(key).items():
                found.append({"site": site.decode(), **json.loads(value)})
        return sorted(found, key=lambda entry: ranks.get(entry["site"], 0))

    def site_state(self, run_id: str, site: str) -> tuple[str, dict[str, Any]]:
        """The blog's state in the job, and its holder (that of a held or expired lease; {} otherwise).

        ``done``, ``failed``, ``held`` (a live lease), ``open`` (waiting, or its lease expired) or ``unknown``.
        """
        keys = self.keys(run_id)
        if not self.client.hexists(keys.sites, site):
            return "unknown", {}
        for state, key in (("done", keys.done), ("failed", keys.failed)):
            if self.client.hexists(key, site):
                return state, {}
        holder = json.loads(self.client.hget(keys.holders, site) or b"{}")
        expiry = self.client.zscore(keys.running, site)
        return ("held" if expiry is not None and expiry >= self.now_ms() else "open"), holder

    def forget(self, run_id: str) -> int:
        """Delete a job and everything it keeps in Redis; returns how many keys went."""
        keys = self.keys(run_id)
        names = [name for name in self.client.scan_iter(match=f"{keys.meta}:*", count=500)]
        names.append(keys.meta.encode())
        for site in self.client.hkeys(keys.sites):
            if self.client.hget(self._global("holding"), site) == run_id.encode():
                self.client.hdel(self._global("holding"), site)
        self.client.zrem(self._global("jobs"), run_id)
        self.client.zrem(self._global("active"), run_id)
        return int(self.client.delete(*names)) if names else 0

    def now_ms(self) -> float:
        """Redis's clock, in milliseconds (the one leases follow)."""
        seconds, micros = self.client.time()
        return seconds * 1000 + micros / 1000
