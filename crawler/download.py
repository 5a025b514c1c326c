"""Scrapy's HTTP/1.1 download handler, with a close that cannot fire its Deferred twice.

Scrapy's ``HTTP11DownloadHandler.close()`` (2.19) closes the pool's idle connections and, because Twisted's
``closeCachedConnections()`` can hang, fires that very Deferred itself from a timer after ``_disconnect_timeout``
(1 s). When closing takes longer than that, which it does when one reactor carries many blogs at once and is busy
for a second, both fire: the timer first, then Twisted's own ``gatherResults`` when the last connection is lost,
and Twisted logs ``AlreadyCalledError`` with a traceback (the 232 CRITICAL lines of a 300-blog night in issue 14).

The handler here waits on a Deferred of its own, fired by whichever comes first, so the late one is a no-op. Its
connections parse responses with ``crawler.responsehead``, which reads a head without copying the body once a line.
It is installed for ``http`` and ``https`` (``DOWNLOAD_HANDLERS``) by blogarc's add-on.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.responsehead import HeadFactory


class Http11Handler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose close fires once, whichever of the pool and the timer ends first."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._pool._factory = HeadFactory

    async def close(self) -> None:
        """Close the idle connections; wait for them at most ``_disconnect_timeout`` seconds."""
        from twisted.internet import reactor

        closed: Deferred[None] = Deferred()

        def fire(_: Any = None) -> None:
            if not closed.called:
                closed.callback(None)

        self._pool.closeCachedConnections().addBoth(fire)
        timer = reactor.callLater(self._disconnect_timeout, fire)
        try:
            await maybe_deferred_to_future(closed)
        finally:
            if timer.active():
                timer.cancel()
