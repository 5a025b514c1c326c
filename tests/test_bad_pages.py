"""Bad pages in a real crawl: the crawl finishes, counts each once under ``extract/*`` and archives every exchange.

The bad kinds: empty, binary served as text/html, wrong or missing charset, 20 MB, deeply nested, no main text.

The fixture blog ``tests/fixtures/badblog/`` ("Low Water": a home page, two good posts and a post per bad kind) is
copied and completed at test time, so no 20 MB or binary file is committed: the 20 MiB post is grown from its seed
by repeating its filler line (as ``test_extraction`` grows ``bad-20mb-page``), the deeply nested post gets its
content wrapped in 5,000 ``<div>``s (as ``bad-deeply-nested``), and the binary post is random bytes behind a PNG
signature. ``/2024/05/missing-charset/`` is served as plain ``text/html`` (its ``_routes.json``); the wrong-charset
post is Latin-1 declared as UTF-8 in its header and ``<meta>``. ``tests/blogserver.py`` serves the copy and
``blogarc crawl`` crawls it twice: with extraction workers (the default) and in the crawling process
(``EXTRACT_WORKERS=0``), which decode and parse pages on different paths.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.blogserver import BlogServer
from tests.util import FAST, IN_PROCESS, Blog, blogarc, site_of, warcio_check

FIXTURE = Path(__file__).parent / "fixtures" / "badblog"
GOOD = {
    "/2024/05/harbour-at-low-tide/": ("The Harbour at Low Tide", "At low tide the harbour empties in an hour."),
    "/2024/05/the-night-ferry/": ("The Night Ferry", "The night ferry leaves at a quarter to eleven"),
}
# Each bad page and the one extract/* key it must be counted under (the keys `blogarc extract` prints).
BAD = {
    "/2024/05/empty-body/": "empty",
    "/2024/05/binary-as-html/": "skipped/other",  # no post markup to tell it is a post
    "/2024/05/wrong-charset/": "ok",  # decoded as Windows-1252 when the declared UTF-8 does not fit the bytes
    "/2024/05/missing-charset/": "ok",
    "/2024/05/twenty-megabytes/": "empty",  # more elements than extraction takes (pipelines.extract.core.MAX_ELEMENTS)
    "/2024/05/deeply-nested/": "empty",  # libxml2 drops what lies deeper than it nests: nothing of the post is left
    "/2024/05/no-main-text/": "empty",  # a gallery without a word
}
# Pages that parse but hold no main text: no record (the extractor gives none for a page of nothing but chrome).
TEXTLESS = ["/2024/05/deeply-nested/", "/2024/05/no-main-text/"]
GERMAN = {
    "/2024/05/wrong-charset/": ("Café Müller im Regen", "Das Café Müller liegt an der Ecke"),
    "/2024/05/missing-charset/": ("Käsekuchen am Hafen", "nur Käsekuchen verkauft. Die Besitzerin heißt Jördis"),
}
TWENTY_MIB = 20 * 1024 * 1024
NESTING = 5000
STATS_DUMP = re.compile(r"Dumping Scrapy stats:\n(\{.*?\})$", re.S | re.M)


def page_file(root: Path, path: str) -> Path:
    return root / path.strip("/") / "index.html"


def build_blog(root: Path) -> None:
    """Copy the fixture blog to ``root`` and write the pages too big or too binary to commit."""
    shutil.copytree(FIXTURE, root)
    huge = page_file(root, "/2024/05/twenty-megabytes/")
    seed = re.fullmatch(rb"(.*?)(<div class=\"filler\">.*?</div>\n)(</body>.*)", huge.read_bytes(), re.S)
    head, filler, tail = seed.groups()
    huge.write_bytes(head + filler * (TWENTY_MIB // len(filler) + 1) + tail)
    nested = page_file(root, "/2024/05/deeply-nested/")
    content = b'<div class="entry-content">'
    body = nested.read_bytes().replace(content, b"<div>" * NESTING + content)
    nested.write_bytes(body.replace(b"</article>", b"</div>" * NESTING + b"</article>"))
    binary = page_file(root, "/2024/05/binary-as-html/")
    binary.parent.mkdir(parents=True)
    # NUL bytes and sequences that are not UTF-8, served as "text/html; charset=UTF-8" like any .html file
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(20240514).randbytes(4088))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The completed bad blog, served on 127.0.0.1 with an access log."""
    work = tmp_path_factory.mktemp("badblog")
    build_blog(work / "blog")
    with BlogServer(work / "blog", access_log=work / "access.log") as served:
        yield served


@pytest.fixture(scope="module", params=["workers", "in-process"])
def crawl(request, server, tmp_path_factory):
    """One `blogarc crawl` of the bad blog into a fresh store: (result, Blog)."""
    work = tmp_path_factory.mktemp(f"crawl-{request.param}")
    options = IN_PROCESS if request.param == "in-process" else []
    before = len(server.requests_seen())
    store, spool = str(work / "store"), str(work / "spool")
    result = blogarc(
        # -v: Scrapy's stats dump, which these tests read, is off by default
        "crawl",
        server.url + "/",
        "--store",
        store,
        "--spool",
        spool,
        "-v",
        *FAST,
        *options,
        cwd=work,
        text=True,
    )
    site = site_of(server.url)
    return result, Blog("badblog", server.url, site, {}, work / "store", server.requests_seen()[before:])


