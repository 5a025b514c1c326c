"""BlogSpider: crawl one blog completely and politely, archive every exchange, yield a record per post and page.

``scrapy crawl blog -a url=https://blog.example.org`` (or ``blogarc crawl URL``). One spider run covers one site
(host), so stats, WARC files, text batches and the run manifest are per site; the CLI runs one crawler per blog.

Discovery merges every source a blog offers, each optional: sitemaps (``Sitemap:`` lines of robots.txt,
``/wp-sitemap.xml``, ``/sitemap.xml`` and their children, through Scrapy's SitemapSpider), RSS/Atom feeds the pages
announce, the WordPress REST API the pages announce (``/wp-json/`` or ``?rest_route=``), and the links a reader can
follow. Every candidate URL goes through one cheap admission step (canonical form, already seen, scope, trap rules,
limits) before a Request is built: building ~100 mostly duplicate Requests a page is where a naive crawler spends
its CPU. Pages are classified from their own markup (``crawler.wordpress.page_kind``); only posts and pages become
text records, a post split with ``<!--nextpage-->`` becomes one record. Page requisites (stylesheets, scripts,
images, fonts) are archived for replay and never extracted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse
from scrapy.spiders import SitemapSpider
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler import discovery
from crawler.items import TextRecord
from crawler.wordpress import (
    TEXT_KINDS,
    ScopeRules,
    classify_page,
    rest_listing_url,
    same_site_hosts,
)
from pipelines.extract.core import Extracted, extract_post
from pipelines.extract.pool import ExtractionPool, default_workers, extract_body
from pipelines.layout import check_run_id, new_run_id, site_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from pipelines.runs.state import CrawlState

logger = logging.getLogger(__name__)

TEXT_FEED = "store:text/%(site)s/%(run_id)s/part-%(batch_id)05d.jsonl.gz"
TEXT_PARQUET_FEED = "store:text/%(site)s/%(run_id)s/part-%(batch_id)05d.parquet"
WELL_KNOWN_SITEMAPS = ("/wp-sitemap.xml", "/sitemap.xml")
REST_ROUTES = ("posts", "pages")
# A listed date must be this much older than our last capture to skip a fetch: the blog's clock is not ours, and
# lastmod has whole seconds (an edit right after a capture must not hide behind it). Costs a 304 at most.
LASTMOD_SLACK = timedelta(minutes=5)


class BlogSpider(SitemapSpider):
    """Crawl one blog from all its discovery sources; see the module docstring."""

    name = "blog"
    sitemap_rules = [("", "parse")]
    # Options, read from settings in ``configure``; these defaults hold for a spider built without a crawler.
    extract = True
    favor_precision = False
    max_pages = 0
    since: datetime | None = None
    requisites = True
    follow_links = True
    use_sitemaps = True
    use_rest = True
    rest_per_page = 100
    pool: ExtractionPool | None = None

    def __init__(
        self, url: str | None = None, run_id: str | None = None, overrides: dict[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.overrides = overrides or {}
        if not url:
            raise ValueError("BlogSpider needs the blog's URL: scrapy crawl blog -a url=https://blog.example.org")
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not a web URL: {url!r}")
        self.rules = ScopeRules.build()
        self.start_url = self.rules.canonical(url)
        self.site = site_key(url)
        self.hosts = same_site_hosts(url)
        self.allowed_domains = sorted({h.split(":")[0] for h in self.hosts})
        self.run_id = check_run_id(run_id) if run_id else ""
        self.seen: set[str] = set()
        self.hrefs_decided: set[str] = set()
        self.recorded: set[str] = set()
        self.known_dates: dict[str, datetime] = {}
        self.rest_root: str | None = None
        self.pages_admitted = 0
        self.crawl_state: CrawlState | None = None  # set by pipelines.runs.incremental when the run opens
        self.gone: list[str] = []
        self.swept = False

    def configure(self, settings: Any) -> None:
        """Read the crawl's options from Scrapy settings."""
        self.extract = settings.getbool("EXTRACT_ENABLED")
        self.favor_precision = settings.getbool("TRAFILATURA_FAVOR_PRECISION")
        self.max_pages = settings.getint("ARCHIVE_MAX_PAGES")
        self.since = discovery.parse_date(settings.get("ARCHIVE_SINCE") or None)
        if settings.get("ARCHIVE_SINCE") and self.since is None:
            raise ValueError(f"ARCHIVE_SINCE is not an ISO 8601 date: {settings.get('ARCHIVE_SINCE')!r}")
        self.requisites = settings.getbool("ARCHIVE_REQUISITES")
        self.follow_links = settings.getbool("ARCHIVE_FOLLOW_LINKS")
        self.use_sitemaps = settings.getbool("WORDPRESS_SITEMAPS")
        self.use_rest = settings.getbool("WORDPRESS_REST")
        self.rest_per_page = settings.getint("WORDPRESS_REST_PER_PAGE")
        self.rules = ScopeRules.build(
            settings.getdict("WORDPRESS_DENY_RULES"),
            settings.get("WORDPRESS_TRACKING_PARAMS") or None,
            settings.getlist("WORDPRESS_ASSET_HOSTS") or None,
        )
        self.start_url = self.rules.canonical(self.start_url)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        for name, value in spider.overrides.items():  # per-site settings (sites file); not frozen yet
            settings.set(name, value, priority="cmdline")
        spider.configure(settings)
        spider.run_id = spider.run_id or check_run_id(settings.get("ARCHIVE_RUN_ID") or new_run_id())
        workers = settings.getint("EXTRACT_WORKERS", -1)
        workers = default_workers() if workers < 0 else workers
        memory = settings.getint("EXTRACT_WORKER_MAX_MEMORY")
        spider.pool = ExtractionPool(workers, memory) if spider.extract and workers > 0 else None
        if spider.extract and not settings.getdict("FEEDS"):
            # Settings are not frozen until extensions are built, which happens after the spider exists.
            settings.set("FEEDS", text_feeds(settings), priority="spider")
        crawler.signals.connect(spider.robots_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(spider.sweep_known, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if home := self.admit(self.start_url, "start"):
            home.meta["hub"] = True  # read in full every run: new posts show up here first
            yield home
        if not self.use_sitemaps:
            return
        base = self.start_url.split("/", 3)[:3]
        if not self.settings.getbool("ROBOTSTXT_OBEY"):  # otherwise the robots middleware fetches it for us
            yield Request("/".join(base) + "/robots.txt", callback=self._parse_sitemap)
        for path in WELL_KNOWN_SITEMAPS:
            if request := self.admit("/".join(base) + path, "sitemap", callback=self._parse_sitemap):
                yield request

    # --- admission: the one place that decides whether a URL is fetched -------------------------------------

    def admit(self, url: str, source: str, callback: Any = None, requisite: bool = False) -> Request | None:
        """A Request for ``url`` if it is new, in scope, not a trap and within limits; None otherwise."""
        stats = self.crawler.stats
        if not url.startswith(("http://", "https://")):
            return None
        url = self.rules.canonical(url)
        if url in self.seen:
            return None
        self.seen.add(url)
        reason = self.refusal(url, requisite)
        if reason is not None:
            stats.inc_value(f"links/refused/{reason}")
            return None
        stats.inc_value(f"links/discovered/{source}")
        if requisite:
            if self.crawl_state is not None and self.crawl_state.skip_by_date and url in self.crawl_state.previous:
                # stylesheets, scripts and images change their URL (?ver=) when they change: archived once is
                # enough until the next revalidation run
                stats.inc_value("incremental/skipped_requisite")
                return None
            return Request(url, callback=self.parse_requisite, meta={"allow_offsite": True}, priority=-1)
        if callback in (None, self.parse) and self.unchanged_since_capture(url):
            stats.inc_value("incremental/skipped_by_date")
            return None
        self.pages_admitted += 1
        # sitemaps are hubs: their lastmod dates are what lets an incremental run skip unchanged posts
        return Request(url, callback=callback or self.parse, meta={"hub": callback == self._parse_sitemap})

    def unchanged_since_capture(self, url: str) -> bool:
        """Whether a sitemap lastmod or REST modified_gmt says ``url`` did not change since its last capture."""
        state = self.crawl_state
        if state is None or not state.skip_by_date or url == self.start_url:
            return False
        listed, prior = self.known_dates.get(url), state.previous.get(url)
        if listed is None or prior is None:
            return False
        captured = discovery.parse_date(prior.last_seen)
        return captured is not None and listed < captured - LASTMOD_SLACK

    def take_page(self) -> bool:
        """Use one page of the ``--max-pages`` budget; False (and counted) when none is left."""
        if self.max_pages and self.pages_admitted >= self.max_pages:
            self.crawler.stats.inc_value("links/refused/max-pages")
            return False
        self.pages_admitted += 1
        return True

    def refusal(self, url: str, requisite: bool = False) -> str | None:
        """Why ``url`` is not fetched (a rule name, ``offsite``, ``max-pages``, ``since``), or None."""
        on_site = urlsplit(url).netloc in self.hosts
        if not on_site and not (requisite and self.rules.is_asset_host(url)):
            return "offsite"
        reason = self.rules.refusal(url)
        if reason is not None:
            return reason
        if requisite:
            return None
        if self.max_pages and self.pages_admitted >= self.max_pages:
            return "max-pages"
        known = self.known_dates.get(url)
        if self.since and known and known < self.since:
            return "since"
        return None

    def follow(self, base: str, hrefs: Iterable[str], source: str, requisite: bool = False) -> Iterator[Request]:
        """Requests for the admitted URLs among ``hrefs`` (relative to ``base``).

        Most links of a page repeat the ones of every other page (menus, sidebars), so an href already decided is
        dropped before it is resolved and canonicalised, which is where admission spends its time.
        """
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        hrefs = list(hrefs)
        self.crawler.stats.inc_value(f"links/listed/{source}", len(hrefs))
        for href in hrefs:
            href = href.strip()
            if href.startswith(("http://", "https://")):
                key = href
            elif href.startswith("//"):
                key = f"{parts.scheme}:{href}"
            elif href.startswith("/"):
                key = origin + href
            else:
                key = f"{base} {href}"
            if key in self.hrefs_decided:
                continue
            self.hrefs_decided.add(key)
            request = self.admit(urljoin(base, href), source, requisite=requisite)
            if request is not None:
                yield request

    # --- sources ------------------------------------------------------------------------------------------------

    def robots_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        """Schedule the sitemaps robots.txt lists (the robots middleware fetched it; no second request)."""
        if spider is not self or not self.use_sitemaps or urlsplit(request.url).path != "/robots.txt":
            return
        if urlsplit(request.url).netloc not in self.hosts or response.status != 200:
            return
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if sitemap := self.admit(url, "sitemap", callback=self._parse_sitemap):
                self.crawler.engine.crawl(sitemap)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """SitemapSpider's parsing, with every URL through admission (scope, traps, de-duplication)."""
        if response.status >= 400:
            self.crawler.stats.inc_value(f"pages/http_{response.status}")
            return
        self.crawler.stats.inc_value("pages/sitemap")
        for request in super()._parse_sitemap(response):
            self.crawler.stats.inc_value("links/listed/sitemap")
            callback = request.callback if request.callback == self._parse_sitemap else self.parse
            admitted = self.admit(request.url, "sitemap", callback=callback)
            if admitted is not None:
                yield admitted

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Remember each entry's ``lastmod``; with ``--since``, drop entries not modified since."""
        for entry in entries:
            lastmod = discovery.parse_date(entry.get("lastmod"))
            if lastmod is not None:
                self.known_dates[self.rules.canonical(entry["loc"])] = lastmod
            if self.since and lastmod and lastmod < self.since:
                self.crawler.stats.inc_value("links/refused/since")
                continue
            yield entry

    def rest_requests(self, api_root: str) -> Iterator[Request]:
        """First listing page of posts and pages from the REST API root a page announced."""
        if not self.use_rest or self.rest_root is not None:
            return
        self.rest_root = api_root
        since = self.since.strftime("%Y-%m-%dT%H:%M:%S") if self.since else None
        for route in REST_ROUTES:
            url = rest_listing_url(api_root, route, 1, self.rest_per_page, since)
            if self.take_page():
                yield Request(url, callback=self.parse_rest, meta={"rest_route": route, "rest_page": 1, "hub": True})

    def parse_rest(self, response: Response) -> Iterator[Request]:
        """Follow each entry's ``link``; request the next listing page while there is one."""
        stats = self.crawler.stats
        entries = discovery.rest_entries(response.text) if isinstance(response, TextResponse) else None
        if response.status != 200 or entries is None:
            stats.inc_value("rest/unavailable")
            return
        stats.inc_value("pages/rest")
        for entry in entries:
            modified = discovery.parse_date(entry.get("modified_gmt"))
            link = entry.get("link")
            if not isinstance(link, str):
                continue
            if modified is not None:
                self.known_dates[self.rules.canonical(link)] = modified
            yield from self.follow(response.url, [link], "rest")
        page, route = response.meta["rest_page"], response.meta["rest_route"]
        total = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if entries and page < total and self.take_page():
            since = self.since.strftime("%Y-%m-%dT%H:%M:%S") if self.since else None
            url = rest_listing_url(self.rest_root or "", route, page + 1, self.rest_per_page, since)
            meta = {"rest_route": route, "rest_page": page + 1, "hub": True}
            yield Request(url, callback=self.parse_rest, meta=meta)

    # --- pages --------------------------------------------------------------------------------------------------

    async def parse(self, response: Response) -> AsyncIterator[Request | TextRecord]:
        """Follow what any page links to; yield a text record when the page is a post or a page."""
        stats = self.crawler.stats
        if response.status == 304:  # unchanged: archived as a revisit; its links were followed when it changed
            stats.inc_value("incremental/not_modified")
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("pages/not_text")
            return
        if response.status >= 400:
            stats.inc_value(f"pages/http_{response.status}")
            if response.status in (404, 410):
                self.note_gone(response.url)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if any(t in content_type for t in ("rss", "atom", "/xml")):
            stats.inc_value("pages/feed")
            for link, updated in discovery.feed_updated(response.selector.root).items():
                if (when := discovery.parse_date(updated)) is not None:
                    self.known_dates[self.rules.canonical(urljoin(response.url, link))] = when
            for request in self.follow(response.url, discovery.feed_links(response.selector.root), "feed"):
                yield request
            return
        tree = response.selector.root
        for request in self.page_requests(response, tree):
            yield request
        kind = classify_page(tree, response.url)
        stats.inc_value(f"pages/{kind}")
        if kind in TEXT_KINDS and response.meta.get("warc_revisit"):
            stats.inc_value("incremental/unchanged")  # same payload as archived: same text, no new record
            return
        if not self.extract:
            return
        # Every HTML page is counted once under extract/*, with the keys `blogarc extract` uses
        if not len(tree):  # an empty body: Scrapy parses it as a bare <html/>, there is nothing to classify
            stats.inc_value("extract/empty")
        elif kind not in TEXT_KINDS:
            stats.inc_value(f"extract/skipped/{kind}")
        elif (record := await self.text_record(response, kind)) is not None:
            yield record

    def page_requests(self, response: TextResponse, tree: Any) -> Iterator[Request]:
        """Links, requisites and the REST API of an HTML page, through admission."""
        canonical = discovery.canonical_link(tree)
        if canonical:
            self.seen.add(self.rules.canonical(urljoin(response.url, canonical)))
        if self.follow_links:
            yield from self.follow(response.url, discovery.page_links(tree), "links")
        if self.requisites:
            yield from self.follow(response.url, discovery.requisites(tree), "requisite", requisite=True)
        if self.rest_root is None and self.use_rest:
            link_header = response.headers.get(b"Link", b"").decode("latin-1")
            root = discovery.rest_root(tree, link_header)
            if root and urlsplit(urljoin(response.url, root)).netloc in self.hosts:
                yield from self.rest_requests(urljoin(response.url, root))

    def parse_requisite(self, response: Response) -> Iterator[Request]:
        """Archive-only responses; a stylesheet's own requisites (fonts, images, imports) are followed."""
        self.crawler.stats.inc_value("pages/requisite")
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if response.status < 400 and "css" in content_type and isinstance(response, TextResponse):
            yield from self.follow(response.url, discovery.css_urls(response.text), "requisite", requisite=True)

    async def text_record(self, response: TextResponse, kind: str) -> TextRecord | None:
        """The record of a post or page: its text (all parts of a split post), metadata and WARC pointer."""
        stats = self.crawler.stats
        canonical = self.rules.canonical(urljoin(response.url, discovery.canonical_link(response.selector.root) or ""))
        if canonical in self.recorded:
            stats.inc_value("pages/duplicate")
            return None
        part, others = discovery.post_parts(response.selector.root)
        if part is not None and part != 1:
            stats.inc_value("pages/post_part")  # recorded with part 1
            return None
        extracted = await self.extract_page(response)
        if extracted is None:
            return None
        if others:
            extracted = await self.join_parts(response, extracted, others)
        if self.since and _older_than(extracted, self.since):
            stats.inc_value("extract/older_than_since")
            return None
        change = self.change_of(response.url, extracted.text_sha256)
        if change == "unchanged" and self.crawl_state is not None and self.crawl_state.conditional:
            stats.inc_value("incremental/unchanged")  # new bytes (a nonce, a date), same text: no new record
            return None
        self.recorded.add(canonical)
        stats.inc_value("extract/ok")
        stats.inc_value(f"extract/{kind}")
        stats.inc_value(f"incremental/{change}")
        if self.crawl_state is not None:
            self.crawl_state.set_text(response.url, extracted.text_sha256)
        return TextRecord.from_page(
            extracted, response, site=self.site, kind=kind, run_id=self.run_id, canonical=canonical, change=change
        )

    def change_of(self, url: str, text_sha256: str) -> str:
        """``new``, ``changed`` or ``unchanged``: the text of ``url`` against the last record the state knows."""
        prior = self.crawl_state.previous.get(url) if self.crawl_state is not None else None
        if prior is None or prior.text_sha256 is None:
            return "new"
        return "unchanged" if prior.text_sha256 == text_sha256 else "changed"

    def note_gone(self, url: str) -> None:
        """A post or page with a record in an earlier run now answers 404/410: list it (run manifest ``gone``)."""
        prior = self.crawl_state.previous.get(url) if self.crawl_state is not None else None
        if prior is not None and prior.text_sha256 is not None and url not in self.gone:
            self.crawl_state.mark_gone(url)
            self.gone.append(url)
            self.crawler.stats.inc_value("incremental/gone")

    def sweep_known(self) -> None:
        """When discovery is done, ask once for the posts and pages of earlier runs it did not reach.

        Unchanged hubs answer 304 and are not parsed, and a deleted post is no longer linked: this is how both
        are still revalidated (a 304 each, or the 404 that lists a post as gone).
        """
        state = self.crawl_state
        if self.swept or state is None or not state.previous:
            return
        self.swept = True
        requests = [
            request
            for url, prior in sorted(state.previous.items())
            if prior.text_sha256 is not None and (request := self.admit(url, "state")) is not None
        ]
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    async def join_parts(self, first: TextResponse, extracted: Extracted, others: list[str]) -> Extracted:
        """Fetch the other parts of a split post (archived like any exchange) and append their text."""
        texts = [extracted.text]
        for href in others:
            url = self.rules.canonical(urljoin(first.url, href))
            if url == self.rules.canonical(first.url) or urlsplit(url).netloc not in self.hosts:
                continue
            self.seen.add(url)
            # never conditional: a 304 here would leave the joined text short of a part
            response = await self.crawler.engine.download_async(Request(url, meta={"hub": True}))
            part = await self.extract_page(response) if isinstance(response, TextResponse) else None
            if part is not None:
                texts.append(part.text)
        extracted.text = "\n\n".join(texts)
        return extracted

    async def extract_page(self, response: TextResponse) -> Extracted | None:
        """Extract one page (in a worker process when there is a pool); count failures and empty pages."""
        stats = self.crawler.stats
        try:
            if self.pool is None and not _decodes(response):
                # a charset that does not fit the bytes (Latin-1 served as UTF-8): Scrapy's tree is full of U+FFFD;
                # decode as the workers and `blogarc extract` do
                extracted = extract_body(response.body, response.encoding, response.url, self.favor_precision)
            elif self.pool is None:  # in-process: reuse Scrapy's parsed tree
                extracted = extract_post(response.selector.root, response.url, self.favor_precision)
            else:
                extracted = await self.pool.extract(
                    response.body, response.encoding, response.url, self.favor_precision
                )
        except Exception as exc:  # noqa: BLE001 - hostile markup must cost one page, never the crawl
            stats.inc_value("extract/failed")
            logger.warning("Extraction failed on %s: %r", response.url, exc)
            return None
        if extracted is None:
            stats.inc_value("extract/empty")
        return extracted

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            if self.pool.restarts:  # not under extract/*, where each page is counted once
                self.crawler.stats.set_value("extract_workers/restarts", self.pool.restarts)
            self.pool.shutdown()


def text_feeds(settings: Any) -> dict[str, dict[str, Any]]:
    """Scrapy FEEDS for the clean-text batches: gzipped JSON Lines, and their Parquet twins (``TEXT_PARQUET``).

    Both feeds count the same items in the same batches, so ``part-00003.jsonl.gz`` and ``part-00003.parquet``
    hold the same records.
    """
    batch = {
        "batch_item_count": settings.getint("TEXT_BATCH_ITEMS"),
        "store_empty": False,
        "item_classes": [TextRecord],
    }
    feeds = {
        TEXT_FEED: {
            "format": "jsonlines",
            "encoding": "utf-8",
            "postprocessing": ["scrapy.extensions.postprocessing.GzipPlugin"],
            **batch,
        }
    }
    if settings.getbool("TEXT_PARQUET"):
        feeds[TEXT_PARQUET_FEED] = {"format": "parquet", **batch}
    return feeds


def _decodes(response: TextResponse) -> bool:
    """Whether the body is valid in the encoding Scrapy chose: Scrapy replaces what is not with U+FFFD, silently.

    Reads the text Scrapy already decoded (and parsed) instead of decoding the body again; a page that really holds
    U+FFFD only takes the slower path, with the same result.
    """
    return "\ufffd" not in response.text


def _older_than(extracted: Extracted, since: datetime) -> bool:
    when = discovery.parse_date(extracted.modified) or discovery.parse_date(extracted.published)
    return when is not None and when < since
