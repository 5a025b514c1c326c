"""A job of many blogs: bounded concurrency, every failure counted (manifest, summary, exit status), the job manifest.

Real servers on 127.0.0.1: the fixture blogs; a port nothing listens on ("refused"); a socket that accepts
connections and never answers ("timeout"); a server that answers every request with 500 ("failed"); and a host
name that cannot resolve (``no-such-host.invalid``, RFC 2606) for DNS.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.blogserver import BlogServer
from tests.util import BLOGS, FAST, IN_PROCESS, blogarc, site_of, slow, text_records

EXIT_SITE_FAILED = 3  # README, "Many blogs in one job": a blog was unreachable, failed or timed out


def manifests_of(store: Path, run_id: str) -> dict[str, dict]:
    """Every site's run manifest of ``run_id`` (``runs/{site}/{run_id}.json``), by site."""
    return {
        path.parent.name: json.loads(path.read_text())
        for path in store.glob(f"runs/*/{run_id}.json")
        if not path.parent.name.startswith("_")
    }


def job_manifest(store: Path, run_id: str) -> dict:
    """The job manifest, ``runs/_job/{run_id}.json``."""
    return json.loads((store / "runs" / "_job" / f"{run_id}.json").read_text())


def summary_word(stdout: str, site: str) -> str:
    """The status word of a site's summary line (``ok``, ``unreachable``...)."""
    found = re.search(rf"^{re.escape(site)}: (\S+) \(", stdout, re.M)
    assert found, stdout
    return found.group(1)


@pytest.fixture(scope="module")
def sixth_blog(tmp_path_factory) -> Iterator[BlogServer]:
    """A sixth fixture blog server (the plain blog again, on its own port: another site)."""
    log = tmp_path_factory.mktemp("sixth") / "access.log"
    with BlogServer(BLOGS / "plain", access_log=log) as server:
        yield server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.fixture
def refused_port() -> int:
    """A port nothing listens on (bound once to find a free one, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ErrorsOnly(BaseHTTPRequestHandler):
    """Answer every request with 500."""

    def do_GET(self) -> None:
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def errors_url() -> Iterator[str]:
    """A server on 127.0.0.1 that answers only errors."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ErrorsOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_at_most_n_blogs_crawl_at_once(blog_servers, sixth_blog, tmp_path):
    servers = [*blog_servers.values(), sixth_blog]
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text("".join(f"{server.url}/\n" for server in servers))
    store, run_id = tmp_path / "store", "job-bounded"
    args = ["crawl", "--sites", str(sites_file), "--concurrent-sites", "2", "--run-id", run_id]
    result = blogarc(*args, "--store", str(store), "--spool", str(tmp_path / "spool"), *FAST, *IN_PROCESS, text=True)
    assert result.returncode == 0, result.stderr[-5000:]
    manifests = manifests_of(store, run_id)
    order = [site_of(server.url) for server in servers]
    assert sorted(manifests) == sorted(order)
    spans = [(manifests[site]["started_at"], manifests[site]["finished_at"]) for site in order]
    for start, _ in spans:  # never more than 2 crawls at once
        assert sum(s <= start < f for s, f in spans) <= 2, spans
    for rank, (start, _) in enumerate(spans[2:], 2):  # the others wait in order: the k-th starts after k-1 ended
        assert sum(f <= start for _, f in spans) >= rank - 1, spans
    for site in order:
        assert summary_word(result.stdout, site) == "ok"
    # the job manifest's figures are the sums of the sites' manifests
    job = job_manifest(store, run_id)
    counts = [manifest["counts"] for manifest in manifests.values()]
    assert job["counts"]["sites"] == len(manifests)
    assert job["counts"]["pages"] == sum(c["responses"] for c in counts)
    assert job["counts"]["records"] == sum(c["records_written"] for c in counts)
    assert job["counts"]["bytes"] == sum(c["warc_bytes"] for c in counts)
    assert job["counts"]["files_pending"] == sum(len(m["pending"]) for m in manifests.values()) == 0
    assert job["sites_by_status"] == {"finished": order}
    for entry in job["sites"]:
        manifest = manifests[entry["site"]]
        assert (entry["started_at"], entry["finished_at"]) == (manifest["started_at"], manifest["finished_at"])
        assert entry["manifest"] == f"runs/{entry['site']}/{run_id}.json"
    assert f"job manifest file://{store.resolve()}/runs/_job/{run_id}.json" in result.stdout