def served_bytes(server: BlogServer, path: str) -> bytes:
    """The body the server sends for ``path``: the file with its URL placeholders filled in."""
    body = page_file(server.root, path).read_bytes()
    return body.replace(b"{{BASE_URL}}", server.url.encode()).replace(b"{{ASSET_URL}}", server.asset_url.encode())


def extract_stats(log: str) -> dict[str, int]:
    """The ``extract/*`` figures of the stats the crawl logs when it closes."""
    (dump,) = STATS_DUMP.findall(log)
    return {key.removeprefix("extract/"): int(n) for key, n in re.findall(r"'(extract/[^']+)': (\d+)", dump)}


def test_crawl_finishes_and_good_posts_get_their_records(crawl):
    result, blog = crawl
    assert result.returncode == 0, result.stderr[-5000:]
    assert re.search(rf"^{re.escape(blog.site)}: ok \(finished\)", result.stdout, re.M), result.stdout
    assert blog.manifest()["status"] == "finished"
    records = blog.by_path()
    for path, (title, opening) in GOOD.items():
        assert records[path]["title"] == title
        assert records[path]["text"].startswith(opening), records[path]["text"][:200]
        assert "Proudly powered" not in records[path]["text"]


def test_pages_with_a_wrong_or_missing_charset_are_decoded(crawl):
    records = crawl[1].by_path()
    for path, (title, phrase) in GERMAN.items():
        assert records[path]["title"] == title
        assert phrase in records[path]["text"]
        assert "\ufffd" not in records[path]["text"], records[path]["text"][:200]
        assert records[path]["language"] == "de"


def test_every_bad_page_is_archived_byte_for_byte(crawl, server):
    blog = crawl[1]
    archived = {}
    for warc in blog.warcs():
        assert warcio_check(warc).returncode == 0
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    archived.setdefault(uri[len(blog.url) :], []).append((record.rec_headers, record.raw_stream.read()))
    for path in BAD:
        (captured,) = archived[path]  # one exchange each: a bad page is not fetched again
        headers, payload = captured
        body = served_bytes(server, path)
        assert payload == body, (path, len(payload), len(body))
        digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()  # WARC's digest
        assert headers.get_header("WARC-Payload-Digest") == digest
    assert len(archived["/2024/05/twenty-megabytes/"][0][1]) > TWENTY_MIB
    assert archived["/2024/05/empty-body/"][0][1] == b""


def test_each_html_page_is_counted_once_under_extract(crawl):
    result, blog = crawl
    stats = extract_stats(result.stderr)
    counts = blog.manifest()["counts"]
    outcomes = {key: n for key, n in stats.items() if key in ("ok", "empty", "failed") or key.startswith("skipped/")}
    assert sum(outcomes.values()) == len(GOOD) + len(BAD) + 1, stats  # + the home page
    assert stats.get("skipped/archive") == 1 and stats.get("skipped/other") == 1, stats
    assert (counts["extract_ok"], counts["extract_empty"], counts["extract_failed"]) == (
        stats.get("ok", 0),
        stats.get("empty", 0),
        stats.get("failed", 0),
    )
    assert counts["extract_ok"] == counts["records_written"] == len(blog.records())
    # every page with post markup is a post; the empty and the binary one have none
    assert counts["pages"]["post"] == len(GOOD) + len(BAD) - 2 and counts["pages"]["other"] == 2
    records = blog.by_path()
    for path, key in BAD.items():
        if path not in TEXTLESS:
            assert (path in records) == (key == "ok"), path


def test_pages_without_main_text_get_no_record(crawl):
    result, blog = crawl
    assert [path for path in TEXTLESS if path in blog.by_path()] == []
    want = Counter(BAD.values()) + Counter({"ok": len(GOOD), "skipped/archive": 1})  # + the home page
    want["post"] = want["ok"]  # every record here is a post's
    assert extract_stats(result.stderr) == dict(want)


def test_the_log_names_each_failure_once_and_has_no_traceback(crawl):
    result, blog = crawl
    log = result.stderr
    assert "Traceback" not in log
    assert not re.findall(r"^\S+ \S+ \[[^\]]+\] (?:ERROR|CRITICAL):.*", log, re.M)
    failures = re.findall(r"Extraction failed on (\S+):", log)
    assert len(failures) == len(set(failures)) == blog.manifest()["counts"]["extract_failed"]
    for path in list(BAD) + list(GOOD):
        url = blog.url + path
        assert sum(line.count(url) for line in log.splitlines()) <= 1, path
        assert blog.requested.count("GET " + path) == 1, path  # fetched once, never retried
