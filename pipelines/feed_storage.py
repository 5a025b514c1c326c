"""Scrapy feed storage for the ``store:`` URI scheme: clean-text batches written through blogarc's store.

``FEEDS = {"store:text/%(site)s/%(run_id)s/part-%(batch_id)05d.jsonl.gz": {...}}`` with
``FEED_STORAGES = {"store": "pipelines.feed_storage.StoreFeedStorage"}`` sends each finished batch to the store
named by ``ARCHIVE_STORE`` (local folder or S3) under that key, so text and WARCs share one store, one layout and
one set of credentials. Each batch is written to a local temporary file first and only then persisted (in a
thread), so a reader never sees half a batch; every stored batch is announced for the run manifest.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import BlockingFeedStorage

from pipelines.signals import announce_stored
from pipelines.stores import StoredObject, safe_key, store_from_settings

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from pipelines.stores import Store

SCHEME = "store:"


class StoreFeedStorage(BlockingFeedStorage):
    """Persist feed files to the blogarc store under the key the ``store:`` URI names."""

    def __init__(self, uri: str, store: Store, crawler: Crawler, *, feed_options: dict[str, Any] | None = None):
        if not uri.startswith(SCHEME):
            raise ValueError(f"Incorrect URI scheme in {uri}, expected {SCHEME!r}")
        self.key = safe_key(uri[len(SCHEME) :])
        self.target = store
        self.crawler = crawler

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

    def _store_in_thread(self, file: IO[bytes]) -> StoredObject:  # type: ignore[override]
        file.close()
        path = Path(file.name)
        stored = self.target.persist(path, self.key)  # on failure the batch stays in the temp file
        os.unlink(path)
        return stored

    def _announce(self, obj: StoredObject) -> None:
        self.crawler.stats.inc_value("text/files_stored")
        announce_stored(self.crawler, obj, "text")
