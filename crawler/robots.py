"""robots.txt as RFC 9309 says, on Scrapy's ``RobotsTxtMiddleware`` (its parser, Protego, does the matching).

What Scrapy's middleware does by itself, and what this subclass changes (RFC 9309 section 2.3.1):

* a ``2xx`` answer: its rules. Only the first ``ARCHIVE_ROBOTS_MAX_SIZE`` bytes (500 KiB, the least RFC 9309 2.5
  lets a crawler read) are downloaded and parsed: the download stops there (``StopDownload`` on
  ``bytes_received``), so a 50 MB robots.txt costs 500 KiB and a parse of 500 KiB. Scrapy downloads and parses
  the whole file;
* a ``4xx`` answer ("unavailable"): no rules, everything allowed. Scrapy parses the error page as rules (mostly
  the same outcome, by chance);
* a ``5xx`` answer, or no answer at all ("unreachable": timeout, connection refused, DNS or TLS failure, a
  decompression bomb): **everything disallowed** on that host for the run. Scrapy allows everything;
* the look-up has its own timeout, ``ARCHIVE_ROBOTS_TIMEOUT`` (10 s), and one retry, so a robots.txt that never
  answers holds its host's requests for about 20 s, not ``DOWNLOAD_TIMEOUT`` x (``RETRY_TIMES`` + 1) = 180 s;
* redirects are followed as for any request (``REDIRECT_MAX_TIMES``; RFC 9309 asks for at least five); a chain
  longer than that, or one that leads to a target ``crawler.targets`` refuses, counts as unavailable.

What robots.txt disallows is counted (``robotstxt/forbidden``, the manifest's ``counts.robots_forbidden``), not
named URL by URL: a policy, not a loss. Each host whose robots.txt was not plain rules is named in the run
manifest's ``robots`` (``RunManifest.note_robots``); stats ``robotstxt/unreachable`` and ``robotstxt/truncated``
count them. A failed look-up is logged in one line (its loss, ``crawler.losses``), never with a traceback.
``robots_rules`` is the decision on its own (``--explain`` uses it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.losses import DownloadLost
from pipelines.runs.manifest import RunManifest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
# losses of a look-up that mean "we could not get it" rather than "the host does not answer": unavailable
UNAVAILABLE_LOSSES = frozenset({"redirect_chain", "internal", "not_http", "url_too_long"})


def robots_rules(status: int, body: bytes, max_size: int, complete: bool = True) -> tuple[bytes, str]:
    """The robots.txt rules an answer gives (RFC 9309 2.3.1), and what they are in words.

    Args:
        status: the HTTP status of the (last) answer.
        body: its body, decoded from its content coding.
        max_size: how many bytes of rules are read (the rest, and a line cut by it, are ignored).
        complete: False when the download stopped before the end of the file.
    """
    if 200 <= status < 300:
        if complete and len(body) <= max_size:
            return body, "rules"
        kept = body[:max_size]
        kept = kept[: kept.rfind(b"\n") + 1]
        return kept, f"rules from its first {len(kept):,} bytes (the rest is not read)"
    if 300 <= status < 500:
        return b"", f"unavailable (HTTP {status}): everything allowed"
    return DISALLOW_ALL, f"unreachable (HTTP {status}): everything disallowed"


def _pass_to(result: Any, waiter: Deferred[Any]) -> Any:
    """Fire ``waiter`` with ``result`` and keep ``result`` for the Deferred's next callback."""
    waiter.callback(result)
    return result


def is_robots_lookup(request: Request) -> bool:
    """Whether ``request`` is the robots.txt look-up ``RobotsTxtMiddleware`` makes for a host."""
    return bool(
        request.meta.get("dont_obey_robotstxt")
        and request.callback is NO_CALLBACK
        and urlparse_cached(request).path == "/robots.txt"
    )


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with RFC 9309's statuses, a size limit and a short timeout (module docs)."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.max_size = settings.getint("ARCHIVE_ROBOTS_MAX_SIZE")
        self.timeout = settings.getfloat("ARCHIVE_ROBOTS_TIMEOUT")
        # one retry at most, to learn the policy quickly; none when the crawl retries nothing (RETRY_TIMES=0)
        self.retries = min(1, settings.getint("RETRY_TIMES")) if settings.getbool("RETRY_ENABLED") else 0
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if is_robots_lookup(request):
            request.meta.setdefault("download_timeout", self.timeout)
            request.meta.setdefault("max_retry_times", self.retries)
            request.meta["robots_lookup"] = 0  # bytes received so far (bytes_received)
            return
        await super().process_request(request)

    async def robot_parser(self, request: Request) -> Any:
        """The host's parser; a request that comes while the look-up runs waits for it with a Deferred of its own.

        Scrapy 2.19 awaits the host's one pending Deferred with ``maybe_deferred_to_future``, which consumes its
        result (``Deferred.asFuture``): every request after the first that waited got ``None``, "no robots.txt",
        and went out whatever robots.txt said (the seed's ``/sitemap.xml`` on a host that disallows everything).
        """
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        mine: Deferred[Any] = Deferred()
        pending.addBoth(_pass_to, mine)
        return await maybe_deferred_to_future(mine)

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        """Stop a robots.txt download once it has more than ``max_size`` bytes (keeping what it has)."""
        if "robots_lookup" not in request.meta:
            return
        request.meta["robots_lookup"] += len(data)
        if self.max_size and request.meta["robots_lookup"] > self.max_size:
            raise StopDownload(fail=False)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        complete = "download_stopped" not in response.flags
        body, policy = robots_rules(response.status, response.body, self.max_size, complete)
        if policy != "rules":
            self._note(response.url, policy)
            if body == DISALLOW_ALL:
                self._stats.inc_value("robotstxt/unreachable")
            elif body:
                self._stats.inc_value("robotstxt/truncated")
        await super()._parse_robots(response.replace(body=body), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        refused = isinstance(exc, IgnoreRequest) and not isinstance(exc, DownloadLost)  # offsite: never asked
        if refused or (isinstance(exc, DownloadLost) and exc.kind in UNAVAILABLE_LOSSES):
            if not refused:
                self._note(exc.url, f"unavailable ({exc.kind}): everything allowed")
            super()._robots_error(exc, netloc)
            return
        kind = exc.kind if isinstance(exc, DownloadLost) else type(exc).__name__
        where = exc.url if isinstance(exc, DownloadLost) else f"{netloc}/robots.txt"
        self._note(where, f"unreachable ({kind}): everything disallowed")
        self._stats.inc_value("robotstxt/unreachable")
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        waiting.callback(parser)  # type: ignore[union-attr]

    def _note(self, where: str, policy: str) -> None:
        logger.info("robots.txt %s: %s", where, policy, extra={"spider": self.crawler.spider})
        manifest = RunManifest.of(self.crawler)
        if manifest is not None:
            manifest.note_robots(where, policy)
