"""What ``blogarc jobs`` shows: every job's counts, and one job's blogs waiting, running (where), done and failed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.distributed.jobs import JobQueue


@dataclass
class JobStatus:
    """A job's blogs by state."""

    run_id: str
    meta: dict[str, str]
    waiting: list[str] = field(default_factory=list)
    running: dict[str, dict[str, Any]] = field(default_factory=dict)  # site -> holder, lease left, worker alive
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def counts(self) -> str:
        """``60 blogs: 3 waiting, 3 running, 50 done, 4 failed``."""
        total = len(self.waiting) + len(self.running) + len(self.done) + len(self.failed)
        return (
            f"{total} blogs: {len(self.waiting)} waiting, {len(self.running)} running, {len(self.done)} done, "
            f"{len(self.failed)} failed"
        )


def job_status(queue: JobQueue, run_id: str) -> JobStatus:
    """The job's blogs by state, with each running blog's holder, its lease and whether the holder is alive."""
    client, keys = queue.client, queue.keys(run_id)
    meta = queue.meta(run_id)  # the queue keeps epoch seconds; every listing shows ISO 8601 UTC
    status = JobStatus(run_id, {**meta, **{k: _when(meta[k]) for k in ("created", "finished") if meta.get(k)}})
    status.waiting = [site.decode() for site in client.zrange(keys.waiting, 0, -1)]
    now_ms = queue.now_ms()
    for site, expiry in client.zrange(keys.running, 0, -1, withscores=True):
        holder = json.loads(client.hget(keys.holders, site) or b"{}")
        alive = bool(client.exists(f"{queue.prefix}:worker:{holder.get('worker', '')}"))
        since = (now_ms - holder.get("since", now_ms)) / 1000
        status.running[site.decode()] = {**holder, "lease_left": (expiry - now_ms) / 1000, "for": since, "alive": alive}
    status.done = {k.decode(): json.loads(v) for k, v in client.hgetall(keys.done).items()}
    status.failed = {k.decode(): json.loads(v) for k, v in client.hgetall(keys.failed).items()}
    return status


def job_lines(queue: JobQueue, jobs: list[str], status: JobStatus) -> list[str]:
    """The lines of ``blogarc jobs``: the other jobs' counts, then this job's blogs."""
    lines = [f"job {run_id}: {job_status(queue, run_id).counts()}" for run_id in jobs if run_id != status.run_id]
    meta = status.meta
    created = meta.get("created") or "?"
    finished = f", finished {meta['finished']}" if meta.get("finished") else ""
    lines.append(f"job {status.run_id} (created {created}{finished}): {status.counts()}")
    for site, holder in sorted(status.running.items()):
        health = "" if holder["alive"] else ", worker not seen: taken over when the lease expires"
        lease = f"lease {holder['lease_left']:.0f}s left" if holder["lease_left"] >= 0 else "lease expired"
        lines.append(
            f"  running  {site}  on {holder.get('worker', '?')} (pid {holder.get('pid', '?')} on "
            f"{holder.get('host', '?')}), for {holder['for']:.0f}s, {lease}, attempt {holder.get('attempt', 1)}{health}"
        )
    lines += [f"  waiting  {site}" for site in status.waiting]
    for word, ended in (("done", status.done), ("failed", status.failed)):
        for site, result in sorted(ended.items()):
            lines.append(f"  {word:<7}  {site}  {_ended(result)}")
    return lines


def _ended(result: dict[str, Any]) -> str:
    reason = result.get("finish_reason", "?")
    figures = f"{result.get('pages', 0)} responses, {result.get('records', 0)} text records"
    where = f"; manifest {result['manifest']}" if result.get("manifest") else ""
    worker = f" by {result['worker']}" if result.get("worker") else ""
    return f"{result.get('status', '?')} ({reason}); {figures}{where}{worker}"


def _when(epoch: str) -> str:
    """Epoch seconds as the listings' one date format, ISO 8601 UTC to the second (``2026-11-27T07:36:08Z``)."""
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
