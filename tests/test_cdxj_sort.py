"""The crawl's index sort is cdxj-indexer's: the same lines in the same order, in one run or merged from many."""

from __future__ import annotations

import random

import pytest
from cdxj_indexer.main import SortingWriter

from pipelines.warc import cdxj
from pipelines.warc.cdxj import index_line, sort_lines


def index_lines(count: int) -> list[str]:
    """Lines as the writer makes them (``index_line``), in crawl order: shuffled URLs, repeated captures."""
    rng = random.Random(7)
    lines = []
    for number in range(count):
        url = f"http://blog.test/{rng.randrange(count // 3)}/?p={rng.randrange(9)}"
        fields = {"url": url, "mime": "text/html", "status": "200", "digest": f"sha1:{number:032d}"}
        fields["date"] = f"2026-12-02T14:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{number:06d}Z"
        lines.append(index_line(fields, offset=number * 1000, length=999, filename="x.warc.gz"))
    lines += lines[:3]  # lines equal to others: cdxj-indexer writes each once
    return lines


def cdxj_indexer_sort(lines: list[str], buffer: int, tmp_path) -> str:
    reference = tmp_path / "reference.cdxj"
    with open(reference, "w", encoding="utf-8") as out:
        writer = SortingWriter(out, buffer)
        for line in lines:
            writer.write(line)
        writer.flush()
    return reference.read_text(encoding="utf-8")


@pytest.mark.parametrize("buffer", [cdxj.SORT_BUFFER, 5_000])  # one run; runs merged from temporary files
def test_sorted_index_is_what_cdxj_indexers_sort_writes(tmp_path, monkeypatch, buffer):
    lines = index_lines(600)
    monkeypatch.setattr(cdxj, "SORT_BUFFER", buffer)
    unsorted = tmp_path / "x.cdxj.lines.tmp"
    unsorted.write_text("".join(lines), encoding="utf-8")
    target = sort_lines(unsorted, tmp_path / "x.cdxj")
    assert target.read_text(encoding="utf-8") == cdxj_indexer_sort(lines, buffer, tmp_path)
    assert not unsorted.exists()
    assert len(target.read_text(encoding="utf-8").splitlines()) == 600


@pytest.mark.parametrize(
    "date",
    [
        "2026-12-02T19:40:20.123456Z",
        "2026-12-02T19:40:20Z",  # a datetime with no microseconds: isoformat() leaves them out
        "2026-01-02T03:04:05.3Z",
        "2013-12-26T10:11:12.0000001Z",  # more than micros: warcio's own parsing
        "2026-12-02T19:40:20",  # no zone: warcio's
    ],
)
def test_timestamp14_is_warcios(date):
    from warcio.timeutils import iso_date_to_timestamp

    assert cdxj.timestamp14(date) == iso_date_to_timestamp(date)
