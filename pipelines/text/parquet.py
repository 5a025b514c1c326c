"""Clean-text records as Parquet, for analysts who load a blog into pandas, DuckDB or Spark without parsing JSON.

Each text batch ``text/{site}/{run_id}/part-NNNNN.jsonl.gz`` gets a twin ``part-NNNNN.parquet`` holding the same
records, in the same order, with one fixed Arrow schema (``text_record_schema()``, derived from the record's JSON
Schema: ``arrow_type``): lists stay lists, ``comments`` is a list of structs and ``warc`` a struct, so
``warc.offset`` is a column. Dates stay the ISO 8601 strings the page declared (time zone included); cast them in
the query (``TRY_CAST(published AS TIMESTAMPTZ)``) rather than lose the offset here. Files are zstd-compressed.

The one batch writer (``pipelines/text/batches.py``, for the crawl and for re-extraction) writes them with
``jsonl_to_parquet`` when a batch closes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pipelines.text.record import json_schema

if TYPE_CHECKING:
    import pyarrow as pa

COMPRESSION = "zstd"
READ_BLOCK = 1 << 20  # bytes of JSON Lines parsed at once (pyarrow's default block)
# Columns whose Arrow type is not the one their JSON Schema type maps to. http_status: an HTTP status fits 32 bits,
# and the Parquet files written before the schema was derived have it as int32; one type across all of a site's
# files keeps a query over ``*.parquet`` from meeting two.
TYPE_OVERRIDES = {"http_status": "int32"}
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}  # of an enum's values


@lru_cache(maxsize=1)
def text_record_schema() -> pa.Schema:
    """The Arrow schema of a text record: the JSON Schema's properties, in its order, typed by ``arrow_type``.

    pyarrow is imported here, on first use, not with the module: it weighs ~50 MB, and only the process that writes
    a batch needs it (never the extraction workers).
    """
    import pyarrow as pa

    properties = json_schema()["properties"]
    return pa.schema(
        [
            (name, pa.type_for_alias(TYPE_OVERRIDES[name]) if name in TYPE_OVERRIDES else arrow_type(prop))
            for name, prop in properties.items()
        ]
    )


def arrow_type(prop: dict[str, Any]) -> pa.DataType:
    """The Arrow type of a JSON Schema property (every column nullable, as pyarrow makes them).

    ``string`` (also an ``enum`` of strings) -> string, ``integer`` -> int64, ``number`` -> float64, ``boolean``
    -> bool, ``array`` -> list of its ``items``, ``object`` -> struct of its ``properties`` in their order; a
    ``"null"`` among the types only makes the value optional.

    Raises:
        ValueError: the property has no single type besides null (the record schema never needs one).
    """
    import pyarrow as pa

    declared = prop.get("type")
    if declared is None and prop.get("enum"):
        declared = sorted({_JSON_TYPES[type(value)] for value in prop["enum"] if value is not None})
    types = [t for t in ([declared] if isinstance(declared, str) else declared or []) if t != "null"]
    if len(types) != 1:
        raise ValueError(f"no single JSON Schema type to map to Arrow: {prop!r}")
    kind = types[0]
    if kind == "array":
        return pa.list_(arrow_type(prop["items"]))
    if kind == "object":
        return pa.struct([(name, arrow_type(sub)) for name, sub in prop["properties"].items()])
    scalars = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    return scalars[kind]


def jsonl_to_parquet(jsonl: bytes | Path, sink: str | IO[bytes]) -> None:
    """Write text records given as JSON Lines (UTF-8; bytes or a file) as one Parquet file of ``text_record_schema()``.

    pyarrow's JSON reader builds the columns in C++: ten times faster than building them from Python objects. It
    parses READ_BLOCK bytes at a time (more when one record is longer: a record never straddles two blocks), not
    the whole batch at once, which took ~3x the batch's size. The columns are stored plain, without dictionaries:
    the texts are all different, and their dictionary (every text of the batch, held twice while built, then
    copied into one page) was the largest peak of a crawl's memory (~45 MB for a batch of 14 MB).

    Raises:
        pyarrow.ArrowInvalid: a record does not fit the schema (a bug upstream, never data to drop).
    """
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    source = io.BytesIO(jsonl) if isinstance(jsonl, bytes) else open(jsonl, "rb")  # noqa: SIM115 - closed below
    with source:
        block = max(READ_BLOCK, max(map(len, source), default=0) + 1)
        source.seek(0)
        pool = pa.system_memory_pool()  # malloc gives memory back; pyarrow's default (mimalloc) keeps ~50 MB a process
        table = pj.open_json(
            source,
            read_options=pj.ReadOptions(use_threads=False, block_size=block),
            parse_options=pj.ParseOptions(explicit_schema=text_record_schema(), unexpected_field_behavior="error"),
            memory_pool=pool,
        ).read_all()
    pq.write_table(table, sink, compression=COMPRESSION, use_dictionary=False, memory_pool=pool)
