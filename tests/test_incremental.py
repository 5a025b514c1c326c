"""Incremental crawls end to end: a fixture blog served from a copy the test changes between runs.

Run 1 captures everything; run 2, unchanged, writes revisit records only; then one post is changed, one added (and
linked from the home page) and one deleted, and run 3 writes exactly one ``changed`` and one ``new`` record and
lists the deleted post as ``gone``. A server that ignores conditional headers still gets revisits (by payload
digest), and a second run of a site whose lock is held stops with a clear message.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import jsonschema
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.runs.sitelock import SiteLock
from pipelines.runs.state import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, CrawlState, UrlState, load_state, state_key
from pipelines.store.base import open_store
from tests.blogserver import BlogServer
from tests.util import (
    ASSETS,
    BLOGS,
    FAST,
    IN_PROCESS,
    REST,
    ROOT,
    SCHEMA,
    blogarc,
    replaying,
    site_of,
    text_records,
    wait_for_url,
    warcio_check,
)

CHANGED = "/2024/02/notes-on-packing-light/"
ADDED = "/2024/05/sourdough-again/"
DELETED = "/2023/11/the-lighthouse-keepers-logbook/"


@dataclass
class Run:
    """One crawl of the served copy: its id, exit, WARC records and text records."""

    run_id: str
    returncode: int
    output: str
    warcs: list[Path]
    records: list[dict]
    manifest: dict

    def warc_records(self) -> list[tuple[str, str, int, object]]:
        """(type, target URI, HTTP status, record headers) of every response and revisit record of the run."""
        found = []
        for path in self.warcs:
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type in ("response", "revisit"):
                        status = int(record.http_headers.get_statuscode())
                        uri = record.rec_headers.get_header("WARC-Target-URI")
                        found.append((record.rec_type, uri, status, record.rec_headers))
        return found

    def warc_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.warcs)


class Site:
    """A copy of a fixture blog, served, and crawled into one store again and again."""

    def __init__(self, tmp: Path, conditional: bool = True, fixture: str | Path = "classic"):
        self.root = tmp / "blog"
        shutil.copytree(fixture if isinstance(fixture, Path) else BLOGS / fixture, self.root)
        self.store = tmp / "store"
        self.spool = tmp / "spool"
        self.server = BlogServer(self.root, access_log=tmp / "access.log", conditional=conditional).__enter__()
        self.site = site_of(self.server.url)
        self.runs: list[Run] = []

    def crawl(self, *extra: str) -> Run:
        run_id = f"run{len(self.runs) + 1}-{time.time_ns()}"
        args = ["crawl", self.server.url + "/", "--store", str(self.store), "--spool", str(self.spool)]
        # extraction in the crawling process: these crawls are small, a worker pool would only cost its start
        result = blogarc(
            *args, "--run-id", run_id, *FAST, *REST, *ASSETS, *IN_PROCESS, *extra, cwd=self.root, text=True
        )
        warcs = [p for p in sorted((self.store / "warc" / self.site).glob("*.warc.gz")) if p not in self.known()]
        records = text_records(self.store, self.site, run_id)
        manifest_path = self.store / "runs" / self.site / f"{run_id}.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        run = Run(run_id, result.returncode, result.stdout + result.stderr, warcs, records, manifest)
        self.runs.append(run)
        return run

    def known(self) -> set[Path]:
        return {path for run in self.runs for path in run.warcs}

    def url(self, path: str) -> str:
        return self.server.url + path

    def close(self) -> None:
        self.server.__exit__(None, None, None)


def change_blog(root: Path) -> None:
    """Edit one post, add one (linked from the home page), delete one: what a blogger does between two runs."""
    changed = root / CHANGED.strip("/") / "index.html"
    html = changed.read_text(encoding="utf-8")
    edited = re.sub(r"(<div class=\"entry-content\">\s*<p>)", r"\1Update: I now pack even less. ", html, count=1)
    assert edited != html
    changed.write_text(edited, encoding="utf-8")
    source = (root / "2024/03/sourdough-in-a-cold-kitchen/index.html").read_text(encoding="utf-8")
    added = root / ADDED.strip("/") / "index.html"
    added.parent.mkdir(parents=True)
    new = source.replace("2024/03/sourdough-in-a-cold-kitchen", ADDED.strip("/")).replace("in a Cold Kitchen", "Again")
    added.write_text(new.replace("<p>", "<p>A second loaf, a warmer kitchen. ", 1), encoding="utf-8")
    home = root / "index.html"
    link = f'<li><a href="{{{{BASE_URL}}}}{ADDED}">Sourdough Again</a></li>'
    home.write_text(home.read_text(encoding="utf-8").replace("</ul>", link + "</ul>", 1), encoding="utf-8")
    shutil.rmtree(root / DELETED.strip("/"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The classic blog crawled three times: first, unchanged, after changes."""
    site = Site(tmp_path_factory.mktemp("incremental"))
    try:
        for _ in range(2):
            site.crawl()
        change_blog(site.root)
        site.crawl("-s", "ARCHIVE_STATE_CHECKPOINT=0.2", "-s", "DOWNLOAD_DELAY=0.05")  # checkpoints while it runs
        yield site
    finally:
        site.close()


