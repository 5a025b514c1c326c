"""Signals blogarc components send, in addition to Scrapy's (``scrapy/signals.py``).

``object_stored``: an object reached the store and was verified there.
    Arguments: ``obj`` (``pipelines.store.base.StoredObject``), ``kind`` (``"warc"``, ``"cdxj"`` or ``"text"``).
    Sent from the reactor thread. The run manifest lists every object announced this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from pipelines.store.base import StoredObject

object_stored = object()


def announce_stored(crawler: Crawler, obj: StoredObject, kind: str) -> None:
    """Send ``object_stored`` for ``obj``; call from the reactor thread."""
    crawler.signals.send_catch_log(signal=object_stored, obj=obj, kind=kind)
