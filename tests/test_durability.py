"""Durability (issue 12): a crawl SIGKILLed at chosen points, then restarted, loses and repeats no record.

Each test starts ``blogarc crawl`` of the classic fixture blog in its own process group, slowed down
(``DOWNLOAD_DELAY``, one request at a time) with small text batches and frequent state checkpoints, watches the
spool and the store from the outside until the chosen moment, and kills the whole group (the crawler and its
extraction workers) with SIGKILL. Then the same command runs to completion, and the store must hold, for every post
and page of the fixture (its ``expected.json``), exactly one text record across all runs, every record seen durable
before the kill (in the spool or the store), every WARC record seen durable before the kill, once; each record's
pointer must resolve; ``blogarc verify`` must pass; the spool must be empty.

A lost batch afterwards (deleted from the store) is named by ``blogarc verify`` and rebuilt by
``blogarc extract --missing``, with the record's original run id and fetch time.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.layout import is_batch_name, is_warc_name, site_key, warc_key
from pipelines.runs.state import load_state, state_key
from pipelines.store.base import open_store
from pipelines.warc.files import complete_prefix
from tests.blogserver import BlogServer
from tests.util import ASSETS, REST, ROOT, blogarc
from tests.util import BLOGS as FIXTURES

# slow enough to be caught at any moment, with many batches and checkpoints
SLOW = [
    "-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s", "PROGRESS_INTERVAL=0", "-s", "TEXT_BATCH_ITEMS=2", "-s", "ARCHIVE_STATE_CHECKPOINT=0.5",
    "-s", "ARCHIVE_UPLOAD_RETRY_DELAY=0.5", *REST, *ASSETS,
]  # fmt: skip
QUICK_S3 = ["-s", "ARCHIVE_S3_MAX_ATTEMPTS=2", "-s", "ARCHIVE_S3_CONNECT_TIMEOUT=2", "-s", "ARCHIVE_S3_READ_TIMEOUT=20"]
OPEN_BATCH = ".jsonl.open"


# --- the crawl, in its own process group ------------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass
class Crawl:
    """``blogarc crawl`` with a test's store and spool, run the way a cron job runs it."""

    url: str
    store: str  # a folder or s3:// URI
    spool: Path
    work: Path
    extra: list[str] = field(default_factory=list)

    @property
    def site(self) -> str:
        return site_key(self.url)

    @property
    def args(self) -> list[str]:
        return ["crawl", self.url, "--store", self.store, "--spool", str(self.spool), *SLOW, *self.extra]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(self.work / "cache")}

    def kill_when(self, moment: Callable[[], bool], what: str, timeout: float = 120) -> None:
        """Start the crawl, wait until ``moment()`` holds, SIGKILL its process group and wait until all of it died."""
        log = open(self.work / "killed.log", "ab")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *self.args],
            cwd=self.work,
            env=self.env(),
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: the extraction workers are killed with it
        )
        try:
            deadline = time.monotonic() + timeout
            while not moment():
                if process.poll() is not None:
                    raise AssertionError(f"the crawl ended (exit {process.returncode}) before {what}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what}")
                time.sleep(0.001)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            log.close()
        deadline = time.monotonic() + 10
        while group_members(process.pid):  # the workers, reparented, die an instant later
            assert time.monotonic() < deadline, (
                f"processes of the killed crawl still alive: {group_members(process.pid)}"
            )
            time.sleep(0.05)

    def finish(self) -> subprocess.CompletedProcess[str]:
        """Run the same command again, to completion."""
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", *self.args],
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert result.returncode == 0, result.stderr[-5000:]
        return result


# --- what is durable, in the spool and the store ----------------------------------------------------------------


def whole_lines(path: Path) -> list[dict]:
    """The records of an ``.open`` batch: its whole lines (a line cut by a kill is not a record yet)."""
    data = path.read_bytes()
    return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]


def batch_records(data: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]


def warc_ids(data: bytes) -> list[str]:
    """Record ids of a WARC file's records."""
    return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(data))]


