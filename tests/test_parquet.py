"""Parquet twins of the text batches: the same records as the JSON Lines, whatever their size or content."""

from __future__ import annotations

import io
import json

import pyarrow
import pyarrow.parquet as pq
import pytest

from pipelines.text.parquet import jsonl_to_parquet

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


def test_a_record_off_the_schema_is_an_error_not_a_silent_drop():
    stray = dict(RECORD, text="Kurz.", surprise="a field the schema does not know")
    with pytest.raises(pyarrow.ArrowInvalid):
        jsonl_to_parquet((json.dumps(stray) + "\n").encode(), io.BytesIO())