def test_first_run_is_full_and_every_record_is_new(site):
    first = site.runs[0]
    assert first.returncode == 0, first.output[-3000:]
    assert first.manifest["mode"] == "full" and first.manifest["gone"] == []
    assert first.records and {r["change"] for r in first.records} == {"new"}
    for record in first.records:
        jsonschema.validate(record, SCHEMA)
    state = load_state(open_store(str(site.store)), site.site)
    assert site.url("/") in state.previous and site.url(CHANGED) in state.previous
    assert state.previous[site.url(CHANGED)].text_sha256 is not None


def test_unchanged_run_writes_revisits_and_no_text(site):
    first, second = site.runs[:2]
    assert second.returncode == 0, second.output[-3000:]
    assert second.manifest["mode"] == "incremental"
    assert second.records == []
    originals = {h.get_header("WARC-Record-ID"): (uri, h) for t, uri, s, h in first.warc_records() if t == "response"}
    captured = second.warc_records()
    assert captured
    fetched_ok = [c for c in captured if c[2] in (200, 304)]
    assert fetched_ok and all(rec_type == "revisit" for rec_type, *_ in fetched_ok), [
        (t, u, s) for t, u, s, _ in fetched_ok if t != "revisit"
    ]
    profiles = Counter(h.get_header("WARC-Profile") for _, _, _, h in captured if h.get_header("WARC-Profile"))
    assert profiles[REVISIT_NOT_MODIFIED] > 20 and profiles[REVISIT_IDENTICAL] >= 1  # the home page is a hub
    for rec_type, _uri, status, headers in captured:
        if rec_type != "revisit":
            continue
        original_uri, original = originals[headers.get_header("WARC-Refers-To")]
        assert headers.get_header("WARC-Refers-To-Target-URI") == original_uri
        assert headers.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert headers.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
        assert (status == 304) == (headers.get_header("WARC-Profile") == REVISIT_NOT_MODIFIED)
    for path in second.warcs:
        assert warcio_check(path).returncode == 0


def test_unchanged_run_stores_a_fraction_of_the_bytes(site):
    first, second = site.runs[:2]
    # The classic fixture's pages are small (5 KB gzipped): a request + revisit pair costs ~1 KB whatever the page,
    # so this blog cannot go below ~12%; on the 2,000-post bench blog (65 KB pages) it is far lower.
    assert second.warc_bytes() < 0.15 * first.warc_bytes(), (second.warc_bytes(), first.warc_bytes())


def test_unchanged_run_of_real_size_pages_stores_under_a_tenth(tmp_path):
    """The issue's figure on pages of real WordPress size (~62 KB, generated by bench/make_blog.py)."""
    source = tmp_path / "generated"
    generator = [sys.executable, str(ROOT / "bench" / "make_blog.py"), str(source), "--posts", "25"]
    subprocess.run([*generator, "--base-url", "{{BASE_URL}}"], check=True, capture_output=True, timeout=120)
    site = Site(tmp_path, fixture=source)
    try:
        first, second = site.crawl(), site.crawl()
    finally:
        site.close()
    assert first.returncode == 0 and second.returncode == 0, second.output[-3000:]
    assert len(first.records) >= 25 and second.records == []
    assert second.warc_bytes() < 0.10 * first.warc_bytes(), (second.warc_bytes(), first.warc_bytes())


