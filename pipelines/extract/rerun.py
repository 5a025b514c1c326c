"""Re-extraction from the archive: WARC response records -> clean-text records, without a crawl.

Analysts upgrade the extractor and re-run it over WARC files (local files, folders, or every WARC of a store),
getting records with the crawl's schema and ``warc`` pointers to the same response records. Pages are decoded as
the crawl decodes them (HTTP charset, BOM, ``<meta charset>``; Windows-1252 when that fails), and a page that
cannot be extracted costs one counted page, never the run. Stats use the crawl's ``extract/*`` keys. Pages are
extracted in worker processes (``run_records``), records written in archive order.

Page classification and URL normalisation are the crawl's (``crawler.wordpress``); since ``pipelines`` never imports
``crawler``, the caller passes them in (the ``blogarc extract`` command does).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from lxml import etree
from warcio.archiveiterator import ArchiveIterator

from pipelines.extract.core import decode_html, extract_post, parse_html
from pipelines.extract.pool import DEFAULT_MAX_MEMORY, limit_memory
from pipelines.layout import site_key, text_prefix
from pipelines.store.base import Store
from pipelines.text.parquet import jsonl_to_parquet
from pipelines.text.record import TextRecord

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
WARC_SUFFIXES = (".warc.gz", ".warc")
BATCH_ITEMS = 1000
READ_CHUNK = 8 << 20
# Pages queued per worker: enough to keep every worker busy, few enough that an archive never sits in memory.
IN_FLIGHT_PER_WORKER = 4

Classify = Callable[[etree._Element, str], str]


@dataclass
class Exchange:
    """One archived HTML response: what extraction needs and where the record is."""

    url: str
    status: int
    date: str
    body: bytes
    content_type: str
    warc: dict[str, Any]


@dataclass
class Reextraction:
    """Options and counters of one re-extraction run."""

    run_id: str
    classify: Classify = lambda tree, url: "post"  # noqa: E731 - the default when no classifier is given
    canonicalize: Callable[[str], str] = lambda url: url  # noqa: E731
    favor_precision: bool = False
    stats: Counter[str] = field(default_factory=Counter)

    def record(self, exchange: Exchange) -> TextRecord | None:
        """The text record of one exchange, or None (counted under ``extract/*``) when it has none."""
        html, tree = decode(exchange.body, exchange.content_type)
        if tree is None:
            self.stats["extract/empty"] += 1
            return None
        kind = self.classify(tree, exchange.url)
        if kind not in ("post", "page"):
            self.stats[f"extract/skipped/{kind}"] += 1
            return None
        try:
            extracted = extract_post(tree, exchange.url, self.favor_precision)
        except Exception as exc:  # noqa: BLE001 - hostile markup must cost one page, never the run
            self.stats["extract/failed"] += 1
            logger.warning("Extraction failed on %s: %r", exchange.url, exc)
            return None
        if extracted is None:
            self.stats["extract/empty"] += 1
            return None
        self.stats["extract/ok"] += 1
        self.stats[f"extract/{kind}"] += 1
        return TextRecord.build(
            extracted,
            url=exchange.url,
            canonical=self.canonicalize(exchange.url),
            site=site_key(exchange.url),
            kind=kind,
            run_id=self.run_id,
            http_status=exchange.status,
            fetched_at=exchange.date,
            warc=exchange.warc,
        )


def run_records(job: Reextraction, found: Iterable[Exchange], workers: int = 0) -> Iterator[TextRecord]:
    """The records of ``found``, in order: extracted in this process (``workers`` <= 1) or in worker processes.

    Workers get at most ``IN_FLIGHT_PER_WORKER`` pages each at a time, and their counts are added to
    ``job.stats``. A job for workers must pickle: its ``classify`` and ``canonicalize`` are module functions.
    """
    if workers <= 1:
        yield from (record for record in map(job.record, found) if record is not None)
        return
    context = multiprocessing.get_context("spawn")  # the caller may run threads (boto3's)
    worker_job = replace(job, stats=Counter())
    with ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(worker_job,)) as pool:
        pending: deque[Future[tuple[TextRecord | None, Counter[str]]]] = deque()
        for exchange in found:
            pending.append(pool.submit(_worker_record, exchange))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield from _collect(job, pending.popleft())
        while pending:
            yield from _collect(job, pending.popleft())


def _collect(job: Reextraction, future: Future[tuple[TextRecord | None, Counter[str]]]) -> Iterator[TextRecord]:
    record, stats = future.result()
    job.stats.update(stats)
    if record is not None:
        yield record


_worker_job: Reextraction | None = None


def _start_worker(job: Reextraction) -> None:
    global _worker_job
    limit_memory(DEFAULT_MAX_MEMORY)  # a page needing more fails alone (counted by job.record)
    _worker_job = job


def _worker_record(exchange: Exchange) -> tuple[TextRecord | None, Counter[str]]:
    assert _worker_job is not None, "worker not started"
    _worker_job.stats.clear()
    return _worker_job.record(exchange), Counter(_worker_job.stats)


def decode(body: bytes, content_type: str = "") -> tuple[str, etree._Element | None]:
    """Decode a body as the crawl does (``extraction.decode_html``) and parse it."""
    html = decode_html(body, content_type or None)
    return html, parse_html(html)


def exchanges(stream: IO[bytes], filename: str) -> Iterator[Exchange]:
    """The successful HTML response records of one WARC stream, with their ``warc`` pointers."""
    iterator = ArchiveIterator(stream)
    for record in iterator:
        if record.rec_type != "response" or record.http_headers is None:
            continue
        content_type = record.http_headers.get_header("Content-Type") or ""
        status = int(record.http_headers.get_statuscode() or 0)
        if status != 200 or not content_type.lower().startswith(HTML_TYPES):
            continue
        body = record.content_stream().read()  # undoes chunked and gzip/deflate/br encodings
        iterator.read_to_end(record)
        headers = record.rec_headers
        yield Exchange(
            url=headers.get_header("WARC-Target-URI"),
            status=status,
            date=headers.get_header("WARC-Date"),
            body=body,
            content_type=content_type,
            warc={
                "filename": filename,
                "record_id": headers.get_header("WARC-Record-ID"),
                "offset": iterator.get_record_offset(),
                "length": iterator.get_record_length(),
                "payload_digest": headers.get_header("WARC-Payload-Digest"),
            },
        )


class StoreReader(io.RawIOBase):
    """A read-only stream over a store object, fetched in ranged reads (WARC files can be gigabytes)."""

    def __init__(self, store: Store, key: str, size: int):
        self.store, self.key, self.size, self.pos = store, key, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        length = min(len(buffer), self.size - self.pos)
        if length <= 0:
            return 0
        data = self.store.get_bytes(self.key, self.pos, length)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def local_warcs(paths: Iterable[Path]) -> Iterator[Path]:
    """WARC files named directly, or found under folders."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES))
        else:
            yield path


def store_exchanges(store: Store) -> Iterator[Exchange]:
    """Every HTML response of every WARC file in a store (``warc/{site}/…``)."""
    for key in store.list_keys("warc/"):
        if not key.endswith(WARC_SUFFIXES):
            continue
        found = store.stat(key)
        reader = io.BufferedReader(StoreReader(store, key, found.size if found else 0), READ_CHUNK)
        yield from exchanges(reader, PurePosixPath(key).name)


def file_exchanges(paths: Iterable[Path]) -> Iterator[Exchange]:
    """Every HTML response of local WARC files."""
    for path in local_warcs(paths):
        with open(path, "rb") as fh:
            yield from exchanges(fh, path.name)


def write_batches(
    records: Iterable[TextRecord], store: Store, run_id: str, batch_items: int = BATCH_ITEMS
) -> list[str]:
    """Write records as the crawl does, batch by batch; return the keys written.

    Each batch is ``text/{site}/{run_id}/part-NNNNN.jsonl.gz`` and its Parquet twin ``part-NNNNN.parquet``.
    """
    batches: dict[str, list[dict[str, Any]]] = {}
    serials: Counter[str] = Counter()
    keys: list[str] = []

    def flush(site: str) -> None:
        serials[site] += 1
        rows = batches.pop(site)
        base = f"{text_prefix(site, run_id)}part-{serials[site]:05d}"
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
        store.put_bytes(f"{base}.jsonl.gz", gzip.compress(lines))
        parquet = io.BytesIO()
        jsonl_to_parquet(lines, parquet)
        store.put_bytes(f"{base}.parquet", parquet.getvalue())
        keys.extend([f"{base}.jsonl.gz", f"{base}.parquet"])

    for record in records:
        rows = batches.setdefault(record.site, [])
        rows.append(record.as_dict())
        if len(rows) >= batch_items:
            flush(record.site)
    for site in list(batches):
        flush(site)
    return keys
