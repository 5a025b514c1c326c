"""The queue in a real redis-server: claims, leases, takeovers, hand-overs, and when a request is durable."""

from __future__ import annotations

import json
import re
import time

import pytest

from crawler.distributed.connection import RedisUnavailable, connect, redact
from crawler.distributed.durable import Durability
from crawler.distributed.jobs import JobExists, JobQueue
from crawler.distributed.keys import FrontierKeys
from crawler.usage import EXIT_USAGE
from tests.redisserver import RedisServer, free_port
from tests.util import blogarc

LEASE = 0.3  # seconds


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def queue(redis_server) -> JobQueue:
    client = connect(redis_server.url)
    client.flushdb()
    return JobQueue(client)


def worker(name: str) -> dict:
    return {"worker": name, "host": "test-host", "pid": 0}


def sites(*names: str) -> list[tuple[str, str, dict]]:
    return [(name, f"https://{name}/", {}) for name in names]


def test_claims_follow_the_sites_order_and_each_blog_goes_to_one_worker(queue):
    assert queue.create_job("job-1", sites("a.example", "b.example", "c.example", "a.example"), {}) == 3
    with pytest.raises(JobExists):
        queue.create_job("job-1", sites("d.example"), {})
    claims = [queue.claim(worker(f"w{i}"), 60, "") for i in range(4)]
    assert [c.site if c else None for c in claims] == ["a.example", "b.example", "c.example", None]
    assert all(c.attempt == 1 and not c.resumed for c in claims[:3])
    assert queue.open_work() == (0, 3)  # nothing waiting, three held by live leases


def test_an_expired_lease_is_taken_over_with_the_frontier_its_holder_took(queue):
    queue.create_job("job-1", sites("a.example"), {"DOWNLOAD_DELAY": "2"})
    first = queue.claim(worker("w1"), LEASE, "")
    keys = FrontierKeys(queue.keys("job-1").frontier_prefix, "a.example")
    client = queue.client
    # the holder queued two requests and took one (it is in flight: fetched, not durable)
    for data in (b"request-1", b"request-2"):
        client.zadd(keys["requests"], {data: 0})
    popped = client.register_script(__import__("crawler.distributed.scripts").distributed.scripts.POP)
    assert popped(keys=[keys["requests"], keys["inflight"]]) == b"request-1"
    assert client.hlen(keys["inflight"]) == 1
    assert queue.claim(worker("w2"), 60, "") is None  # the lease is alive
    assert queue.open_work() == (0, 1)
    time.sleep(LEASE + 0.1)
    assert queue.open_work() == (1, 0)  # an expired lease counts as waiting
    second = queue.claim(worker("w2"), 60, "")
    assert (second.site, second.attempt, second.resumed) == ("a.example", 2, True)
    assert queue.job_settings("job-1") == {"DOWNLOAD_DELAY": "2"}
    # what the dead holder had in flight is queued again; nothing is lost
    assert client.hlen(keys["inflight"]) == 0
    assert sorted(client.zrange(keys["requests"], 0, -1)) == [b"request-1", b"request-2"]
    # the old holder learns it lost the blog, and cannot record its end
    assert queue.renew("w1", 60, {"job-1": ["a.example"]}) == [("job-1", "a.example")]
    assert queue.complete("w1", first, {"status": "finished"}) == -1
    assert queue.renew("w2", 60, {"job-1": ["a.example"]}) == []
    assert queue.complete("w2", second, {"status": "finished"}) == 0
    assert queue.finish_if_over("job-1") and not queue.finish_if_over("job-1")  # one worker writes the job manifest
    assert not client.exists(keys["requests"]), "the frontier of a finished blog is gone"
    assert queue.site_state("job-1", "a.example")[0] == "done"


def test_a_released_blog_waits_again_in_its_place(queue):
    queue.create_job("job-1", sites("a.example", "b.example"), {})
    first = queue.claim(worker("w1"), 60, "")
    assert queue.release("w1", first)
    assert not queue.release("w1", first)  # not the holder any more
    again = queue.claim(worker("w2"), 60, "")
    assert (again.site, again.attempt) == ("a.example", 2)


def test_a_blog_that_never_ends_fails_after_its_attempts(queue):
    queue.create_job("job-1", sites("a.example"), {}, max_attempts=2)
    for attempt in (1, 2):
        claim = queue.claim(worker("w1"), 60, "")
        assert claim.attempt == attempt
        queue.release("w1", claim)
    assert queue.claim(worker("w1"), 60, "") is None
    assert queue.site_state("job-1", "a.example")[0] == "failed"
    assert queue.results("job-1")[0]["finish_reason"] == "too_many_attempts"


def test_no_takeover_right_after_an_outage_longer_than_a_lease(queue):
    lease = 0.5
    queue.create_job("job-1", sites("a.example", "b.example"), {})
    queue.claim(worker("w1"), lease, "")
    time.sleep(lease + 0.1)
    queue.client.delete("blogarc:up")  # as after Redis was down for longer than a lease: nobody renewed
    claim = queue.claim(worker("w2"), lease, "")
    assert claim.site == "b.example", "the expired lease waits one lease for its holder to come back"
    assert queue.renew("w1", lease, {"job-1": ["a.example"]}) == []  # it came back in time: still its blog
    time.sleep(lease / 2)
    assert queue.renew("w2", lease, {"job-1": ["b.example"]}) == []  # live workers keep renewing
    time.sleep(lease / 2 + 0.1)
    assert queue.claim(worker("w3"), lease, "").site == "a.example"  # w1 stopped renewing: taken over