def test_unchanged_run_costs_the_blog_fewer_requests(site):
    first, second = site.runs[:2]
    # known requisites are not asked for again; every page known is asked for conditionally (a 304, no body)
    assert second.manifest["counts"]["requests"] < 0.75 * first.manifest["counts"]["requests"]
    assert second.manifest["counts"]["bytes_received"] < 0.2 * first.manifest["counts"]["bytes_received"]
    assert load_state(open_store(str(site.store)), site.site).runs == 3


def test_changed_added_and_deleted_posts(site):
    third = site.runs[2]
    assert third.returncode == 0, third.output[-3000:]
    changes = {r["url"][len(site.server.url) :]: r["change"] for r in third.records}
    assert changes == {CHANGED: "changed", ADDED: "new"}
    for record in third.records:
        jsonschema.validate(record, SCHEMA)
    assert third.manifest["gone"] == [site.url(DELETED)]
    gone = [(t, s) for t, uri, s, _ in third.warc_records() if uri == site.url(DELETED)]
    assert gone and all(status == 404 for _, status in gone)
    state = load_state(open_store(str(site.store)), site.site)
    assert site.url(DELETED) not in state.previous and site.url(ADDED) in state.previous
    assert third.manifest["counts"]["state_checkpoints"] >= 2  # saved (and the lock renewed) during the run
    assert not (site.store / "state" / site.site / "lock.json").exists()


def test_revisit_runs_index_their_warcs_as_cdxj_indexer_does(site):
    # revisit records are indexed as the file is written too (warc/revisit, the HTTP status of the revisit)
    from cdxj_indexer.main import write_cdx_index

    second = site.runs[1]
    for warc in second.warcs:
        out = io.StringIO()
        write_cdx_index(out, [str(warc)], {"sort": True, "filename": warc.name})
        index = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
        assert index.read_text(encoding="utf-8") == out.getvalue()
    assert any('"mime": "warc/revisit"' in line for line in out.getvalue().splitlines())


def test_server_ignoring_conditional_headers_still_gets_digest_revisits(tmp_path):
    site = Site(tmp_path, conditional=False)
    try:
        first, second = site.crawl("--no-extract"), site.crawl("--no-extract")
    finally:
        site.close()
    assert first.returncode == 0 and second.returncode == 0, second.output[-3000:]
    captured = [c for c in second.warc_records() if c[2] == 200]
    assert captured and {t for t, *_ in captured} == {"revisit"}
    assert {h.get_header("WARC-Profile") for *_, h in captured} == {REVISIT_IDENTICAL}
    assert not any(status == 304 for _, _, status, _ in second.warc_records())
    assert second.warc_bytes() < 0.25 * first.warc_bytes()


def test_sitemap_dates_skip_fetches_until_revalidation_and_full_captures_all(tmp_path):
    site = Site(tmp_path, fixture="block")  # the block blog has wp-sitemap.xml with lastmod dates
    try:
        runs = [site.crawl("--no-extract", "--revalidate-every", "2") for _ in range(3)]
        runs.append(site.crawl("--no-extract", "--full"))
    finally:
        site.close()
    assert all(run.returncode == 0 for run in runs), [run.output[-2000:] for run in runs]
    first, incremental, revalidate, full = (run.manifest for run in runs)
    assert [m["mode"] for m in (first, incremental, revalidate, full)] == ["full", "incremental", "revalidate", "full"]
    assert incremental["counts"]["skipped_by_date"] > 0 and incremental["counts"]["skipped_requisites"] > 0
    assert revalidate["counts"]["skipped_by_date"] == 0 and revalidate["counts"]["skipped_requisites"] == 0
    assert revalidate["counts"]["requests"] > incremental["counts"]["requests"]
    assert revalidate["counts"]["revisits_not_modified"] > incremental["counts"]["revisits_not_modified"]
    assert full["counts"]["conditional_requests"] == 0
    assert not [c for c in runs[3].warc_records() if c[0] == "revisit" and c[2] in (200, 304)]


