"""WARC records from Scrapy requests/responses: fidelity, linkage, pointers, rotation and crash repair."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import re
import uuid

import pytest
from scrapy.http import Headers, HtmlResponse, Request, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from pipelines.warc import recordids
from pipelines.warc.cdxj import index_fields
from pipelines.warc.files import OPEN_SUFFIX, WarcFile, WarcRoller, complete_prefix, repair_open_file, warc_name
from pipelines.warc.records import (
    Exchange,
    PairBuilder,
    RawHeaders,
    Revisit,
    header_lines,
    request_record,
    response_record,
    status_line,
)
from tests.util import warcio_check

GZIP_BODY = gzip.compress(b"<html><body><p>compressed page</p></body></html>")


def exchange(url: str = "http://blog.test/a?b=1", body: bytes = GZIP_BODY, status: int = 200):
    request = Request(url, headers={"User-Agent": "blogarc-test", "Accept-Encoding": "gzip"})
    headers = Headers()
    headers.appendlist("Content-Type", "text/html; charset=UTF-8")
    headers.appendlist("Content-Encoding", "gzip")
    headers.appendlist("Set-Cookie", "a=1; Path=/")
    headers.appendlist("Set-Cookie", "b=2; Path=/")
    headers.appendlist("X-Latin", "caf\xe9".encode("latin-1"))
    response = Response(url, status=status, headers=headers, body=body, request=request, protocol="HTTP/1.0")
    return request, response


def read_records(path):
    with open(path, "rb") as fh:
        return [
            (
                r.rec_type,
                r.rec_headers,
                r.http_headers,
                r.content_stream().read() if r.http_headers else r.raw_stream.read(),
            )
            for r in ArchiveIterator(fh)
        ]


def test_response_block_is_the_http_message_as_received():
    request, response = exchange()
    data, _ = response_record(Exchange.of(request, response), "<urn:uuid:1>")
    head, block = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"WARC/1.1\r\nWARC-Type: response\r\n")
    assert b"WARC-Payload-Digest: sha1:" in head and b"WARC-Block-Digest: sha1:" in head
    expected_http = (
        b"HTTP/1.0 200 OK\r\n"
        b"Content-Type: text/html; charset=UTF-8\r\n"
        b"Content-Encoding: gzip\r\n"
        b"Set-Cookie: a=1; Path=/\r\n"
        b"Set-Cookie: b=2; Path=/\r\n"
        b"X-Latin: caf\xe9\r\n"
        b"\r\n"
    )
    assert block == expected_http + GZIP_BODY + b"\r\n\r\n"


def test_request_record_has_request_line_and_host():
    request, response = exchange()
    block = request_record(Exchange.of(request, response), "<urn:uuid:2>", "<urn:uuid:1>").split(b"\r\n\r\n", 1)[1]
    # the request line carries the protocol the response came with
    assert block.startswith(b"GET /a?b=1 HTTP/1.0\r\nHost: blog.test\r\n")
    assert b"User-Agent: blogarc-test\r\n" in block


class CountingWriter(WARCWriter):
    """Record ids from a counter and one date: two writers that make the same records write the same bytes."""

    DATE = "2026-01-02T03:04:05.123456Z"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ids = itertools.count()

    def _make_warc_id(self, id_=None):
        return f"<urn:uuid:00000000-0000-4000-8000-{next(self._ids):012d}>"

    def curr_warc_date(self):
        return self.DATE


def warcio_pair(request, response, revisit=None):
    """The pair as warcio's own writer makes it from the same Scrapy objects (create_*_record, write pair)."""
    out = io.BytesIO()
    writer = CountingWriter(out, gzip=False, warc_version="1.1")
    fields = {"WARC-Refers-To": revisit.refers_to["record_id"]} if revisit else {}
    if response.ip_address is not None:
        fields["WARC-IP-Address"] = str(response.ip_address)
    if "download_stopped" in response.flags:
        fields["WARC-Truncated"] = "length"
    protocol = response.protocol or "HTTP/1.1"
    lines = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
    http = RawHeaders(status_line(response.status), lines, protocol=protocol)
    if revisit is None:
        body = io.BytesIO(response.body)
        resp = writer.create_warc_record(
            response.url, "response", payload=body, length=len(response.body), http_headers=http,
            warc_headers_dict=fields,
        )  # fmt: skip
    else:
        ref = revisit.refers_to
        resp = writer.create_revisit_record(
            response.url, ref["digest"], ref["uri"], ref["date"], http_headers=http, warc_headers_dict=fields
        )
        resp.rec_headers.replace_header("WARC-Profile", revisit.profile)
    lines = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
    if not any(name.lower() == "host" for name, _ in lines):
        lines.insert(0, ("Host", request.url.split("/")[2]))
    target = request.url.split("/", 3)[3] if request.url.count("/") > 2 else ""
    http = RawHeaders(f"{request.method} /{target} {protocol}", lines, is_http_request=True)
    req = writer.create_warc_record(
        request.url, "request", payload=io.BytesIO(request.body), length=len(request.body), http_headers=http
    )
    writer.write_request_response_pair(req, resp)
    return out.getvalue()