@dataclass
class Durable:
    """What a killed crawl had made durable: text records as (url, run_id, text_sha256), WARC record ids."""

    texts: set[tuple[str, str, str]] = field(default_factory=set)
    warc_ids: set[str] = field(default_factory=set)
    spool_files: list[str] = field(default_factory=list)  # what waited in the spool, for messages

    def add_texts(self, records: list[dict]) -> None:
        self.texts |= {(r["url"], r["run_id"], r["text_sha256"]) for r in records}


def durable_now(crawl: Crawl) -> Durable:
    """Every whole record in the spool and the store (call when nothing writes there)."""
    found = Durable()
    store = open_store(crawl.store)
    for key in store.list_keys(f"text/{crawl.site}/"):
        if is_batch_name(key):
            found.add_texts(batch_records(store.get_bytes(key)))
    for key in store.list_keys(f"warc/{crawl.site}/"):
        if is_warc_name(key):
            found.warc_ids |= set(warc_ids(store.get_bytes(key)))
    for path in sorted(p for p in crawl.spool.rglob("*") if p.is_file() and p.name != ".lock"):
        found.spool_files.append(path.relative_to(crawl.spool).as_posix())
        if path.name.endswith(OPEN_BATCH):
            found.add_texts(whole_lines(path))
        elif is_batch_name(path.name):
            found.add_texts(batch_records(path.read_bytes()))
        elif is_warc_name(path.name.removesuffix(".open")):
            found.warc_ids |= set(warc_ids(path.read_bytes()[: complete_prefix(path)[0]]))
    return found


# --- the checks after the restart -------------------------------------------------------------------------------


def expected_urls(crawl: Crawl) -> list[str]:
    """Every post and page of the classic fixture, from its own list."""
    items = json.loads((FIXTURES / "classic" / "expected.json").read_text())["items"]
    return [crawl.url + item["path"] for item in items]


def stored_records(crawl: Crawl) -> list[dict]:
    store = open_store(crawl.store)
    keys = [key for key in store.list_keys(f"text/{crawl.site}/") if is_batch_name(key)]
    return [record for key in keys for record in batch_records(store.get_bytes(key))]


def assert_nothing_lost_or_repeated(crawl: Crawl, before: Durable) -> list[dict]:
    """The checks of issue 12 after a kill and a finished restart; returns the stored records."""
    store = open_store(crawl.store)
    records = stored_records(crawl)
    per_url = Counter(r["url"] for r in records)
    assert {url: per_url[url] for url in expected_urls(crawl)} == dict.fromkeys(expected_urls(crawl), 1)
    assert [url for url, n in per_url.items() if n > 1] == [], "a URL has two text records"
    kept = {(r["url"], r["run_id"], r["text_sha256"]) for r in records}
    assert before.texts - kept == set(), f"records durable before the kill are gone (spool: {before.spool_files})"
    for record in records:
        pointer = record["warc"]
        data = store.get_bytes(warc_key(crawl.site, pointer["filename"]), pointer["offset"], pointer["length"])
        warc_record = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert warc_record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
        assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
    ids = [
        rid
        for key in store.list_keys(f"warc/{crawl.site}/")
        if is_warc_name(key)
        for rid in warc_ids(store.get_bytes(key))
    ]
    assert len(ids) == len(set(ids)), "a WARC record is stored twice"
    assert before.warc_ids - set(ids) == set(), "WARC records durable before the kill are gone"
    verify = blogarc("verify", "--store", crawl.store, cwd=crawl.work, text=True)
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-3000:]
    left = [p.relative_to(crawl.spool).as_posix() for p in crawl.spool.rglob("*") if p.is_file() and p.name != ".lock"]
    assert left == [], "the spool holds files after a finished run"
    return records


# --- the moments, seen from the outside -------------------------------------------------------------------------


def parked_text(crawl: Crawl) -> list[Path]:
    folder = crawl.spool / "_parked" / "text" / crawl.site
    return sorted(folder.rglob("part-*")) if folder.is_dir() else []


