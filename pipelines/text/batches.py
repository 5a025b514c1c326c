"""Text batches: clean-text records appended one by one to a spool file, closed into a batch and its Parquet twin.

The one batch writer, for the crawl (``pipelines/text/pipeline.py``) and for re-extraction (``blogarc extract``).
A batch being written is ``_parked/text/{site}/{run_id}/part-NNNNN.jsonl.open`` in the spool: plain JSON Lines,
each record written whole and flushed to the OS at once, so a killed process loses at most the line it was
writing. A batch closes at ``batch_items`` records or when the run ends: its lines become ``part-NNNNN.jsonl.gz``
(one gzip member) and ``part-NNNNN.parquet`` beside it, each written to a temporary name and renamed, then the
``.open`` file goes. The closed files wait under their store keys until the shipper stores them.

``repair_batches`` finishes what a killed process left: each ``.open`` batch is cut to its last whole line and
closed the same way (closing is deterministic, so redoing a close that was cut short gives the same bytes).
"""

from __future__ import annotations

import json
import logging
import os
import re
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from pipelines.layout import PARQUET_SUFFIX, TEXT, TEXT_SUFFIX, batch_key, site_prefix

if TYPE_CHECKING:
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".jsonl.open"
BATCH_NAME = re.compile(r"part-\d{5}\.")
GZIP_LEVEL = 6


class TextBatches:
    """The batches of one site in one run, written into the spool."""

    def __init__(
        self,
        spool: Spool,
        site: str,
        run_id: str,
        batch_items: int = 1000,
        parquet: bool = True,
        first_batch: int | None = None,
    ):
        self.spool = spool
        self.site = site
        self.run_id = run_id
        self.batch_items = max(1, batch_items)
        self.parquet = parquet
        self.batch = max(first_batch or 1, self._first_free_batch())
        self.count = 0  # records in the open batch
        self.written = 0  # records in all batches of this writer
        self._fh: Any = None

    def _first_free_batch(self) -> int:
        """The next free batch number of this run in the spool (a resumed run id must not overwrite a batch)."""
        folder = self.spool.parked_path(batch_key(self.site, self.run_id, 0)).parent
        return next_batch([p.name for p in folder.iterdir()] if folder.is_dir() else [])

    @property
    def open_path(self) -> Path:
        """The spool file of the batch being written."""
        key = batch_key(self.site, self.run_id, self.batch, OPEN_SUFFIX)
        return self.spool.parked_path(key)

    def append(self, record: dict[str, Any]) -> list[tuple[Path, str]]:
        """Write one record (durable once this returns); return the files of a batch it closed, if any."""
        full = self.write(record)
        return close_batch(full, self.parquet) if full is not None else []

    def write(self, record: dict[str, Any]) -> Path | None:
        """Write one record (durable once this returns); the ``.open`` file of the batch it filled, if it did.

        That batch is detached (``detach``): the caller closes it with ``close_batch``, in any thread.
        """
        if self._fh is None:
            self.open_path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.open_path, "ab")  # noqa: SIM115 - open for the batch's lifetime
        self._fh.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        self._fh.flush()
        self.count += 1
        self.written += 1
        return self.detach() if self.count >= self.batch_items else None

    def detach(self) -> Path | None:
        """End the open batch (None when it has no records): its ``.open`` file, which nothing writes to again.

        The next record starts the next batch's file at once, so closing this one may take its time elsewhere; a
        process killed meanwhile leaves the ``.open`` file whole, for ``repair_batches``.
        """
        if self._fh is None:
            return None
        self._fh.close()
        self._fh = None
        path = self.open_path
        self.batch += 1
        self.count = 0
        return path

    def close(self) -> list[tuple[Path, str]]:
        """Close the open batch (if it has records): its ``.jsonl.gz`` and Parquet files, with their keys."""
        path = self.detach()
        return close_batch(path, self.parquet) if path is not None else []


def next_batch(names: list[str]) -> int:
    """The batch number after every batch among file names or keys (``…/part-NNNNN.…``); 1 when there is none."""
    numbers = [int(name[5:10]) for name in (PurePosixPath(n).name for n in names) if BATCH_NAME.match(name)]
    return max(numbers, default=0) + 1


def close_batch(open_path: Path, parquet: bool = True) -> list[tuple[Path, str]]:
    """Turn an ``.open`` batch into its ``.jsonl.gz`` (and ``.parquet``) beside it; return (path, key) pairs.

    Lines after the last newline (a record cut by a kill) are dropped. An empty batch leaves nothing. The batch is
    streamed, never read whole (a batch is ~14 MB of JSON Lines): its lines are compressed as they are read, and
    the Parquet twin is parsed from the file in blocks (``jsonl_to_parquet``).
    """
    stem = open_path.name.removesuffix(OPEN_SUFFIX)
    gz_path = open_path.with_name(stem + TEXT_SUFFIX)
    gz_tmp = gz_path.with_name(gz_path.name + ".tmp")
    with open(gz_tmp, "wb") as fh:
        whole = _compress_lines(open_path, fh)
        _to_disk(fh)
    if not whole:
        gz_tmp.unlink()
        open_path.unlink()
        return []
    os.replace(gz_tmp, gz_path)
    if whole < open_path.stat().st_size:
        os.truncate(open_path, whole)  # the cut record goes, as from the .jsonl.gz: the Parquet twin reads the file
    closed = [gz_path]
    if parquet:
        from pipelines.text.parquet import jsonl_to_parquet  # noqa: PLC0415 - pyarrow only where batches close

        pq_path = open_path.with_name(stem + PARQUET_SUFFIX)
        pq_tmp = pq_path.with_name(pq_path.name + ".tmp")
        with open(pq_tmp, "wb") as fh:
            jsonl_to_parquet(open_path, fh)
            _to_disk(fh)
        os.replace(pq_tmp, pq_path)
        closed.append(pq_path)
    open_path.unlink()
    root = _parked_root(open_path)
    return [(path, path.relative_to(root).as_posix()) for path in closed]


def _compress_lines(path: Path, out: BinaryIO) -> int:
    """Write the whole lines of ``path`` to ``out`` as one gzip member; return their length in bytes.

    The same bytes as ``gzip.compress(lines, GZIP_LEVEL, mtime=0)`` (zlib's own gzip header and trailer; deflate's
    output does not depend on how its input is split).
    """
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    whole = 0
    with open(path, "rb") as lines:
        for line in lines:
            if not line.endswith(b"\n"):
                break  # only the last line can lack its newline: a record cut by a kill
            out.write(packer.compress(line))
            whole += len(line)
    out.write(packer.flush())
    return whole


def _to_disk(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def repair_batches(spool: Spool, site: str) -> int:
    """Close every ``.open`` batch of ``site`` a killed process left in the spool; return how many."""
    folder = spool.parked_path(site_prefix(TEXT, site).rstrip("/"))
    found = sorted(folder.rglob("*" + OPEN_SUFFIX)) if folder.is_dir() else []
    for path in found:
        closed = close_batch(path)
        logger.warning("Repaired the text batch %s: %d file(s) to ship", path.name, len(closed))
    return len(found)


def _parked_root(path: Path) -> Path:
    """The ``_parked`` folder above a parked file (keys are paths below it)."""
    for parent in path.parents:
        if parent.name == "_parked":
            return parent
    raise ValueError(f"{path} is not in a spool's _parked folder")
