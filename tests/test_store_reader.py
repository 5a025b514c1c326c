"""The ranged reader (pipelines.store.reader) on real stores: a local folder and moto's S3 server.

A WARC is written with warcio and indexed with cdxj-indexer (``write_cdxj``, as the crawl does), then stored. The
record read at each CDXJ pointer must be the record ``ArchiveIterator`` yields when it iterates the whole file, and
cost one ranged read. Bodies come back decoded by warcio (``ArchivedRecord.body``) whatever the coding.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.archive.lookup import ArchivedRecord
from pipelines.layout import index_name, warc_key
from pipelines.store.base import FileStore, open_store
from pipelines.store.reader import copy_object, open_object, read_record
from pipelines.warc.cdxj import parse_cdxj, write_cdxj
from tests.util import CountingStore

PAGE = "<html><body><p>Caf\u00e9 au lait, cr\u00e8me br\u00fbl\u00e9e.</p></body></html>\n".encode("latin-1") * 40
BIG = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(16384))  # 512 KiB gzip cannot shrink


def chunked(body: bytes, size: int = 100) -> bytes:
    """HTTP/1.1 chunked transfer framing of ``body``."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def raw_deflate(body: bytes) -> bytes:
    """Deflate data without the zlib wrapper (what many servers send as ``deflate``)."""
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


