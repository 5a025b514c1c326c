"""Find the captures of a URL through the CDXJ indexes, and fetch one record with a single ranged read.

``find_captures`` reads the site's CDXJ indexes (small) and never a WARC; ``fetch_record`` then reads exactly the
``length`` bytes at ``offset`` of one WARC, which is the record's own gzip member, itself a valid one-record WARC.
``ArchivedRecord`` splits that record into its WARC headers, HTTP head and payload, as archived, and has warcio
decode the payload (``content_stream()``: chunked transfer coding, then the ``gzip``, ``deflate`` or ``br`` content
coding).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warcio.bufferedreaders import BufferedReader, DecompressingBufferedReader
from warcio.timeutils import iso_date_to_timestamp, timestamp_to_datetime

from pipelines.archive.catalog import read_index
from pipelines.layout import WARC, is_index_name, site_key, site_prefix, warc_key
from pipelines.store.reader import first_record, open_object
from pipelines.warc.cdxj import CdxjEntry, url_key
from pipelines.warc.codecs import use_brotli

if TYPE_CHECKING:
    from warcio.statusandheaders import StatusAndHeaders

    from pipelines.store.base import Store

# warcio decodes br only when the brotli package is importable
BROTLI_HINT = " (the body is brotli-compressed and the 'brotli' package is not installed: pip install brotli)"


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
        for key in filter(is_index_name, store.list_keys(site_prefix(WARC, name))):
            found.extend(
                Capture(name, warc_key(name, entry.filename), entry)
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
    with open_object(store, capture.warc_key, offset=capture.entry.offset, length=capture.entry.length) as stream:
        return stream.read()


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
        """Parse one stored record (gzip member or plain): warcio reads it, the parts keep their archived bytes.

        Raises:
            ValueError: when ``raw`` is not a whole WARC record.
        """
        # warcio's reader undoes the record's own gzip member (a plain record passes through as it is)
        block = DecompressingBufferedReader(io.BytesIO(raw)).read()
        head_end = block.find(b"\r\n\r\n")
        if not block.startswith(b"WARC/") or head_end < 0:
            raise ValueError("not a WARC record")
        record = first_record(io.BytesIO(raw))
        length = int(record.rec_headers.get_header("Content-Length") or 0)
        content = block[head_end + 4 : head_end + 4 + length]
        if len(content) != length:
            raise ValueError(f"WARC record cut short: {len(content)} of {length} bytes")
        http_head, payload = b"", content
        if record.http_headers is not None:
            split = length - max(record.payload_length, 0)  # warcio's count of the HTTP head's bytes
            http_head, payload = content[:split], content[split:]
        return cls(raw, block[: head_end + 4], http_head, payload, record.rec_headers, record.http_headers)

    @property
    def is_revisit(self) -> bool:
        """A ``revisit`` record: the payload is not here but in an earlier capture with the same digest."""
        return self.warc_headers.get_header("WARC-Type") == "revisit"

    def header(self, name: str) -> str | None:
        """An HTTP header of the archived response (None for a non-HTTP record or an absent header)."""
        return self.http_headers.get_header(name) if self.http_headers is not None else None

    def body(self) -> bytes:
        """The payload with transfer and content codings undone (what a browser would render), by warcio.

        Raises:
            ValueError: for a content coding warcio cannot undo (unknown, stacked, or ``br`` without a working
                ``brotli`` package), rather than the still-encoded bytes.
        """
        record = first_record(io.BytesIO(self.raw))
        coding = (self.header("Content-Encoding") or "").strip().lower()
        if coding not in ("", "identity") and coding not in BufferedReader.get_supported_decompressors():
            raise ValueError(f"cannot decode Content-Encoding {coding!r}{BROTLI_HINT if coding == 'br' else ''}")
        try:
            use_brotli()
            stream = record.content_stream()  # chunked framing, then gzip / deflate / br
        except AttributeError as exc:  # warcio 1.8.1 decodes br with brotlipy, not brotli 1.2 (warcio#73, issue 17)
            raise ValueError(f"warcio cannot decode Content-Encoding {coding!r} with this brotli: {exc}") from None
        return stream.read()
