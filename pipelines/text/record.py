"""The clean-text record, built the same way by a crawl and by re-extraction from WARC files.

Schema: ``pipelines/text/text-record.schema.json``.
``TextRecord.build`` combines what extraction found with what the archive knows about the exchange: URL, status,
when it was received (the WARC-Date of the response record) and where that record is (``warc`` pointer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.extract.core import Extracted


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
    change: str | None = field(default=None)  # new | changed | unchanged since the last run; None re-extracted

    @classmethod
    def build(
        cls,
        extracted: Extracted,
        *,
        url: str,
        canonical: str,
        site: str,
        kind: str,
        run_id: str,
        http_status: int,
        fetched_at: str,
        warc: dict[str, Any] | None,
        change: str | None = None,
    ) -> TextRecord:
        """A record from an extraction and the facts of its exchange.

        Args:
            extracted: what extraction found.
            url: the URL the page was fetched from.
            canonical: the normalised URL, used when the page declares no canonical URL.
            site: the site key.
            kind: ``post`` or ``page``.
            run_id: the run that wrote the record.
            http_status: the response's status code.
            fetched_at: the WARC-Date of the response record.
            warc: the response record's pointer (``filename``, ``record_id``, ``offset``, ``length``,
                ``payload_digest``), None when WARC capture was off.
            change: ``new``, ``changed`` or ``unchanged`` against the site's crawl state (None: not known).

        Returns:
            The record.
        """
        return cls(
            url=url,
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
            fetched_at=fetched_at,
            http_status=http_status,
            run_id=run_id,
            warc=warc,
            change=change,
        )

    def as_dict(self) -> dict[str, Any]:
        """The record as the JSON object written to a text batch."""
        return asdict(self)
