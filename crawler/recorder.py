"""The recorder: a post or page of the crawl -> its clean-text record (parts, change, since).

A post split with ``<!--nextpage-->`` becomes one record: part 1 fetches the other parts (archived like any
exchange) and joins their text in part order; the other parts are archived only. On WordPress, the REST listing's
dates and author (``crawler.listings``) are WordPress's own and win over what a theme prints. A password-protected
post is a record with ``protected`` set and no text; a private post (seen through a logged-in session) is no record.
A page whose declared canonical URL was recorded already is a duplicate. ``--since`` drops posts whose own dates are
older. In an incremental run a page whose text did not change since the last record writes none. Extraction runs in
the shared worker pool (or in this process, on the page's lxml tree, when there is none); a page that fails costs one
counted page, never the crawl. A page whose WARC records the disk refused (the crawl is stopping) gets no record
(``pages/unarchived``): a text record always points at its capture.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse

from crawler import discovery
from crawler.admission import KEY
from crawler.keyset import KeySet
from crawler.wordpress import MAX_POST_PARTS
from pipelines.extract.options import ExtractOptions
from pipelines.extract.pool import extract_body
from pipelines.text.record import TextRecord

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.admission import Admission
    from crawler.lexborpage import LexborPage
    from crawler.listings import Listings
    from crawler.pagetree import TreePage
    from pipelines.extract.core import Extracted
    from pipelines.extract.pool import ExtractionPool
    from pipelines.runs.incremental import Incremental
    from pipelines.warc.files import RecordLocation

logger = logging.getLogger(__name__)


class Recorder:
    """Turn one site's posts and pages into text records."""

    def __init__(self, crawler: Crawler, admission: Admission, site: str, run_id: str, **options: Any):
        self.crawler = crawler
        self.admission = admission
        self.site = site
        self.run_id = run_id
        self.extract_options: ExtractOptions = options.get("extract_options") or ExtractOptions()
        self.pool: ExtractionPool | None = options.get("pool")
        self.incremental: Incremental | None = options.get("incremental")
        self.listings: Listings | None = options.get("listings")
        self.recorded = KeySet()  # hashes of the canonical URLs recorded (crawler.admission.KEY): 10 bytes a post
        self.archived = crawler.settings.getbool("WARC_ENABLED")  # every record points at its WARC record

    async def record(self, response: TextResponse, kind: str, page: LexborPage | TreePage) -> TextRecord | None:
        """The record of a post or page: its text (all parts of a split post), metadata and WARC pointer.

        ``page`` is the page as the spider parsed it (``crawler.pagetree.page_tree``).
        """
        stats = self.crawler.stats
        if self.archived and "warc" not in response.meta:  # its WARC records could not be written (disk full)
            stats.inc_value("pages/unarchived")
            return None
        declared = page.canonical() or ""
        canonical = self.admission.rules.canonical(urljoin(response.url, declared))
        key = hash(canonical) & KEY
        if key in self.recorded:
            stats.inc_value("pages/duplicate")
            return None
        part, others = page.parts(response.url)
        if part is not None and part != 1:
            stats.inc_value("pages/post_part")  # recorded with part 1
            return None
        if self.pool is not None:  # what follows needs the body alone: free the tree during the wait for a worker
            page.release()
        extracted = await self.extract(response, page)
        if extracted is None:
            return None
        if extracted.private:  # seen through a logged-in session: not the public's to read (pipelines.extract.access)
            stats.inc_value("pages/private")
            return None
        if extracted.protected:
            stats.inc_value("pages/protected")
        elif others:
            extracted = await self.join_parts(response, extracted, others)
        extracted = self.as_listed(canonical, extracted)
        since = self.admission.since
        if since and _older_than(extracted, since):
            stats.inc_value("extract/older_than_since")
            return None
        incremental = self.incremental
        if incremental is not None and incremental.recorded_by_killed_run(response.url, extracted.text_sha256):
            stats.inc_value("incremental/recorded_by_killed_run")  # its record is in the store (or spool) already
            self.recorded.add(key)
            return None
        change = incremental.change_of(response.url, extracted.text_sha256) if incremental else "new"
        if change == "unchanged" and incremental is not None and incremental.skips_unchanged_text:
            stats.inc_value("incremental/unchanged")  # new bytes (a nonce, a date), same text: no new record
            return None
        self.recorded.add(key)
        stats.inc_value("extract/ok")
        stats.inc_value(f"extract/{kind}")
        stats.inc_value(f"incremental/{change}")
        return self.build(extracted, response, kind=kind, canonical=canonical, change=change)

    def as_listed(self, canonical: str, extracted: Extracted) -> Extracted:
        """The page's metadata with the REST listing's dates and author where it gives them (WordPress's own data).

        A theme may print no modification date (block themes), no date at all (pages), or a link text for the
        author; the listing says what WordPress stores. The page's own published time is kept when it names the
        same instant (it carries the blog's local offset).
        """
        listed = self.listings.posts.get(canonical) if self.listings is not None else None
        if listed is None:
            return extracted
        published = extracted.published
        if listed.published and discovery.parse_date(published) != discovery.parse_date(listed.published):
            published = listed.published
        return replace(
            extracted,
            published=published,
            modified=listed.modified or extracted.modified,
            author=self.listings.author_of(canonical) or extracted.author,
        )

    def build(self, extracted: Extracted, response: TextResponse, **facts: Any) -> TextRecord:
        """Combine what extraction found with what the crawl knows of the response."""
        location: RecordLocation | None = response.meta.get("warc")  # None only when WARC capture is off
        return TextRecord.build(
            extracted,
            url=response.url,
            site=self.site,
            run_id=self.run_id,
            http_status=response.status,
            fetched_at=location.date if location else datetime.now(UTC).isoformat(),
            warc=location.as_dict() if location else None,
            **facts,
        )

    async def join_parts(self, first: TextResponse, extracted: Extracted, others: list[str]) -> Extracted:
        """Fetch the other parts of a split post (archived like any exchange) and join their text in part order.

        A part's own part links are followed too: in WordPress's previous/next mode a part links only its
        neighbours. At most ``MAX_POST_PARTS`` parts are fetched.
        """
        rules = self.admission.rules
        texts = {1: extracted.text}
        queue = [urljoin(first.url, href) for href in others]
        seen = {rules.canonical(first.url)}
        while queue and len(seen) < MAX_POST_PARTS:
            url = rules.canonical(queue.pop(0))
            if url in seen or urlsplit(url).netloc not in self.admission.hosts:
                continue
            seen.add(url)
            self.admission.mark_seen(url)
            # never conditional: a 304 here would leave the joined text short of a part
            response = await self.crawler.engine.download_async(Request(url, meta={"hub": True}))
            if not isinstance(response, TextResponse):
                continue
            number, more = discovery.post_parts(response.selector.root, response.url)
            queue += [urljoin(response.url, href) for href in more]
            part = await self.extract(response)
            if part is not None and number is not None and number not in texts:
                texts[number] = part.text
        extracted.text = "\n\n".join(texts[n] for n in sorted(texts) if texts[n])
        return extracted

    async def extract(self, response: TextResponse, page: LexborPage | TreePage | None = None) -> Extracted | None:
        """Extract one page (in a worker process when there is a pool); count failures and empty pages."""
        stats = self.crawler.stats
        try:
            if self.pool is None and not _decodes(response):
                # a charset that does not fit the bytes (Latin-1 served as UTF-8): Scrapy's tree is full of U+FFFD;
                # decode as the workers and `blogarc extract` do
                extracted = extract_body(response.body, response.encoding, response.url, self.extract_options)
            elif self.pool is None:  # in-process: on the page's lxml tree (parsed in the parse thread)
                from pipelines.extract.core import extract_post  # noqa: PLC0415 - not imported by --no-extract crawls

                root = response.selector.root if page is None else await page.lxml()
                extracted = extract_post(root, response.url, self.extract_options)
            else:
                extracted = await self.pool.extract(response.body, response.encoding, response.url)
        except Exception as exc:  # hostile markup must cost one page, never the crawl
            stats.inc_value("extract/failed")
            logger.warning("Extraction failed on %s: %r", response.url, exc)
            return None
        if extracted is None:
            stats.inc_value("extract/empty")
        return extracted


def _decodes(response: TextResponse) -> bool:
    """Whether the body is valid in the encoding Scrapy chose: Scrapy replaces what is not with U+FFFD, silently.

    Reads the text Scrapy already decoded (and parsed) instead of decoding the body again; a page that really holds
    U+FFFD only takes the slower path, with the same result.
    """
    return "\ufffd" not in response.text


def _older_than(extracted: Extracted, since: datetime) -> bool:
    when = discovery.parse_date(extracted.modified) or discovery.parse_date(extracted.published)
    return when is not None and when < since
