"""Runs that were killed: what their text batches hold, so the next run neither loses nor repeats a record.

A run that is killed leaves text batches (shipped by the next start, or still in the spool) and no manifest. Its
last state checkpoint may predate its last records, so the next run would write those posts again. Before the
next run fetches anything (``engine_started``), the incremental component reads the batches of every run of the
site that has batches, no manifest, and was not absorbed before (``absorbed_runs`` in the state; a run id given
again to the killed run's restart included), and a page whose text equals a record there gets no new record: the
state notes that record instead, with the capture it was made from (``UrlState.text_from``).

A run is absorbed only by a run that ends (its state saved at ``spider_closed``): a run killed in turn absorbs
nothing, and the one after it reads both.

(A checkpoint is never ahead of the batches: it leaves out the new captures of pages whose record may still be in
flight, ``pipelines/runs/settle.py``.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelines.text.reading import batch_keys, manifest_runs, read_batch, run_of

if TYPE_CHECKING:
    from pipelines.store.base import Store
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)


@dataclass
class Interrupted:
    """The records interrupted runs of a site left, and the runs read."""

    runs: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # URL -> SHA-256 of the text of its record
    origins: dict[str, dict[str, Any]] = field(default_factory=dict)  # URL -> the capture its record was made from


def interrupted_texts(store: Store, spool: Spool | None, site: str, absorbed: set[str]) -> Interrupted:
    """Read the text batches of the site's runs that have no manifest (other than ``absorbed``).

    Call before the run writes any record (then its own run id counts as a killed run's, if it has batches).
    """
    batches = batch_keys(store, spool, site)
    finished = manifest_runs(store, spool, site)
    runs = sorted({run_of(key) for key in batches} - finished - absorbed - {""})
    found = Interrupted(runs)
    for key, local in sorted(batches.items()):
        if run_of(key) in runs:
            for record in read_batch(store, key, local):
                if isinstance(record.get("url"), str) and isinstance(record.get("text_sha256"), str):
                    found.texts[record["url"]] = record["text_sha256"]
                    found.origins[record["url"]] = origin(record)
    if runs:
        logger.info("Read %d record(s) of %d interrupted run(s): %s", len(found.texts), len(runs), ", ".join(runs))
    return found


def origin(record: dict[str, Any]) -> dict[str, Any]:
    """The capture a text record was made from, as ``UrlState.text_from`` names it."""
    pointer = record.get("warc") or {}
    capture = {name: pointer.get(name) for name in ("filename", "offset", "length", "record_id")}
    return {
        "run_id": record.get("run_id"),
        "date": record.get("fetched_at"),
        **capture,
        "digest": pointer.get("payload_digest"),
    }
