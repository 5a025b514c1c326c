"""``blogarc extract --missing``: rebuild the text records the crawl state says exist but the store lacks.

For each such post or page (``pipelines.archive.textcheck``), the state names its capture: WARC file, offset and
length. That one record is read with a ranged read, extracted as ``blogarc extract`` does, and written with the
run id and ``fetched_at`` (the capture's WARC-Date) of the crawl that made it, into a new batch of that run
(numbered after the run's batches), through the same batch writer and shipper as a crawl. The repair itself is a
run with its own manifest (``"kind": "extract-missing"``) listing the files it stored.
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
from pipelines.layout import key_kind, manifest_key, text_prefix, warc_key
from pipelines.store.reader import open_object
from pipelines.text.batches import TextBatches

if TYPE_CHECKING:
    from pipelines.extract.rerun import Exchange, Reextraction
    from pipelines.runs.state import UrlState
    from pipelines.store.base import StoredObject
    from pipelines.store.shipper import Shipper

logger = logging.getLogger(__name__)


def rebuild_missing(job: Reextraction, shipper: Shipper, site: str) -> tuple[list[str], list[StoredObject]]:
    """Rebuild the site's missing records; returns the URLs still missing and the objects stored."""
    store = shipper.store
    missing = check_text(store, site, pointers=False).missing
    runs = capture_runs(store, site)
    by_run: dict[str, list[tuple[UrlState, Exchange]]] = defaultdict(list)
    for url, entry in missing.items():
        exchange = captured_exchange(store, site, entry)
        if exchange is None:
            job.stats["extract/missing_capture"] += 1
            logger.warning("The capture of %s is not in %s (%s)", url, entry.filename, store.uri)
            continue
        by_run[entry.run_id or runs.get(entry.filename) or job.run_id].append((entry, exchange))
    stored: list[StoredObject] = []
    rebuilt: set[str] = set()
    for run_id, found in sorted(by_run.items()):
        taken = store.list_keys(text_prefix(site, run_id))
        batches = TextBatches(shipper.spool, site, run_id, first_batch=_next_batch(taken))
        for entry, exchange in found:
            record = replace(job, run_id=run_id).record(exchange)
            if record is not None:
                batches.append(record.as_dict())
                rebuilt.add(entry.url)
        for path, key in batches.close():
            stored.append(shipper.ship_file(path, key))
    left = sorted(set(missing) - rebuilt)
    pending = shipper.pending(site, job.run_id)
    shipper.put_manifest(manifest_key(site, job.run_id), repair_manifest(job, site, stored, left), pending)
    return left, stored


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


def capture_runs(store: Any, site: str) -> dict[str, str]:
    """WARC file name -> the run whose manifest lists it (for states older than ``UrlState.run_id``)."""
    manifests, _ = load_manifests(store, site)
    runs: dict[str, str] = {}
    for manifest in manifests:
        for entry in manifest.get("files", []) + manifest.get("pending", []):
            if key_kind(entry.get("key", "")) == "warc":
                runs[PurePosixPath(entry["key"]).name] = manifest.get("run_id", "")
    return runs


def _next_batch(keys: list[str]) -> int:
    numbers = [int(PurePosixPath(key).name[5:10]) for key in keys if PurePosixPath(key).name.startswith("part-")]
    return max(numbers, default=0) + 1


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
