"""One blog's frontier in Redis while a worker crawls it, and what the worker's crawler does with it.

Under ``blogarc:job:{run_id}:site:{site}:``: ``requests`` (the queue: a sorted set by priority, scrapy-redis's
``PriorityQueue`` encoding), ``dupefilter`` (fingerprints of every request queued: scrapy-redis's
``RFPDupeFilter``), ``inflight`` (requests taken from the queue and not yet durable in the store: token -> score and
encoded request) and ``stored`` (every object the blog's crawl stored so far, for the run manifest of a worker that
finishes a blog another one started). A request moves from ``requests`` to ``inflight`` in one script; the next
holder of the blog puts ``inflight`` back (``scripts.CLAIM``); what is durable leaves it (``durable.Durability``).

When Redis cannot be reached, the crawl goes on with what it has: requests it finds wait in memory, nothing is taken
from the queue (the crawl does not end for lack of requests while Redis is away), and the worker's lease loop says
when Redis is back (``online``); the waiting requests are queued then.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.asyncio import run_in_thread

from crawler.distributed import scripts
from crawler.distributed.connection import describe
from crawler.distributed.durable import Durability
from crawler.distributed.keys import FrontierKeys
from pipelines.signals import announce_stored, file_closed, object_stored, record_written
from pipelines.store.base import StoredObject
from pipelines.text.record import TextRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

ATTRIBUTE = "blogarc_frontier"
TOKEN = "blogarc_frontier_token"  # request.meta: the token of a request taken from the frontier


def token_of(data: bytes) -> str:
    """The ``inflight`` field of an encoded request (what ``scripts.POP`` computes with ``redis.sha1hex``)."""
    return hashlib.sha1(data).hexdigest()  # an identifier, not a security measure


class Frontier:
    """A blog's frontier, for the one crawler that holds the blog; see the module docstring."""

    def __init__(self, client: redis.Redis, keys: FrontierKeys, resumed: bool, warc: bool = True, text: bool = True):
        self.client = client
        self.keys = keys
        self.resumed = resumed  # an earlier holder crawled part of the blog
        self.online = True
        self.closing = False
        self.durability = Durability(warc=warc, text=text)
        self.done: list[str] = []  # durable tokens not yet removed from ``inflight``
        self.stored: dict[str, str] = {}  # objects stored, not yet noted in Redis
        self._mine: set[str] = set()  # every object this crawl stored
        self.on_outage: Callable[[BaseException], None] | None = None
        self.crawler: Crawler | None = None
        self._push = client.register_script(scripts.PUSH)
        self._pop = client.register_script(scripts.POP)
        self._records: dict[int, str] = {}  # id(text record) -> token of the request that yielded it
        self._waiting_records: dict[str, int] = {}  # token -> records yielded and not yet written
        self._output_over: set[str] = set()
        self._held: list[str] | None = []  # handled while pages may be parked (``_release_held``)
        self._settled_seen = False

    @classmethod
    def of(cls, crawler: Crawler) -> Frontier | None:
        """The frontier a worker attached to ``crawler`` (None outside a worker)."""
        return getattr(crawler, ATTRIBUTE, None)

    def attach(self, crawler: Crawler) -> None:
        """Give ``crawler`` this frontier and follow its files, records and stored objects."""
        setattr(crawler, ATTRIBUTE, self)
        self.crawler = crawler
        for handler, signal in (
            (self._captured, signals.response_downloaded),
            (self._record_written, record_written),
            (self._record_lost, signals.item_dropped),
            (self._record_lost, signals.item_error),
            (self._file_closed, file_closed),
            (self._object_stored, object_stored),
            (self._spider_closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)

    # --- the queue (blocking Redis calls: the scheduler, on the reactor thread; each takes a millisecond) --------

    def push(self, data: bytes, score: float, fingerprint: str) -> bool:
        """Queue an encoded request unless its fingerprint was seen (``""``: never filtered); False when seen."""
        keys = self.keys
        return bool(self._push(keys=[keys["requests"], keys["dupefilter"]], args=[data, score, fingerprint]))

    def pop(self) -> bytes | None:
        """Take the request with the best priority; it is in flight until durable."""
        return self._pop(keys=[self.keys["requests"], self.keys["inflight"]])

    def queued(self) -> int:
        """Requests in the queue."""
        return int(self.client.zcard(self.keys["requests"]))

    # --- handled requests (crawler.distributed.components calls these) -------------------------------------------

    def page_output(self, token: str, output: Any) -> None:
        """The callback of ``token``'s response yielded ``output`` (a text record is followed until written)."""
        if isinstance(output, TextRecord):
            self._records[id(output)] = token
            self._waiting_records[token] = self._waiting_records.get(token, 0) + 1

    def page_over(self, token: str) -> None:
        """The callback of ``token``'s response ended (or raised)."""
        if self._waiting_records.get(token):
            self._output_over.add(token)
        else:
            self.handled(token)

    def handled(self, token: str) -> None:
        """The crawl is done with ``token``."""
        if self._held is not None:
            self._held.append(token)
        else:
            self.durability.handled(token)

    def _release_held(self) -> None:
        """Count the requests handled while the spider parked pages, once it no longer does.

        While BlogSpider reads the REST listing, the pages it discovers are parked in memory (``crawler.listings``):
        a request handled then may have found a page that is in no frontier yet. Such requests count as handled
        only at the second file close after the listing is read (the parked pages are queued by then).
        """
        spider = getattr(self.crawler, "spider", None)
        listings = getattr(spider, "listings", None)
        if self._held is None or not (listings is None or listings.settled):
            return
        if not self._settled_seen:
            self._settled_seen = True
            return
        held, self._held = self._held, None
        for token in held:
            self.durability.handled(token)

    def _record_written(self, record: Any) -> None:
        self.durability.record_written()
        self._record_lost(record)

    def _record_lost(self, item: Any, *args: Any, **kwargs: Any) -> None:
        token = self._records.pop(id(item), None)
        if token is None:
            return
        self._waiting_records[token] -= 1
        if not self._waiting_records[token]:
            del self._waiting_records[token]
            if token in self._output_over:
                self._output_over.discard(token)
                self.handled(token)

    # --- files and the store ------------------------------------------------------------------------------------

    def _captured(self, *args: Any, **kwargs: Any) -> None:
        self.durability.captured()

    def _file_closed(self, path: Any, key: str) -> None:
        self._release_held()
        self.done += self.durability.file_closed(key)

    def _object_stored(self, obj: StoredObject, kind: str) -> None:
        self.done += self.durability.object_stored(obj.key)
        # for the run manifest of a worker that finishes the blog, should this one die
        self.stored[obj.key] = json.dumps({"size": obj.size, "sha256": obj.sha256, "kind": kind})
        self._mine.add(obj.key)

    async def _spider_closed(self, *args: Any, **kwargs: Any) -> None:
        """The run manifest (written next) lists what earlier holders of a blog taken over stored too."""
        self.closing = True
        if not self.resumed or self.crawler is None:
            return
        try:
            stored = await run_in_thread(self.client.hgetall, self.keys["stored"])
        except Exception as exc:  # Redis is away: the manifest lists this worker's files only
            logger.warning("Could not read what earlier holders of %s stored (%s)", self.keys.site, describe(exc))
            return
        for key, value in sorted(stored.items()):
            if key.decode() not in self._mine:
                entry = json.loads(value)
                obj = StoredObject(key.decode(), int(entry["size"]), entry["sha256"])
                announce_stored(self.crawler, obj, entry["kind"])

    def take_notes(self) -> tuple[FrontierKeys, list[str], dict[str, str]]:
        """What to write to Redis since the last call.

        The durable requests (they leave ``inflight``) and the objects stored (noted in ``stored``).
        """
        done, self.done = self.done, []
        stored, self.stored = self.stored, {}
        return self.keys, done, stored

    def outage(self, exc: BaseException) -> None:
        """A Redis call of this crawl failed: the worker says so once and marks every crawl offline."""
        self.online = False
        if self.on_outage is not None:
            self.on_outage(exc)
