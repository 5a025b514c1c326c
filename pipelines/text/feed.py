"""Scrapy feed storage for the ``store:`` URI scheme: clean-text batches written through blogarc's store.

``FEEDS = {"store:text/%(site)s/%(run_id)s/part-%(batch_id)05d.jsonl.gz": {...}}`` with
``FEED_STORAGES = {"store": "pipelines.text.feed.StoreFeedStorage"}`` sends each finished batch to the store
named by ``ARCHIVE_STORE`` (local folder or S3) under that key, so text and WARCs share one store, one layout and
one set of credentials. Each batch is written to a local temporary file first and only then persisted (in a
thread), so a reader never sees half a batch; every stored batch is announced for the run manifest.

A batch the store does not take (store down, retries spent) is not lost: it is parked in the spool under its key
(``pipelines/store/spool.py``) and shipped before the run manifest, by the next run, or by ``blogarc upload``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import BlockingFeedStorage

from pipelines.signals import announce_stored
from pipelines.store.base import StoredObject, safe_key, spool_dir, store_from_settings
from pipelines.store.spool import Spool

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from pipelines.store.base import Store

logger = logging.getLogger(__name__)

SCHEME = "store:"


class StoreFeedStorage(BlockingFeedStorage):
    """Persist feed files to the blogarc store under the key the ``store:`` URI names."""

    def __init__(
        self,
        uri: str,
        store: Store,
        crawler: Crawler,
        *,
        feed_options: dict[str, Any] | None = None,
        spool: Spool | None = None,
    ):
        if not uri.startswith(SCHEME):
            raise ValueError(f"Incorrect URI scheme in {uri}, expected {SCHEME!r}")
        self.key = safe_key(uri[len(SCHEME) :])
        self.target = store
        self.crawler = crawler
        self.spool = spool or Spool(spool_dir(crawler.settings, store))

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> StoreFeedStorage:
        return cls(uri, store_from_settings(crawler.settings), crawler, feed_options=feed_options)

    def open(self, spider: Spider) -> IO[bytes]:
        # A named file, because stores persist files by path (and S3 uploads them in parts).
        return tempfile.NamedTemporaryFile(prefix="blogarc-feed-", suffix=".part", delete=False)

    def store(self, file: IO[bytes]) -> Deferred[None]:
        stored = super().store(file)
        stored.addCallback(self._announce)
        return stored

    def _store_in_thread(self, file: IO[bytes]) -> StoredObject | None:  # type: ignore[override]
        file.close()
        path = Path(file.name)
        try:
            stored = self.target.persist(path, self.key)
        except Exception as exc:  # any store error: the batch is parked, never dropped
            parked = self.spool.park(path, self.key)
            logger.warning("Could not store %s (%s); parked in %s", self.key, exc, parked)
            return None
        os.unlink(path)
        return stored

    def _announce(self, obj: StoredObject | None) -> None:
        if obj is None:
            self.crawler.stats.inc_value("text/files_parked")
            return
        self.crawler.stats.inc_value("text/files_stored")
        announce_stored(self.crawler, obj, "text")
