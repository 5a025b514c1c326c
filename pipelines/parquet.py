"""Clean-text records as Parquet, for analysts who load a blog into pandas, DuckDB or Spark without parsing JSON.

Each text batch ``text/{site}/{run_id}/part-NNNNN.jsonl.gz`` gets a twin ``part-NNNNN.parquet`` holding the same
records, in the same order, with one fixed Arrow schema (``TEXT_RECORD_SCHEMA``, the JSON Schema's fields): lists
stay lists, ``comments`` is a list of structs and ``warc`` a struct, so ``warc.offset`` is a column. Dates stay the
ISO 8601 strings the page declared (time zone included); cast them in the query (``TRY_CAST(published AS
TIMESTAMPTZ)``) rather than lose the offset here. Files are zstd-compressed.

The crawl writes them through Scrapy's feed exports (``ParquetItemExporter``, format ``parquet``), re-extraction
with ``write_parquet``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

COMMENT = pa.struct(
    [
        ("id", pa.string()),
        ("parent", pa.string()),
        ("author", pa.string()),
        ("published", pa.string()),
        ("text", pa.string()),
    ]
)
WARC_POINTER = pa.struct(
    [
        ("filename", pa.string()),
        ("record_id", pa.string()),
        ("offset", pa.int64()),
        ("length", pa.int64()),
        ("payload_digest", pa.string()),
    ]
)
TEXT_RECORD_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("site", pa.string()),
        ("kind", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published", pa.string()),
        ("modified", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("tags", pa.list_(pa.string())),
        ("language", pa.string()),
        ("description", pa.string()),
        ("text", pa.string()),
        ("comments", pa.list_(COMMENT)),
        ("word_count", pa.int64()),
        ("text_sha256", pa.string()),
        ("fetched_at", pa.string()),
        ("http_status", pa.int32()),
        ("run_id", pa.string()),
        ("change", pa.string()),
        ("warc", WARC_POINTER),
    ]
)
COMPRESSION = "zstd"


def records_table(records: Iterable[dict[str, Any]]) -> pa.Table:
    """The records as an Arrow table of ``TEXT_RECORD_SCHEMA`` (a field a record lacks is null).

    Raises:
        pyarrow.ArrowInvalid / ArrowTypeError: a record does not fit the schema (a bug upstream, never data to drop).
    """
    return pa.Table.from_pylist(list(records), schema=TEXT_RECORD_SCHEMA)


def write_parquet(records: Iterable[dict[str, Any]], sink: str | IO[bytes]) -> None:
    """Write the records as one Parquet file to a path or binary file object."""
    pq.write_table(records_table(records), sink, compression=COMPRESSION)


class ParquetItemExporter(BaseItemExporter):
    """Scrapy feed exporter for ``format: parquet``: a batch's items, written as one Parquet file when it closes.

    Parquet is columnar: nothing can be written before the batch is complete, so items wait in memory (a batch is
    ``TEXT_BATCH_ITEMS`` records, 1000 by default: a few megabytes of text).
    """

    def __init__(self, file: IO[bytes], **kwargs: Any):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.rows: list[dict[str, Any]] = []

    def export_item(self, item: Any) -> None:
        self.rows.append(ItemAdapter(item).asdict())

    def finish_exporting(self) -> None:
        write_parquet(self.rows, self.file)
        self.rows = []
