"""Rolling WARC files: ``.open`` while written, rotated at a size limit, repaired after a crash.

A file is written as ``{prefix}-{timestamp}-{serial:05d}-{crawlhost}.warc.gz.open`` (the WARC 1.1 annex C naming
pattern) through one long-lived warcio ``WARCWriter``, one gzip member per record. Every record is flushed to the
OS as soon as it is written, so a killed process loses at most the record being written. ``repair_open_file``
truncates such a file to its last whole record and gives it its final name.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.warcwriter import WARCWriter

from pipelines.warc.records import build_request_record, build_response_record, build_revisit_record

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


@dataclass(frozen=True)
class Revisit:
    """How to write a response as a revisit: the WARC-Profile and the original (``build_revisit_record``)."""

    profile: str
    refers_to: dict[str, str]


class _RecordEnds:
    """File wrapper that writes each record warcio hands it as one gzip member, and notes where records end.

    warcio flushes its output once at the end of every record, so each flush closes a record: its bytes become one
    gzip member (when ``level`` is set) and the file position there is a record boundary. Flushing the real file
    at that point also bounds what a crash can lose. Compressing here rather than with warcio's own gzip lets us
    choose the level: warcio always uses 9, which costs about twice the CPU of 6 for 1-2% smaller files.
    """

    def __init__(self, fh: BinaryIO, level: int | None):
        self.fh = fh
        self.level = level
        self.ends: list[int] = []
        self._record: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._record.append(data)
        return len(data)

    def flush(self) -> None:
        data = b"".join(self._record)
        self._record.clear()
        if self.level is not None:
            data = gzip.compress(data, compresslevel=self.level, mtime=0)
        self.fh.write(data)
        self.fh.flush()
        self.ends.append(self.fh.tell())


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
    """One WARC file being written: ``<name>.open`` until ``close()`` renames it."""

    def __init__(self, final_path: Path, warcinfo: dict[str, str], gzip_level: int | None = 6):
        self.final_path = final_path
        self.open_path = final_path.with_name(final_path.name + OPEN_SUFFIX)
        self._fh = open(self.open_path, "xb")  # noqa: SIM115 - lives as long as this object
        self._ends = _RecordEnds(self._fh, gzip_level)
        self.writer = WARCWriter(self._ends, gzip=False, warc_version="1.1")
        self.records = 0
        self.writer.write_record(self.writer.create_warcinfo_record(final_path.name, warcinfo))
        self.records += 1

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._fh.tell()

    def write_pair(self, request: Request, response: Response, revisit: Revisit | None = None) -> RecordLocation:
        """Append a response record (a revisit record with ``revisit``) and its request record.

        Returns:
            The location of the response (or revisit) record.
        """
        offset = self._fh.tell()
        first_end = len(self._ends.ends)
        if revisit is None:
            resp = build_response_record(self.writer, response)
        else:
            resp = build_revisit_record(self.writer, response, revisit.profile, revisit.refers_to)
        req = build_request_record(self.writer, request, response.protocol or "HTTP/1.1")
        # warcio writes the response first, then the request, and links them with WARC-Concurrent-To
        self.writer.write_request_response_pair(req, resp)
        self.records += 2
        response_end = self._ends.ends[first_end]
        return RecordLocation(
            filename=self.final_path.name,
            record_id=resp.rec_headers.get_header("WARC-Record-ID"),
            offset=offset,
            length=response_end - offset,
            payload_digest=resp.rec_headers.get_header("WARC-Payload-Digest"),
            date=resp.rec_headers.get_header("WARC-Date"),
        )

    def close(self) -> Path:
        """Flush to disk, give the file its final name, and return that path."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.open_path, self.final_path)
        return self.final_path


class WarcRoller:
    """The WARC files of one crawl of one site: naming, serial numbers and rotation at ``max_size``."""

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
        directory.mkdir(parents=True, exist_ok=True)

    def write_pair(self, request: Request, response: Response, revisit: Revisit | None = None) -> RecordLocation:
        """Write a pair (``WarcFile.write_pair``) to the current file, opening a new one when there is none."""
        if self.current is None:
            name = warc_name(self.prefix, self.serial, gzip=self.gzip)
            self.serial += 1
            level = self.gzip_level if self.gzip else None
            self.current = WarcFile(self.directory / name, self.warcinfo, gzip_level=level)
        return self.current.write_pair(request, response, revisit)

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
    good_end, records = complete_prefix(path)
    if records <= 1:
        logger.warning("Removed %s: no complete record after warcinfo (%d bytes)", path, size)
        path.unlink()
        return None
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
            os.fsync(fh.fileno())
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    os.replace(path, final)
    logger.warning(
        "Repaired %s: kept %d whole records, dropped %d trailing bytes", final.name, records, size - good_end
    )
    return final
