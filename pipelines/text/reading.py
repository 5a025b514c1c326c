"""Reading clean-text records back: the batches of a site in the store and those still waiting in the spool.

Used where the text product must be accounted for: the crawl absorbing what an interrupted run wrote
(``pipelines/runs/incremental.py``), ``blogarc verify``'s text completeness, ``blogarc extract --missing``.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.layout import RUNS, TEXT, TEXT_SUFFIX, is_manifest_name, site_prefix

if TYPE_CHECKING:
    from pipelines.store.base import Store
    from pipelines.store.spool import Spool

logger = logging.getLogger(__name__)


def records_of(data: bytes) -> Iterator[dict[str, Any]]:
    """The records of one ``.jsonl.gz`` batch (a line cut short, which a whole batch never has, is skipped)."""
    for line in gzip.decompress(data).splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            continue


def run_of(key: str) -> str:
    """The run id of a text batch key (``text/{site}/{run}/part-…``) or a manifest key (``runs/{site}/{run}.json``)."""
    parts = key.split("/")
    if parts[0] == TEXT and len(parts) == 4:
        return parts[2]
    return parts[-1].removesuffix(".json") if parts[0] == RUNS else ""


def batch_keys(store: Store, spool: Spool | None, site: str) -> dict[str, Path | None]:
    """Every ``.jsonl.gz`` batch of ``site``: key -> its spool copy (None when it is only in the store).

    The spool is listed before the store: a batch leaves the spool only once it is in the store, so a batch shipped
    while we list is seen in one of the two (listed the other way round, it could be in neither).
    """
    found: dict[str, Path | None] = {}
    if spool is not None:
        found = {key: path for path, key in spool.parked(site_prefix(TEXT, site)) if key.endswith(TEXT_SUFFIX)}
    for key in store.list_keys(site_prefix(TEXT, site)):
        if key.endswith(TEXT_SUFFIX):
            found.setdefault(key, None)
    return found


def manifest_runs(store: Store, spool: Spool | None, site: str) -> set[str]:
    """Runs of ``site`` that have a manifest, in the store or parked in the spool (their runs ended)."""
    keys = [key for _, key in spool.parked(site_prefix(RUNS, site))] if spool is not None else []  # spool first
    keys += [key for key in store.list_keys(site_prefix(RUNS, site)) if is_manifest_name(key)]
    return {run_of(key) for key in keys}


def read_batch(store: Store, key: str, local: Path | None) -> list[dict[str, Any]]:
    """The records of one batch, from its spool copy when there is one (it may be shipped meanwhile)."""
    if local is not None:
        try:
            return list(records_of(local.read_bytes()))
        except FileNotFoundError:  # shipped (and deleted locally) since it was listed
            pass
    return list(records_of(store.get_bytes(key)))


def site_records(store: Store, spool: Spool | None, site: str, runs: set[str] | None = None) -> Iterator[dict]:
    """Every text record of ``site`` (of ``runs`` only, when given), batch by batch."""
    for key, local in sorted(batch_keys(store, spool, site).items()):
        if runs is None or run_of(key) in runs:
            yield from read_batch(store, key, local)
