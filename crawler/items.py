"""What the spider yields: one clean-text record per post or page (schema: pipelines/schema/text-record.json)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pipelines.text import record as records

if TYPE_CHECKING:
    from scrapy.http import Response

    from pipelines.extract.core import Extracted
    from pipelines.warc.files import RecordLocation


class TextRecord(records.TextRecord):
    """A post or page as analysts load it (fields and building: ``pipelines.text.record``, shared with rerun)."""

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
        """Combine what extraction found with what the crawl knows about the response."""
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
