"""Runs that were killed: what their text batches hold, so the next run neither loses nor repeats a record.

A run that is killed leaves text batches (shipped by the next start, or still in the spool) and no manifest. Its
last state checkpoint may predate its last records, so the next run would write those posts again. Before the
next run fetches anything (``engine_started``), the incremental component reads the batches of every run of the
site that has batches and no manifest and was not absorbed before (``absorbed_runs`` in the state), and a page
whose text equals a record there gets no new record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipelines.text.reading import batch_keys, manifest_runs, read_batch, run_of

if TYPE_CHECKING:
    from pipelines.store.base import Store
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)


@dataclass
class Interrupted:
    """The records interrupted runs of a site left: URL -> SHA-256 of their text, and the runs read."""

    runs: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)


def interrupted_texts(store: Store, spool: Spool | None, site: str, this_run: str, absorbed: set[str]) -> Interrupted:
    """Read the text batches of the site's runs that have no manifest (other than ``this_run`` and ``absorbed``)."""
    batches = batch_keys(store, spool, site)
    finished = manifest_runs(store, spool, site)
    runs = sorted({run_of(key) for key in batches} - finished - absorbed - {this_run, ""})
    found = Interrupted(runs)
    for key, local in sorted(batches.items()):
        if run_of(key) in runs:
            for record in read_batch(store, key, local):
                if isinstance(record.get("url"), str) and isinstance(record.get("text_sha256"), str):
                    found.texts[record["url"]] = record["text_sha256"]
    if runs:
        logger.info("Read %d record(s) of %d interrupted run(s): %s", len(found.texts), len(runs), ", ".join(runs))
    return found
