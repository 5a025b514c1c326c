"""Re-extraction from the archive: WARC response records -> clean-text records, without a crawl.

Analysts upgrade the extractor and re-run it over WARC files (local files, folders, or every WARC of a store),
getting records with the crawl's schema and ``warc`` pointers to the same response records. Pages are decoded as
the crawl decodes them (HTTP charset, BOM, ``<meta charset>``; Windows-1252 when that fails), and a page that
cannot be extracted costs one counted page, never the run. Stats use the crawl's ``extract/*`` keys.

It runs on the crawl's machinery: pages go to the same ``ExtractionPool`` (memory cap, a dead worker replaced and
its pages tried again), records to the same batch writer (``pipelines/text/batches.py``: durable in the spool,
gzip level 6, Parquet twins), batches to the store through the same shipper, and each site of the run gets a run
manifest (``"kind": "extract"``) listing what it stored, written last.

Page classification and URL normalisation are the crawl's (``crawler.wordpress``); since ``pipelines`` never imports
``crawler``, the caller passes them in (the ``blogarc extract`` command does).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from lxml import etree
from warcio.archiveiterator import ArchiveIterator

from pipelines import __version__
from pipelines.extract.core import decode_html, extract_post, parse_html
from pipelines.extract.options import ExtractOptions
from pipelines.layout import WARC, is_warc_name, key_kind, kind_prefix, manifest_key, site_key
from pipelines.store.reader import open_object
from pipelines.text.batches import TextBatches
from pipelines.text.record import TextRecord
from pipelines.warc.codecs import use_brotli

if TYPE_CHECKING:
    from pipelines.extract.pool import ExtractionPool
    from pipelines.store.base import Store, StoredObject
    from pipelines.store.shipper import Shipper

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
BATCH_ITEMS = 1000
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
    options: ExtractOptions = field(default_factory=ExtractOptions)
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
            extracted = extract_post(tree, exchange.url, self.options)
        except Exception as exc:  # noqa: BLE001 - hostile markup must cost one page, never the run
            self.stats["extract/failed"] += 1
            logger.warning("Extraction failed on %s: %r", exchange.url, exc)
            return None
        if extracted is None:
            self.stats["extract/empty"] += 1
            return None
        if extracted.private:  # as the crawl's recorder: a private post is no record
            self.stats["pages/private"] += 1
            return None
        if extracted.protected:
            self.stats["pages/protected"] += 1
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


def decode(body: bytes, content_type: str = "") -> tuple[str, etree._Element | None]:
    """Decode a body as the crawl does (``extraction.decode_html``) and parse it."""
    html = decode_html(body, content_type or None)
    return html, parse_html(html)


def exchanges(stream: IO[bytes], filename: str) -> Iterator[Exchange]:
    """The successful HTML response records of one WARC stream, with their ``warc`` pointers."""
    use_brotli()
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


def local_warcs(paths: Iterable[Path]) -> Iterator[Path]:
    """WARC files named directly, or found under folders."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if is_warc_name(p.name))
        else:
            yield path


def store_exchanges(store: Store) -> Iterator[Exchange]:
    """Every HTML response of every WARC file in a store (``warc/{site}/…``), read in ranged reads."""
    for key in store.list_keys(kind_prefix(WARC)):
        if is_warc_name(key):
            yield from exchanges(open_object(store, key), PurePosixPath(key).name)


def file_exchanges(paths: Iterable[Path]) -> Iterator[Exchange]:
    """Every HTML response of local WARC files."""
    for path in local_warcs(paths):
        with open(path, "rb") as fh:
            yield from exchanges(fh, path.name)


def extract_exchange(job: Reextraction, exchange: Exchange) -> tuple[TextRecord | None, Counter[str]]:
    """One exchange's record and its counts (runs in a worker process: job and exchange are pickled)."""
    local = replace(job, stats=Counter())
    return local.record(exchange), local.stats


