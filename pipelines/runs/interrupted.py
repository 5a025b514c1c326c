"""Runs that were killed: what they left, so the next run neither loses nor repeats a record.

A run that is killed leaves text batches (shipped by the next start, or still in the spool), a crawl state as of
its last checkpoint, and no manifest. That checkpoint may lag behind the batches (records written after it), and it
may be ahead of them: it names the captures of pages whose extraction was in flight when the run died, pages that
have no record. Trusted as is, such a capture makes the next run ask for the page conditionally, get a 304 (or an
identical payload), and never write its record.

Before the next run fetches anything (``engine_started``), the incremental component reads the batches of every
run of the site that has no manifest and was not absorbed before (``absorbed_runs`` in the state): runs found in
the batches, and runs that captured entries of the state (a run killed before its first record has no batch).
From them:

* ``texts``: URL -> text of their records, so a page whose text equals one of them gets no new record;
* ``unsettled``: URLs whose capture in the state is one of theirs but whose record is not in their batches. The
  next run asks for those unconditionally, never skips them, and extracts them again (a page that has no text
  only costs one full download);
* the state's text fingerprint of a capture that has a record in their batches is set from that record (the
  checkpoint may predate it).

A run is absorbed (listed in ``absorbed_runs``) only by a run that ends having captured every URL it left
unsettled (``absorbable``): a run killed in turn absorbs nothing, and the one after it reads both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipelines.text.reading import batch_keys, manifest_runs, read_batch, run_of

if TYPE_CHECKING:
    from pipelines.runs.state import CrawlState
    from pipelines.store.base import Store
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)


@dataclass
class Interrupted:
    """What interrupted runs of a site left, and the runs read."""

    runs: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # URL -> SHA-256 of the text of its record
    origins: dict[str, dict] = field(default_factory=dict)  # URL -> the capture its record was made from
    unsettled: set[str] = field(default_factory=set)  # URLs captured by those runs, without their record


def interrupted_texts(store: Store, spool: Spool | None, state: CrawlState, absorbed: set[str]) -> Interrupted:
    """Read the text batches of the site's runs that have no manifest (other than ``absorbed``); settle ``state``.

    Call before the run captures anything: the state's captures are then all from earlier runs (a run id given
    again to a run that was killed included).
    """
    site = state.site
    batches = batch_keys(store, spool, site)
    finished = manifest_runs(store, spool, site)
    captured = {entry.run_id for entry in state.previous.values() if entry.run_id}
    runs = sorted(({run_of(key) for key in batches} | captured) - finished - absorbed - {""})
    found = Interrupted(runs)
    recorded: dict[tuple[str, str], dict] = {}  # (run, URL) -> its record
    for key, local in sorted(batches.items()):
        run = run_of(key)
        if run in runs:
            for record in read_batch(store, key, local):
                if isinstance(record.get("url"), str) and isinstance(record.get("text_sha256"), str):
                    found.texts[record["url"]] = record["text_sha256"]
                    found.origins[record["url"]] = origin(record)
                    recorded[run, record["url"]] = record
    for url, entry in state.previous.items():
        if entry.run_id not in runs:
            continue
        record = recorded.get((entry.run_id, url))
        if record is None:
            found.unsettled.add(url)
        elif (record.get("warc") or {}).get("record_id") == entry.record_id:
            entry.text_sha256, entry.text_from = record["text_sha256"], None  # written after the last checkpoint
    if runs:
        logger.info(
            "Read %d record(s) of %d interrupted run(s) (%s); %d page(s) they captured have no record and are "
            "fetched again in full",
            len(found.texts),
            len(runs),
            ", ".join(runs),
            len(found.unsettled),
        )
    return found


def origin(record: dict) -> dict:
    """The capture a text record was made from, as ``UrlState.text_from`` names it."""
    pointer = record.get("warc") or {}
    capture = {name: pointer.get(name) for name in ("filename", "offset", "length", "record_id")}
    return {
        "run_id": record.get("run_id"),
        "date": record.get("fetched_at"),
        **capture,
        "digest": pointer.get("payload_digest"),
    }


def absorbable(state: CrawlState, found: Interrupted) -> list[str]:
    """The interrupted runs this run has absorbed: those none of whose unsettled URLs it left uncaptured."""
    left = {state.previous[url].run_id for url in found.unsettled if url not in state.current and url in state.previous}
    return [run for run in found.runs if run not in left]
