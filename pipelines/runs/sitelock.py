"""A per-site lock in the store, so two overlapping jobs (two cron runs, two machines) never crawl one site at once.

``state/{site}/lock.json`` (``layout.lock_key``) names its holder (host, pid, run id) and an expiry. It is created
only if absent, through the store's ``put_if_absent``: on a local folder with ``O_CREAT | O_EXCL`` (atomic on POSIX
file systems, NFS v3+ included), on S3 with a conditional ``PutObject`` (``IfNoneMatch="*"``: the server refuses to
overwrite an existing key, answering ``412``; AWS S3 since 2024, MinIO, moto 5). The lock uses nothing but the
``Store`` protocol, so it works on any store. A holder renews the expiry while it runs (with the state
checkpoints); a lock whose expiry passed belongs to a run that died and is taken over, and so is one whose holder
ran on this host under a pid that no longer exists (a killed crawl; a recycled pid only makes the lock wait for its
expiry).

The race window, honestly: taking over a *stale* lock is delete-then-create, so two runs that both find the same
stale lock at the same instant both delete it, and only one create wins (the loser is refused, as it should be).
The window is open only for a lock that already expired. A store without conditional writes (some S3-compatible
servers ignore ``If-None-Match``) degrades to last-writer-wins: ``put_if_absent`` then reads the lock back after
writing and a run that does not find its own lock there backs off, which narrows the race to the time between two
requests.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pipelines.layout import lock_key

if TYPE_CHECKING:
    from pipelines.store.base import Store

logger = logging.getLogger(__name__)


class SiteLocked(Exception):
    """Another run holds the site's lock."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, and until when (epoch seconds)."""

    host: str
    pid: int
    run_id: str
    expires: float

    def describe(self) -> str:
        """``run R (pid P on H), expires in Ns``."""
        left = self.expires - time.time()
        return f"run {self.run_id} (pid {self.pid} on {self.host}), expires in {left:.0f}s"


class SiteLock:
    """The lock of one site in one store; ``acquire`` then ``renew`` while running, ``release`` at the end."""

    def __init__(self, store: Store, site: str, run_id: str, ttl: float = 3600.0):
        self.store = store
        self.site = site
        self.key = lock_key(site)
        self.ttl = ttl
        self.me = Holder(socket.gethostname(), os.getpid(), run_id, 0.0)
        self.held = False

    def acquire(self, wait: float = 0.0, poll: float = 1.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds for a running holder to finish.

        Raises:
            SiteLocked: when another run still holds it after ``wait`` seconds.
        """
        deadline = time.monotonic() + wait
        while True:
            holder = self.read()
            if holder is not None and (holder.expires < time.time() or self._dead_here(holder)):
                logger.warning("Taking over the stale lock of %s: %s", self.site, holder.describe())
                self.store.delete(self.key)
                holder = None
            if holder is None and self.store.put_if_absent(self.key, self._body()):
                self.held = True
                return
            if time.monotonic() >= deadline:
                holder = self.read()
                who = holder.describe() if holder else "another run"
                raise SiteLocked(f"{self.site} is being crawled by {who}; lock {self.store.uri_for(self.key)}")
            time.sleep(poll)

    def read(self) -> Holder | None:
        """The current holder, or None when the lock is free (an unreadable lock counts as stale)."""
        try:
            data = json.loads(self.store.get_bytes(self.key))
            return Holder(str(data["host"]), int(data["pid"]), str(data["run_id"]), float(data["expires"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return Holder("?", 0, "?", 0.0)

    def renew(self) -> None:
        """Push the expiry ``ttl`` seconds ahead (the holder is still alive)."""
        if self.held:
            self.store.put_bytes(self.key, self._body())

    def release(self) -> None:
        """Remove the lock if this run holds it."""
        if self.held:
            holder = self.read()
            if holder is not None and (holder.host, holder.pid, holder.run_id) == self._identity():
                self.store.delete(self.key)
            self.held = False

    def _dead_here(self, holder: Holder) -> bool:
        """Whether the holder ran on this machine and its process is gone (killed: its lock need not expire)."""
        if holder.host != self.me.host or holder.pid <= 0 or holder.pid == self.me.pid:
            return False
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, under another user
            return False
        return False

    def _identity(self) -> tuple[str, int, str]:
        return self.me.host, self.me.pid, self.me.run_id

    def _body(self) -> bytes:
        holder = Holder(self.me.host, self.me.pid, self.me.run_id, time.time() + self.ttl)
        return json.dumps(asdict(holder)).encode("utf-8")
