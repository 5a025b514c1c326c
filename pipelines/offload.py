"""One dedicated worker thread whose results come back to the reactor's thread as Deferreds.

What the crawl hands it is C work that releases the GIL and takes long enough to pay for the trip: parsing a page
over 512 KiB, and the few pages lxml parses too (``crawler.pagetree``). Short work is cheaper done in place: each
hand-over makes the two threads contend for the GIL, and WARC records, once compressed and written here, cost a
crawl ~20% more CPU this way (``pipelines.warc.exporter``). One thread rather than a pool, on purpose: every thread
that allocates gets its own glibc malloc arena, and page trees freed back into several arenas left a crawl of 2,000
pages about 20 MB larger (six threads of the default pool) than one arena more does. Tasks run in the order they
were given.

Works under any Twisted reactor (asyncio's or not): the result is handed over with ``reactor.callFromThread``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

T = TypeVar("T")


class Offload:
    """A single worker thread; ``run`` returns a Deferred fired on the reactor's thread.

    Args:
        name: the thread's name (for debuggers and ``py-spy``).
    """

    def __init__(self, name: str):
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._pending: dict[int, tuple[Future[Any], Deferred[Any]]] = {}  # in the order given

    def run(self, function: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run ``function(*args)`` in the thread, after what was given before (call it on the reactor's thread)."""
        from twisted.internet import reactor  # the installed one, once Scrapy chose it

        done: Deferred[T] = Deferred()
        future = self._executor.submit(function, *args)
        self._pending[id(done)] = (future, done)
        future.add_done_callback(lambda f: reactor.callFromThread(self._hand_over, done))
        return done

    def _hand_over(self, done: Deferred[Any]) -> None:
        found = self._pending.pop(id(done), None)
        if found is None:  # handed over by ``drain`` already
            return
        future = found[0]
        exception = future.exception()
        if exception is not None:
            done.errback(Failure(exception))
        else:
            done.callback(future.result())

    def drain(self) -> None:
        """Finish what was given and fire every Deferred now, in order, then stop the thread (reactor's thread).

        For the end of a crawl, when what follows must see every result without waiting for the reactor.
        """
        self._executor.shutdown(wait=True)
        for key in list(self._pending):
            self._hand_over(self._pending[key][1])

    def shutdown(self) -> None:
        """Finish what was given, then stop the thread."""
        self._executor.shutdown(wait=True)
