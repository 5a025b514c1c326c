"""The local spool: files on their way to the store, and what ships them.

Under the spool root (one per store URI by default, ``stores.spool_dir``)::

    {site}/*.warc.gz.open      WARC being written (repaired at the next start if the writer died)
    {site}/*.warc.gz, *.cdxj   closed, waiting to be shipped (deleted once the store verified them)
    {site}/.lock               held (``flock``) by the process writing there
    _parked/{key}              anything else that could not reach the store (text batches, run manifests), under
                               its store key

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
from typing import IO, TYPE_CHECKING

from pipelines.layout import text_prefix, warc_key
from pipelines.store.base import safe_key
from pipelines.warc.cdxj import cdxj_path, write_cdxj
from pipelines.warc.files import OPEN_SUFFIX, repair_open_file

if TYPE_CHECKING:
    from pipelines.store.base import Store, StoredObject

logger = logging.getLogger(__name__)

PARKED = "_parked"


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
        warcs = sorted(p for p in folder.iterdir() if p.name.endswith((".warc.gz", ".warc")))
        lone = sorted(p for p in folder.glob("*.cdxj") if not any(cdxj_path(w) == p for w in warcs))
        return warcs + lone, repaired

    def park(self, path: Path, key: str) -> Path:
        """Move a finished file that could not reach the store into ``_parked/{key}``."""
        target = self.root / PARKED / safe_key(key)
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
        target = self.root / PARKED / safe_key(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return target

    def parked(self, prefix: str = "") -> list[tuple[Path, str]]:
        """Parked files under the store key ``prefix``: (local path, key), manifests (``runs/``) last."""
        base = self.root / PARKED
        if not base.is_dir():
            return []
        found = [
            (p, p.relative_to(base).as_posix()) for p in base.rglob("*") if p.is_file() and not p.name.endswith(".tmp")
        ]
        found = [(p, key) for p, key in found if key.startswith(prefix)]
        return sorted(found, key=lambda pair: (pair[1].startswith("runs/"), pair[1]))

    def pending(self, site: str, run_id: str = "") -> list[str]:
        """Store keys of everything still waiting in the spool for ``site`` (of ``run_id``'s text, if given)."""
        keys: list[str] = []
        folder = self.site_dir(site)
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
                if final.name.endswith((".warc.gz", ".warc")):  # its index is made when it ships
                    keys += [warc_key(site, final.name), warc_key(site, cdxj_path(final).name)]
                elif final.suffix == ".cdxj":
                    keys.append(warc_key(site, final.name))
            keys = sorted(set(keys))
        text = text_prefix(site, run_id) if run_id else f"text/{site}/"
        keys += [key for _, key in self.parked(text)]
        if not run_id:
            keys += [key for _, key in self.parked(f"runs/{site}/")]
        return keys


def local_file(spool: Spool, key: str) -> Path | None:
    """The spool's copy of a pending store key (a WARC or index of a site, or a parked file), if it exists."""
    parts = key.split("/")
    if parts[0] == "warc" and len(parts) == 3:
        path = spool.site_dir(parts[1]) / parts[2]
    else:
        path = spool.root / PARKED / safe_key(key)
    return path if path.is_file() else None


def ship_warc(store: Store, path: Path, site: str) -> list[tuple[StoredObject, str]]:
    """Index a closed WARC, store it and its index, and delete both locally once the store verified them.

    A lone index (its WARC already stored) is stored alone. Returns what was stored, with its kind.
    """
    if path.suffix == ".cdxj":
        stored = store.persist(path, warc_key(site, path.name))
        path.unlink()
        return [(stored, "cdxj")]
    index_path = write_cdxj(path)
    warc_obj = store.persist(path, warc_key(site, path.name))
    index_obj = store.persist(index_path, warc_key(site, index_path.name))
    path.unlink()
    index_path.unlink()
    return [(warc_obj, "warc"), (index_obj, "cdxj")]


def ship_parked(store: Store, path: Path, key: str) -> StoredObject:
    """Store a parked file under its key and delete it locally once verified."""
    stored = store.persist(path, key)
    path.unlink()
    return stored
