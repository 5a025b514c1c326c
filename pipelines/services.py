"""What one process shares among all its crawlers: the store, the spool and its shipper, the extraction pool.

A job of many blogs runs one Scrapy crawler per blog in one process. Each crawler's components (WARC capture,
text batches, the run manifest, the spider) reach the same ``Services`` through their crawler
(``Services.of(crawler)``): one store client, one spool, one shipper, one pool of extraction workers, and the
store checked once. ``blogarc crawl`` builds it once for the job and hands it to every crawler
(``Services.attach``); a crawler started another way (``scrapy crawl blog``) builds its own on first use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.extract.options import ExtractOptions
from pipelines.store.base import StoreConfigError, StoreUnavailable, store_from_settings
from pipelines.store.shipper import Shipper
from pipelines.store.spool import Spool

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from pipelines.extract.pool import ExtractionPool
    from pipelines.store.base import Store

logger = logging.getLogger(__name__)

ATTRIBUTE = "blogarc_services"


def spool_dir(settings: Any, store: Store) -> Path:
    """Local folder where files wait before they reach the store.

    ``ARCHIVE_SPOOL_DIR`` when set; otherwise one folder per store URI under the user's cache folder, so a later
    run against the same store finds (and ships) what an earlier run left behind.
    """
    if settings.get("ARCHIVE_SPOOL_DIR"):
        return Path(settings.get("ARCHIVE_SPOOL_DIR")).expanduser().resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    store_id = hashlib.sha256(store.uri.encode()).hexdigest()[:16]
    return cache / "blogarc" / "spool" / store_id


@dataclass
class Services:
    """The per-process services; build with ``from_settings``."""

    store: Store
    shipper: Shipper
    pool_workers: int = 0
    extract_options: ExtractOptions = field(default_factory=ExtractOptions)
    owner: Any = None  # the crawler that built these services for itself (it closes them), or None
    _pool: ExtractionPool | None = None
    _check: BaseException | None | bool = False  # False: not checked yet; None: fine; else the error
    _guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Any) -> Services:
        """Services for these settings (the store named by ``ARCHIVE_STORE``, its spool, the pool's size).

        Raises:
            ValueError: for a store URI no store handles.
        """
        from pipelines.extract.pool import default_workers  # keeps worker imports light

        store = store_from_settings(settings)
        workers = settings.getint("EXTRACT_WORKERS", -1)
        return cls(
            store=store,
            shipper=Shipper(store, Spool(spool_dir(settings, store))),
            pool_workers=default_workers() if workers < 0 else workers,
            extract_options=ExtractOptions.from_settings(settings),
        )

    @classmethod
    def of(cls, crawler: Crawler) -> Services:
        """The services of ``crawler``'s process (built from its settings when nobody attached any)."""
        services = getattr(crawler, ATTRIBUTE, None)
        if services is None:
            services = cls.from_settings(crawler.settings)
            services.owner = crawler
            services.attach(crawler)
        return services

    def attach(self, crawler: Crawler) -> None:
        """Make ``crawler``'s components use these services."""
        setattr(crawler, ATTRIBUTE, self)

    @property
    def spool(self) -> Spool:
        """The local spool of the store."""
        return self.shipper.spool

    def check_store(self) -> None:
        """``store.check()``, once per process; later calls repeat its verdict.

        Raises:
            StoreConfigError: the store cannot work as configured.
            StoreUnavailable: the store could not be reached when it was checked.
        """
        with self._guard:
            if self._check is False:
                try:
                    self.store.check()
                    self._check = None
                except (StoreConfigError, StoreUnavailable) as exc:
                    self._check = exc
        if isinstance(self._check, BaseException):
            raise self._check

    def pool(self) -> ExtractionPool | None:
        """The extraction pool all crawlers share (None when extraction runs in the crawling process)."""
        if self.pool_workers <= 0:
            return None
        if self._pool is None:
            from pipelines.extract.pool import ExtractionPool

            self._pool = ExtractionPool(self.pool_workers, self.extract_options)
        return self._pool

    def close(self) -> None:
        """Stop the extraction workers (the job is over)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