def state_urls(crawl: Crawl) -> set[str]:
    """URLs the crawl state in a local store holds (empty before the first checkpoint)."""
    path = Path(crawl.store) / "state" / crawl.site / "urls.jsonl.gz"
    try:
        lines = gzip.decompress(path.read_bytes()).splitlines()
    except (OSError, EOFError):
        return set()
    return {json.loads(line).get("url") for line in lines if line.strip()} - {None}


class FrozenWorkers:
    """Stop (SIGSTOP) the crawl's extraction workers as they appear: every page's extraction stays in flight."""

    def __init__(self, crawl_pid: Callable[[], int | None]):
        self.crawl_pid = crawl_pid
        self.stopped: set[int] = set()

    def freeze(self) -> int:
        pgid = self.crawl_pid()
        if pgid is None:
            return 0
        for pid in group_members(pgid):
            if pid not in self.stopped and "spawn_main" in command_line(pid):
                os.kill(pid, signal.SIGSTOP)
                self.stopped.add(pid)
        return len(self.stopped)


def newest_group() -> int | None:
    """The process group of the newest ``blogarc crawl`` started by this test process (its session leader)."""
    me = os.getpid()
    leaders = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid, pgrp = entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1:3]
            except OSError:
                continue
            if int(ppid) == me and int(pgrp) == int(entry.name):
                leaders.append(int(entry.name))
    return max(leaders, default=None)


@pytest.fixture
def classic_crawl(blog_servers, tmp_path) -> Crawl:
    return Crawl(blog_servers["classic"].url, str(tmp_path / "store"), tmp_path / "spool", tmp_path)


def spool_responses(crawl: Crawl) -> set[str]:
    """Target URIs of the whole response records in the spool's WARC files."""
    found = set()
    for path in (crawl.spool / crawl.site).glob("*.warc.gz*"):
        data = path.read_bytes()[: complete_prefix(path)[0]]
        records = ArchiveIterator(io.BytesIO(data), no_record_parse=True, check_digests=False)
        found |= {r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "response"}
    return found


def test_killed_during_extraction(classic_crawl):
    """Posts archived, their extraction in flight (the workers stopped), state checkpoints going on meanwhile."""
    crawl = classic_crawl
    workers = FrozenWorkers(newest_group)
    posts = set(expected_urls(crawl))
    state = Path(crawl.store) / "state" / crawl.site / "urls.jsonl.gz"
    since: list[float] = []

    def moment() -> bool:  # posts archived, then a checkpoint written while their extraction waits
        if workers.freeze() and not since and len(posts & spool_responses(crawl)) >= 2:
            since.append(time.time())
        return bool(since) and state.exists() and state.stat().st_mtime > since[0] + 0.1

    crawl.kill_when(moment, "a checkpoint while the extraction of archived posts waits")
    assert posts & state_urls(crawl) == set(), "the state names posts whose records were never written"
    before = durable_now(crawl)
    assert before.texts == set(), "no extraction finished"
    crawl.finish()
    assert_nothing_lost_or_repeated(crawl, before)


def test_killed_while_a_batch_is_half_written(classic_crawl):
    """One record of a two-record batch written; then a torn line, as a kill in the middle of a write leaves."""
    crawl = classic_crawl

    def moment() -> bool:
        files = parked_text(crawl)
        closed = [p for p in files if p.name.endswith(".jsonl.gz")]
        opened = [p for p in files if p.name.endswith(OPEN_BATCH)]
        try:
            return len(closed) >= 1 and any(len(whole_lines(p)) == 1 for p in opened)
        except FileNotFoundError:  # the batch closed between the listing and the reading: look again
            return False

    crawl.kill_when(moment, "a batch with one record of two")
    before = durable_now(crawl)
    # the half batch; a full one may be beside it, detached and being closed (pipelines/text/pipeline.py)
    (half,) = [p for p in parked_text(crawl) if p.name.endswith(OPEN_BATCH) and len(whole_lines(p)) == 1]
    with open(half, "ab") as fh:
        fh.write(b'{"url": "' + crawl.url.encode() + b'/torn", "text": "cut')
    crawl.finish()
    assert_nothing_lost_or_repeated(crawl, before)


