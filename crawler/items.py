"""What the spider yields: one clean-text record per post or page (schema: pipelines/schema/text-record.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.http import Response

    from pipelines.extraction import Extracted
    from pipelines.warcfile import RecordLocation


@dataclass
class TextRecord:
    """A post or page as analysts load it; ``warc`` points at the exact response record it came from."""

    url: str
    canonical_url: str
    site: str
    kind: str
    title: str | None
    author: str | None
    published: str | None
    modified: str | None
    categories: list[str]
    tags: list[str]
    language: str | None
    description: str | None
    text: str
    comments: list[dict[str, Any]]
    word_count: int
    text_sha256: str
    fetched_at: str
    http_status: int
    run_id: str
    warc: dict[str, Any] | None = field(default=None)

    @classmethod
    def from_page(
        cls, extracted: Extracted, response: Response, *, site: str, kind: str, run_id: str, canonical: str
    ) -> TextRecord:
        """Combine what extraction found with what the crawl knows about the response."""
        # None only when WARC capture is switched off (WARC_ENABLED = False)
        location: RecordLocation | None = response.meta.get("warc")
        return cls(
            url=response.url,
            canonical_url=extracted.canonical_url or canonical,
            site=site,
            kind=kind,
            title=extracted.title,
            author=extracted.author,
            published=extracted.published,
            modified=extracted.modified,
            categories=extracted.categories,
            tags=extracted.tags,
            language=extracted.language,
            description=extracted.description,
            text=extracted.text,
            comments=extracted.comments,
            word_count=extracted.word_count,
            text_sha256=extracted.text_sha256,
            fetched_at=location.date if location else datetime.now(UTC).isoformat(),
            http_status=response.status,
            run_id=run_id,
            warc=location.as_dict() if location else None,
        )
