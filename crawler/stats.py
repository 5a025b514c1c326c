"""The crawl's stats collector: Scrapy's in-memory one, with plain attribute look-ups (``STATS_CLASS``).

Scrapy 2.19's ``StatsCollector.__getattribute__`` looks every attribute up through a Python-level hook that wraps
the stats methods in a checker for a deprecated ``spider`` argument, so each ``inc_value`` costs two hooked
look-ups and a wrapper call. A crawl counts about fifty stats a request (``links/*``, ``pages/*``,
``downloader/*``, ...): 3% of the crawl's CPU time went there (bench/README.md). This class keeps the same
methods and stats and drops the hook; the ``spider`` argument is still accepted and ignored, without the warning.

``DownloaderStats`` (a downloader middleware, in place of Scrapy's, by blogarc's add-on) counts Scrapy's
``downloader/*`` stats, which the run manifest reports (requests, responses, bytes received), without building
each request's bytes to take their length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.stats import DownloaderStats as ScrapyDownloaderStats
from scrapy.downloadermiddlewares.stats import get_status_size
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Headers, Response


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


class DownloaderStats(ScrapyDownloaderStats):
    """Scrapy's ``DownloaderStats``: the same ``downloader/*`` figures, counted without building bytes.

    Scrapy's builds each request's bytes (``request_httprepr``) and looks each header up again to take lengths.
    """

    def __init__(self, stats: Any):
        super().__init__(stats)
        self.method_keys: dict[str, str] = {}
        self.status_keys: dict[int, str] = {}

    def process_request(self, request: Request, spider: Any = None) -> None:
        stats = self.stats
        stats.inc_value("downloader/request_count")
        stats.inc_value(_keyed(self.method_keys, "downloader/request_method_count/", request.method))
        stats.inc_value("downloader/request_bytes", request_size(request))

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        stats = self.stats
        stats.inc_value("downloader/response_count")
        stats.inc_value(_keyed(self.status_keys, "downloader/response_status_count/", response.status))
        size = len(response.body) + headers_size(response.headers) + get_status_size(response.status) + 4
        stats.inc_value("downloader/response_bytes", size)
        return response


def _keyed(keys: dict[Any, str], prefix: str, value: Any) -> str:
    """``prefix`` + ``value``, made once for each value (a request's method, a response's status)."""
    key = keys.get(value)
    if key is None:
        key = keys[value] = f"{prefix}{value}"
    return key


def headers_size(headers: Headers) -> int:
    """``len`` of Scrapy's ``get_header_size(headers)``, read from the dict's own lists (values are lists there)."""
    size = sum(2 + len(key) + len(value) for key, values in dict.items(headers) for value in values)
    return size + 2 * (len(headers) - 1)


def request_size(request: Request) -> int:
    """``len(request_httprepr(request))``: request line, ``Host``, the headers and the body, counted, not built."""
    parsed = urlparse_cached(request)
    path = len((parsed.path or "/").encode())
    if parsed.params:
        path += 1 + len(parsed.params.encode())
    if parsed.query:
        path += 1 + len(parsed.query.encode())
    size = len(request.method.encode()) + 1 + path + len(b" HTTP/1.1\r\n")
    size += len(b"Host: ") + len((parsed.hostname or "").encode()) + len(b"\r\n")
    headers = request.headers
    if headers:
        lines = [len(key) + 2 + len(value) for key, values in dict.items(headers) for value in values]
        size += sum(lines) + 2 * max(len(lines) - 1, 0) + len(b"\r\n")
    return size + len(b"\r\n") + len(request.body)
