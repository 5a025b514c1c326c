"""The record schema and the Parquet twins of the text batches.

``pipelines/text/text-record.schema.json`` is the single source: the Arrow schema is derived from it, and the
``TextRecord`` fields must match it. Parquet twins hold the same records as the JSON Lines, whatever their size or
content.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import types
import typing
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow
import pyarrow.parquet as pq
import pytest
from scrapy.http import HtmlResponse, Request

from pipelines.extract.core import extract_post
from pipelines.text.batches import GZIP_LEVEL, close_batch
from pipelines.text.parquet import TYPE_OVERRIDES, arrow_type, jsonl_to_parquet, text_record_schema
from pipelines.text.record import TextRecord, json_schema
from pipelines.warc.files import RecordLocation

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "pipelines" / "text" / "text-record.schema.json"

RECORD = {
    "url": "https://blog.example.org/2024/05/ein-langer-beitrag/",
    "canonical_url": "https://blog.example.org/2024/05/ein-langer-beitrag/",
    "site": "blog.example.org",
    "kind": "post",
    "title": "Ein langer Beitrag über Käse 🧀",
    "author": None,
    "published": "2024-05-02T09:00:00+02:00",
    "modified": None,
    "categories": [],
    "tags": ["käse", "märkte"],
    "language": "de",
    "description": None,
    "text": "",
    "comments": [{"id": "7", "parent": None, "author": "Jördis", "published": None, "text": "Danke!"}],
    "word_count": 0,
    "text_sha256": "0" * 64,
    "fetched_at": "2024-05-03T10:00:00Z",
    "http_status": 200,
    "run_id": "20240503T100000Z-abcd",
    "protected": False,
    "change": None,
    "warc": None,  # WARC capture switched off
}


def test_long_and_unusual_records_come_back_unchanged():
    long_text = "\n\n".join(f"Absatz {n}: der Markt am Hafen, der Käse, die Möwen." for n in range(60_000))
    records = [dict(RECORD, text=long_text, word_count=len(long_text.split())), dict(RECORD, text="Kurz.")]
    assert len(long_text.encode()) > 3 << 20  # longer than pyarrow's default read block (1 MiB)
    sink = io.BytesIO()
    jsonl_to_parquet("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(), sink)
    assert pq.read_table(io.BytesIO(sink.getvalue())).to_pylist() == records


def test_a_closed_batch_holds_its_whole_lines_and_drops_a_cut_one(tmp_path):
    long_text = "\n\n".join(f"Absatz {n}: der Markt am Hafen." for n in range(60_000))  # > one read block
    records = [dict(RECORD, text=text, url=f"{RECORD['url']}{n}/") for n, text in enumerate(["Kurz.", long_text] * 3)]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    folder = tmp_path / "_parked" / "text" / "blog.example.org" / "r1"
    folder.mkdir(parents=True)
    batch = folder / "part-00001.jsonl.open"
    batch.write_bytes(lines + b'{"url": "https://blog.example.org/cut')  # a record a kill cut short
    closed = dict(close_batch(batch))
    gz, twin = folder / "part-00001.jsonl.gz", folder / "part-00001.parquet"
    assert set(closed) == {gz, twin} and not batch.exists()
    assert gz.read_bytes() == gzip.compress(lines, compresslevel=GZIP_LEVEL, mtime=0)  # as closing the batch whole
    assert pq.read_table(twin).to_pylist() == records


def test_a_record_off_the_schema_is_an_error_not_a_silent_drop():
    stray = dict(RECORD, text="Kurz.", surprise="a field the schema does not know")
    with pytest.raises(pyarrow.ArrowInvalid):
        jsonl_to_parquet((json.dumps(stray) + "\n").encode(), io.BytesIO())


def test_the_schema_is_read_from_the_package():
    assert json_schema() == json.loads(SCHEMA_PATH.read_text())


def json_types(prop: dict[str, Any]) -> set[str]:
    """A property's JSON types ("enum" of strings: string)."""
    declared = prop.get("type") or ["string" for value in prop["enum"] if isinstance(value, str)][:1]
    return {declared} if isinstance(declared, str) else set(declared)