def test_second_overlapping_run_exits_with_a_clear_message(tmp_path):
    site = Site(tmp_path)
    store = open_store(str(site.store))
    holder = SiteLock(store, site.site, "other-run", ttl=600)
    try:
        holder.acquire()
        locked = site.crawl("--no-extract", "-s", "ARCHIVE_LOCK_WAIT=1")
        holder.release()
        stale = SiteLock(store, site.site, "dead-run", ttl=-1)  # a run that died: its lock expired
        stale.acquire()
        after = site.crawl("--no-extract")
    finally:
        site.close()
    assert locked.returncode != 0
    assert "is being crawled by run other-run" in locked.output, locked.output[-3000:]
    assert "INCOMPLETE (site_locked)" in locked.output
    assert locked.manifest == {} and not locked.warcs
    assert after.returncode == 0, after.output[-3000:]
    assert "Taking over the stale lock" in after.output
    assert not (site.store / "state" / site.site / "lock.json").exists()


def test_verify_checks_that_every_revisit_has_its_original(site, tmp_path):
    ok = blogarc("verify", "--store", str(site.store), "--json", cwd=tmp_path, text=True)
    report = json.loads(ok.stdout)
    assert ok.returncode == 0 and report["counts"]["revisits"] > 20, ok.stdout[-3000:]
    broken = tmp_path / "store"
    shutil.copytree(site.store, broken)
    for path in site.runs[0].warcs:  # the originals of every later revisit
        (broken / path.relative_to(site.store)).unlink()
    bad = blogarc("verify", "--store", str(broken), "--json", cwd=tmp_path, text=True)
    problems = [p["message"] for p in json.loads(bad.stdout)["problems"]]
    assert bad.returncode == 1 and any(re.search(r"revisit at byte \d+ refers to http", m) for m in problems)


def test_get_at_a_later_run_returns_the_archived_body(site, tmp_path):
    url = site.url("/about/")
    second = site.runs[1]
    (revisit,) = [h for t, uri, _, h in second.warc_records() if uri == url and t == "revisit"]
    at = revisit.get_header("WARC-Date")[:19] + "Z"
    got = blogarc("get", url, "--at", at, "--body", "--store", str(site.store), cwd=tmp_path, text=True)
    assert got.returncode == 0, got.stderr[-2000:]
    assert "revisit of" in got.stderr
    assert got.stdout == fixture_page(site, "about/index.html")


def test_state_round_trips_and_a_damaged_state_means_a_full_run(tmp_path):
    store = open_store(str(tmp_path))
    state = CrawlState("blog.example")
    state.start_run("r1", revalidate=True)
    entry = UrlState("http://blog.example/a/", "sha1:AAAA", "2026-01-01T00:00:00Z", "x.warc.gz", 10, 20, "<urn:1>")
    entry.etag, entry.text_sha256 = '"e1"', "f" * 64
    state.record_capture(entry)
    state.save(store)
    loaded = load_state(store, "blog.example")
    assert loaded.previous == {entry.url: entry} and loaded.runs == 1 and loaded.exists
    (tmp_path / state_key("blog.example")).write_bytes(b"not a state")
    assert not load_state(store, "blog.example").exists


def test_pywb_replays_revisits_with_the_original_body(site, pywb_bin, tmp_path):
    home, about = site.url("/"), site.url("/about/")
    (revisit,) = [h for t, uri, _, h in site.runs[1].warc_records() if uri == home and t == "revisit"]
    assert revisit.get_header("WARC-Profile") == REVISIT_IDENTICAL  # the home page is asked for unconditionally
    stamp = re.sub(r"\D", "", revisit.get_header("WARC-Date"))[:14]
    with replaying(site.store, site.site, tmp_path / "pywb", pywb_bin) as (_, base):
        status, about_body = wait_for_url(f"{base}/id_/{about}")  # latest capture: a 304 revisit in the WARC
        with urllib.request.urlopen(f"{base}/{stamp}id_/{home}", timeout=30) as response:
            home_body, memento = response.read(), response.headers.get("Memento-Datetime")
    assert status == 200 and about_body.decode("utf-8") == fixture_page(site, "about/index.html")
    assert memento == format_datetime(datetime.fromisoformat(revisit.get_header("WARC-Date")), usegmt=True)
    assert home_body.decode("utf-8") == fixture_page(site, "index.html")