def our_pair(request, response, revisit=None):
    builder = PairBuilder()
    builder.writer = CountingWriter(builder.writer.out, gzip=False, warc_version="1.1")
    return builder.build(Exchange.of(request, response, revisit, date=CountingWriter.DATE))


LATIN = "caf\xe9".encode("latin-1")
REVISIT = Revisit(
    "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
    {"uri": "http://blog.test/a?b=1", "date": "2025-01-01T00:00:00Z", "digest": "sha1:ABC", "record_id": "<urn:x>"},
)


@pytest.mark.parametrize(
    ("body", "status", "ip", "flags", "revisit"),
    [
        (GZIP_BODY, 200, "127.0.0.1", [], None),
        (b"<html>" + bytes(range(256)) * 300 + b"</html>", 200, None, [], None),  # larger than warcio's 16 KiB reads
        (b"", 204, "::1", [], None),
        (b"Not found " * 50, 404, "10.0.0.1", [], None),
        (b"User-agent: *\n" * 10, 200, "127.0.0.1", ["download_stopped"], None),
        (b"", 304, "127.0.0.1", [], REVISIT),
        (GZIP_BODY, 200, None, [], REVISIT),
    ],
)
def test_pair_is_byte_for_byte_what_warcio_writes(body, status, ip, flags, revisit):
    """Records built from whole-buffer digests are warcio's own bytes: header order, digests, blocks."""
    request, response = exchange(body=body, status=status)
    request.headers[b"X-Latin"] = LATIN
    response = response.replace(flags=flags)
    if ip is not None:
        response.ip_address = ip
    pair, reference = our_pair(request, response, revisit), warcio_pair(request, response, revisit)
    ours = b"".join(pair.records)
    assert ours == reference
    first = next(iter(ArchiveIterator(io.BytesIO(reference))))  # the CDXJ fields as cdxj-indexer reads them back
    assert pair.index == index_fields(first) and pair.payload_digest == first.rec_headers["WARC-Payload-Digest"]
    assert ours.count(b"WARC-Payload-Digest: sha1:") == 2 and b"WARC-Concurrent-To: <urn:uuid:" in ours


def test_request_with_a_body_is_byte_for_byte_what_warcio_writes():
    request, response = exchange(status=201)
    request = request.replace(method="POST", body=b"q=caf\xc3\xa9&" * 3000)  # over warcio's 16 KiB reads
    response.ip_address = "127.0.0.1"
    assert b"".join(our_pair(request, response).records) == warcio_pair(request, response)


@pytest.mark.parametrize(
    ("status", "line"), [(200, "200 OK"), (301, "301 Moved Permanently"), (404, "404 Not Found"), (599, "599 Unknown")]
)
def test_status_line(status, line):
    assert status_line(status) == line