def python_type(prop: dict[str, Any]) -> object:
    """The Python type a field with this JSON Schema property holds (without None)."""
    (kind,) = json_types(prop) - {"null"}
    if kind == "array":
        return list[python_type(prop["items"])]
    return {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict[str, Any]}[kind]


def test_text_record_fields_are_the_schemas():
    schema = json_schema()
    fields = dataclasses.fields(TextRecord)
    assert [f.name for f in fields] == list(schema["properties"])  # names and order
    hints = typing.get_type_hints(TextRecord)
    for field in fields:
        prop = schema["properties"][field.name]
        hint = hints[field.name]
        args = set(typing.get_args(hint)) if isinstance(hint, types.UnionType) else {hint}
        assert (type(None) in args) == ("null" in json_types(prop)), f"{field.name}: nullability"
        (held,) = args - {type(None)}
        assert held == python_type(prop), f"{field.name}: {held} for {prop}"
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            assert field.name in schema["required"], f"{field.name}: required by the class, not by the schema"


def test_arrow_schema_is_derived_from_the_json_schema():
    schema = text_record_schema()
    properties = json_schema()["properties"]
    assert schema.names == list(properties)
    for name, prop in properties.items():
        if name not in TYPE_OVERRIDES:
            assert schema.field(name).type == arrow_type(prop)
    assert schema.field("http_status").type == pyarrow.int32()  # the documented override
    assert schema.field("word_count").type == pyarrow.int64()
    assert schema.field("kind").type == pyarrow.string()  # an enum of strings
    assert schema.field("tags").type == pyarrow.list_(pyarrow.string())
    comment = schema.field("comments").type.value_type
    assert [comment.field(i).name for i in range(comment.num_fields)] == list(
        properties["comments"]["items"]["properties"]
    )
    warc = schema.field("warc").type
    assert [warc.field(i).name for i in range(warc.num_fields)] == list(properties["warc"]["properties"])
    assert warc.field("offset").type == pyarrow.int64()


def test_arrow_type_maps_each_json_schema_type():
    assert arrow_type({"type": ["string", "null"]}) == pyarrow.string()
    assert arrow_type({"type": "integer"}) == pyarrow.int64()
    assert arrow_type({"type": "number"}) == pyarrow.float64()
    assert arrow_type({"type": "boolean"}) == pyarrow.bool_()
    assert arrow_type({"enum": ["a", "b", None]}) == pyarrow.string()
    nested = {
        "type": "array",
        "items": {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}},
    }
    assert arrow_type(nested) == pyarrow.list_(pyarrow.struct([("b", pyarrow.string()), ("a", pyarrow.int64())]))
    with pytest.raises(ValueError):
        arrow_type({"type": ["string", "integer"]})


def test_a_record_from_a_crawled_page_fits_the_schema():
    url = "https://blog.example.org/low-tide/"
    html = "<html><body><article>" + "<p>The ferry left at dawn and the harbour was quiet.</p>" * 20
    extracted = extract_post(html + "</article></body></html>", url)
    location = RecordLocation(
        filename="blogarc-20240503100000000-00000-blog.example.org.warc.gz",
        record_id=f"<urn:uuid:{uuid.UUID(int=7)}>",
        offset=0,
        length=900,
        payload_digest="sha1:AAAA",
        date="2024-05-03T10:00:00Z",
    )
    for meta in ({"warc": location}, {}):  # {}: WARC capture switched off
        response = HtmlResponse(url, body=b"", request=Request(url, meta=meta), status=200)
        record = TextRecord.from_page(
            extracted, response, site="blog.example.org", kind="post", run_id="r1", canonical=url, change="new"
        ).as_dict()
        jsonschema.validate(record, json_schema())
        assert list(record) == list(json_schema()["properties"])
        assert record["warc"] == (location.as_dict() if meta else None)
        assert record["http_status"] == 200 and "harbour was quiet" in record["text"]
        if meta:
            assert record["fetched_at"] == location.date
