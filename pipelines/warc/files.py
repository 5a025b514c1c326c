"""Rolling WARC files: ``.open`` while written, rotated at a size limit, repaired after a crash.

A file is written as ``{prefix}-{timestamp}-{serial:05d}-{crawlhost}.warc.gz.open`` (the WARC 1.1 annex C naming
pattern), one gzip member per record (records come from ``pipelines.warc.records.PairBuilder``). Every record is
flushed to the OS as soon as it is written, so a killed process loses at most the record being written.
``repair_open_file`` truncates such a file to its last whole record and gives it its final name.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import deflate
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipelines.warc.cdxj import cdxj_path, index_line, lines_path, sort_lines
from pipelines.warc.records import BuiltPair, Exchange, PairBuilder, Revisit

if TYPE_CHECKING:
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class RecordLocation:
    """Where a record lives: enough to fetch it with one ranged read."""

    filename: str
    record_id: str
    offset: int
    length: int
    payload_digest: str | None
    date: str  # WARC-Date of the record: when the response was received

    def as_dict(self) -> dict[str, Any]:
        """The ``warc`` pointer of a clean-text record."""
        return {
            "filename": self.filename,
            "record_id": self.record_id,
            "offset": self.offset,
            "length": self.length,
            "payload_digest": self.payload_digest,
        }


def crawl_host() -> str:
    """The crawling machine's host name, safe for a file name."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


def warc_name(prefix: str, serial: int, when: datetime | None = None, gzip: bool = True) -> str:
    """``{prefix}-{YYYYMMDDhhmmssfff}-{serial:05d}-{host}.warc.gz``."""
    when = when or datetime.now(UTC)
    stamp = when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"
    suffix = ".warc.gz" if gzip else ".warc"
    return f"{prefix}-{stamp}-{serial:05d}-{crawl_host()}{suffix}"


class WarcFile:
    """One WARC file being written: ``<name>.open`` until ``close()`` renames it.

    Each pair goes to the OS in one unbuffered write (a killed process loses at most the pair being written). A pair
    that cannot be written whole (disk full, ``EFBIG``) is cut off again, with its index line: the file ends at its
    last whole record, as it would after a kill, and the error goes to the caller.
    """

    def __init__(self, final_path: Path, warcinfo: dict[str, str], gzip_level: int | None = 6):
        self.final_path = final_path
        self.open_path = final_path.with_name(final_path.name + OPEN_SUFFIX)
        self.level = gzip_level
        self._fh = open(self.open_path, "xb", buffering=0)  # noqa: SIM115 - lives as long as this object
        # the index lines, as records are written: closing sorts them into the index, no second read of the file
        self.lines_path = lines_path(final_path)
        self._lines = open(self.lines_path, "wb", buffering=0)  # noqa: SIM115 - as the file
        self._builder = PairBuilder()
        self.records = 0
        self.size = 0  # bytes written so far (the file's length)
        self._lines_size = 0
        self._append(self._compressed(self._builder.warcinfo(final_path.name, warcinfo)), None, 1)

    def _compressed(self, record: bytes) -> bytes:
        """One record as one gzip member (or as is)."""
        if self.level is None:
            return record
        # libdeflate (whole buffers): at level 6, 37% fewer instructions than zlib's and members 1.3% smaller
        return deflate.gzip_compress(record, self.level)

    def write_pair(self, request: Request, response: Response, revisit: Revisit | None = None) -> RecordLocation:
        """Append a response record (a revisit record with ``revisit``) and its request record.

        Returns:
            The location of the response (or revisit) record.
        """
        return self.append(self._builder.build(Exchange.of(request, response, revisit)))

    def append(self, pair: BuiltPair) -> RecordLocation:
        """Append built records; return the location of the response record."""
        offset = self.size
        first = self._compressed(pair.records[0])
        rest = b"".join(self._compressed(record) for record in pair.records[1:])
        line = None
        if pair.index is not None:
            line = index_line(pair.index, offset, len(first), self.final_path.name).encode("utf-8")
        self._append(first + rest, line, len(pair.records))
        return RecordLocation(
            filename=self.final_path.name,
            record_id=pair.record_id,
            offset=offset,
            length=len(first),
            payload_digest=pair.payload_digest,
            date=pair.date,
        )

    def _append(self, data: bytes, line: bytes | None, records: int) -> None:
        """Write ``records`` gzip members (or records) and their index line: all of them, or none."""
        try:
            _write_all(self._fh, data)
            if line is not None:
                _write_all(self._lines, line)
        except OSError:
            self._cut(self._fh, self.size)
            self._cut(self._lines, self._lines_size)
            raise
        self.size += len(data)
        self._lines_size += len(line or b"")
        self.records += records

    @staticmethod
    def _cut(fh: Any, size: int) -> None:
        """Cut what a failed write left after ``size`` bytes (freeing space is what a full disk still allows)."""
        os.ftruncate(fh.fileno(), size)
        fh.seek(size)

    def close(self) -> Path:
        """Flush to disk, give the file its final name, write its index beside it, and return the file's path."""
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.open_path, self.final_path)
        self._lines.close()
        sort_lines(self.lines_path, cdxj_path(self.final_path))
        return self.final_path