def test_killed_after_a_batch_closed_before_its_upload(classic_crawl):
    crawl = classic_crawl
    crawl.kill_when(lambda: any(p.name.endswith(".jsonl.gz") for p in parked_text(crawl)), "a closed batch")
    before = durable_now(crawl)
    assert [name for name in before.spool_files if name.endswith(".jsonl.gz")], "killed before the upload"
    crawl.finish()
    assert_nothing_lost_or_repeated(crawl, before)


def test_restarted_with_the_run_id_of_the_killed_run(classic_crawl):
    """``--run-id`` on the command line: the restart continues the same run and must not overwrite its batches."""
    crawl = classic_crawl
    crawl.extra = ["--run-id", "nightly-1"]
    stored = Path(crawl.store) / "text" / crawl.site / "nightly-1"

    def moment() -> bool:  # batches in the store, none in the spool: the run's batch numbers are in the store only
        return (
            stored.is_dir() and any(p.name.endswith(".jsonl.gz") for p in stored.iterdir()) and not parked_text(crawl)
        )

    crawl.kill_when(moment, "batches in the store and none in the spool")
    before = durable_now(crawl)
    crawl.finish()
    assert_nothing_lost_or_repeated(crawl, before)


def test_a_post_behind_pages_the_killed_run_captured_is_archived_by_the_next(tmp_path):
    """The killed run captured the pages that link to a post, but not the post: its queue of requests died with it.

    The next run must read those pages in full, not ask for a 304 (no body, no links), or the post is never archived.
    The post answers slowly, so the kill comes once everything else is captured and checkpointed.
    """
    post = "/2023/11/the-lighthouse-keepers-logbook/"
    root = tmp_path / "blog"
    shutil.copytree(FIXTURES / "classic", root)
    routes = json.loads((root / "_routes.json").read_text("utf-8"))
    (root / "_routes.json").write_text(json.dumps({**routes, post: {"delay": 8}}), "utf-8")
    linking = {
        "/" + p.parent.relative_to(root).as_posix() + "/"
        for p in root.rglob("index.html")
        if post.encode() in p.read_bytes()
    }
    access_log = tmp_path / "access.log"
    with BlogServer(root, access_log=access_log) as server:
        quick = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]  # the rest while the post waits
        crawl = Crawl(server.url, str(tmp_path / "store"), tmp_path / "spool", tmp_path, extra=quick)
        state_file = Path(crawl.store) / state_key(crawl.site)
        seen = {"size": -1, "since": 0.0}

        def moment() -> bool:  # the post asked for, nothing else asked for 2 s, a checkpoint saved since
            size = access_log.stat().st_size if access_log.exists() else 0
            if size != seen["size"]:
                seen.update(size=size, since=time.time())
            asked = f"GET {post} " in access_log.read_text() if size else False
            quiet = time.time() - seen["since"] > 2
            return asked and quiet and state_file.exists() and state_file.stat().st_mtime > seen["since"] + 1

        crawl.kill_when(moment, "everything but the post captured and checkpointed")
        killed = load_state(open_store(crawl.store), crawl.site).previous
        asked = {line.split()[1] for line in access_log.read_text().splitlines()}
        assert crawl.url + post not in spool_responses(crawl), "the post was archived before the kill"
        assert {crawl.url + path for path in (linking & asked) - {post}} <= set(killed), (
            "a page linking the post is not in the state"
        )
        before = durable_now(crawl)
        crawl.finish()
        assert_nothing_lost_or_repeated(crawl, before)


def test_killed_during_a_state_checkpoint(classic_crawl):
    """The state (or the lock renewed with it) being written: its temporary file is in the store's folder."""
    crawl = classic_crawl
    folder = Path(crawl.store) / "state" / crawl.site
    texts = {"n": 0}

    def moment() -> bool:
        if not texts["n"]:
            texts["n"] = len([p for p in parked_text(crawl) if p.name.endswith((OPEN_BATCH, ".jsonl.gz"))])
        return bool(texts["n"]) and folder.is_dir() and any(p.name.startswith(".tmp-") for p in folder.iterdir())

    crawl.kill_when(moment, "a state checkpoint being written")
    assert [p.name for p in folder.iterdir() if p.name.startswith(".tmp-")], "killed while writing"
    before = durable_now(crawl)
    crawl.finish()
    assert_nothing_lost_or_repeated(crawl, before)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".tmp-")] == [], "the killed write's temporary file"


