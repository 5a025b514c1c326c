"""Per-site crawl state in the store: what incremental runs need to know about the last captures of each URL.

``state/{site}/urls.jsonl.gz`` holds one JSON line of run facts (``{"_meta": {...}}``: runs so far, the last run
id, the run of the last full revalidation, the run not ended yet, the runs found killed) and then one line per URL
archived with status 200: its payload digest, ``ETag``, ``Last-Modified``, the capture it was last stored in
(WARC-Date, file, offset, length, record id), when it was last found unchanged (``checked``), and the SHA-256 of its
text when it had a clean-text record.

The state is read once when a crawl of the site opens and written whole, in one ``Store.put_bytes`` (a rename on a
local folder, one PUT on S3: readers never see half a file), at the end of the run and every
``ARCHIVE_STATE_CHECKPOINT`` seconds during it (a checkpoint leaves out the new captures of pages still being
handled, ``pending``: it never names a capture whose text record a kill could lose). ``previous`` (what the last
run left) is never changed during a run; ``current`` collects this run's captures and wins when they are merged.
Only ``200`` responses update it; a post or page that answers ``404``/``410`` is dropped from it (it is listed as
``gone`` in the run manifest).
Error pages are the exception that keeps repeated probes cheap: ``{"_payload": ...}`` lines keep one original per
payload digest of a non-200 body (a blog's 404 page is the same for every missing URL), so later ones are revisits.

The state is only a cache of what the WARCs say: losing it costs one full capture, never an archived byte.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipelines.runs.entries import Entries, UrlState

if TYPE_CHECKING:
    from pipelines.store.base import Store

logger = logging.getLogger(__name__)

FORMAT = 1
KEEP_KILLED_RUNS = 20  # killed runs remembered; their captures are fetched again in full by the next run
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` warcio writes for ``body``: ``sha1:`` and the base32 SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")  # WARC's digest


def state_key(site: str) -> str:
    """Key of a site's crawl state."""
    return f"state/{site}/urls.jsonl.gz"


