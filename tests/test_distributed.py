"""Crawl jobs on many workers through a real redis-server: the whole job, a worker killed, Redis restarted.

Each worker has a spool of its own, as if on a machine of its own: what a killed worker left is not visible to the
others, only to a worker started again on its "machine".
"""

from __future__ import annotations

import collections
import gzip
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.blogfleet import BlogFleet
from tests.redisserver import RedisServer, free_port
from tests.util import BLOGS, FAST, IN_PROCESS, blog_expected, blogarc, blogarc_argv, blogarc_env, site_of

EXIT_REDIS = 69  # README, "Many machines": Redis cannot be reached at start
PASSWORD = "redis-secret-3e1f"
LEASE = "6"
RUN_ID = "dist-job"
# the blog a worker is killed in: one request at a time, files closed (and shipped) often, so some of its requests
# are durable before the kill and the crawl goes on from the frontier
SLOW = "DOWNLOAD_DELAY=0.25 CONCURRENT_REQUESTS_PER_DOMAIN=1 WARC_MAX_SIZE=40000 TEXT_BATCH_ITEMS=1"


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
    return found


class Workers:
    """``blogarc worker`` processes, each with its own spool and cache folder (a machine of its own)."""

    def __init__(self, tmp: Path, redis_url: str, store: Path):
        self.tmp, self.store = tmp, store
        self.env = {**blogarc_env(), "BLOGARC_REDIS_URL": redis_url}  # the password stays off the command line
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *extra: str) -> subprocess.Popen:
        home = self.tmp / name
        home.mkdir(exist_ok=True)
        args = ["worker", "--store", str(self.store), "--spool", str(home / "spool"), "--lease", LEASE, "--burst"]
        args += ["--concurrent-sites", "6", *IN_PROCESS, *extra]
        log = open(home / f"worker-{len(list(home.glob('worker-*.log')))}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(blogarc_argv(*args), env=self.env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs[name] = proc
        return proc

    def logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.tmp.glob("*/worker-*.log")))

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def complete_records(folder: Path) -> set[str]:
    """Record ids of the whole records in the ``.open`` WARC files of a site's spool folder (what a kill left)."""
    ids = set()
    for path in folder.glob("*.warc.gz.open"):
        with open(path, "rb") as fh:
            try:
                for record in ArchiveIterator(fh):
                    record.content_stream().read()
                    ids.add(record.rec_headers.get_header("WARC-Record-ID"))
            except Exception:  # the record being written when the worker died: cut short
                ids.discard(None)
    return ids


def stored_records(store: Path, site: str) -> set[str]:
    ids = set()
    for path in (store / "warc" / site).glob("*.warc.gz"):
        with open(path, "rb") as fh:
            ids |= {record.rec_headers.get_header("WARC-Record-ID") for record in ArchiveIterator(fh)}
    return ids


@pytest.fixture
def fleet(tmp_path):
    with BlogFleet(BLOGS / "plain", 60, tmp_path / "access") as fleet:
        yield fleet


