"""A disk that fills during a crawl: the WARC keeps every record written whole, the crawl stops, nothing lies.

The kernel itself refuses the writes: the writing process runs with a file-size limit (``RLIMIT_FSIZE``; Python
ignores ``SIGXFSZ``, so a write past the limit fails with ``EFBIG`` as a write to a full disk fails with ``ENOSPC``:
the same ``OSError`` path). Expected values come from the file itself (warcio, ``complete_prefix``) and from the
fixture blog's server.
"""

from __future__ import annotations

import errno
import gzip
import json
import resource
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from pipelines.warc.files import complete_prefix
from tests.blogserver import BlogServer
from tests.util import ASSETS, BLOGS, FAST, REST, blogarc_argv, blogarc_env, index_of, record_at, warcio_check

LIMIT = 200_000  # bytes a file may reach: about half the classic fixture blog's WARC (~377 KB)

# Writes pairs of incompressible 30 KB bodies to a WarcFile until the limit refuses one, then one small pair (it
# fits again once the refused one is cut off), and closes the file; prints what happened as JSON.
WRITER = """
import json, os, resource, sys
from pathlib import Path
from scrapy import Request
from scrapy.http import Response
from pipelines.warc.files import WarcFile
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
warc = WarcFile(Path(sys.argv[1]), {"software": "test"})
urls, refused = [], None
for i in range(100):
    url = f"http://blog.test/p{i}"
    try:
        warc.write_pair(Request(url), Response(url, body=os.urandom(30_000)))
    except OSError as exc:
        refused = exc.errno
        break
    urls.append(url)
small = "http://blog.test/small"
warc.write_pair(Request(small), Response(small, body=b"<p>small</p>"))
print(json.dumps({"urls": urls + [small], "refused": refused, "closed": str(warc.close())}))
"""


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def responses_in(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        return [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"]


def test_a_refused_write_leaves_the_file_whole_to_its_last_record(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path / "x.warc.gz"), str(LIMIT)],
        env=blogarc_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    told = json.loads(run.stdout)
    assert told["refused"] == errno.EFBIG
    path = Path(told["closed"])
    size = path.stat().st_size
    assert size <= LIMIT
    assert complete_prefix(path) == (size, 1 + 2 * len(told["urls"]))  # warcinfo, then whole pairs, nothing else
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert responses_in(path) == told["urls"]
    lines = [json.loads(line.split(" ", 2)[2]) for line in index_of(path).read_text().splitlines()]
    assert sorted(line["url"] for line in lines) == sorted(told["urls"])
    for line in lines:  # each index line still points at its record, the pair after the refused one too
        record = record_at(path, int(line["offset"]), int(line["length"]))
        assert record.rec_headers.get_header("WARC-Target-URI") == line["url"]


def test_a_crawl_whose_disk_fills_stops_and_keeps_what_it_wrote(tmp_path):
    with BlogServer(BLOGS / "classic") as server:
        store, spool = tmp_path / "store", tmp_path / "spool"
        argv = blogarc_argv("crawl", server.url + "/", "--store", str(store), "--spool", str(spool))
        run = subprocess.run(
            [*argv, *FAST, *REST, *ASSETS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
            cwd=tmp_path,
            env=blogarc_env(tmp_path),
            preexec_fn=limited,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert run.returncode != 0  # not ok: the blog is not all archived
    log = run.stderr
    assert "Traceback" not in log, log[-5000:]
    assert log.count("Cannot write WARC records for") == 1, log[-5000:]
    assert " ERROR: " in log and log.count(" ERROR: ") == 1, log[-5000:]
    manifests = list((store / "runs").rglob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["finish_reason"] == "warc_write_error"
    warcs = list((store / "warc").rglob("*.warc.gz"))
    assert len(warcs) == 1
    size = warcs[0].stat().st_size
    assert complete_prefix(warcs[0])[0] == size
    check = warcio_check(warcs[0])
    assert check.returncode == 0, check.stdout + check.stderr
    archived = set(responses_in(warcs[0]))
    assert archived
    texts = [json.loads(line) for path in (store / "text").rglob("*.jsonl.gz") for line in _gunzip_lines(path)]
    for text in texts:  # every text record points at a response record that is in the file
        assert text["warc"] is not None and text["url"] in archived
        record = record_at(warcs[0], text["warc"]["offset"], text["warc"]["length"])
        assert record.rec_headers.get_header("WARC-Record-ID") == text["warc"]["record_id"]
    assert manifest["counts"]["warc_write_errors"] >= 1
    assert manifest["counts"]["responses"] > len(archived)  # the responses after the refused pair: not archived
    assert manifest["counts"]["extract_ok"] == len(texts)


def _gunzip_lines(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