@dataclass
class CrawlState:
    """A site's state: ``previous`` as loaded (read-only during a run), ``current`` as this run found it."""

    site: str
    previous: Entries = field(default_factory=Entries)  # packed (pipelines/runs/entries.py)
    current: Entries = field(default_factory=Entries)
    gone: set[str] = field(default_factory=set)
    payloads: dict[str, UrlState] = field(default_factory=dict)  # non-200 bodies by payload digest
    meta: dict[str, Any] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # new captures of this run whose page is still being handled
    mode: str = "full"  # full | revalidate | incremental (pipelines/runs/incremental.py chooses; not stored)

    @property
    def conditional(self) -> bool:
        """Whether this run asks the server for changes only and writes revisits for unchanged payloads."""
        return self.mode != "full"

    @property
    def skip_by_date(self) -> bool:
        """Whether a listed date (sitemap lastmod, REST modified_gmt) older than the last capture skips a fetch."""
        return self.mode == "incremental"

    def known(self, url: str) -> UrlState | None:
        """What the last runs archived at ``url`` (None in a full run: it captures as if for the first time)."""
        return self.previous.get(url) if self.conditional else None

    @property
    def exists(self) -> bool:
        """Whether an earlier run left state (incremental crawls need it)."""
        return bool(self.previous)

    @property
    def runs(self) -> int:
        """Runs recorded so far, this one included once ``start_run`` was called."""
        return int(self.meta.get("runs", 0))

    def start_run(self, run_id: str, revalidate: bool) -> None:
        """Count this run; note it when it revalidates everything (``--full`` or ``--revalidate-every``).

        A run is open from here to ``end_run``; one still open at the next start was killed (only its checkpoints
        were saved), and is noted with the time it was found so.
        """
        if killed := self.meta.get("open_run"):
            found_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # a WARC-Date, to compare with captures'
            killed_runs = {**self.meta.get("killed_runs", {}), killed: found_at}
            self.meta["killed_runs"] = dict(sorted(killed_runs.items(), key=lambda item: item[1])[-KEEP_KILLED_RUNS:])
        self.meta.update(format=FORMAT, runs=self.runs + 1, last_run_id=run_id, open_run=run_id)
        if revalidate or "last_revalidation_run" not in self.meta:
            self.meta["last_revalidation_run"] = self.runs

    def end_run(self) -> None:
        """This run ends: the state saved next is its last, not a checkpoint of a run that may yet be killed."""
        self.meta.pop("open_run", None)

    def captured_by_killed_run(self, entry: UrlState) -> bool:
        """Whether ``entry`` was captured by a run that was killed before it ended (before its restart, if any).

        Such a run lost its frontier: the links of the pages it captured may never have been followed.
        """
        found_at = self.meta.get("killed_runs", {}).get(entry.run_id)
        return found_at is not None and (entry.date or "") < found_at

    def runs_since_revalidation(self) -> int:
        """Before ``start_run``: how many runs the coming one is after the last full capture or revalidation."""
        return self.runs + 1 - int(self.meta.get("last_revalidation_run", 0))

    def record_capture(self, entry: UrlState) -> None:
        """This run's capture of a URL: a new original, or an unchanged payload (keep the original's place)."""
        self.current[entry.url] = entry

    def set_text(self, url: str, text_sha256: str, text_from: dict[str, Any] | None = None) -> None:
        """Note the SHA-256 of the text a clean-text record was written with (``text_from``: not from this capture)."""
        if url in self.current:  # entries are values (packed): replaced, never changed in place
            self.current[url] = replace(self.current[url], text_sha256=text_sha256, text_from=text_from)

    def settle(self, url: str) -> None:
        """The page of ``url`` is handled (its record written, or none to write): checkpoints may include it."""
        self.pending.discard(url)

    def mark_gone(self, url: str) -> None:
        """A post or page of the last runs now answers 404/410: drop it from the state."""
        self.gone.add(url)

    def known_payload(self, digest: str) -> UrlState | None:
        """The first capture of a non-200 body with this payload digest (None in a full run)."""
        return self.payloads.get(digest) if self.conditional else None

    def merged(self, settled: bool = False) -> Entries:
        """What the next run will load: the previous entries, updated with this run's, minus what is gone.

        With ``settled``, this run's captures of pages still being handled are left out (a checkpoint). The
        entries stay packed: a large site's state is never held unpacked, even while it is saved.
        """
        current = Entries.of(self.current).packed
        if settled:
            current = {url: e for url, e in current.items() if url not in self.pending}
        urls = Entries()
        urls.packed = {**Entries.of(self.previous).packed, **current}
        for url in self.gone:
            urls.packed.pop(url, None)
        return urls

    def snapshot(self, settled: bool = False) -> StateSnapshot:
        """A copy of what ``dumps`` writes, taken on the thread that changes the state (the reactor's).

        A thread then encodes and saves it while the crawl goes on: iterating the live dicts there fails mid-way
        ("dictionary changed size during iteration", a lost checkpoint). The packed entries are shared, not copied.
        """
        return StateSnapshot(self.site, dict(self.meta), self.merged(settled), dict(self.payloads))

    def dumps(self, settled: bool = False) -> bytes:
        """The state as gzipped JSON Lines (``StateSnapshot.dumps``)."""
        return self.snapshot(settled).dumps()

    @classmethod
    def loads(cls, site: str, data: bytes) -> CrawlState:
        """Parse a stored state.

        Raises:
            ValueError: when the data is not a blogarc state.
        """
        state = cls(site)
        for raw in gzip.GzipFile(fileobj=io.BytesIO(data)):  # line by line: never the whole text at once
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            obj = json.loads(line)
            if "_meta" in obj:
                state.meta = {k: v for k, v in obj["_meta"].items() if k not in ("site", "urls")}
            elif "_payload" in obj:
                entry = UrlState.from_dict(obj["_payload"])
                state.payloads[entry.digest] = entry
            else:
                entry = UrlState.from_dict(obj)
                state.previous[entry.url] = entry
        return state

    def save(self, store: Store, settled: bool = False) -> int:
        """Write the state to the store in one piece (``settled``: see ``merged``); return its size."""
        return self.snapshot(settled).save(store)


