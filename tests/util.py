"""Helpers shared by the tests: running blogarc as a user does, and reading back what it wrote.

The store layout is spelled out here (``warc/{site}/``, ``text/{site}/{run}/part-*.jsonl.gz``, ``runs/{site}/``) on
purpose, not taken from ``pipelines.layout``: the tests state the documented layout, the code has to match it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

ROOT = Path(__file__).resolve().parent.parent
BLOGS = ROOT / "tests" / "fixtures" / "blogs"
# the fixture blogs the crawl tests know the ground truth of (expected.json, written by make_fixtures.py)
BLOG_NAMES = sorted(p.name for p in BLOGS.iterdir() if (p / "expected.json").exists())
SCHEMA = json.loads((ROOT / "pipelines" / "text" / "text-record.schema.json").read_text())

# Crawl settings for tests: no politeness delay or throttling against the local fixture servers, no progress lines.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS_INTERVAL=0"]
# the fixture blogs' REST listings are paged by 2 (tests/fixtures/blogs/make_fixtures.py)
REST = ["-s", "WORDPRESS_REST_PER_PAGE=2"]
# the fixture blogs serve what WordPress.com serves from its *.wp.com CDNs from "localhost" (the asset host)
ASSETS = ["-s", r"WORDPRESS_ASSET_HOSTS=(?:^|\.)wp\.com$,^localhost$"]
IN_PROCESS = ["-s", "EXTRACT_WORKERS=0"]  # extraction in the crawling process: no worker pool to start


def need_servers(absent: list[str]) -> None:
    """Skip the calling test (or fixture) when servers it needs are not installed; fail instead under CI.

    ``tests/install-servers.sh`` installs them; CI sets ``BLOGARC_REQUIRE_SERVERS=1`` so that a missing install
    step is a red run, never a quiet skip.
    """
    if not absent:
        return
    why = f"needs {', '.join(absent)} (install: bash tests/install-servers.sh)"
    if os.environ.get("BLOGARC_REQUIRE_SERVERS") == "1":
        pytest.fail(why)
    pytest.skip(why)


def slow(delay: float) -> list[str]:
    """Crawl settings for one request at a time, ``delay`` seconds apart: a crawl a test can catch mid-way."""
    one_at_a_time = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    return ["-s", f"DOWNLOAD_DELAY={delay}", *one_at_a_time]


# ---------------------------------------------------------------- running blogarc


def blogarc_argv(*args: str, script: bool = False) -> list[str]:
    """The command line of ``blogarc ARGS``: this checkout's ``python -m crawler.cli``, or the installed script.

    Args:
        *args: the blogarc arguments.
        script: run the installed console script, as the README has users call it.
    """
    if not script:
        return [sys.executable, "-m", "crawler.cli", *args]
    found = shutil.which("blogarc")
    assert found, "the blogarc console script is not installed (pip install -e .)"
    return [found, *args]


def blogarc_env(home: Path | None = None, script: bool = False) -> dict[str, str]:
    """The user's environment for a blogarc process.

    Args:
        home: give the process a private cache folder, ``home/cache`` (the default spool lives there).
        script: for the installed console script, which imports whatever is installed; ``python -m crawler.cli``
            gets this checkout on ``PYTHONPATH``, whatever the working folder.
    """
    env = dict(os.environ)
    if not script:
        env["PYTHONPATH"] = str(ROOT)
    if home is not None:
        env["XDG_CACHE_HOME"] = str(home / "cache")
    return env


def blogarc(
    *args: str,
    cwd: Path | None = None,
    home: Path | None = None,
    script: bool = False,
    text: bool = False,
    stdin: bytes | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess:
    """Run ``blogarc ARGS`` to the end as a user would, output captured.

    Args:
        *args: the blogarc arguments.
        cwd: the working folder: ``home`` if given, else the repository root.
        home: run in this folder with a private cache folder (``blogarc_env``).
        script: run the installed console script instead of this checkout's module.
        text: decode the output (the default is bytes: ``get`` writes binary).
        stdin: bytes for standard input.
        timeout: seconds before the run counts as hung.
    """
    return subprocess.run(
        blogarc_argv(*args, script=script),
        cwd=cwd or home or ROOT,
        env=blogarc_env(home, script),
        input=stdin,
        capture_output=True,
        text=text,
        timeout=timeout,
    )


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``warcio check -v`` (the command archivists use) on a WARC file."""
    return subprocess.run(
        [sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


# ---------------------------------------------------------------- reading back


def site_of(url: str) -> str:
    """The store's site key of a fixture server URL: ``http://127.0.0.1:8080`` -> ``127.0.0.1_8080``."""
    return urlsplit(url).netloc.replace(":", "_")


def blog_expected(name: str) -> dict:
    """The ground truth of a fixture blog (its expected.json)."""
    return json.loads((BLOGS / name / "expected.json").read_text("utf-8"))


def jsonl_gz_records(data: bytes) -> list[dict]:
    """Every JSON record of gzipped JSON Lines bytes."""
    return [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]


def read_jsonl_gz(paths: list[Path]) -> list[dict]:
    """Every JSON record of gzipped JSON Lines files."""
    records = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def text_records(store: Path, site: str, run_id: str = "*") -> list[dict]:
    """The text records of a site in a local store, batch by batch: of one run, or of every run."""
    return read_jsonl_gz(sorted((store / "text" / site).glob(f"{run_id}/part-*.jsonl.gz")))


def only_manifest(store: Path, site: str) -> dict:
    """The run manifest of a site in a local store that holds exactly one run."""
    (path,) = (store / "runs" / site).glob("*.json")
    return json.loads(path.read_text())


def index_of(warc: Path) -> Path:
    """The CDXJ index beside a WARC file."""
    return warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")


def record_at(path: Path, offset: int, length: int) -> ArcWarcRecord:
    """The WARC record at ``offset`` (``length`` bytes) of a WARC file: what one ranged read gives."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        member = fh.read(length)
    return next(iter(ArchiveIterator(io.BytesIO(member))))


def check_pointer(warc: Path, record: dict) -> None:
    """Assert that a text record's ``warc`` pointer is one ranged read away from its response record in ``warc``."""
    pointer = record["warc"]
    warc_record = record_at(warc, pointer["offset"], pointer["length"])
    assert warc_record.rec_type == "response"
    assert warc_record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
    assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
    assert warc_record.rec_headers.get_header("WARC-Payload-Digest") == pointer["payload_digest"]
    assert warc_record.rec_headers.get_header("WARC-Date") == record["fetched_at"]


@dataclass
class Blog:
    """One crawled fixture blog: its server, ground truth, and what landed in the store."""

    name: str
    url: str
    site: str
    expected: dict
    store: Path
    requested: list[str]  # "METHOD TARGET" lines the blog's server logged during the crawl

    def records(self) -> list[dict]:
        return text_records(self.store, self.site)

    def by_path(self) -> dict[str, dict]:
        return {r["url"][len(self.url) :]: r for r in self.records()}

    def warcs(self) -> list[Path]:
        return sorted((self.store / "warc" / self.site).glob("*.warc.gz"))

    def manifest(self) -> dict:
        return only_manifest(self.store, self.site)

    def responses(self) -> dict[str, list]:
        """WARC response records by target path: [(status, headers, raw payload)]."""
        found: dict[str, list] = {}
        for warc in self.warcs():
            with open(warc, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type == "response":
                        path = record.rec_headers.get_header("WARC-Target-URI")[len(self.url) :]
                        found.setdefault(path, []).append(
                            (int(record.http_headers.get_statuscode()), record.http_headers, record.raw_stream.read())
                        )
        return found

    def archived_uris(self) -> set[str]:
        """The target URI of every response record of the crawl, whatever its host."""
        uris = set()
        for warc in self.warcs():
            with open(warc, "rb") as fh:
                uris |= {
                    r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"
                }
        return uris


def f1(expected: str, got: str) -> float:
    """Shingle F1 (4-word shingles, case folded) of an extracted text against the expected one."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"\w+", text.lower())
        return {tuple(words[i : i + 4]) for i in range(max(len(words) - 3, 1))}

    want, have = shingles(expected), shingles(got)
    overlap = len(want & have)  # F1 = 2PR / (P + R), with P = overlap / |have| and R = overlap / |want|
    return 2 * overlap / (len(want) + len(have)) if overlap else 0.0


class CountingStore:
    """A real store, with every read it serves written down as (key, offset, length asked, bytes returned)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.uri = inner.uri
        self.reads: list[tuple[str, int, int | None, int]] = []

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self.inner.get_bytes(key, offset, length)
        self.reads.append((key, offset, length, len(data)))
        return data

    def list_keys(self, prefix: str = "") -> list[str]:
        return self.inner.list_keys(prefix)


# ---------------------------------------------------------------- replay


def wait_for_url(url: str, timeout: float = 60) -> tuple[int, bytes]:
    """Status and body of ``url`` once something answers there."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def replaying(store: Path, site: str, folder: Path, pywb: Path) -> Iterator[tuple[str, str]]:
    """``blogarc replay`` of one site on a free port, for the ``with`` block: yields (its first line, base URL).

    The base URL is what comes before ``/URL`` in the line (empty if the line does not say where it replays).
    """
    command = ["replay", "--store", str(store), "--site", site, "--port", "0"]
    command += ["--dir", str(folder), "--pywb", str(pywb)]
    process = subprocess.Popen(blogarc_argv(*command), cwd=ROOT, stdout=subprocess.PIPE, text=True, env=blogarc_env())
    try:
        line = process.stdout.readline()
        _, at, rest = line.partition("replay at ")
        yield line, rest.strip().removesuffix("/URL") if at else ""
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
