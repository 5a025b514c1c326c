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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.warc.cdxj import response_index_fields
from pipelines.warc.recordids import record_ids

if TYPE_CHECKING:
    from scrapy.http import Headers, Request, Response

WARC_VERSION = "WARC/1.1"


class RawHeaders(StatusAndHeaders):
    """HTTP headers written back byte for byte: Latin-1 in, Latin-1 out."""

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        return self.to_str(filter_func).encode("latin-1") + b"\r\n"


def header_lines(headers: Headers) -> list[tuple[str, str]]:
    """Every header line of a Scrapy ``Headers``, repeated names kept, decoded losslessly.

    ``Headers.to_tuple_list()`` would decode as UTF-8 and fail on Latin-1 bytes, which real servers send. The
    lines are read off the dict itself: Scrapy keeps each name normalized with a list of byte values, which
    ``Headers.items()`` would look up and normalize again, name by name (on the crawl's thread).
    """
    return [
        (name.decode("latin-1"), value.decode("latin-1")) for name, values in dict.items(headers) for value in values
    ]


def status_line(status: int) -> str:
    """``"200 OK"`` for a known status, ``"599 Unknown"`` for codes http.HTTPStatus does not know."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def request_target(parts: SplitResult) -> str:
    """The request-target of an origin-form HTTP request line (path and query) of a split URL."""
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
        parts = urlsplit(request.url)
        if not any(name.lower() == "host" for name, _ in lines):
            lines.insert(0, ("Host", parts.netloc))
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
            request_line=f"{request.method} {request_target(parts)} {protocol}",
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


EMPTY_DIGEST = sha1_digest(b"")  # the payload digest of every request without a body
RESPONSE_TYPE = "application/http; msgtype=response"  # warcio's WARC Content-Type of response records
REQUEST_TYPE = "application/http; msgtype=request"


def head_bytes(start: str, lines: list[tuple[str, str]], encoding: str = "latin-1") -> bytes:
    """A head as warcio's ``StatusAndHeaders`` writes one: start line, ``Name: value`` lines, blank line.

    Latin-1 for HTTP heads (``RawHeaders``: bytes back as they came), UTF-8 for WARC heads (``to_bytes``).
    """
    return "\r\n".join([start, *[f"{name}: {value}" for name, value in lines], "", ""]).encode(encoding)


def _record(fields: list[tuple[str, str]], content_type: str, http: bytes, body: bytes) -> bytes:
    """A whole record as warcio's writer serializes it: WARC head, HTTP head, body, two CRLFs.

    Content-Type and Content-Length end the WARC head, where warcio adds them. The body is copied once, into the
    record that is then compressed.
    """
    fields += [("Content-Type", content_type), ("Content-Length", str(len(http) + len(body)))]
    return b"".join((head_bytes(WARC_VERSION, fields, "utf-8"), http, body, b"\r\n\r\n"))


def response_record(exchange: Exchange, record_id: str) -> tuple[bytes, str]:
    """A ``response`` record whose payload is the body exactly as downloaded, and its payload digest.

    Byte for byte what ``WARCWriter.create_warc_record`` and ``write_record`` write for it (tests compare), with
    each digest taken in one call over whole buffers instead of warcio's 16 KiB reads through a BytesIO.
    """
    http = head_bytes(f"{exchange.protocol} {status_line(exchange.status)}", exchange.headers)
    body = exchange.body
    payload_digest = sha1_digest(body)
    fields = [
        *exchange.warc_fields.items(),
        ("WARC-Type", "response"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),
        ("WARC-Payload-Digest", payload_digest),
        ("WARC-Block-Digest", sha1_digest(http, body)),
    ]
    return _record(fields, RESPONSE_TYPE, http, body), payload_digest


def request_record(exchange: Exchange, record_id: str, concurrent_to: str) -> bytes:
    """A ``request`` record: request line, headers as sent by Scrapy's middlewares, and body.

    Its target URI and date are the response's, and ``WARC-Concurrent-To`` names the response record, as warcio's
    ``write_request_response_pair`` sets them; the WARC-IP-Address and such describe the response, not this.
    """
    http = head_bytes(exchange.request_line, exchange.request_headers)
    body = exchange.request_body
    fields = [
        ("WARC-Type", "request"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),
        ("WARC-Payload-Digest", sha1_digest(body) if body else EMPTY_DIGEST),
        ("WARC-Concurrent-To", concurrent_to),
        ("WARC-Block-Digest", sha1_digest(http, body)),
    ]
    return _record(fields, REQUEST_TYPE, http, body)


def revisit_record(exchange: Exchange, record_id: str) -> bytes:
    """A ``revisit`` record for a response whose payload the archive already holds, byte for byte warcio's.

    As ``create_revisit_record`` and ``write_record`` write it, with the WARC-Date and WARC-Profile replaced in
    their places (warcio would write its own date and always identical-payload-digest).

    The block is the HTTP head as received (``304 Not Modified`` or ``200 OK``), never the body. The exchange's
    ``revisit`` names the WARC-Profile (``server-not-modified`` or ``identical-payload-digest``) and the original
    capture: ``uri``, ``date`` (its WARC-Date), ``digest`` (its payload digest) and ``record_id``.
    """
    revisit = exchange.revisit
    assert revisit is not None and revisit.refers_to["digest"], "a revisit record needs the original it refers to"
    refers_to = revisit.refers_to
    http = head_bytes(f"{exchange.protocol} {status_line(exchange.status)}", exchange.headers)
    fields = [
        *exchange.warc_fields.items(),
        ("WARC-Type", "revisit"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),  # when the response was received
        ("WARC-Profile", revisit.profile),
        ("WARC-Refers-To-Target-URI", refers_to["uri"]),
        ("WARC-Refers-To-Date", refers_to["date"]),
        ("WARC-Payload-Digest", refers_to["digest"]),
        ("WARC-Block-Digest", sha1_digest(http)),
    ]
    return _record(fields, RESPONSE_TYPE, http, b"")


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
    """How to write a response as a revisit: the WARC-Profile and the original (``revisit_record``)."""

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


class RecordWriter(WARCWriter):
    """warcio's writer with record ids from ``recordids.record_ids`` (no system call an id)."""

    def _make_warc_id(self, id_: Any = None) -> str:
        return record_ids.next()


class PairBuilder:
    """Build the request/response records of an exchange (warcio's bytes; warcio's writer for warcinfo records)."""

    def __init__(self) -> None:
        self._sink = _Members()
        self.writer: WARCWriter = RecordWriter(self._sink, gzip=False, warc_version="1.1")

    def build(self, exchange: Exchange) -> BuiltPair:
        """The records of one exchange (a revisit record when it has a ``revisit``), response first."""
        record_id = self.writer._make_warc_id()
        if exchange.revisit is None:
            resp, digest = response_record(exchange, record_id)
        else:
            resp, digest = revisit_record(exchange, record_id), exchange.revisit.refers_to["digest"]
        revisit = exchange.revisit is not None
        index = response_index_fields(exchange.url, exchange.headers, exchange.status, digest, exchange.date, revisit)
        req = request_record(exchange, self.writer._make_warc_id(), record_id)
        return BuiltPair([resp, req], record_id, digest, exchange.date, index)

    def warcinfo(self, filename: str, fields: dict[str, str]) -> bytes:
        """A ``warcinfo`` record for a new file."""
        self.writer.write_record(self.writer.create_warcinfo_record(filename, fields))
        return self._sink.take()[0]