@dataclass
class StateSnapshot:
    """A crawl state as it was at one moment: safe to encode and store in another thread."""

    site: str
    meta: dict[str, Any]
    urls: Entries
    payloads: dict[str, UrlState]

    def dumps(self) -> bytes:
        """Gzipped JSON Lines (meta line first), sorted by URL so that equal states are equal bytes.

        Lines are compressed as they are made: a large site's state is never held whole as text.
        """
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed:
            meta = {"_meta": {**self.meta, "site": self.site, "urls": len(self.urls)}}
            packed.write(json.dumps(meta, sort_keys=True).encode("utf-8") + b"\n")
            for url in sorted(self.urls):
                packed.write(json.dumps(self.urls[url].as_dict(), sort_keys=True).encode("utf-8") + b"\n")
            for digest in sorted(self.payloads):
                line = json.dumps({"_payload": self.payloads[digest].as_dict()}, sort_keys=True)
                packed.write(line.encode("utf-8") + b"\n")
        return out.getvalue()

    def save(self, store: Store) -> int:
        """Write it to the store in one piece; its size."""
        return store.put_bytes(state_key(self.site), self.dumps()).size


def load_state(store: Store, site: str) -> CrawlState:
    """The site's state from the store; an empty one when there is none or it cannot be read (logged)."""
    key = state_key(site)
    if store.stat(key) is None:
        return CrawlState(site)
    try:
        return CrawlState.loads(site, store.get_bytes(key))
    except (OSError, EOFError, ValueError, TypeError) as exc:  # a damaged cache: one full capture repairs it
        logger.warning("Ignoring the unreadable crawl state %s (%s): this run captures everything", key, exc)
        return CrawlState(site)


def note_capture(state: CrawlState, response: Any, location: Any, prior: UrlState | None, revisit: bool) -> None:
    """Update the state with one archived exchange (called by the WARC exporter; cheap, no I/O).

    A revisit keeps the original's place and digest and only notes when it was found unchanged; a 200 becomes the
    new original (carrying the last text fingerprint until the spider writes a record); anything else is ignored.

    Args:
        state: the site's state.
        response: the Scrapy response as downloaded.
        location: the ``RecordLocation`` of its response or revisit record.
        prior: what the state knew of the URL, if anything.
        revisit: whether the exchange was written as a revisit.
    """
    if response.status not in (200, 304):
        if not revisit and location.payload_digest and response.body:
            state.payloads.setdefault(location.payload_digest, _entry(response.url, location))
        return
    etag = _header(response, b"ETag")
    last_modified = _header(response, b"Last-Modified")
    if revisit and prior is not None:
        state.record_capture(
            replace(
                prior,
                checked=location.date,
                etag=etag or prior.etag,
                last_modified=last_modified or prior.last_modified,
            )
        )
    elif response.status == 200 and location.payload_digest:
        entry = _entry(response.url, location)
        entry.etag, entry.last_modified = etag, last_modified
        entry.run_id = state.meta.get("last_run_id")
        if prior is not None and prior.text_sha256:  # until a record of this capture is written
            entry.text_sha256, entry.text_from = prior.text_sha256, prior.text_from or capture_of(prior)
        state.record_capture(entry)
        state.pending.add(entry.url)  # until its page is handled (CrawlState.settle)


def capture_of(entry: UrlState) -> dict[str, Any]:
    """An entry's capture, as ``UrlState.text_from`` names it."""
    fields_ = ("run_id", "date", "filename", "offset", "length", "record_id", "digest")
    return {name: getattr(entry, name) for name in fields_}


def _entry(url: str, location: Any) -> UrlState:
    return UrlState(
        url=url,
        digest=location.payload_digest,
        date=location.date,
        filename=location.filename,
        offset=location.offset,
        length=location.length,
        record_id=location.record_id,
        checked=location.date,
    )


def _header(response: Any, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