async def run_records(
    job: Reextraction, found: Iterable[Exchange], pool: ExtractionPool | None
) -> AsyncIterator[TextRecord]:
    """The records of ``found``, in archive order, extracted in the pool's workers (or here, without a pool).

    At most ``IN_FLIGHT_PER_WORKER`` pages a worker are in flight, so an archive never sits in memory. A page whose
    worker dies twice costs that page (``extract/failed``), never the run. Counts are added to ``job.stats``.
    """
    if pool is None:
        for exchange in found:
            record, stats = extract_exchange(job, exchange)
            job.stats.update(stats)
            if record is not None:
                yield record
        return
    pending: deque[asyncio.Future[tuple[TextRecord | None, Counter[str]]]] = deque()
    for exchange in found:
        pending.append(asyncio.ensure_future(pool.run(extract_exchange, job, exchange)))
        full = len(pending) >= IN_FLIGHT_PER_WORKER * pool.workers
        if full and (record := await _collect(job, pending.popleft())) is not None:
            yield record
    while pending:
        if (record := await _collect(job, pending.popleft())) is not None:
            yield record


async def _collect(
    job: Reextraction, future: asyncio.Future[tuple[TextRecord | None, Counter[str]]]
) -> TextRecord | None:
    try:
        record, stats = await future
    except BrokenProcessPool:
        job.stats["extract/failed"] += 1
        logger.warning("An extraction worker died twice on one page; the page is skipped")
        return None
    job.stats.update(stats)
    return record


@dataclass
class ExtractRun:
    """Where an extract run's records go: durable batches per site, shipped, and a manifest per site, last."""

    shipper: Shipper
    run_id: str
    sources: list[str]
    batch_items: int = BATCH_ITEMS
    parquet: bool = True
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    batches: dict[str, TextBatches] = field(default_factory=dict)
    stored: dict[str, list[StoredObject]] = field(default_factory=dict)

    def add(self, record: TextRecord) -> None:
        """Write one record to its site's batch; ship the batch when it closes."""
        site = record.site
        if site not in self.batches:
            self.batches[site] = TextBatches(self.shipper.spool, site, self.run_id, self.batch_items, self.parquet)
            self.stored[site] = []
        self._ship(site, self.batches[site].append(record.as_dict()))

    def _ship(self, site: str, closed: list[tuple[Path, str]]) -> None:
        for path, key in closed:
            try:
                self.stored[site].append(self.shipper.ship_file(path, key))
            except Exception as exc:  # the batch stays in the spool; the manifest names it as pending
                logger.warning("Could not store %s (%s); it waits in the spool", key, exc)

    def finish(self, stats: Counter[str]) -> list[str]:
        """Close every batch, ship it, write each site's manifest; return the keys stored."""
        for site, batches in self.batches.items():
            self._ship(site, batches.close())
            pending = self.shipper.pending(site, self.run_id)
            key = manifest_key(site, self.run_id)
            if not self.shipper.put_manifest(key, self.manifest(site, stats, pending), pending):
                logger.warning("The manifest %s waits in the spool with the files it names", key)
        return [obj.key for objects in self.stored.values() for obj in objects]

    def manifest(self, site: str, stats: Counter[str], pending: list[str]) -> dict[str, Any]:
        """The run manifest of one site of the extract run."""
        return {
            "run_id": self.run_id,
            "site": site,
            "kind": "extract",
            "seeds": self.sources,
            "status": "interrupted" if pending else "finished",
            "finish_reason": "finished",
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC).isoformat(),
            "software": {"name": "blogarc", "version": __version__, "hostname": socket.gethostname()},
            "store": self.shipper.store.uri,
            "counts": {"records_written": self.batches[site].written, **dict(sorted(stats.items()))},
            "files": [
                {"key": obj.key, "kind": key_kind(obj.key), "size": obj.size, "sha256": obj.sha256}
                for obj in sorted(self.stored[site], key=lambda obj: obj.key)
            ],
            "pending": [{"key": key, "kind": key_kind(key)} for key in pending],
        }
