"""``blogarc extract --missing``: rebuild the text records the crawl state says exist but the store lacks.

For each such post or page (``pipelines.archive.textcheck``), the state names the capture its record was made from
(its own capture, or ``text_from`` when the record is of an earlier capture with the same text): WARC file, offset
and length. That one record is read with a ranged read, extracted as ``blogarc extract`` does, and written with the
run id and ``fetched_at`` (the capture's WARC-Date) of the crawl that made it, into a new batch of that run
(numbered after every batch of the run the store holds or a manifest lists: a lost batch's key is never reused,
since its run's manifest still gives its size and checksum), through the same batch writer and shipper as a crawl.
The repair itself is a run with its own manifest (``"kind": "extract-missing"``) listing the files it stored and,
when nothing is left missing, under ``replaces``, the text files that manifests of those runs list and the store
lost: ``blogarc verify`` then reports them as replaced, not missing.
"""

from __future__ import annotations

import logging
import socket
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pipelines import __version__
from pipelines.archive.catalog import load_manifests
from pipelines.archive.textcheck import check_text
from pipelines.extract.rerun import exchanges
from pipelines.layout import TEXT, key_kind, manifest_key, site_prefix, text_prefix, warc_key
from pipelines.store.reader import open_object
from pipelines.text.batches import TextBatches, next_batch

if TYPE_CHECKING:
    from pipelines.extract.rerun import Exchange, Reextraction
    from pipelines.runs.state import UrlState
    from pipelines.store.base import StoredObject
    from pipelines.store.shipper import Shipper

logger = logging.getLogger(__name__)

CAPTURE_FIELDS = ("run_id", "date", "filename", "offset", "length", "record_id", "digest")


def rebuild_missing(job: Reextraction, shipper: Shipper, site: str) -> tuple[list[str], list[StoredObject]]:
    """Rebuild the site's missing records; returns the URLs still missing and the objects stored."""
    store = shipper.store
    missing = check_text(store, site, pointers=False).missing
    manifests, _ = load_manifests(store, site)
    runs = capture_runs(manifests)
    by_run: dict[str, list[tuple[UrlState, Exchange]]] = defaultdict(list)
    for url, entry in missing.items():
        entry = record_source(entry)
        exchange = captured_exchange(store, site, entry)
        if exchange is None:
            job.stats["extract/missing_capture"] += 1
            logger.warning("The capture of %s is not in %s (%s)", url, entry.filename, store.uri)
            continue
        by_run[entry.run_id or runs.get(entry.filename) or job.run_id].append((entry, exchange))
    stored: list[StoredObject] = []
    rebuilt: set[str] = set()
    for run_id, found in sorted(by_run.items()):
        taken = store.list_keys(text_prefix(site, run_id)) + listed_text(manifests, site, run_id)
        batches = TextBatches(shipper.spool, site, run_id, first_batch=next_batch(taken))
        for entry, exchange in found:
            record = replace(job, run_id=run_id).record(exchange)
            if record is not None:
                batches.append(record.as_dict())
                rebuilt.add(entry.url)
        for path, key in batches.close():
            stored.append(shipper.ship_file(path, key))
    left = sorted(set(missing) - rebuilt)
    present = set(store.list_keys(site_prefix(TEXT, site)))
    lost = [key for run_id in by_run for key in listed_text(manifests, site, run_id) if key not in present]
    manifest = repair_manifest(job, site, stored, left)
    manifest["replaces"] = sorted(lost) if stored and not left else []
    shipper.put_manifest(manifest_key(site, job.run_id), manifest, shipper.pending(site, job.run_id))
    return left, stored


def record_source(entry: UrlState) -> UrlState:
    """The capture the URL's record was made from: the state's capture, or the one ``text_from`` names."""
    source = entry.text_from or {}
    if not all(source.get(name) is not None for name in ("filename", "offset", "length", "run_id")):
        return entry
    return replace(entry, **{name: source[name] for name in CAPTURE_FIELDS if name in source}, text_from=None)


def captured_exchange(store: Any, site: str, entry: UrlState) -> Exchange | None:
    """The archived response the state names for a URL, pointing at its original record."""
    try:
        stream = open_object(store, warc_key(site, entry.filename), offset=entry.offset, length=entry.length)
        exchange = next(exchanges(stream, entry.filename), None)
    except (FileNotFoundError, ValueError, OSError):
        return None
    if exchange is None:
        return None
    pointer = {"filename": entry.filename, "record_id": entry.record_id, "offset": entry.offset}
    return replace(exchange, warc={**pointer, "length": entry.length, "payload_digest": entry.digest})


def capture_runs(manifests: list[dict[str, Any]]) -> dict[str, str]:
    """WARC file name -> the run whose manifest lists it (for states older than ``UrlState.run_id``)."""
    runs: dict[str, str] = {}
    for manifest in manifests:
        for entry in manifest.get("files", []) + manifest.get("pending", []):
            if key_kind(entry.get("key", "")) == "warc":
                runs[PurePosixPath(entry["key"]).name] = manifest.get("run_id", "")
    return runs


def listed_text(manifests: list[dict[str, Any]], site: str, run_id: str) -> list[str]:
    """Keys of the text files of ``run_id`` that the site's manifests list (stored or still pending)."""
    prefix = text_prefix(site, run_id)
    entries = [entry for manifest in manifests for entry in manifest.get("files", []) + manifest.get("pending", [])]
    return sorted({entry["key"] for entry in entries if str(entry.get("key", "")).startswith(prefix)})


def repair_manifest(job: Reextraction, site: str, stored: list[StoredObject], left: list[str]) -> dict[str, Any]:
    """The manifest of a repair run: what it stored, and what it could not rebuild."""
    now = datetime.now(UTC).isoformat()
    return {
        "run_id": job.run_id,
        "site": site,
        "kind": "extract-missing",
        "status": "finished" if not left else "interrupted",
        "finish_reason": "finished",
        "started_at": now,
        "finished_at": now,
        "software": {"name": "blogarc", "version": __version__, "hostname": socket.gethostname()},
        "counts": dict(sorted(Counter(job.stats).items())),
        "files": [
            {"key": obj.key, "kind": key_kind(obj.key), "size": obj.size, "sha256": obj.sha256}
            for obj in sorted(stored, key=lambda obj: obj.key)
        ],
        "still_missing": left,
        "pending": [],
    }
