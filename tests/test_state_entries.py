"""The crawl state keeps its entries packed (pipelines/runs/entries.py): same file, same entries, less memory."""

import dataclasses
import gzip
import io
import json

from pipelines.runs.entries import Entries, UrlState
from pipelines.runs.state import CrawlState

SITE = "blog.example.org"


def entries() -> list[UrlState]:
    base = dict(digest="sha1:" + "A" * 32, date="2026-12-01T00:00:00.123456Z", offset=10, length=2000)
    return [
        UrlState(f"https://{SITE}/", filename="a.warc.gz", record_id="<urn:uuid:1>", checked=base["date"], **base),
        UrlState(
            f"https://{SITE}/2026/01/été/",
            filename="a.warc.gz",
            record_id="<urn:uuid:2>",
            etag='W/"5f-ü"',
            last_modified="Mon, 01 Dec 2026 00:00:00 GMT",
            checked="2026-12-02T00:00:00Z",
            text_sha256="f" * 64,
            run_id="run-1",
            text_from={
                "run_id": "run-0",
                "date": "2026-11-01T00:00:00Z",
                "filename": "b.warc.gz",
                "offset": 0,
                "length": 5,
                "record_id": "<urn:uuid:0>",
                "digest": "sha1:" + "B" * 32,
            },
            **base,
        ),
        UrlState(f"https://{SITE}/style.css", filename="b.warc.gz", record_id="<urn:uuid:3>", **base),
    ]


def written_before(meta: dict, urls: list[UrlState], payloads: list[UrlState]) -> bytes:
    """A state file as blogarc wrote it before entries were packed (dataclasses.asdict, sorted keys, gzip)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed:
        packed.write(json.dumps({"_meta": {**meta, "site": SITE, "urls": len(urls)}}, sort_keys=True).encode() + b"\n")
        for entry in sorted(urls, key=lambda e: e.url):
            packed.write(json.dumps(dataclasses.asdict(entry), sort_keys=True).encode() + b"\n")
        for entry in payloads:
            packed.write(json.dumps({"_payload": dataclasses.asdict(entry)}, sort_keys=True).encode() + b"\n")
    return out.getvalue()


def test_a_state_written_before_loads_and_is_written_again_byte_for_byte():
    urls = entries()
    error_page = dataclasses.replace(urls[2], url=f"https://{SITE}/missing/", digest="sha1:" + "C" * 32)
    data = written_before({"format": 1, "runs": 3, "last_run_id": "run-1"}, urls, [error_page])
    state = CrawlState.loads(SITE, data)
    assert dict(state.previous) == {e.url: e for e in urls}
    assert state.payloads == {error_page.digest: error_page}
    assert state.dumps() == data


def test_entries_are_a_dict_of_values():
    found = Entries()
    for entry in entries():
        found[entry.url] = entry
    assert list(found) == [e.url for e in entries()] and len(found) == 3
    assert list(found.values()) == entries()
    got = found[f"https://{SITE}/"]
    got.etag = '"changed"'  # a value: the map is unchanged until it is stored back
    assert found[f"https://{SITE}/"].etag is None
    found[got.url] = got
    assert found[got.url].etag == '"changed"'
    del found[got.url]
    assert got.url not in found and found.get(got.url) is None
    copy = found.copy()
    copy[got.url] = got
    assert got.url not in found and len(copy) == 3


def test_this_runs_captures_merge_over_the_last_runs():
    state = CrawlState(SITE)
    old, new = entries()[1], dataclasses.replace(entries()[1], checked="2026-12-03T00:00:00Z")
    state.previous[old.url] = old
    state.previous[entries()[0].url] = entries()[0]
    state.record_capture(new)
    state.mark_gone(entries()[0].url)
    assert dict(state.snapshot().urls) == {new.url: new}
    assert CrawlState.loads(SITE, state.dumps()).previous[new.url] == new
