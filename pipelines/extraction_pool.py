"""Text extraction in worker processes, so trafilatura's CPU time stays off the crawl's event loop.

trafilatura costs about 10 ms of CPU a page, more than Scrapy's own work on it; in the crawling process it would
cap a crawl at one core. Workers receive the body as downloaded, decoded with the encoding Scrapy detected, and
return an ``Extracted`` (or None). Workers are started lazily with the ``spawn`` method: forking a process that
runs an event loop and threads is unsafe.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

from pipelines.extraction import Extracted, decode_html, extract_post


def extract_body(body: bytes, encoding: str, url: str, favor_precision: bool) -> Extracted | None:
    """Decode a response body and extract it (runs in a worker process)."""
    html = decode_html(body, encoding=encoding)
    return extract_post(html, url, favor_precision)


def default_workers() -> int:
    """One worker per core: the crawling process itself mostly waits on the network and the workers."""
    return max(1, os.cpu_count() or 1)


class ExtractionPool:
    """A process pool dedicated to ``extract_body``."""

    def __init__(self, workers: int):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, body: bytes, encoding: str, url: str, favor_precision: bool) -> Future[Extracted | None]:
        """Queue a page; the future holds its ``Extracted`` or None."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor.submit(extract_body, body, encoding, url, favor_precision)

    def shutdown(self) -> None:
        """Stop the workers (waits for queued pages)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None
