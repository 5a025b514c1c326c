"""Scrapy request/response -> warcio records (pure: no files, no signals).

What a WARC record holds here, and what Scrapy cannot give us:

* The status line keeps the real protocol (``response.protocol``) and the standard reason phrase for the status
  code; Scrapy does not keep the server's own reason text, so a non-standard phrase is replaced by the standard one.
* Header *lines* are kept in order per name and repeated headers stay repeated (``Set-Cookie``, ``Link``), but
  Scrapy title-cases header names (``Headers.normkey``), so ``etag`` is archived as ``Etag``.
* The payload is the body as received, still compressed when the server sent ``Content-Encoding: gzip``; chunked
  transfer framing is already removed by Twisted, so a ``Transfer-Encoding: chunked`` header may describe framing
  that the payload no longer has (replay tools handle that case).
* Request records hold the headers Scrapy's middlewares set. ``Host`` and ``Connection`` are added by the HTTP
  handler below Scrapy; ``Host`` is reconstructed from the URL so the request block is a complete HTTP request.
* Header bytes are decoded as Latin-1 and written back as Latin-1, so non-ASCII header bytes reach the WARC as
  they came (warcio's default would %-encode them).
"""

from __future__ import annotations

import base64
import hashlib
import http
import socket
from dataclasses import dataclass, replace
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.warc.cdxj import index_fields

if TYPE_CHECKING:
    from scrapy.http import Headers, Request, Response
    from warcio.recordloader import ArcWarcRecord

WARC_VERSION = "WARC/1.1"


class RawHeaders(StatusAndHeaders):
    """HTTP headers written back byte for byte: Latin-1 in, Latin-1 out."""

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        return self.to_str(filter_func).encode("latin-1") + b"\r\n"


def header_lines(headers: Headers) -> list[tuple[str, str]]:
    """Every header line of a Scrapy ``Headers``, repeated names kept, decoded losslessly.

    ``Headers.to_tuple_list()`` would decode as UTF-8 and fail on Latin-1 bytes, which real servers send.
    """
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


def status_line(status: int) -> str:
    """``"200 OK"`` for a known status, ``"599 Unknown"`` for codes http.HTTPStatus does not know."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def request_target(url: str) -> str:
    """The request-target of an origin-form HTTP request line (path and query)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


@dataclass(frozen=True, slots=True)
class Exchange:
    """What the records of one exchange are made of, copied off Scrapy's objects as plain data.

    Taken on the crawl's thread (``Exchange.of``, cheap: header lines and references); the records are then built
    from it in the thread that writes the files, so the two SHA-1 digests (hashlib releases the GIL) and warcio's
    serialization leave the crawl's thread.
    """

    url: str
    date: str  # the WARC-Date of both records: when the response was received
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    warc_fields: dict[str, str]  # WARC-IP-Address, WARC-Truncated (and WARC-Refers-To for a revisit)
    request_line: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    revisit: Revisit | None = None

    @classmethod
    def of(cls, request: Request, response: Response, revisit: Revisit | None = None, date: str = "") -> Exchange:
        """The exchange of ``request`` and ``response`` (a revisit with ``revisit``), dated now unless ``date``."""
        protocol = response.protocol or "HTTP/1.1"
        lines = header_lines(request.headers)
        if not any(name.lower() == "host" for name, _ in lines):
            lines.insert(0, ("Host", urlsplit(request.url).netloc))
        fields = {"WARC-Refers-To": revisit.refers_to["record_id"]} if revisit is not None else {}
        if response.ip_address is not None:
            fields["WARC-IP-Address"] = str(response.ip_address)
        if "download_stopped" in response.flags:  # the crawl stopped reading it (robots.txt over its size limit)
            fields["WARC-Truncated"] = "length"
        return cls(
            url=response.url,
            date=date or RecordBuilder._make_warc_date(use_micros=True),
            status=response.status,
            protocol=protocol,
            headers=header_lines(response.headers),
            body=response.body,
            warc_fields=fields,
            request_line=f"{request.method} {request_target(request.url)} {protocol}",
            request_headers=lines,
            request_body=request.body,
            revisit=revisit,
        )


def sha1_digest(*parts: bytes) -> str:
    """A WARC digest as warcio writes it (``sha1:`` and the base32 SHA-1), of ``parts`` in a row."""
    digest = hashlib.sha1()  # noqa: S324 - WARC's digest, not a security measure
    for part in parts:
        digest.update(part)  # whole buffers: one call each, the GIL released over the body
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def _with_digests(
    writer: WARCWriter, record_type: str, exchange: Exchange, http: RawHeaders, payload: bytes, after: list
) -> StatusAndHeaders:
    """The WARC headers warcio writes for a record, in its order, with the digests it would compute given.

    warcio hashes the payload twice (the payload digest as it builds the record, the block digest as it writes
    it), 16 KiB at a time through a BytesIO; here each digest is one call over whole buffers, and warcio, finding
    them set, computes neither. ``after`` is what warcio adds between the payload and the block digest.
    """
    http.compute_headers_buffer(writer.header_filter)
    headers = [
        *exchange.warc_fields.items(),
        ("WARC-Type", record_type),
        ("WARC-Record-ID", writer._make_warc_id()),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),
        ("WARC-Payload-Digest", sha1_digest(payload)),
        *after,
        ("WARC-Block-Digest", sha1_digest(http.headers_buff, payload)),
    ]
    return StatusAndHeaders("", headers, protocol=writer.warc_version)