def fixture_page(site: Site, path: str) -> str:
    """A page of the classic fixture as the server sent it (before ``change_blog``)."""
    page = (BLOGS / "classic" / path).read_text(encoding="utf-8")
    return page.replace("{{BASE_URL}}", site.server.url).replace("{{ASSET_URL}}", site.server.asset_url)


def entry(url: str) -> UrlState:
    return UrlState(url, "sha1:" + "A" * 32, "2026-12-01T00:00:00Z", "a.warc.gz", 0, 100, "<urn:uuid:x>")


def test_a_checkpoint_snapshot_is_what_the_state_was_when_taken():
    """The checkpoint encodes in a thread while the crawl changes the state: it must hold the moment it was taken."""
    state = CrawlState("blog.example.org")
    state.previous = {
        f"https://blog.example.org/old/{i}/": entry(f"https://blog.example.org/old/{i}/") for i in range(50)
    }
    for i in range(50):
        url = f"https://blog.example.org/new/{i}/"
        state.current[url] = entry(url)
    taken, expected = state.snapshot(), state.dumps()
    for i in range(50, 100):  # what the crawl does meanwhile: new captures, text fingerprints, payloads
        url = f"https://blog.example.org/new/{i}/"
        state.current[url] = entry(url)
    state.set_text("https://blog.example.org/new/0/", "f" * 64)
    state.meta["absorbed_runs"] = ["run-x"]
    assert taken.dumps() == expected
    assert state.dumps() != expected


def test_a_checkpoint_saving_as_the_run_ends_does_not_bring_the_lock_back(blog_servers, tmp_path):
    """A run waits for a checkpoint in flight before its last save and the release of its lock.

    Else the checkpoint's renewal wrote the lock again after the release (3 runs in 8 here, before the fix), and the
    next night's run found the site locked by a run that had ended. Checkpoints every 2 ms make the overlap likely.
    """
    server = blog_servers["block"]
    for run in range(6):
        store = tmp_path / f"store{run}"
        args = ["crawl", server.url + "/", "--store", str(store), "--spool", str(tmp_path / f"spool{run}")]
        result = blogarc(
            *args, *FAST, *IN_PROCESS, "--no-requisites", "-s", "ARCHIVE_STATE_CHECKPOINT=0.002", text=True
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert not list(store.glob("state/*/lock.json")), f"run {run}: the lock outlived its run"


def test_only_the_captures_a_killed_run_made_before_it_was_found_killed_are_distrusted(tmp_path):
    """A run whose last save was a checkpoint was killed; its restart (same run id) and later runs are trusted."""
    store, site_name = open_store(str(tmp_path)), "blog.example.org"
    a, b = "https://blog.example.org/a/", "https://blog.example.org/b/"

    def run(run_id: str, url: str | None, ends: bool) -> CrawlState:
        state = load_state(store, site_name)
        state.start_run(run_id, revalidate=False)
        if url is not None:
            state.record_capture(
                replace(entry(url), run_id=run_id, date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            )
        if ends:
            state.end_run()
        state.snapshot().save(store)  # a checkpoint when the run does not end
        return load_state(store, site_name)

    state = run("r1", a, ends=False)  # killed after its checkpoint
    assert not state.captured_by_killed_run(state.previous[a])  # nobody knows yet: the run may be going on
    state = run("r1", b, ends=True)  # its restart
    assert state.captured_by_killed_run(state.previous[a]) and not state.captured_by_killed_run(state.previous[b])
    state = run("r2", a, ends=True)  # a captured again: trusted from now on
    assert not any(state.captured_by_killed_run(e) for e in state.previous.values())