def test_a_blog_in_two_jobs_is_crawled_once_at_a_time(queue):
    queue.create_job("job-1", sites("a.example"), {})
    queue.create_job("job-2", sites("a.example", "b.example"), {})
    first = queue.claim(worker("w1"), 60, "")
    assert (first.run_id, first.site) == ("job-1", "a.example")
    second = queue.claim(worker("w2"), 60, "")
    assert (second.run_id, second.site) == ("job-2", "b.example")
    assert queue.claim(worker("w3"), 60, "") is None
    queue.complete("w1", first, {"status": "finished"})
    third = queue.claim(worker("w3"), 60, "")
    assert (third.run_id, third.site) == ("job-2", "a.example")


def test_a_job_for_another_store_is_left_to_its_workers(queue):
    queue.create_job("job-1", sites("a.example"), {}, store="s3://other/archive")
    assert queue.claim(worker("w1"), 60, "file:///archive") is None
    assert queue.claim(worker("w1"), 60, "s3://other/archive").site == "a.example"


def test_redis_down_is_one_clear_error_without_the_password():
    url = f"redis://:secret-password@127.0.0.1:{free_port()}/0"
    with pytest.raises(RedisUnavailable) as caught:
        connect(url)
    assert "secret-password" not in str(caught.value)
    assert "redis://***@127.0.0.1" in str(caught.value)
    assert redact("redis://user:pw@host:6379/1") == "redis://***@host:6379/1"
    assert redact("redis://host/0") == "redis://host/0"


def test_a_request_is_durable_once_every_file_holding_its_data_is_stored():
    durable = Durability()
    durable.captured()
    durable.handled("r1")  # its records are in the WARC file being written
    durable.captured()
    durable.record_written()
    durable.handled("r2")  # and a text record in the batch being written
    assert durable.file_closed("warc/s/a.warc.gz") == []  # r1 and r2 still wait for the batch
    durable.captured()
    durable.handled("r3")
    assert durable.object_stored("warc/s/a.warc.gz") == []
    assert durable.file_closed("text/s/run/part-00001.jsonl.gz") == []  # closed, not stored
    assert durable.object_stored("text/s/run/part-00001.jsonl.gz") == ["r1", "r2"]
    assert durable.waiting == 1  # r3's capture is in the second WARC file, still open
    assert durable.file_closed("warc/s/b.warc.gz") == []
    assert durable.object_stored("warc/s/b.warc.gz") == ["r3"]
    assert durable.waiting == 0


@pytest.mark.parametrize("given", ["url", "sites"])
def test_enqueue_refuses_a_seed_with_credentials_in_one_line(redis_server, tmp_path, given):
    client = connect(redis_server.url)
    client.flushdb()
    seed = "http://maren:s3cret-Pw@blog.example.org/"
    (tmp_path / "sites.txt").write_text(f"https://other.example.org/\n{seed}\n")
    where = [seed] if given == "url" else ["--sites", str(tmp_path / "sites.txt")]
    result = blogarc("enqueue", "--redis", redis_server.url, *where, cwd=tmp_path, text=True)
    assert result.returncode == EXIT_USAGE, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "maren:***@" in line and "credentials" in line
    assert "s3cret-Pw" not in result.stdout + result.stderr
    assert client.dbsize() == 0  # nothing queued, the good blog of the file neither


def test_a_queued_blog_that_cannot_start_fails_alone_and_the_worker_ends(redis_server, tmp_path):
    """A queued seed blogarc refuses (a job written by an older release or a script): the blog fails alone.

    Its password appears nowhere, and a --burst worker still ends.
    """
    client = connect(redis_server.url)
    client.flushdb()
    job = JobQueue(client)
    seed = f"http://maren:s3cret-Pw@127.0.0.1:{free_port()}/"
    job.create_job("20261202T000000Z-test", [("127.0.0.1_x", seed, {})], {}, "", 1)
    args = ["worker", "--redis", redis_server.url, "--burst", "--store", str(tmp_path / "store")]
    result = blogarc(*args, cwd=tmp_path, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "s3cret-Pw" not in result.stdout + result.stderr
    assert "could not crawl" in result.stderr
    listed = blogarc("jobs", "--redis", redis_server.url, "--json", cwd=tmp_path, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "s3cret-Pw" not in listed.stdout
    job = json.loads(listed.stdout)
    assert list(job["failed"]) == ["127.0.0.1_x"] and not job["waiting"] and not job["running"], job
    assert job["failed"]["127.0.0.1_x"]["url"].startswith("http://maren:***@")
    iso_utc = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"  # the README's one date format, in --json too
    assert re.fullmatch(iso_utc, job["meta"]["created"]) and re.fullmatch(iso_utc, job["meta"]["finished"]), job["meta"]
    human = blogarc("jobs", "--redis", redis_server.url, cwd=tmp_path, text=True).stdout
    assert re.search(rf"\(created {iso_utc}, finished {iso_utc}\)", human), human