def test_every_failure_has_its_status(blog_servers, refused_port, silent_port, errors_url, tmp_path):
    good = blog_servers["plain"]
    lines = {
        site_of(good.url): (f"{good.url}/", "finished", "ok"),
        f"127.0.0.1_{refused_port}": (f"http://127.0.0.1:{refused_port}/", "unreachable", "unreachable"),
        "no-such-host.invalid": ("http://no-such-host.invalid/", "unreachable", "unreachable"),
        f"127.0.0.1_{silent_port}": (
            f"http://127.0.0.1:{silent_port}/ DOWNLOAD_TIMEOUT=2 RETRY_TIMES=0",
            "unreachable",
            "unreachable",
        ),
        site_of(errors_url): (f"{errors_url}/ RETRY_TIMES=0", "failed", "failed"),
    }
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text("".join(line + "\n" for line, _, _ in lines.values()))
    store, run_id = tmp_path / "store", "job-failures"
    args = ["crawl", "--sites", str(sites_file), "--concurrent-sites", "3", "--run-id", run_id]
    result = blogarc(*args, "--store", str(store), "--spool", str(tmp_path / "spool"), *FAST, *IN_PROCESS, text=True)
    assert result.returncode == EXIT_SITE_FAILED, result.stdout + result.stderr[-5000:]
    manifests = manifests_of(store, run_id)
    assert sorted(manifests) == sorted(lines)
    for site, (_, status, word) in lines.items():
        assert manifests[site]["status"] == status, (site, manifests[site]["counts"])
        assert summary_word(result.stdout, site) == word
    # the good blog is not affected: every post and page of its ground truth recorded
    records = {r["url"][len(good.url) :] for r in text_records(store, site_of(good.url), run_id)}
    expected = {item["path"] for item in json.loads((BLOGS / "plain" / "expected.json").read_text())["items"]}
    assert expected <= records
    job = job_manifest(store, run_id)
    by_status: dict[str, list[str]] = {}
    for site in (s for s in lines):  # the sites file's order
        by_status.setdefault(manifests[site]["status"], []).append(site)
    assert job["sites_by_status"] == by_status
    assert job["counts"]["pages"] == sum(m["counts"]["responses"] for m in manifests.values())
    # each problem once, in one line: no tracebacks, one line for the refused blog's connection errors
    assert "Traceback" not in result.stderr
    refused = [line for line in result.stderr.splitlines() if f"127.0.0.1:{refused_port}" in line and "ERROR" in line]
    assert len(refused) == 1, refused


def test_site_timeout_stops_one_blog(silent_port, tmp_path):
    url = f"http://127.0.0.1:{silent_port}/"
    store = tmp_path / "store"
    args = ["crawl", url, "--site-timeout", "1", "--store", str(store), "--spool", str(tmp_path / "spool")]
    result = blogarc(*args, *FAST, *IN_PROCESS, "-s", "DOWNLOAD_TIMEOUT=4", text=True)
    assert result.returncode == EXIT_SITE_FAILED, result.stdout + result.stderr[-3000:]
    site = f"127.0.0.1_{silent_port}"
    (manifest,) = manifests_of(store, "*").values()
    assert manifest["status"] == "timeout"
    assert manifest["finish_reason"] == "closespider_timeout"
    assert manifest["settings"]["CLOSESPIDER_TIMEOUT"] == 1.0
    assert summary_word(result.stdout, site) == "timeout"


def test_a_job_logs_one_progress_line_for_all_its_blogs(blog_servers, tmp_path):
    """A job logs its own progress line, not each blog's, and each blog's last line; a single blog keeps its lines.

    Each blog's periodic line would flood a job's log (64 blogs at once: 6 lines a second).
    """
    servers = list(blog_servers.values())[:2]
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text("".join(f"{server.url}/\n" for server in servers))
    every_tenth = ["-s", "PROGRESS_INTERVAL=0.1", *slow(0.05)]  # crawls of a few seconds: many intervals
    store = str(tmp_path / "store")
    job = blogarc("crawl", "--sites", str(sites_file), "--store", store, *FAST, *every_tenth, *IN_PROCESS, text=True)
    assert job.returncode == 0, job.stderr[-5000:]
    sites = [site_of(server.url) for server in servers]
    assert len(re.findall(r"Progress: job: ", job.stderr)) >= 5, job.stderr[-5000:]
    for site in sites:
        assert not re.search(rf"Progress: {re.escape(site)}: ", job.stderr), job.stderr[-5000:]
        assert len(re.findall(rf"Finished \(finished\) in \d+s\. {re.escape(site)}: ", job.stderr)) == 1
    one = blogarc("crawl", servers[0].url + "/", "--store", store, *FAST, *every_tenth, *IN_PROCESS, text=True)
    assert one.returncode == 0, one.stderr[-5000:]
    assert len(re.findall(rf"Progress: {re.escape(sites[0])}: ", one.stderr)) >= 5, one.stderr[-5000:]