def build_response_record(writer: WARCWriter, exchange: Exchange) -> ArcWarcRecord:
    """A ``response`` record whose payload is the body exactly as downloaded."""
    http = RawHeaders(status_line(exchange.status), exchange.headers, protocol=exchange.protocol)
    body = exchange.body
    return writer.create_warc_record(
        exchange.url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        warc_headers=_with_digests(writer, "response", exchange, http, body, []),
        http_headers=http,
    )


def build_revisit_record(writer: WARCWriter, exchange: Exchange) -> ArcWarcRecord:
    """A ``revisit`` record for a response whose payload the archive already holds (warcio's revisit support).

    The block is the HTTP head as received (``304 Not Modified`` or ``200 OK``), never the body. The exchange's
    ``revisit`` names the WARC-Profile (``server-not-modified`` or ``identical-payload-digest``) and the original
    capture: ``uri``, ``date`` (its WARC-Date), ``digest`` (its payload digest) and ``record_id``.
    """
    revisit = exchange.revisit
    assert revisit is not None, "a revisit record needs the original it refers to"
    refers_to = revisit.refers_to
    http_headers = RawHeaders(status_line(exchange.status), exchange.headers, protocol=exchange.protocol)
    record = writer.create_revisit_record(
        exchange.url,
        refers_to["digest"],
        refers_to["uri"],
        refers_to["date"],
        http_headers=http_headers,
        warc_headers_dict=exchange.warc_fields,
    )
    record.rec_headers.replace_header("WARC-Date", exchange.date)  # in its place: when the response was received
    record.rec_headers.replace_header("WARC-Profile", revisit.profile)  # warcio always writes identical-payload-digest
    return record


def build_request_record(writer: WARCWriter, exchange: Exchange, concurrent_to: str) -> ArcWarcRecord:
    """A ``request`` record: request line, headers as sent by Scrapy's middlewares, and body.

    Its target URI and date are the response's, and ``WARC-Concurrent-To`` names the response record, as warcio's
    ``write_request_response_pair`` sets them.
    """
    http = RawHeaders(exchange.request_line, exchange.request_headers, is_http_request=True)
    body = exchange.request_body
    plain = replace(exchange, warc_fields={})  # the WARC-IP-Address and such describe the response
    linked = [("WARC-Concurrent-To", concurrent_to)]
    return writer.create_warc_record(
        exchange.url,
        "request",
        payload=BytesIO(body),
        length=len(body),
        warc_headers=_with_digests(writer, "request", plain, http, body, linked),
        http_headers=http,
    )


def warcinfo_fields(software: str, settings: dict[str, Any]) -> dict[str, str]:
    """The ``warcinfo`` body: who wrote the file, where, and the crawl settings that matter.

    ``settings`` must already be free of secrets; the caller chooses what to pass.
    """
    fields = {
        "software": software,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
    }
    for name, value in settings.items():
        fields[name] = str(value)
    return fields


@dataclass(frozen=True)
class Revisit:
    """How to write a response as a revisit: the WARC-Profile and the original (``build_revisit_record``)."""

    profile: str
    refers_to: dict[str, str]


class _Members:
    """File-like sink that cuts what warcio writes into records: warcio flushes once at the end of every record.

    Each record becomes one gzip member of the file (``WarcFile.append``). Compressing there rather than with
    warcio's own gzip lets us choose the level (warcio always uses 9, about twice the CPU of 6 for files 1-2%
    smaller) and the thread: the records are built, compressed and written in the thread that writes the files.
    """

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self._record: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._record.append(data)
        return len(data)

    def flush(self) -> None:
        self.records.append(b"".join(self._record))
        self._record.clear()

    def take(self) -> list[bytes]:
        """The records written since the last call."""
        records, self.records = self.records, []
        return records


@dataclass(frozen=True)
class BuiltPair:
    """A response (or revisit) record and its request record, serialized, not yet in a file."""

    records: list[bytes]  # the response record first, as warcio writes a pair
    record_id: str
    payload_digest: str | None
    date: str
    index: dict[str, str] | None = None  # the response record's CDXJ fields but its place (``cdxj.index_fields``)


class PairBuilder:
    """Build request/response records with warcio (digests, WARC headers, ``WARC-Concurrent-To``)."""

    def __init__(self) -> None:
        self._sink = _Members()
        self.writer = WARCWriter(self._sink, gzip=False, warc_version="1.1")

    def build(self, exchange: Exchange) -> BuiltPair:
        """The records of one exchange (a revisit record when it has a ``revisit``), response first."""
        if exchange.revisit is None:
            resp = build_response_record(self.writer, exchange)
        else:
            resp = build_revisit_record(self.writer, exchange)
        headers = resp.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        req = build_request_record(self.writer, exchange, record_id)
        # what warcio's write_request_response_pair does once the request carries the response's URI, date and id
        self.writer.write_record(resp)
        self.writer.write_record(req)
        return BuiltPair(
            self._sink.take(),
            record_id,
            headers.get_header("WARC-Payload-Digest"),
            exchange.date,
            index_fields(resp),
        )

    def warcinfo(self, filename: str, fields: dict[str, str]) -> bytes:
        """A ``warcinfo`` record for a new file."""
        self.writer.write_record(self.writer.create_warcinfo_record(filename, fields))
        return self._sink.take()[0]
