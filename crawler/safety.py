"""``TargetGuard``: no request leaves for an internal target or with an over-long URL (a downloader middleware).

It runs before the robots.txt middleware, so a refused host is never asked for its robots.txt either, and it sees
every request the downloader gets: pages, requisites, each hop of a redirect (Scrapy schedules each as a new
request) and robots.txt look-ups. The rule is ``crawler.targets.TargetPolicy``'s, built from the spider's seed
(``start_url``, ``url`` or ``start_urls[0]``) and ``ARCHIVE_ALLOW_PRIVATE``. A host name other than the seed's is
resolved first, by the resolver Scrapy installed on the reactor (``DNS_RESOLVER``, caching): with its cache on
(``DNSCACHE_ENABLED``, the default) the address checked is the address the download then connects to. A name that
does not resolve is refused as ``dns`` without a retry. Each refusal is a named loss (``crawler.losses``):
``internal``, ``not_http``, ``dns``, ``url_too_long``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import TimeoutError as DeferredTimeout
from twisted.internet.error import DNSLookupError

from crawler.losses import lose, shown
from crawler.targets import UNRESOLVED, Refusal, TargetPolicy, literal_address

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


def seed_of(spider: Any) -> str:
    """The seed URL of a spider: BlogSpider's ``start_url``, else ``url``, else its first ``start_urls``."""
    for name in ("start_url", "url"):
        if isinstance(value := getattr(spider, name, None), str) and value:
            return value
    return next(iter(getattr(spider, "start_urls", None) or ()), "")


class TargetGuard:
    """Refuse, before any connection, a request ``crawler.targets`` refuses or whose URL is over-long."""

    def __init__(self, crawler: Crawler, allow_private: bool, max_url_length: int):
        self.crawler = crawler
        self.allow_private = allow_private
        self.max_url_length = max_url_length
        self.policy: TargetPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetGuard:
        settings = crawler.settings
        return cls(crawler, settings.getbool("ARCHIVE_ALLOW_PRIVATE"), settings.getint("URLLENGTH_LIMIT"))

    async def process_request(self, request: Request) -> None:
        url = request.url
        if self.max_url_length and len(url) > self.max_url_length:
            origin = request.meta.get("redirect_urls")
            where = f" (redirected from {shown(origin[0])})" if origin else ""
            raise lose(self.crawler, "url_too_long", url, f"{len(url)} characters, over URLLENGTH_LIMIT{where}")
        policy = await self._policy()
        host = policy.needs_lookup(url)
        if host is None:
            refusal = policy.refusal(url)
        else:
            try:
                refusal = policy.refusal(url, [await self._resolve(host)])
            except (DNSLookupError, DeferredTimeout, OSError) as exc:  # what it would connect to is unknown
                refusal = Refusal(UNRESOLVED, f"{host} does not resolve ({type(exc).__name__}: {exc})")
        if refusal is not None:
            origin = request.meta.get("redirect_urls")
            detail = f"{refusal.detail} (redirected from {shown(origin[0])})" if origin else refusal.detail
            raise lose(self.crawler, refusal.kind, url, detail)

    async def _policy(self) -> TargetPolicy:
        """The crawl's policy, made on the first request (the seed's host name resolved once, if it is one)."""
        if self.policy is None:
            seed = seed_of(self.crawler.spider)
            host = (urlsplit(seed).hostname or "").lower()
            addresses: list[str] = []
            if host and literal_address(host) is None and not self.allow_private:
                try:
                    addresses = [await self._resolve(host)]
                except (DNSLookupError, DeferredTimeout, OSError):  # the crawl reports it (unreachable)
                    addresses = []
            self.policy = TargetPolicy.for_seed(seed, lambda _: addresses, self.allow_private)
        return self.policy

    async def _resolve(self, host: str) -> str:
        from twisted.internet import reactor  # the reactor Scrapy installed, with its resolver

        return await maybe_deferred_to_future(reactor.resolve(host))
