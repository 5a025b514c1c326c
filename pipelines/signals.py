"""Signals blogarc components send, in addition to Scrapy's (``scrapy/signals.py``).

All are sent from the reactor thread.

``file_closed``: a finished file is in the spool, ready to ship.
    Arguments: ``path`` (``Path``), ``key`` (its store key; for a WARC, the key of the WARC itself, its index is
    made when it ships). Sent by the WARC exporter and the text pipeline; ``pipelines.store.uploads`` ships it.
``record_written``: a clean-text record is durable in the spool (flushed to its batch file).
    Arguments: ``record`` (``pipelines.text.record.TextRecord``). The crawl state notes its text only then.
``object_stored``: an object reached the store and was verified there.
    Arguments: ``obj`` (``pipelines.store.base.StoredObject``), ``kind`` (``"warc"``, ``"cdxj"`` or ``"text"``).
    The run manifest lists every object announced this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from pipelines.store.base import StoredObject

file_closed = object()
record_written = object()
object_stored = object()


def announce_stored(crawler: Crawler, obj: StoredObject, kind: str) -> None:
    """Send ``object_stored`` for ``obj``; call from the reactor thread."""
    crawler.signals.send_catch_log(signal=object_stored, obj=obj, kind=kind)
