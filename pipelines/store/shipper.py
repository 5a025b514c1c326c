"""The one shipping path: finished files go from the local spool to the store, verified, then deleted locally.

One ``Shipper`` per process owns the spool and the store. The crawl's components (WARC capture, text batches, the
run manifest) and ``blogarc upload`` all ship through it, so the order is the same everywhere: for a site, WARCs
with their indexes first, then text batches, then run manifests last (a manifest is stored only once every file
it names as pending is in the store). Shipping is idempotent: keys are deterministic and a file is deleted only
after the store verified it, so a process killed at any point leaves files that are shipped again onto the same
keys. Every method blocks (it does I/O): the crawl calls them through ``run_in_thread``.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.layout import RUNS, STATE, TEXT, is_index_name, site_prefix, warc_key
from pipelines.store.base import StoreUnavailable
from pipelines.warc.cdxj import cdxj_path, lines_path, write_cdxj

if TYPE_CHECKING:
    from pipelines.store.base import Store, StoredObject
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)

# Reasons a crawl ends having done all it was asked to (a page limit is a request, not a failure).
FINISHED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount")


@dataclass
class Shipped:
    """What one call stored, and what it could not."""

    stored: list[StoredObject] = field(default_factory=list)
    failed: list[tuple[str, BaseException]] = field(default_factory=list)


@dataclass
class Leftovers:
    """What an earlier process left in the spool for a site, repaired and ready to ship, in shipping order."""

    warcs: list[Path]  # closed WARCs and lone indexes
    texts: list[tuple[Path, str]]  # closed text batches and Parquet twins, with their keys
    manifests: list[tuple[Path, str]]  # parked run manifests, with their keys
    repaired: int = 0  # ``.open`` WARCs cut to their last whole record


class Shipper:
    """Ship a spool's files to a store."""

    def __init__(self, store: Store, spool: Spool):
        self.store = store
        self.spool = spool
        self._cleaned: set[str] = set()  # sites whose unfinished uploads were looked for by this process
        self._guard = threading.Lock()

    # --- one file ---------------------------------------------------------------------------------------------

    def ship_warc(self, path: Path, site: str) -> list[StoredObject]:
        """Index a closed WARC, store it and then its index, and delete both locally once the store verified them.

        A lone index (its WARC already stored: the run died between the two uploads) is stored alone.
        """
        if is_index_name(path.name):
            stored = self.store.persist(path, warc_key(site, path.name))
            path.unlink()
            return [stored]
        # the writer leaves the index beside the file it closed; a repaired file (or an older spool's) has none
        if not (index_path := cdxj_path(path)).exists():
            index_path = write_cdxj(path)
            lines_path(path).unlink(missing_ok=True)  # a writer killed as it closed the file left its lines
        warc_obj = self.store.persist(path, warc_key(site, path.name))
        index_obj = self.store.persist(index_path, warc_key(site, index_path.name))
        path.unlink()
        index_path.unlink()
        return [warc_obj, index_obj]

    def ship_file(self, path: Path, key: str) -> StoredObject:
        """Store a finished file (a text batch, a parked file) under ``key``; delete it locally once verified."""
        stored = self.store.persist(path, key)
        path.unlink()
        return stored

    def park(self, path: Path, key: str) -> Path:
        """Keep a finished file in the spool under its key (``_parked/{key}``) until it can be shipped."""
        return self.spool.park(path, key)

    # --- manifests --------------------------------------------------------------------------------------------

    def put_manifest(self, key: str, manifest: dict, pending: list[str]) -> bool:
        """Store a run manifest, or park it while files it names are pending; True when it reached the store."""
        body = json.dumps(manifest, indent=2).encode("utf-8")
        if not pending:
            try:
                self.store.put_bytes(key, body)
                return True
            except Exception as exc:  # the store went down at the very end: keep the manifest for later
                logger.warning("Could not store the run manifest %s (%s)", key, exc)
        self.spool.park_bytes(key, body)
        return False

    def complete_manifest(self, path: Path, key: str) -> bool:
        """Store a parked manifest once every file it names as pending is in the store.

        Pending entries the store now holds become ``files`` entries (size and SHA-256 as the store reports them,
        or as taken from the local copy when it was parked), and the status becomes what the crawl earned.
        Returns True when the manifest was stored (and its local copy deleted).
        """
        manifest = json.loads(path.read_text(encoding="utf-8"))
        still = []
        for entry in manifest.get("pending", []):
            stored = self.store.stat(entry["key"])
            if stored is None or entry.get("size", stored.size) != stored.size:
                still.append(entry)
            else:
                manifest["files"].append({**entry, "size": stored.size, "sha256": entry.get("sha256") or stored.sha256})
        manifest["pending"] = still
        manifest["files"].sort(key=lambda entry: entry["key"])
        if still:
            path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            return False
        if manifest.get("status") == "interrupted":  # by the pending files; unreachable, failed, timeout stay
            manifest["status"] = "finished" if manifest.get("finish_reason") in FINISHED_REASONS else "interrupted"
        manifest["completed_at"] = datetime.now(UTC).isoformat()
        self.store.put_bytes(key, json.dumps(manifest, indent=2).encode("utf-8"))
        path.unlink()
        return True

    # --- a whole site -----------------------------------------------------------------------------------------

    def abort_unfinished(self, site: str, before: float) -> int:
        """Abort multipart uploads (S3) or temporary copies (folder) a killed process left for ``site``.

        Done once per site and process. A store that does not let us list them is warned about, not fatal.

        Raises:
            StoreUnavailable: the store cannot be reached.
        """
        with self._guard:
            if site in self._cleaned:
                return 0
            self._cleaned.add(site)
        aborted = 0
        for kind in ("warc", TEXT, STATE):  # state: a checkpoint cut short leaves a temporary copy in a folder
            prefix = site_prefix(kind, site).rstrip("/")
            try:
                found = self.store.abort_incomplete(prefix, before)
            except StoreUnavailable:
                raise
            except Exception as exc:  # e.g. no permission to list uploads: a clean-up, not a reason to stop
                logger.warning("Could not look for unfinished uploads under %s: %s", prefix, exc)
                continue
            if found:
                logger.warning("Aborted %d unfinished upload(s) a killed run left under %s", found, prefix)
            aborted += found
        return aborted

    def leftovers(self, site: str) -> Leftovers:
        """Repair what a killed process left for ``site`` (``.open`` WARCs and text batches) and list it all.

        Call only while holding the site's spool lock, before this process writes there.
        """
        from pipelines.text.batches import repair_batches  # noqa: PLC0415 - text imports store, not the reverse

        warcs, repaired = self.spool.leftover_warcs(site)
        repair_batches(self.spool, site)
        texts = self.spool.parked(site_prefix(TEXT, site))
        return Leftovers(warcs, texts, self.spool.parked(site_prefix(RUNS, site)), repaired)

    def ship_site(self, site: str, concurrency: int = 2) -> Shipped:
        """Ship what waits in the spool for ``site``, in order: WARCs and indexes, text batches, manifests.

        Call only while holding the site's spool lock. A file that fails stays in the spool and is reported;
        after a failure nothing later in the order is tried (a manifest must never overtake its files).
        """
        found = self.leftovers(site)
        shipped = Shipped()
        with ThreadPoolExecutor(max(1, concurrency)) as pool:
            results = pool.map(lambda path: _attempt(self.ship_warc, path, site), found.warcs)
            for path, result in zip(found.warcs, results, strict=True):
                _note(shipped, path.name, result)
        if not shipped.failed:
            self.ship_texts(found.texts, shipped)
        if not shipped.failed:
            self.ship_manifests(found.manifests, shipped)
        return shipped

    def ship_texts(self, texts: list[tuple[Path, str]], shipped: Shipped) -> None:
        """Ship parked text batches; stop at the first failure (the rest stays parked)."""
        for path, key in texts:
            _note(shipped, key, _attempt(self.ship_file, path, key))
            if shipped.failed:
                return

    def ship_manifests(self, manifests: list[tuple[Path, str]], shipped: Shipped) -> None:
        """Store parked manifests whose files are all in the store now."""
        for path, key in manifests:
            try:
                done = self.complete_manifest(path, key)
                logger.info("%s %s", "Stored" if done else "Kept (files still pending)", self.store.uri_for(key))
            except Exception as exc:  # keep it parked; it is named as pending
                logger.warning("Could not store the parked manifest %s: %s", key, exc)
                shipped.failed.append((key, exc))

    def pending(self, site: str, run_id: str = "") -> list[str]:
        """Store keys of everything still waiting in the spool for ``site`` (of ``run_id``'s text, if given)."""
        return self.spool.pending(site, run_id)


def _attempt(ship: object, *args: object) -> list[StoredObject] | StoredObject | BaseException:
    try:
        return ship(*args)  # type: ignore[operator]
    except Exception as exc:  # reported per file; the file stays in the spool
        return exc


def _note(shipped: Shipped, name: str, result: list[StoredObject] | StoredObject | BaseException) -> None:
    if isinstance(result, BaseException):
        logger.warning("Could not ship %s: %s", name, result)
        shipped.failed.append((name, result))
    else:
        shipped.stored.extend(result if isinstance(result, list) else [result])
