"""What a killed worker left in this machine's spool, settled when a worker starts here again.

A worker killed mid-blog leaves the blog's ``.open`` WARC and text batch in the local spool. Its WARC records are
archived captures: they are repaired and shipped to the store whatever became of the blog (WARC names are unique, a
capture more is never wrong). Its text batches are another matter, decided per blog by the queue:

* the blog is **done, failed, or held by a live worker** (on another machine: one here would hold the spool folder):
  that worker fetched again every request this one had not made durable in the store, and wrote their records
  (``crawler.distributed.durable``). The batches would repeat those records, or take the batch numbers that worker
  used and overwrite its batches: they are set aside in ``{spool}/_superseded/{key}`` (kept, never shipped, logged);
* the blog is **open** (waiting, or its lease expired): this worker claims it first (``JobQueue.claim``,
  ``preferred``), and its crawl ships the batches and reads their records (``pipelines.runs.interrupted``), so no
  record is written twice;
* the run is **not in the queue** (a ``blogarc crawl`` of this machine, a forgotten job): shipped as ``blogarc
  upload`` would.

A file of a settled blog the store holds already, byte for byte, or the Parquet twin of a batch that reached the
store (a kill between two uploads) is shipped all the same.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from pipelines.layout import PARQUET_SUFFIX, RUNS, TEXT, TEXT_SUFFIX, site_prefix
from pipelines.store.base import file_sha256, safe_key
from pipelines.store.shipper import Shipped
from pipelines.store.spool import SpoolBusy
from pipelines.text.reading import run_of

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.distributed.jobs import JobQueue
    from pipelines.store.base import Store
    from pipelines.store.shipper import Shipper
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)

SUPERSEDED = "_superseded"
SETTLED_STATES = ("done", "failed", "held")


def settle_spool(shipper: Shipper, queue: JobQueue, me: dict[str, Any], started: float) -> dict[str, list[str]]:
    """Settle every site of the spool (``settle_site``); returns the open blogs to claim first, by run id."""
    preferred: dict[str, list[str]] = {}
    for site in shipper.spool.sites():
        for run_id in settle_site(shipper, queue, site, me, started):
            preferred.setdefault(run_id, []).append(site)
    return preferred


def settle_site(shipper: Shipper, queue: JobQueue, site: str, me: dict[str, Any], started: float) -> list[str]:
    """Ship or set aside what the spool holds for ``site``; returns the runs whose blog is open (see above).

    ``me`` is this worker (``{"worker", "host", "pid"}``): a blog it holds, or one a dead process of this machine
    holds, counts as open. A site another process of this machine holds in the spool is left alone.
    """
    spool, store = shipper.spool, shipper.store
    if not _has_leftovers(spool, site):
        return []
    try:
        lock = spool.lock(site)
    except SpoolBusy:  # another worker of this machine crawls it
        return []
    open_runs: set[str] = set()
    try:
        shipper.abort_unfinished(site, started)
        found = shipper.leftovers(site)
        states = {run: _state(queue, run, site, me) for run in {run_of(key) for _, key in found.texts}}
        ship: list[tuple[Path, str]] = []
        for path, key in found.texts:
            state = states[run_of(key)]
            if state == "open":
                open_runs.add(run_of(key))
            elif state not in SETTLED_STATES or _own(store, path, key, found.texts):
                ship.append((path, key))
            else:
                set_aside(spool.root, path, key, state)
        shipped = Shipped()
        for path in found.warcs:
            shipped.stored += shipper.ship_warc(path, site)
        shipper.ship_texts(ship, shipped)
        if not open_runs:  # a parked manifest waits for its files; the blog's own crawl writes an open run's
            shipper.ship_manifests(found.manifests, shipped)
        if shipped.stored:
            logger.info("Shipped %d file(s) a killed worker left for %s", len(shipped.stored), site)
    except Exception as exc:  # the store is down: the files stay; the next start or the blog's crawl ships them
        logger.warning("Could not settle what the spool holds for %s (%s)", site, exc)
    finally:
        lock.close()
    return sorted(open_runs)


def _has_leftovers(spool: Spool, site: str) -> bool:
    """Whether the spool holds anything of ``site`` (a quick look: most sites' folders hold only their lock)."""
    folder = spool.site_dir(site)
    if folder.is_dir() and any(path.name != ".lock" for path in folder.iterdir()):
        return True
    for kind in (TEXT, RUNS):
        parked = spool.parked_path(site_prefix(kind, site).rstrip("/"))
        if parked.is_dir() and any(path.is_file() for path in parked.rglob("*")):
            return True
    return False


def _state(queue: JobQueue, run_id: str, site: str, me: dict[str, Any]) -> str:
    """The blog's state in the queue, with a lease of this worker or of a dead process of this machine as open."""
    state, holder = queue.site_state(run_id, site)
    if state != "held":
        return state
    if holder.get("worker") == me["worker"]:
        return "open"
    if holder.get("host") == me["host"] and not _alive(int(holder.get("pid") or 0)):
        return "open"
    return state


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        return True
    return True


def _own(store: Store, path: Path, key: str, texts: list[tuple[Path, str]]) -> bool:
    """Whether a text file of a settled blog is this spool's part of the store already, safe to ship.

    It is when the store holds the same bytes under its key (a kill between the upload and the local delete), or
    when it is the Parquet twin of a batch that left this spool for the store (a kill between the two uploads:
    the worker that took over numbered its batches after that one). Any other file may carry the number of a batch
    the other worker wrote.
    """
    stored = store.stat(key)
    if stored is not None:
        return stored.sha256 == file_sha256(path)
    if not key.endswith(PARQUET_SUFFIX):
        return False
    batch = key.removesuffix(PARQUET_SUFFIX) + TEXT_SUFFIX
    return batch not in {k for _, k in texts} and store.stat(batch) is not None


def set_aside(root: Path, path: Path, key: str, state: str) -> Path:
    """Move a superseded text batch out of the spool's shipping paths (kept for a person to look at)."""
    target = root / SUPERSEDED / safe_key(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    logger.warning(
        "Set aside %s in %s: the blog is %s in the queue and its records were written again by the worker that "
        "took it over",
        key,
        target.parent,
        state if state != "held" else "crawled by another worker",
    )
    return target