def test_pair_is_linked_and_pointer_resolves(tmp_path):
    request, response = exchange()
    warc = WarcFile(tmp_path / "x.warc.gz", {"software": "test"})
    location = warc.write_pair(request, response)
    warc.write_pair(*exchange("http://blog.test/other"))
    path = warc.close()
    records = read_records(path)
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "response", "request"]
    resp_headers, req_headers = records[1][1], records[2][1]
    assert req_headers.get_header("WARC-Concurrent-To") == resp_headers.get_header("WARC-Record-ID")
    # the pointer is one ranged read away from the response record
    with open(path, "rb") as fh:
        fh.seek(location.offset)
        member = fh.read(location.length)
    record = next(iter(ArchiveIterator(io.BytesIO(member))))
    assert record.rec_headers.get_header("WARC-Record-ID") == location.record_id
    assert record.rec_headers.get_header("WARC-Payload-Digest") == location.payload_digest
    assert record.raw_stream.read() == GZIP_BODY  # still gzip: raw capture
    assert [v for k, v in record.http_headers.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_html_response_without_protocol_defaults_to_http11(tmp_path):
    request = Request("http://blog.test/")
    response = HtmlResponse("http://blog.test/", body=b"<p>x</p>", request=request)
    warc = WarcFile(tmp_path / "y.warc.gz", {})
    warc.write_pair(request, response)
    records = read_records(warc.close())
    assert records[1][2].protocol == "HTTP/1.1"


def test_rotation_names_and_sizes(tmp_path):
    roller = WarcRoller(tmp_path, "blogarc", {"software": "test"}, max_size=2000)
    closed = []
    for i in range(12):
        roller.write_pair(*exchange(f"http://blog.test/p{i}"))
        if (path := roller.rotate_if_full()) is not None:
            closed.append(path)
    if (last := roller.close()) is not None:
        closed.append(last)
    assert len(closed) >= 3
    pattern = re.compile(r"^blogarc-\d{17}-(\d{5})-[A-Za-z0-9.-]+\.warc\.gz$")
    serials = [int(pattern.match(p.name).group(1)) for p in closed]
    assert serials == list(range(len(closed)))
    assert not list(tmp_path.glob("*" + OPEN_SUFFIX))
    total = sum(sum(1 for r in read_records(p) if r[0] == "response") for p in closed)
    assert total == 12
    for path in closed:
        assert read_records(path)[0][0] == "warcinfo"


def test_warc_name_pattern():
    assert re.fullmatch(r"pre-\d{17}-00042-[A-Za-z0-9.-]+\.warc\.gz", warc_name("pre", 42))


def test_repair_keeps_every_whole_record_at_any_cut(tmp_path):
    warc = WarcFile(tmp_path / "full.warc.gz", {"software": "test"})
    for i in range(3):
        warc.write_pair(*exchange(f"http://blog.test/p{i}"))
    data = warc.close().read_bytes()
    with open(tmp_path / "full.warc.gz", "rb") as fh:
        it = ArchiveIterator(fh)
        ends = []
        for record in it:
            it.read_to_end(record)
            ends.append(it.member_info[0] + it.member_info[1])
    start = ends[2]  # cut anywhere after the first pair's response: warcinfo + 1 record survive at least
    for cut in range(start, len(data) + 1, 7):
        broken = tmp_path / "cut.warc.gz.open"
        broken.write_bytes(data[:cut])
        repaired = repair_open_file(broken)
        whole = [e for e in ends if e <= cut]
        assert repaired is not None and repaired.name == "cut.warc.gz"
        assert repaired.stat().st_size == whole[-1]
        assert complete_prefix(repaired) == (whole[-1], len(whole))
        repaired.unlink()


def test_repair_removes_a_file_with_only_warcinfo(tmp_path):
    warc = WarcFile(tmp_path / "empty.warc.gz", {"software": "test"})
    data = warc.close().read_bytes()
    broken = tmp_path / "e.warc.gz.open"
    broken.write_bytes(data + b"\x1f\x8b\x08")  # a record that had barely started
    assert repair_open_file(broken) is None
    assert not broken.exists()


def test_record_ids_are_uuid4s_of_os_random_bytes_drawn_in_batches(monkeypatch):
    """Each id is what uuid.UUID(bytes, version=4) makes of the next 16 bytes os.urandom gave: one call a batch."""
    drawn, real = [], os.urandom

    def urandom(n):
        drawn.append(real(n))
        return drawn[-1]

    monkeypatch.setattr(recordids.os, "urandom", urandom)
    ids = recordids.RandomIds(batch=4)
    made = [ids.next() for _ in range(10)]
    assert len(drawn) == 3 and len(set(made)) == 10
    pool = b"".join(drawn)
    for n, record_id in enumerate(made):
        assert record_id == f"<urn:uuid:{uuid.UUID(bytes=pool[16 * n : 16 * n + 16], version=4)}>"
        assert uuid.UUID(record_id[10:-1]).version == 4 and uuid.UUID(record_id[10:-1]).variant == uuid.RFC_4122


def test_a_forked_child_never_deals_its_parents_record_ids():
    recordids.record_ids.next()  # the parent holds a drawn batch
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.write(write, "".join(recordids.record_ids.next() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 4096).decode()
    os.close(read)
    parent = "".join(recordids.record_ids.next() for _ in range(3))
    assert len(child) == len(parent) == 3 * 47 and child != parent


def test_header_lines_read_off_the_dict_are_what_headers_items_give():
    """Every way Scrapy fills Headers keeps normalized names and lists of bytes, which header_lines reads as is."""
    headers = Headers({"set-cookie": ["a=1", "b=2"], b"x-latin": LATIN, "content-length": 12})
    headers.appendlist("Set-Cookie", "c=3")
    headers["etag"] = '"x"'
    headers.setlist("Link", ["<a>", b"<b>"])
    headers.setdefault("Vary", "Accept")
    headers.update({"Cache-Control": "no-cache"})
    slow = [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]
    assert header_lines(headers) == slow and ("X-Latin", "caf\xe9") in slow and ("Content-Length", "12") in slow