def lost_batch_is_named_and_rebuilt(crawl: Crawl, records: list[dict]) -> None:
    """Delete one stored batch: verify names its URLs; extract --missing rebuilds them as they were."""
    store = open_store(crawl.store)
    batches = sorted(key for key in store.list_keys(f"text/{crawl.site}/") if is_batch_name(key))
    lost_key = batches[0]
    lost = {r["url"]: r for r in batch_records(store.get_bytes(lost_key))}
    store.delete(lost_key)
    store.delete(lost_key.removesuffix(".jsonl.gz") + ".parquet")
    verify = blogarc("verify", "--store", crawl.store, cwd=crawl.work, text=True)
    assert verify.returncode != 0
    for url in lost:
        assert f"no text record for {url}" in verify.stdout, verify.stdout[-3000:]
    repaired = blogarc("extract", "--missing", crawl.store, "--workers", "0", cwd=crawl.work, text=True)
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    rebuilt = {r["url"]: r for r in stored_records(crawl) if r["url"] in lost}
    assert sorted(rebuilt) == sorted(lost)
    for url, record in rebuilt.items():
        assert record["run_id"] == lost[url]["run_id"]
        pointer = record["warc"]
        data = store.get_bytes(warc_key(crawl.site, pointer["filename"]), pointer["offset"], pointer["length"])
        capture = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert record["fetched_at"] == capture.rec_headers.get_header("WARC-Date") == lost[url]["fetched_at"]
        assert record["text_sha256"] == lost[url]["text_sha256"]
    assert Counter(r["url"] for r in stored_records(crawl)) == Counter(r["url"] for r in records)
    verify = blogarc("verify", "--store", crawl.store, cwd=crawl.work, text=True)
    assert verify.returncode == 0, verify.stdout[-3000:]


def test_a_lost_batch_is_named_by_verify_and_rebuilt(classic_crawl):
    crawl = classic_crawl
    crawl.kill_when(lambda: len(parked_text(crawl)) >= 1 and len(state_urls(crawl)) > 0, "a first checkpoint")
    before = durable_now(crawl)
    crawl.finish()
    records = assert_nothing_lost_or_repeated(crawl, before)
    lost_batch_is_named_and_rebuilt(crawl, records)


def s3_keys(bucket: str) -> list[str]:
    client = boto3.client("s3")
    return [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]


def test_killed_during_an_upload_to_s3(blog_servers, bucket, tmp_path):
    """A WARC stored without its index yet, or a batch without its Parquet twin: the shipper was mid-way."""
    crawl = Crawl(
        blog_servers["classic"].url,
        f"s3://{bucket}",
        tmp_path / "spool",
        tmp_path,
        ["-s", "WARC_MAX_SIZE=20000", *QUICK_S3],
    )
    client = boto3.client("s3")

    def half_done() -> list[str]:
        keys = set(s3_keys(bucket))
        texts = [k for k in keys if k.endswith(".jsonl.gz")]
        if not texts:
            return []  # wait for text in the store too
        halves = [k for k in keys if k.endswith(".warc.gz") and k.removesuffix(".warc.gz") + ".cdxj" not in keys]
        halves += [k for k in texts if k.removesuffix(".jsonl.gz") + ".parquet" not in keys]
        return halves + [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

    crawl.kill_when(lambda: bool(half_done()), "an upload half done")
    assert half_done(), "killed between the two uploads of a pair"
    before = durable_now(crawl)
    crawl.finish()
    records = assert_nothing_lost_or_repeated(crawl, before)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    lost_batch_is_named_and_rebuilt(crawl, records)
