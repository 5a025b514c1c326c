"""The crawl's stats collector: Scrapy's in-memory one, with plain attribute look-ups (``STATS_CLASS``).

Scrapy 2.19's ``StatsCollector.__getattribute__`` looks every attribute up through a Python-level hook that wraps
the stats methods in a checker for a deprecated ``spider`` argument, so each ``inc_value`` costs two hooked
look-ups and a wrapper call. A crawl counts about fifty stats a request (``links/*``, ``pages/*``,
``downloader/*``, ...): 3% of the crawl's CPU time went there (bench/README.md). This class keeps the same
methods and stats and drops the hook; the ``spider`` argument is still accepted and ignored, without the warning.
"""

from __future__ import annotations

from typing import Any

from scrapy.statscollectors import MemoryStatsCollector


class Stats(MemoryStatsCollector):
    """``MemoryStatsCollector`` without the per-look-up hook (see the module docstring)."""

    __getattribute__ = object.__getattribute__

    def get_value(self, key: str, default: Any = None, spider: Any = None) -> Any:
        return self._stats.get(key, default)

    def set_value(self, key: str, value: Any, spider: Any = None) -> None:
        self._stats[key] = value

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        stats = self._stats
        stats[key] = stats.get(key, start) + count
