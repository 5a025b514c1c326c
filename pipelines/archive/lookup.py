"""Find the captures of a URL through the CDXJ indexes, and fetch one record with a single ranged read.

``find_captures`` reads the site's CDXJ indexes (small) and never a WARC; ``fetch_record`` then reads exactly the
``length`` bytes at ``offset`` of one WARC, which is the record's own gzip member, itself a valid one-record WARC.
``ArchivedRecord`` splits that record into its WARC headers, HTTP head and payload, and decodes the payload
(chunked transfer coding, then ``gzip`` / ``deflate`` / ``br`` content codings).
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.timeutils import iso_date_to_timestamp, timestamp_to_datetime

from pipelines.archive.catalog import read_index
from pipelines.layout import site_key
from pipelines.warc.cdxj import CdxjEntry, url_key

if TYPE_CHECKING:
    from warcio.statusandheaders import StatusAndHeaders

    from pipelines.store.base import Store


@dataclass(frozen=True)
class Capture:
    """One capture of a URL: its index entry and the store key of the WARC holding it."""

    site: str
    warc_key: str
    entry: CdxjEntry

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``blogarc captures --json``)."""
        return {"site": self.site, "warc_key": self.warc_key, **self.entry.as_dict()}


def candidate_sites(url: str) -> list[str]:
    """Site keys a URL's captures can be under: its host, with and without ``www.`` (crawls cover both)."""
    site = site_key(url if "://" in url else f"http://{url}")
    other = site.removeprefix("www.") if site.startswith("www.") else f"www.{site}"
    return [site, other]


def find_captures(store: Store, url: str, site: str | None = None) -> list[Capture]:
    """Every capture of ``url`` (oldest first), looked up in the CDXJ indexes of its site."""
    wanted = url_key(url if "://" in url else f"http://{url}")
    found = []
    for name in [site] if site else candidate_sites(url):
        for key in store.list_keys(f"warc/{name}/"):
            if not key.endswith(".cdxj"):
                continue
            folder = key.rsplit("/", 1)[0]
            found.extend(
                Capture(name, f"{folder}/{entry.filename}", entry)
                for entry in read_index(store, key)
                if entry.urlkey == wanted
            )
    return sorted(found, key=lambda c: (c.entry.timestamp, c.warc_key, c.entry.offset))


def nearest(captures: list[Capture], at: str | None = None) -> Capture:
    """The capture closest in time to ``at`` (a 14-digit timestamp); the latest one without ``at``.

    Raises:
        LookupError: when there is no capture.
    """
    if not captures:
        raise LookupError("no capture")
    if at is None:
        return captures[-1]
    target = timestamp_to_datetime(at)
    return min(captures, key=lambda c: abs(_when(c) - target))


def _when(capture: Capture) -> datetime:
    return timestamp_to_datetime(capture.entry.timestamp)


def revisited(store: Store, record: ArchivedRecord, site: str | None = None) -> Capture | None:
    """The capture holding the payload a ``revisit`` record stands for (same payload digest, not a revisit).

    The one at the revisit's ``WARC-Refers-To-Date`` when indexed, otherwise the latest before the revisit.
    """
    headers = record.warc_headers
    url = headers.get_header("WARC-Refers-To-Target-URI") or headers.get_header("WARC-Target-URI")
    digest = headers.get_header("WARC-Payload-Digest")
    when = iso_date_to_timestamp(headers.get_header("WARC-Date"))
    refers = headers.get_header("WARC-Refers-To-Date")
    originals = [
        c
        for c in find_captures(store, url, site)
        if c.entry.digest == digest and c.entry.mime != "warc/revisit" and c.entry.timestamp <= when
    ]
    exact = [c for c in originals if refers and c.entry.timestamp == iso_date_to_timestamp(refers)]
    return (exact or originals or [None])[-1]


def fetch_record(store: Store, capture: Capture) -> bytes:
    """The record's bytes as stored (its gzip member in a ``.warc.gz``): one ranged read of ``length`` bytes."""
    return store.get_bytes(capture.warc_key, capture.entry.offset, capture.entry.length)


@dataclass
class ArchivedRecord:
    """A WARC record split into parts: WARC headers, HTTP head (status line and headers) and payload."""

    raw: bytes  # the record as stored
    warc_head: bytes  # WARC header block, with the blank line that ends it
    http_head: bytes  # HTTP status line and headers as archived, with their blank line ("" for non-HTTP records)
    payload: bytes  # the body as received: still content-encoded (and chunked, if the server chunked it)
    warc_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None

    @classmethod
    def parse(cls, raw: bytes) -> ArchivedRecord:
        """Parse one stored record (gzip member or plain).

        Raises:
            ValueError: when ``raw`` is not a whole WARC record.
        """
        block = zlib.decompress(raw, zlib.MAX_WBITS | 16) if raw[:2] == b"\x1f\x8b" else raw
        head_end = block.find(b"\r\n\r\n")
        if not block.startswith(b"WARC/") or head_end < 0:
            raise ValueError("not a WARC record")
        record = next(iter(ArchiveIterator(io.BytesIO(raw), check_digests=False)))
        length = int(record.rec_headers.get_header("Content-Length") or 0)
        content = block[head_end + 4 : head_end + 4 + length]
        if len(content) != length:
            raise ValueError(f"WARC record cut short: {len(content)} of {length} bytes")
        http_head, payload = b"", content
        if record.http_headers is not None:
            split = content.find(b"\r\n\r\n")
            http_head, payload = content[: split + 4], content[split + 4 :]
        return cls(raw, block[: head_end + 4], http_head, payload, record.rec_headers, record.http_headers)

    @property
    def is_revisit(self) -> bool:
        """A ``revisit`` record: the payload is not here but in an earlier capture with the same digest."""
        return self.warc_headers.get_header("WARC-Type") == "revisit"

    def header(self, name: str) -> str | None:
        """An HTTP header of the archived response (None for a non-HTTP record or an absent header)."""
        return self.http_headers.get_header(name) if self.http_headers is not None else None

    def body(self) -> bytes:
        """The payload with transfer and content codings undone (what a browser would render)."""
        data = self.payload
        if "chunked" in (self.header("Transfer-Encoding") or "").lower():
            reader = ChunkedDataReader(io.BytesIO(data))
            data = b"".join(iter(lambda: reader.read(1 << 16), b""))
        return decode_content(data, self.header("Content-Encoding") or "")


def decode_content(data: bytes, content_encoding: str) -> bytes:
    """Undo ``Content-Encoding`` codings (``gzip``, ``deflate``, ``br``; applied left to right, undone in reverse).

    Raises:
        ValueError: for an unknown coding, or ``br`` without the ``brotli`` package.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            data = zlib.decompress(data, zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            data = _inflate(data)
        elif coding == "br":
            data = _unbrotli(data)
        elif coding != "identity":
            raise ValueError(f"cannot decode Content-Encoding {coding!r}")
    return data


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:  # servers often send raw deflate without the zlib wrapper
        return zlib.decompress(data, -zlib.MAX_WBITS)


def _unbrotli(data: bytes) -> bytes:
    try:
        import brotli  # noqa: PLC0415 - optional: only brotli bodies need it
    except ImportError:
        raise ValueError(
            "the body is brotli-compressed (Content-Encoding: br) and the 'brotli' package is not installed: "
            "pip install brotli"
        ) from None
    return brotli.decompress(data)
