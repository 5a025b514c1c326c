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

import http
import socket
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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


def build_response_record(
    writer: WARCWriter, response: Response, extra_headers: dict[str, str] | None = None
) -> ArcWarcRecord:
    """A ``response`` record whose payload is ``response.body`` exactly as downloaded."""
    http_headers = RawHeaders(
        status_line(response.status),
        header_lines(response.headers),
        protocol=response.protocol or "HTTP/1.1",
    )
    warc_headers = _warc_headers(response, extra_headers)
    return writer.create_warc_record(
        response.url,
        "response",
        payload=BytesIO(response.body),
        length=len(response.body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )


def build_revisit_record(
    writer: WARCWriter, response: Response, profile: str, refers_to: dict[str, str]
) -> ArcWarcRecord:
    """A ``revisit`` record for a response whose payload the archive already holds (warcio's revisit support).

    The block is the HTTP head as received (``304 Not Modified`` or ``200 OK``), never the body.

    Args:
        writer: the file's writer.
        response: the response as downloaded.
        profile: the WARC-Profile URI (``server-not-modified`` or ``identical-payload-digest``).
        refers_to: the original capture: ``uri``, ``date`` (its WARC-Date), ``digest`` (its payload digest) and
            ``record_id``.
    """
    http_headers = RawHeaders(
        status_line(response.status), header_lines(response.headers), protocol=response.protocol or "HTTP/1.1"
    )
    record = writer.create_revisit_record(
        response.url,
        refers_to["digest"],
        refers_to["uri"],
        refers_to["date"],
        http_headers=http_headers,
        warc_headers_dict=_warc_headers(response, {"WARC-Refers-To": refers_to["record_id"]}),
    )
    record.rec_headers.replace_header("WARC-Profile", profile)  # warcio always writes identical-payload-digest
    return record


def build_request_record(writer: WARCWriter, request: Request, protocol: str) -> ArcWarcRecord:
    """A ``request`` record: request line, headers as sent by Scrapy's middlewares, and body."""
    lines = header_lines(request.headers)
    if not any(name.lower() == "host" for name, _ in lines):
        lines.insert(0, ("Host", urlsplit(request.url).netloc))
    http_headers = RawHeaders(
        f"{request.method} {request_target(request.url)} {protocol}",
        lines,
        is_http_request=True,
    )
    return writer.create_warc_record(
        request.url,
        "request",
        payload=BytesIO(request.body),
        length=len(request.body),
        http_headers=http_headers,
    )


def _warc_headers(response: Response, extra: dict[str, str] | None) -> dict[str, str]:
    headers = dict(extra or {})
    if response.ip_address is not None:
        headers["WARC-IP-Address"] = str(response.ip_address)
    if "download_stopped" in response.flags:  # the crawl stopped reading it (robots.txt over its size limit)
        headers["WARC-Truncated"] = "length"
    return headers


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
    smaller) and the thread: the records are built on the crawl's thread, compressed and written in another.
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

    def build(self, request: Request, response: Response, revisit: Revisit | None = None) -> BuiltPair:
        """The records of one exchange (a revisit record with ``revisit``)."""
        if revisit is None:
            resp = build_response_record(self.writer, response)
        else:
            resp = build_revisit_record(self.writer, response, revisit.profile, revisit.refers_to)
        req = build_request_record(self.writer, request, response.protocol or "HTTP/1.1")
        # warcio writes the response first, then the request, and links them with WARC-Concurrent-To
        self.writer.write_request_response_pair(req, resp)
        headers = resp.rec_headers
        return BuiltPair(
            self._sink.take(),
            headers.get_header("WARC-Record-ID"),
            headers.get_header("WARC-Payload-Digest"),
            headers.get_header("WARC-Date"),
            index_fields(resp),
        )

    def warcinfo(self, filename: str, fields: dict[str, str]) -> bytes:
        """A ``warcinfo`` record for a new file."""
        self.writer.write_record(self.writer.create_warcinfo_record(filename, fields))
        return self._sink.take()[0]