@dataclass(frozen=True)
class Appended:
    """What appending one pair did: where its response record lies, the file it closed (if full), the size."""

    location: RecordLocation
    closed: Path | None
    size: int  # of the file being written after the pair (0 when the pair filled and closed it)
    written: int  # bytes the pair took


class WarcRoller:
    """The WARC files of one crawl of one site: naming, serial numbers and rotation at ``max_size``.

    ``append`` builds the records of an exchange (``records.Exchange``, taken on the crawl's thread), compresses
    and writes them and rotates a full file, in the one thread that writes files (``pipelines.warc.exporter``).
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        warcinfo: dict[str, str],
        max_size: int,
        gzip: bool = True,
        gzip_level: int = 6,
    ):
        self.directory = directory
        self.prefix = prefix
        self.warcinfo = warcinfo
        self.max_size = max_size
        self.gzip = gzip
        self.gzip_level = gzip_level
        self.serial = 0
        self.current: WarcFile | None = None
        self.builder = PairBuilder()
        directory.mkdir(parents=True, exist_ok=True)

    def append(self, exchange: Exchange) -> Appended:
        """Write an exchange's records to the current file (a new one when there is none); close it if it is full."""
        pair = self.builder.build(exchange)
        before = self._current().size
        location = self._current().append(pair)
        size = self._current().size
        closed = self.rotate_if_full()
        return Appended(location, closed, 0 if closed else size, size - before)

    def write_pair(self, request: Request, response: Response, revisit: Revisit | None = None) -> RecordLocation:
        """Build and write a pair to the current file, opening a new one when there is none (no rotation)."""
        return self._current().append(self.builder.build(Exchange.of(request, response, revisit)))

    def _current(self) -> WarcFile:
        if self.current is None:
            name = warc_name(self.prefix, self.serial, gzip=self.gzip)
            self.serial += 1
            level = self.gzip_level if self.gzip else None
            self.current = WarcFile(self.directory / name, self.warcinfo, gzip_level=level)
        return self.current

    def rotate_if_full(self) -> Path | None:
        """Close the current file if it reached ``max_size``; return the closed file's path."""
        if self.current is not None and self.current.size >= self.max_size:
            return self.close()
        return None

    def close(self) -> Path | None:
        """Close the current file, if any, and return its final path."""
        if self.current is None:
            return None
        path = self.current.close()
        self.current = None
        return path


def _write_all(fh: Any, data: bytes) -> None:
    """Write all of ``data`` to an unbuffered file (a write can take less: at a full disk, the next one fails)."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view) :]


def complete_prefix(path: Path) -> tuple[int, int]:
    """Length in bytes of the whole records at the start of a WARC file, and their number.

    A record counts only if its block is as long as its ``Content-Length`` says and, in a gzip file, its gzip
    member is whole, trailer included (the deflate data can be complete while the trailer is cut off).
    """
    good_end, records = 0, 0
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        iterator = ArchiveIterator(fh, no_record_parse=True, check_digests=False)
        try:
            for record in iterator:
                declared = int(record.rec_headers.get_header("Content-Length") or -1)
                if _drain(record.raw_stream) != declared:
                    break
                iterator.read_to_end(record)
                offset, length = iterator.member_info
                if gzipped and not _whole_gzip_member(path, offset, length):
                    break
                good_end, records = offset + length, records + 1
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            logger.debug("%s: records end at byte %d (%s)", path, good_end, exc)
    return good_end, records


def _whole_gzip_member(path: Path, offset: int, length: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        while data and not inflater.eof:
            inflater.decompress(data, 1 << 20)
            data = inflater.unconsumed_tail
    except zlib.error:
        return False
    return inflater.eof


def _drain(stream: Any) -> int:
    total = 0
    while chunk := stream.read(1 << 16):
        total += len(chunk)
    return total


def repair_open_file(path: Path) -> Path | None:
    """Finish a ``.open`` WARC left by a killed process.

    Truncates the file to its last whole record and renames it to its final name. A file with no record beyond
    its ``warcinfo`` holds nothing worth keeping and is removed.

    Returns:
        The repaired file's path, or None when the file was removed.
    """
    size = path.stat().st_size
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    lines_path(final).unlink(missing_ok=True)  # the killed writer's index lines: the file is indexed when shipped
    good_end, records = complete_prefix(path)
    if records <= 1:
        logger.warning("Removed %s: no complete record after warcinfo (%d bytes)", path, size)
        path.unlink()
        return None
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            os.fsync(fh.fileno())
    os.replace(path, final)
    logger.warning(
        "Repaired %s: kept %d whole records, dropped %d trailing bytes", final.name, records, size - good_end
    )
    return final
