"""Read store objects as streams: the one ranged reader every tool that reads a WARC from a store goes through.

``open_object`` gives a read-only buffered stream over an object, or over a byte range of it, fetched on demand in
``Store.get_bytes(key, offset, length)`` calls of up to ``CHUNK`` bytes: a gigabyte WARC never sits in memory, and
the record at a CDXJ pointer costs exactly one ranged read. ``read_record`` gives that record as warcio's
``ArchiveIterator`` sees it (its ``content_stream()`` undoes chunked framing and the content coding);
``copy_object`` and ``fetch_to`` copy an object out, hashing it on the way.
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

if TYPE_CHECKING:
    from pathlib import Path

    from warcio.recordloader import ArcWarcRecord

    from pipelines.store.base import Store

CHUNK = 8 << 20  # bytes per ranged read when streaming an object


class RangeReader(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a store object (``end`` None: to the object's end), read with ranged reads.

    Each read asks for at most ``chunk`` bytes, except ``readall``. ``tell()`` is the position in the whole object,
    so warcio's record offsets are the object's own.
    """

    def __init__(self, store: Store, key: str, start: int = 0, end: int | None = None, chunk: int = CHUNK):
        if start < 0 or (end is not None and end < start) or chunk < 1:
            raise ValueError(f"Bad range of {key}: {start} to {end} in reads of {chunk}")
        self.store, self.key, self.pos, self.end, self.chunk = store, key, start, end, chunk

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (at most ``chunk``) in one ranged read, handed on without a copy."""
        if size is None or size < 0:
            return self.readall()
        want = min(size, self.chunk) if self.end is None else min(size, self.chunk, self.end - self.pos)
        return self._fetch(want) if want > 0 else b""

    def readall(self) -> bytes:
        """The rest in one ranged read, however long: ``BufferedReader.read()`` fetches a record in one request."""
        if self.end is not None and self.pos >= self.end:
            return b""
        return self._fetch(None if self.end is None else self.end - self.pos)

    def _fetch(self, length: int | None) -> bytes:
        data = self.store.get_bytes(self.key, self.pos, length)
        self.pos += len(data)
        if length is None or len(data) < length:
            self.end = self.pos  # a short read is the object's end: ask no more (S3 refuses a range past it)
        return data


def open_object(
    store: Store, key: str, size: int | None = None, offset: int = 0, length: int | None = None, chunk: int = CHUNK
) -> io.BufferedReader:
    """A read-only buffered stream over ``key`` from ``offset``: ``length`` bytes, or to the end of the object.

    Args:
        store: the store holding the object.
        key: the object's key.
        size: the object's size when known (from a manifest or ``Store.stat``); without it, the first short read
            ends the stream.
        offset: where the stream starts in the object.
        length: how many bytes it holds at most (a record's CDXJ length); None: to the end.
        chunk: the most bytes one ranged read asks for. A range no longer than this is read in one request.

    Returns:
        A ``BufferedReader`` whose ``tell()`` is the position in the object. Nothing is read before the first
        ``read``; closing it releases nothing but memory.
    """
    end = None if length is None else offset + length
    if size is not None:
        end = size if end is None else min(end, size)
    span = chunk if end is None else max(1, min(chunk, end - offset))
    return io.BufferedReader(RangeReader(store, key, offset, end, chunk), span)


def first_record(stream: BinaryIO, check_digests: bool = False) -> ArcWarcRecord:
    """The WARC record at the start of ``stream`` (a gzip member or a plain record), parsed by warcio.

    Raises:
        ValueError: when the stream does not start with a WARC record.
    """
    try:
        record = next(iter(ArchiveIterator(stream, check_digests=check_digests)), None)
    except ArchiveLoadFailed as exc:
        raise ValueError(f"not a WARC record: {exc}") from None
    if record is None:
        raise ValueError("not a WARC record: no data")
    if record.format != "warc":  # warcio takes any line of five words for an ARC header
        raise ValueError(f"not a WARC record: {record.format} format")
    return record


def read_record(store: Store, key: str, offset: int, length: int, check_digests: bool = False) -> ArcWarcRecord:
    """The one WARC record at a pointer (a CDXJ entry's offset and length), read with one ranged read.

    The record is what ``ArchiveIterator`` yields when it reaches that offset of the whole file: the same
    ``rec_headers``, ``http_headers``, ``raw_stream`` (the payload as received) and ``content_stream()``.

    Raises:
        ValueError: when the bytes there are not a WARC record.
    """
    return first_record(open_object(store, key, offset=offset, length=length), check_digests)


def copy_object(store: Store, key: str, out: BinaryIO, size: int | None = None, offset: int = 0) -> str:
    """Write an object (from ``offset``) to ``out``, ``CHUNK`` bytes a read; return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    # unbuffered: each ranged read goes to ``out`` as it came, without a second copy through a buffer
    with RangeReader(store, key, offset, size) as stream:
        while data := stream.read(CHUNK):
            digest.update(data)
            out.write(data)
    return digest.hexdigest()


def fetch_to(store: Store, key: str, target: Path, size: int | None = None) -> str:
    """Copy an object to a local file (created or replaced); return its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        return copy_object(store, key, out, size)
