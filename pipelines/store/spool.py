"""The local spool: files on their way to the store (``pipelines/store/shipper.py`` ships them).

Under the spool root (one per store URI by default, ``services.spool_dir``)::

    {site}/*.warc.gz.open      WARC being written (repaired at the next start if the writer died)
    {site}/*.warc.gz, *.cdxj   closed, waiting to be shipped (deleted once the store verified them)
    {site}/.lock               held (``flock``) by the process writing there
    _parked/{key}              everything else, under its store key: text batches (``….jsonl.open`` while
                               written, then ``.jsonl.gz`` + ``.parquet``) and manifests that wait for their files

Site keys never start with ``_`` or ``.`` (``layout.site_key``), so ``_parked`` cannot be a site. Shipping is
idempotent: keys are deterministic and a file is deleted only after the store verified it, so a process killed at
any point leaves files that the next run (``blogarc crawl`` or ``blogarc upload``) ships again onto the same keys.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO

from pipelines.layout import (
    RUNS,
    TEXT,
    TEXT_SUFFIX,
    WARC,
    index_name,
    is_index_name,
    is_warc_name,
    site_prefix,
    text_prefix,
    warc_key,
)
from pipelines.store.base import safe_key
from pipelines.warc.files import OPEN_SUFFIX, repair_open_file

logger = logging.getLogger(__name__)

PARKED = "_parked"
BATCH_OPEN_SUFFIX = ".jsonl.open"  # a text batch being written (pipelines/text/batches.py)


class SpoolBusy(Exception):
    """Another process holds the site's spool folder."""


class Spool:
    """The spool folder of one store."""

    def __init__(self, root: Path):
        self.root = root

    def site_dir(self, site: str) -> Path:
        """Where a site's WARCs are written (``site`` is a safe key segment)."""
        return self.root / safe_key(site)

    def sites(self) -> list[str]:
        """Sites that have a folder in the spool."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name[0] not in "._")

    def lock(self, site: str) -> IO[bytes]:
        """Hold the site's folder for this process (released when the returned file is closed).

        Raises:
            SpoolBusy: when another process holds it (a crawl of the same site into the same store).
        """
        folder = self.site_dir(site)
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "ab")  # noqa: SIM115 - held until released
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SpoolBusy(f"Another blogarc process is writing to {folder}") from None
        return handle

    def leftover_warcs(self, site: str) -> tuple[list[Path], int]:
        """Files an earlier run did not ship, and how many ``.open`` files were repaired to get them.

        ``.open`` files are truncated to their last whole record and closed; indexes whose WARC already reached
        the store (the run died between the two uploads) are listed too. Call only while holding the lock.
        """
        folder = self.site_dir(site)
        if not folder.is_dir():
            return [], 0
        repaired = 0
        for path in sorted(folder.glob("*" + OPEN_SUFFIX)):
            repaired += 1
            repair_open_file(path)
        warcs = sorted(p for p in folder.iterdir() if is_warc_name(p.name))
        indexes = {index_name(w.name) for w in warcs}
        lone = sorted(p for p in folder.iterdir() if is_index_name(p.name) and p.name not in indexes)
        return warcs + lone, repaired

    def parked_path(self, key: str) -> Path:
        """Where the spool keeps a file waiting for the store key ``key``."""
        return self.root / PARKED / safe_key(key)

    def park(self, path: Path, key: str) -> Path:
        """Move a finished file that could not reach the store into ``_parked/{key}``."""
        target = self.parked_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system (a temporary file): copy, then drop the original
            tmp = target.with_name(target.name + ".tmp")
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            path.unlink()
        return target

    def park_bytes(self, key: str, data: bytes) -> Path:
        """Keep a small object (a run manifest) for later."""
        target = self.parked_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
        return target

    def parked(self, prefix: str = "") -> list[tuple[Path, str]]:
        """Finished parked files under the store key ``prefix``: (local path, key), manifests (``runs/``) last.

        Text batches still being written (``.jsonl.open``) are not finished: ``text.batches`` closes them. Only
        the folder the prefix names is walked (a job of many blogs asks blog by blog, one small folder each).
        """
        base = self.root / PARKED
        folder = base / safe_key(prefix.rsplit("/", 1)[0]) if "/" in prefix.strip("/") else base
        if not folder.is_dir():
            return []
        found = [
            (p, p.relative_to(base).as_posix())
            for p in folder.rglob("*")
            if p.is_file() and not p.name.endswith((".tmp", BATCH_OPEN_SUFFIX))
        ]
        found = [(p, key) for p, key in found if key.startswith(prefix)]
        return sorted(found, key=lambda pair: (pair[1].startswith(RUNS + "/"), pair[1]))

    def pending(self, site: str, run_id: str = "") -> list[str]:
        """Store keys of everything still waiting in the spool for ``site`` (of ``run_id``'s text, if given)."""
        keys: list[str] = []
        folder = self.site_dir(site)
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
                if is_warc_name(final.name):  # its index is made when it ships
                    keys += [warc_key(site, final.name), warc_key(site, index_name(final.name))]
                elif is_index_name(final.name):
                    keys.append(warc_key(site, final.name))
            keys = sorted(set(keys))
        text = text_prefix(site, run_id) if run_id else site_prefix(TEXT, site)
        keys += [key for _, key in self.parked(text)]
        keys += [key.removesuffix(BATCH_OPEN_SUFFIX) + TEXT_SUFFIX for key in self.open_batches(text)]
        if not run_id:
            keys += [key for _, key in self.parked(site_prefix(RUNS, site))]
        return keys

    def open_batches(self, prefix: str) -> list[str]:
        """Keys (``….jsonl.open``) of text batches under ``prefix`` that are being written or were cut by a kill."""
        base = self.root / PARKED
        folder = self.parked_path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return sorted(p.relative_to(base).as_posix() for p in folder.rglob("*" + BATCH_OPEN_SUFFIX))


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary name beside it, flushed to disk, then renamed."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def local_file(spool: Spool, key: str) -> Path | None:
    """The spool's copy of a pending store key (a WARC or index of a site, or a parked file), if it exists."""
    parts = key.split("/")
    path = spool.site_dir(parts[1]) / parts[2] if parts[0] == WARC and len(parts) == 3 else spool.parked_path(key)
    return path if path.is_file() else None
