"""Losses: every URL the crawl meant to archive (or read) and did not, named by kind, in one log line each.

Scrapy drops some failures silently (a decompression bomb, a redirect chain past ``REDIRECT_MAX_TIMES``, an
over-long URL: an ``IgnoreRequest`` nobody logs) and logs the others with a traceback of ~50 lines. Here each loss
is counted (stats ``lost/<kind>``), named with its URL in the run manifest (``lost``: ``RunManifest.note_lost``)
and logged once, as one WARNING line; where Scrapy already logs the failure in a line of its own (a response over
``DOWNLOAD_MAXSIZE``, a decompression bomb, retries given up) that line is the one. The kinds:

``bomb`` (decoded body over its size limit), ``oversize`` (body over its size limit, cancelled: ``DOWNLOAD_MAXSIZE``,
``ARCHIVE_MAX_PAGE_SIZE`` for pages),
``redirect_chain`` (more than ``REDIRECT_MAX_TIMES`` redirects), ``url_too_long`` (over ``URLLENGTH_LIMIT``),
``decode`` (a page whose bytes are not in the wide encoding it declares: archived, not parsed), ``unparsed`` (a page
over ``ARCHIVE_MAX_PARSE_SIZE``: archived, not parsed), ``internal`` and ``not_http`` (refused targets:
``crawler.targets``), ``dns``, ``timeout``,
``connection_refused``, ``dataloss``, ``tls``, ``connection`` and ``download_error`` (any other failure; its reason
names the exception).

The components replace Scrapy's own where those drop a loss silently (``Decompression``, ``Redirects``,
``MetaRefresh``, ``UrlLength``: same settings, same behaviour, plus the loss), and ``Losses`` (a downloader
middleware) names the failures of the download itself and keeps pages too large or undecodable from being parsed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware
from scrapy.utils.misc import load_object

from pipelines.runs.manifest import RunManifest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

SHOWN_URL = 200  # characters of a URL a log line shows (the manifest has the URL in full up to MANIFEST_URL)
MANIFEST_URL = 8192
# exception class names -> loss kind, first match in the exception's class hierarchy
KINDS_BY_EXCEPTION = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "CannotResolveHostError": "dns",
    "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "ResponseDataLossError": "dataloss",
    "SSLError": "tls",
    "Error": "tls",  # OpenSSL.SSL.Error
    "DownloadCancelledError": "oversize",  # Scrapy cancels a body only past DOWNLOAD_MAXSIZE
}
WIDE_ENCODINGS = ("utf-16", "utf_16", "utf-32", "utf_32", "utf16", "utf32")
BOMS = (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")


class DownloadLost(IgnoreRequest):
    """A request given up on and already counted, named and logged as a loss of ``kind``."""

    def __init__(self, kind: str, url: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind, self.url, self.reason = kind, url, reason


def shown(url: str) -> str:
    """``url`` as a log line shows it: cut after ``SHOWN_URL`` characters."""
    return url if len(url) <= SHOWN_URL else f"{url[:SHOWN_URL]}... ({len(url)} characters)"


def lose(crawler: Crawler, kind: str, url: str, reason: str, logged: bool = False) -> DownloadLost:
    """Count, name and log (unless Scrapy ``logged`` it already) the loss of ``url``; the exception to raise."""
    crawler.stats.inc_value(f"lost/{kind}")
    manifest = RunManifest.of(crawler)
    if manifest is not None:
        manifest.note_lost(kind, url if len(url) <= MANIFEST_URL else shown(url), reason)
    log = logger.debug if logged else logger.warning
    log("Lost %s (%s): %s", shown(url), kind, reason, extra={"spider": crawler.spider})
    return DownloadLost(kind, url, reason)


def loss_kind(exception: BaseException) -> str:
    """The loss kind of a download failure (``KINDS_BY_EXCEPTION``; ``connection`` for Twisted's other errors)."""
    for cls in type(exception).__mro__:
        if cls.__name__ in KINDS_BY_EXCEPTION and (cls.__name__ != "Error" or cls.__module__.startswith("OpenSSL")):
            return KINDS_BY_EXCEPTION[cls.__name__]
    module, name = type(exception).__module__, type(exception).__name__
    if module.startswith(("twisted.internet.error", "twisted.web._newclient")) or "Connection" in name:
        return "connection"
    return "download_error"


def reason_of(exception: BaseException) -> str:
    """One line about a failure: its class and message (Twisted's ``ResponseFailed`` names the reasons inside)."""
    inner = getattr(exception, "reasons", None)
    if inner:
        return "; ".join(reason_of(getattr(failure, "value", failure)) for failure in inner)
    text = " ".join(str(exception).split())
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


class Losses:
    """Downloader middleware: name the failures of downloads, and keep pages that must not be parsed from it.

    ``process_request`` gives pages their size limit, ``ARCHIVE_MAX_PAGE_SIZE`` (``download_maxsize``;
    requisites keep ``DOWNLOAD_MAXSIZE``). ``process_exception`` runs after ``RetryMiddleware`` gave up: the
    failure becomes a named loss and an ``IgnoreRequest``, which Scrapy drops without a traceback.
    ``process_response`` (after decompression and redirects) turns a page over ``ARCHIVE_MAX_PARSE_SIZE``, or
    one whose bytes are not in the UTF-16/32 its headers declare, into a plain ``Response``: the WARC holds it
    already, the spider reads no garbage from it.
    """

    def __init__(
        self, crawler: Crawler, max_parse_size: int, retried: tuple[type[BaseException], ...], max_page_size: int = 0
    ):
        self.crawler = crawler
        self.max_parse_size = max_parse_size
        self.max_page_size = max_page_size
        self.retried = retried

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Losses:
        settings = crawler.settings
        retried: tuple[type[BaseException], ...] = ()
        if settings.getbool("RETRY_ENABLED"):
            retried = tuple(load_object(x) if isinstance(x, str) else x for x in settings.getlist("RETRY_EXCEPTIONS"))
        max_page_size = settings.getint("ARCHIVE_MAX_PAGE_SIZE")
        return cls(crawler, settings.getint("ARCHIVE_MAX_PARSE_SIZE"), retried, max_page_size)

    def process_request(self, request: Request) -> None:
        # pages (not requisites: media may be large; not robots.txt: crawler.robots reads its first 500 KiB) are
        # held to ARCHIVE_MAX_PAGE_SIZE, compressed or decoded
        if self.max_page_size and not request.meta.get("requisite") and "robots_lookup" not in request.meta:
            request.meta.setdefault("download_maxsize", self.max_page_size)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return  # a refusal (robots.txt, offsite, a loss named already), not a failure
        kind = loss_kind(exception)
        # Scrapy logged it in a line already: "Gave up retrying" (what RetryMiddleware retries), or the cancel
        logged = kind == "oversize" or (isinstance(exception, self.retried) and not request.meta.get("dont_retry"))
        raise lose(self.crawler, kind, request.url, reason_of(exception), logged)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not parsed(request, response):
            return response
        if self.max_parse_size and len(response.body) > self.max_parse_size:
            reason = (
                f"archived; {len(response.body):,} bytes, over ARCHIVE_MAX_PARSE_SIZE ({self.max_parse_size:,}): "
                "not parsed, no links or text taken"
            )
        elif (mismatch := wide_encoding_mismatch(response)) is not None:
            reason = f"archived; {mismatch}: not parsed, no links or text taken"
        else:
            return response
        kind = "unparsed" if "ARCHIVE_MAX_PARSE_SIZE" in reason else "decode"
        lose(self.crawler, kind, response.url, reason)
        return Response(**{name: getattr(response, name) for name in Response.attributes})


def parsed(request: Request, response: TextResponse) -> bool:
    """Whether the spider parses this response: pages, and the stylesheets among requisites."""
    if not request.meta.get("requisite"):
        return True
    return b"css" in (response.headers.get(b"Content-Type") or b"").lower()


def wide_encoding_mismatch(response: TextResponse) -> str | None:
    """What is wrong when a page declares UTF-16 or UTF-32 but its bytes are not in it; None otherwise.

    Markup in UTF-16/32 starts with a byte-order mark or has NUL bytes in every ASCII character; bytes without
    either decode "successfully" into CJK-looking garbage, so the declaration, not the bytes, is wrong.
    """
    declared = (response.encoding or "").lower()
    if not declared.startswith(WIDE_ENCODINGS):
        return None
    head = response.body[:1024]
    if not head or head.startswith(BOMS) or b"\x00" in head:
        return None
    return f"declares {declared} but its bytes are ASCII-compatible (no byte-order mark, no NUL byte)"


class _NamesItsLoss:
    """Mixin: a Scrapy downloader middleware whose ``IgnoreRequest`` from ``process_response`` becomes a loss."""

    crawler: Crawler
    loss_kind = ""
    logged_by_scrapy = False

    def process_response(self, request: Request, response: Response) -> Any:
        try:
            return super().process_response(request, response)  # type: ignore[misc]
        except DownloadLost:
            raise
        except IgnoreRequest as exc:
            url, reason = request.url, str(exc)
            if self.loss_kind == "redirect_chain":  # named by the URL the blog gave, not by its 20th hop
                url = request.meta.get("redirect_urls", [url])[0]
                reason = f"{exc}: more than REDIRECT_MAX_TIMES redirects, the last to {shown(request.url)}"
            raise lose(self.crawler, self.loss_kind, url, reason, self.logged_by_scrapy) from None


class Decompression(_NamesItsLoss, HttpCompressionMiddleware):
    """Scrapy's ``HttpCompressionMiddleware``; a body that decodes past ``DOWNLOAD_MAXSIZE`` is a ``bomb``."""

    loss_kind, logged_by_scrapy = "bomb", True

    def __init__(self, stats: Any = None, *, crawler: Crawler | None = None):
        super().__init__(stats, crawler=crawler)
        if crawler is not None:
            self.crawler = crawler


class Redirects(_NamesItsLoss, RedirectMiddleware):
    """Scrapy's ``RedirectMiddleware``; a chain past ``REDIRECT_MAX_TIMES`` is a ``redirect_chain`` loss."""

    loss_kind = "redirect_chain"


class MetaRefresh(_NamesItsLoss, MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``; a chain past ``REDIRECT_MAX_TIMES`` is a ``redirect_chain`` loss.

    A page whose first 4,096 characters (all Scrapy scans) never say ``refresh`` goes on unscanned: w3lib finds a
    refresh only in a ``<meta>`` whose attributes say it, in any case, and Scrapy's look for a ``<base>`` first and
    the scan of the tags cost ~2% of the crawl's thread on pages that have none.
    """

    loss_kind = "redirect_chain"

    def process_response(self, request: Request, response: Response) -> Any:
        if isinstance(response, HtmlResponse) and "refresh" not in response.text[:4096].lower():
            return response
        return super().process_response(request, response)


class UrlLength(UrlLengthMiddleware):
    """Scrapy's ``UrlLengthMiddleware`` (spider side); each URL over ``URLLENGTH_LIMIT`` is a ``url_too_long`` loss.

    Requests that do not come from a callback (redirects, robots.txt) are checked by ``crawler.safety``.
    """

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if len(request.url) <= self.maxlength:
            return request
        self.crawler.stats.inc_value("urllength/request_ignored_count")
        lose(self.crawler, "url_too_long", request.url, f"{len(request.url)} characters, over URLLENGTH_LIMIT")
        return None