BODIES = {  # name: (payload as sent, HTTP headers); each decodes to PAGE
    "plain": (PAGE, [("Content-Type", "text/html; charset=iso-8859-1")]),
    "gzip": (gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
    "deflate": (zlib.compress(PAGE), [("Content-Encoding", "deflate")]),
    "raw-deflate": (raw_deflate(PAGE), [("Content-Encoding", "deflate")]),
    "chunked": (chunked(PAGE), [("Transfer-Encoding", "chunked")]),
    "chunked-gzip": (chunked(gzip.compress(PAGE)), [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]),
}


def response(writer: WARCWriter, url: str, payload: bytes, headers: list[tuple[str, str]]):
    """A response record of ``payload`` as received (its length given, as the crawl's record builder does)."""
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    body = io.BytesIO(payload)
    return writer.create_warc_record(url, "response", payload=body, length=len(payload), http_headers=http)


def write_warc(path, gzipped: bool = True) -> None:
    """A warcinfo record, one response per body of BODIES, a big response and a resource record."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzipped, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test_store_reader"}))
        for name, (payload, headers) in BODIES.items():
            writer.write_record(response(writer, f"http://blog.example/{name}/", payload, headers))
        big = [("Content-Type", "application/octet-stream")]
        writer.write_record(response(writer, "http://blog.example/big.bin", BIG, big))
        note = b"a resource record: no HTTP head"
        writer.write_record(
            writer.create_warc_record(
                "http://blog.example/note.txt", "resource", payload=io.BytesIO(note), length=len(note)
            )
        )


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path):
    if request.param == "file":
        return FileStore(str(tmp_path / "store"))
    return open_store(f"s3://{request.getfixturevalue('bucket')}/archive")


def stored_warc(store, tmp_path, name: str = "blogarc-20260101000000000-00000-test.warc.gz") -> tuple[str, list]:
    """Write, index and store a WARC; return its key and its CDXJ entries (read back from the store)."""
    local = tmp_path / "spool" / name
    local.parent.mkdir(parents=True, exist_ok=True)
    write_warc(local, gzipped=name.endswith(".gz"))
    index = write_cdxj(local)
    key = warc_key("blog.example", local.name)
    store.persist(local, key)
    store.persist(index, index_name(key))
    return key, parse_cdxj(store.get_bytes(index_name(key)).decode("utf-8"))


def whole_file_records(store, key: str, chunk: int) -> dict[int, tuple]:
    """Every record of the stored WARC by offset, iterated through the reader: (length, headers, payload, body)."""
    found = {}
    iterator = ArchiveIterator(open_object(store, key, chunk=chunk))
    for record in iterator:
        seen = summary(record)
        iterator.read_to_end(record)
        offset, length = iterator.member_info
        found[offset] = (length, *seen)
    return found


def summary(record) -> tuple:
    """What a reader of the record sees: its headers, HTTP head and decoded content (warcio's content_stream)."""
    http = record.http_headers
    return (
        record.rec_type,
        record.rec_headers.headers,
        (http.statusline, http.headers) if http is not None else None,
        record.content_stream().read(),
    )


@pytest.mark.parametrize("name", ["blogarc-20260101000000000-00000-test.warc.gz", "plain-00000-test.warc"])
def test_record_at_its_cdxj_pointer_is_the_record_of_the_whole_file(store, tmp_path, name):
    key, entries = stored_warc(store, tmp_path, name)
    counting = CountingStore(store)
    whole = whole_file_records(counting, key, chunk=64 << 10)  # many ranged reads of 64 KiB
    assert len(counting.reads) > 8 and all(length == 64 << 10 for _, _, length, _ in counting.reads)
    assert len(entries) == len(BODIES) + 2  # every response and the resource (cdxj-indexer skips warcinfo)
    for entry in entries:
        counting.reads.clear()
        record = read_record(counting, key, entry.offset, entry.length)
        assert (entry.length, *summary(record)) == whole[entry.offset], entry.url
        assert counting.reads == [(key, entry.offset, entry.length, entry.length)], entry.url  # one ranged read
        assert record.rec_headers.get_header("WARC-Target-URI") == entry.url


def test_open_object_reads_ranges_and_whole_objects(store, tmp_path):
    key, entries = stored_warc(store, tmp_path)
    data = (tmp_path / "spool" / key.rsplit("/", 1)[1]).read_bytes()
    for size in (None, len(data)):
        assert open_object(store, key, size=size, chunk=100_000).read() == data
        out = io.BytesIO()
        copy_object(store, key, out, size, offset=1000)
        assert out.getvalue() == data[1000:]
    entry = entries[-1]
    with open_object(store, key, offset=entry.offset, length=entry.length) as stream:
        assert stream.tell() == entry.offset  # positions are the object's own
        assert stream.read(10) == data[entry.offset : entry.offset + 10]
        assert stream.tell() == entry.offset + 10
        assert stream.read() == data[entry.offset + 10 : entry.offset + entry.length]
        assert stream.read() == b""
    assert open_object(store, key, offset=len(data) - 5, length=50).read() == data[-5:]  # cut at the object's end
    assert open_object(store, key, offset=len(data)).read() == b""


def test_a_short_read_ends_the_object_without_asking_past_it(tmp_path):
    store = FileStore(str(tmp_path / "store"))
    store.put_bytes("warc/s/x.warc", b"x" * 1000)
    counting = CountingStore(store)
    assert open_object(counting, "warc/s/x.warc", chunk=300).read(5000) == b"x" * 1000
    assert [(offset, got) for _, offset, _, got in counting.reads] == [(0, 300), (300, 300), (600, 300), (900, 100)]


def test_read_record_refuses_bytes_that_are_no_record(tmp_path):
    store = FileStore(str(tmp_path / "store"))
    store.put_bytes("warc/s/x.warc.gz", gzip.compress(b"not a WARC record at all\r\n\r\n"))
    with pytest.raises(ValueError, match="not a WARC record"):
        read_record(store, "warc/s/x.warc.gz", 0, 100)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_body_is_decoded_by_warcio_whatever_the_coding(store, tmp_path, name):
    key, entries = stored_warc(store, tmp_path)
    (entry,) = (e for e in entries if e.url == f"http://blog.example/{name}/")
    record = ArchivedRecord.parse(open_object(store, key, offset=entry.offset, length=entry.length).read())
    payload, headers = BODIES[name]
    assert record.body() == PAGE
    assert record.payload == payload  # as received: still encoded and framed
    assert record.http_head.startswith(b"HTTP/1.1 200 OK\r\n") and record.http_head.endswith(b"\r\n\r\n")
    assert all(f"{k}: {v}".encode() in record.http_head for k, v in headers)


def test_body_of_a_brotli_response(tmp_path):
    brotli = pytest.importorskip("brotli")
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        response(writer, "http://blog.example/br/", brotli.compress(PAGE), [("Content-Encoding", "br")])
    )
    assert ArchivedRecord.parse(out.getvalue()).body() == PAGE
