"""The clean-text record, built the same way by a crawl and by re-extraction from WARC files.

Its JSON Schema, ``text-record.schema.json`` beside this module (``json_schema()``), is the single source of the
record's fields: the Parquet schema is derived from it (``pipelines.text.parquet``), and tests/test_parquet.py fails
when a field of ``TextRecord`` differs from it (name, order, type, nullability). The fields stay written out here
because readers of the code and type checkers need them.

``TextRecord.build`` combines what extraction found with what the archive knows about the exchange: URL, status,
when it was received (the WARC-Date of the response record) and where that record is (``warc`` pointer);
``TextRecord.from_page`` does it for a crawled response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.http import Response

    from pipelines.extract.core import Extracted
    from pipelines.warc.files import RecordLocation

SCHEMA_FILE = "text-record.schema.json"


def json_schema() -> dict[str, Any]:
    """The record's JSON Schema, read from the package (so from an installed wheel too)."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8"))


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
    protected: bool = field(default=False)  # a password-protected post: metadata, no text
    change: str | None = field(default=None)  # new | changed | unchanged since the last run; None re-extracted
    warc: dict[str, Any] | None = field(default=None)  # None only when WARC capture is switched off

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
            protected=extracted.protected,
            change=change,
            warc=warc,
        )

    @classmethod
    def from_page(
        cls,
        extracted: Extracted,
        response: Response,
        *,
        site: str,
        kind: str,
        run_id: str,
        canonical: str,
        change: str | None = None,
    ) -> TextRecord:
        """A record from an extraction and the crawl's response (its WARC pointer in ``response.meta["warc"]``).

        Args:
            extracted: what extraction found.
            response: the response the page came in (``url``, ``status``, ``meta``).
            site: the site key.
            kind: ``post`` or ``page``.
            run_id: the run that wrote the record.
            canonical: the normalised URL, used when the page declares no canonical URL.
            change: ``new``, ``changed`` or ``unchanged`` against the site's crawl state (None: not known).

        Returns:
            The record; ``fetched_at`` is the WARC-Date of the response record, or now when WARC capture is off.
        """
        # None only when WARC capture is switched off (WARC_ENABLED = False)
        location: RecordLocation | None = response.meta.get("warc")
        return cls.build(
            extracted,
            url=response.url,
            canonical=canonical,
            site=site,
            kind=kind,
            run_id=run_id,
            http_status=response.status,
            fetched_at=location.date if location else datetime.now(UTC).isoformat(),
            warc=location.as_dict() if location else None,
            change=change,
        )

    def as_dict(self) -> dict[str, Any]:
        """The record as the JSON object written to a text batch (its values, not copies: what it holds is plain)."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(TextRecord))