def test_three_workers_sixty_blogs_a_worker_killed_and_redis_restarted(fleet, tmp_path):
    store = tmp_path / "store"
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text(f"{fleet.urls[0]}/ {SLOW}\n" + "".join(f"{url}/\n" for url in fleet.urls[1:]))
    slow = site_of(fleet.urls[0])
    with RedisServer(tmp_path / "redis", password=PASSWORD) as server:
        env = {**blogarc_env(), "BLOGARC_REDIS_URL": server.url}
        enqueue = subprocess.run(
            blogarc_argv("enqueue", "--sites", str(sites_file), "--run-id", RUN_ID, *FAST),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert enqueue.returncode == 0, enqueue.stderr
        assert f"job {RUN_ID}: 60 blogs queued" in enqueue.stdout
        assert PASSWORD not in enqueue.stdout + enqueue.stderr
        workers = Workers(tmp_path, server.url, store)
        try:
            for name in ("w1", "w2", "w3"):
                workers.start(name)
            client = server.client()
            holders = f"blogarc:job:{RUN_ID}:holders"
            # SIGKILL the worker that crawls the slow blog, in the middle of it
            wait_for(lambda: len(fleet.requests(fleet.urls[0])) >= 40, 180, "the slow blog's crawl")
            holder = json.loads(client.hget(holders, slow))
            killed = next(name for name, proc in workers.procs.items() if proc.pid == holder["pid"])
            wait_for(lambda: complete_records(tmp_path / killed / "spool" / slow), 30, "records in an open WARC")
            workers.procs[killed].send_signal(signal.SIGKILL)
            workers.procs[killed].wait()
            killed_spool = tmp_path / killed / "spool"
            left_by_kill = complete_records(killed_spool / slow)
            assert left_by_kill, "the killed worker had whole records in its open WARC"
            shown = subprocess.run(blogarc_argv("jobs"), env=env, capture_output=True, text=True, timeout=60)
            assert f"running  {slow}  on {holder['worker']} (pid {holder['pid']}" in shown.stdout, shown.stdout
            # Redis stopped and started while the job goes on
            wait_for(lambda: client.hlen(f"blogarc:job:{RUN_ID}:done") >= 20, 300, "20 blogs done")
            server.stop()
            time.sleep(2)
            server.start()
            for name, proc in workers.procs.items():
                if name != killed:
                    assert proc.wait(timeout=400) == 0, workers.logs()[-5000:]
            # the killed worker's "machine" runs a worker again: it ships what the kill left
            assert workers.start(killed).wait(timeout=120) == 0
            client = server.client()
            done = {k.decode(): json.loads(v) for k, v in client.hgetall(f"blogarc:job:{RUN_ID}:done").items()}
            assert not client.hlen(f"blogarc:job:{RUN_ID}:failed")
        finally:
            workers.stop_all()
        shown = subprocess.run(blogarc_argv("jobs", RUN_ID), env=env, capture_output=True, text=True, timeout=60)
    logs = workers.logs()
    assert "Traceback" not in logs, logs[logs.index("Traceback") - 2000 :][:5000]
    sites = [site_of(url) for url in fleet.urls]
    assert sorted(done) == sorted(sites)
    assert "60 blogs: 0 waiting, 0 running, 60 done, 0 failed" in shown.stdout
    # the slow blog was taken over once its lease expired, and finished by another worker
    assert done[slow]["attempt"] == 2 and done[slow]["worker"] != holder["worker"]
    # every blog's manifest exactly once, every post recorded exactly once
    expected = {item["path"] for item in blog_expected("plain")["items"]}
    for site, url in zip(sites, fleet.urls, strict=True):
        assert [p.name for p in (store / "runs" / site).iterdir()] == [f"{RUN_ID}.json"], site
        manifest = json.loads((store / "runs" / site / f"{RUN_ID}.json").read_text())
        assert manifest["status"] == "finished", (site, manifest["counts"])
        records = []
        for batch in sorted((store / "text" / site / RUN_ID).glob("part-*.jsonl.gz")):
            records += [json.loads(line) for line in gzip.decompress(batch.read_bytes()).splitlines()]
        counts = collections.Counter(record["url"][len(url) :] for record in records)
        assert expected <= set(counts), (site, sorted(expected - set(counts)))
        assert max(counts.values()) == 1, (site, counts.most_common(3))
    # the crawl of the slow blog went on from its frontier: the worker that finished it fetched less than a crawl
    slow_manifest = json.loads((store / "runs" / slow / f"{RUN_ID}.json").read_text())
    full = json.loads((store / "runs" / sites[1] / f"{RUN_ID}.json").read_text())["counts"]["responses"]
    assert slow_manifest["counts"]["responses"] < full
    # no whole WARC record of the killed worker lost
    assert left_by_kill <= stored_records(store, slow)
    # the job manifest, written once the last blog ended
    job = json.loads((store / "runs" / "_job" / f"{RUN_ID}.json").read_text())
    assert job["counts"]["sites"] == 60 and job["sites_by_status"] == {"finished": sites}
    # the Redis password is in no log, manifest, WARC, state or text
    assert PASSWORD not in logs
    for path in store.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            data = gzip.decompress(data) if path.name.endswith(".gz") else data
            assert PASSWORD.encode() not in data, path


def test_redis_down_at_start_is_one_line_and_exit_69(tmp_path):
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text("https://blog.example/\n")
    for args in (
        ["enqueue", "--redis", url, "--sites", str(sites_file)],
        ["worker", "--redis", url, "--store", str(tmp_path / "store")],
        ["jobs", "--redis", url],
    ):
        result = blogarc(*args, home=tmp_path, text=True, timeout=60)
        assert result.returncode == EXIT_REDIS, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot reach Redis at redis://***@127.0.0.1" in lines[0], result.stderr
        assert PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "store").exists()
    # credentials never go to Redis with a job
    result = blogarc("enqueue", "--sites", str(sites_file), "-s", "AWS_SECRET_ACCESS_KEY=abc", home=tmp_path, text=True)
    assert result.returncode != 0 and "would be stored in Redis" in result.stderr


def test_a_worker_stopped_by_sigterm_gives_its_blog_back(blog_servers, tmp_path):
    slow = blog_servers["classic"]
    sites_file = tmp_path / "sites.txt"
    sites_file.write_text(f"{slow.url}/ DOWNLOAD_DELAY=0.2 CONCURRENT_REQUESTS_PER_DOMAIN=1\n")
    with RedisServer(tmp_path / "redis") as server:
        env = {**blogarc_env(), "BLOGARC_REDIS_URL": server.url}
        args = ["enqueue", "--sites", str(sites_file), "--run-id", RUN_ID, *FAST]
        assert subprocess.run(blogarc_argv(*args), env=env, capture_output=True, timeout=60).returncode == 0
        workers = Workers(tmp_path, server.url, tmp_path / "store")
        try:
            first = workers.start("w1", "--lease", "60")  # no takeover by expiry in this test's time
            client = server.client()
            wait_for(lambda: client.hlen(f"blogarc:job:{RUN_ID}:holders"), 120, "a claim")
            time.sleep(3)
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=120) == 0
            assert client.zcard(f"blogarc:job:{RUN_ID}:waiting") == 1, "given back at once, not after its lease"
            assert workers.start("w2", "--lease", "60").wait(timeout=240) == 0
        finally:
            workers.stop_all()
        done = json.loads(server.client().hget(f"blogarc:job:{RUN_ID}:done", site_of(slow.url)))
    assert done["status"] == "finished" and done["attempt"] == 2
    assert "Traceback" not in workers.logs()
    store = tmp_path / "store"
    expected = {item["path"] for item in blog_expected("classic")["items"]}
    records = []
    for batch in sorted((store / "text" / site_of(slow.url) / RUN_ID).glob("part-*.jsonl.gz")):
        records += [
            json.loads(line)["url"][len(slow.url) :] for line in gzip.decompress(batch.read_bytes()).splitlines()
        ]
    assert expected <= set(records) and len(records) == len(set(records))
