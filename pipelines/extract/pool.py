"""Text extraction in worker processes, so trafilatura's CPU time stays off the crawl's event loop.

trafilatura costs about 10 ms of CPU a page, more than Scrapy's own work on it; in the crawling process it would
cap a crawl at one core. Workers receive the body as downloaded, decoded with the encoding Scrapy detected, and
return an ``Extracted`` (or None). Workers are started lazily with the ``spawn`` method: forking a process that
runs an event loop and threads is unsafe.

Options (``ExtractOptions``, a small frozen object) travel with each page: workers keep no state between pages.

A page must never cost more than itself. Each worker's address space is capped (``worker_max_memory``), so a page
that would need gigabytes fails with ``MemoryError`` in its worker instead of calling the kernel's OOM killer onto
the crawl. A worker that dies anyway (killed, crashed in C code) breaks the whole ``ProcessPoolExecutor`` and every
page in flight with it: the pool is replaced and each of those pages tried once more; a page that kills a fresh
worker too raises, and costs only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines.extract.options import DEFAULT_OPTIONS, ExtractOptions

if TYPE_CHECKING:
    from pipelines.extract.core import Extracted

logger = logging.getLogger(__name__)

T = TypeVar("T")
SHUTDOWN_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class ExtractionError(Exception):
    """An exception of a worker, as text: lxml's exceptions (its parser's memory errors too) do not pickle."""


def extract_body(body: bytes, encoding: str, url: str, options: ExtractOptions | None = None) -> Extracted | None:
    """Decode a response body and extract it (what a worker process runs for each page).

    Args:
        body: the body as downloaded.
        encoding: the encoding Scrapy detected.
        url: the page URL.
        options: how to extract (None: the defaults).

    Raises:
        ExtractionError: extraction failed; the message names the original exception.
    """
    # imported here, in the worker: a crawl without extraction (--no-extract) never imports trafilatura (a tenth of
    # its start-up); with workers, the crawling process imports it with the first result it unpickles
    from pipelines.extract.core import decode_html, extract_post  # noqa: PLC0415

    try:
        extracted = extract_post(decode_html(body, encoding=encoding), url, options)
    except Exception as exc:  # noqa: BLE001 - re-raised as something the parent can unpickle
        raise ExtractionError(f"{type(exc).__name__}: {exc}"[:500]) from None
    if extracted is not None:
        extracted.text_sha256  # noqa: B018 - counted here, in the worker: the facts travel with the extraction
    return extracted


def default_workers() -> int:
    """One worker per core: the crawling process itself mostly waits on the network and the workers."""
    return max(1, os.cpu_count() or 1)


def limit_memory(max_memory: int) -> None:
    """Cap this process's address space (0 = no cap)."""
    if max_memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))


def start_worker(max_memory: int) -> None:
    """A worker's set-up: its memory cap, and deaf to SIGINT and SIGTERM.

    A Ctrl-C reaches every process of the terminal's group (systemd's SIGTERM every process of the service): the
    crawling process stops gracefully and shuts the pool, which ends the workers, so they need no signal of their
    own (and print no ``KeyboardInterrupt`` traceback each).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SHUTDOWN_SIGNALS)  # blocked since spawned: see ``_spawning``
    limit_memory(max_memory)


@contextlib.contextmanager
def _spawning() -> Iterator[None]:
    """Block SIGINT and SIGTERM while ``submit`` may spawn workers.

    They start with both blocked (the mask survives ``exec``) until ``start_worker`` ignores them, so a Ctrl-C
    while one is still importing cannot interrupt it. This process gets a signal sent meanwhile when the block ends.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SHUTDOWN_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ExtractionPool:
    """A process pool dedicated to ``extract_body``, replaced when a worker dies.

    Args:
        workers: how many worker processes.
        options: how pages are extracted; ``worker_max_memory`` caps each worker's address space.
    """

    def __init__(self, workers: int, options: ExtractOptions | None = None):
        self.workers = workers
        self.options = options or DEFAULT_OPTIONS
        self.restarts = 0
        self._executor: ProcessPoolExecutor | None = None

    async def extract(self, body: bytes, encoding: str, url: str) -> Extracted | None:
        """Extract a page in a worker with the pool's options (the crawl's event loop waits, never blocks).

        Raises:
            ExtractionError: extraction failed in the worker (a ``MemoryError`` past ``worker_max_memory`` too).
            BrokenProcessPool: the page's worker died twice in a row.
        """
        return await self.run(extract_body, body, encoding, url, self.options)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in a worker (a module-level function: it is pickled), with the pool's defences.

        Raises:
            BrokenProcessPool: the worker died twice in a row on these arguments.
        """
        try:
            return await self._in_worker(function, *args)
        except BrokenProcessPool:  # this call's worker, or another one in flight, died: once more, in a fresh pool
            return await self._in_worker(function, *args)

    async def _in_worker(self, function: Callable[..., T], *args: Any) -> T:
        executor = self._live_executor()
        try:
            with _spawning():
                future = executor.submit(function, *args)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(executor)
            raise

    def _live_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(self.options.worker_max_memory,),
            )
        return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken executor (once, however many of its pages report it); the next page starts a new one."""
        if self._executor is broken:
            self.restarts += 1
            logger.warning("An extraction worker died; starting new workers (restart %d)", self.restarts)
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def shutdown(self) -> None:
        """Stop the workers (waits for queued pages)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None
