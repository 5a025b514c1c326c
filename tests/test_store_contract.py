"""One store contract: a local folder, S3 (moto's real server) and the test-only memory store, held to the same tests.

The memory store is reached only through ``ARCHIVE_STORE_SCHEMES``: a store plugs in by scheme alone. ``SiteLock``
uses nothing but the protocol, so it runs over all three.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading

import pytest
from scrapy.settings import Settings

from pipelines.layout import lock_key
from pipelines.runs.sitelock import SiteLock, SiteLocked
from pipelines.store.base import FileStore, S3Options, S3Store, open_store, store_from_settings
from tests.memstore import SETTINGS, MemoryStore

KEY = "warc/site/a.warc.gz"
UNSAFE = ["../x", "/abs", "a/../../b", "a//b", "", "a\\b", "./a", "a/\x00b"]


@pytest.fixture(params=["file", "s3", "memory"])
def store(request, tmp_path):
    """The same store under test three times: a folder, an S3 bucket and prefix, memory."""
    if request.param == "file":
        return open_store(str(tmp_path / "archive"))
    if request.param == "s3":
        return open_store(f"s3://{request.getfixturevalue('bucket')}/pre", Settings())
    return open_store("memory://contract", Settings(SETTINGS))


def test_stores_plug_in_by_scheme(tmp_path):
    assert isinstance(open_store("memory://x", Settings(SETTINGS)), MemoryStore)
    with pytest.raises(ValueError, match="Unsupported store scheme 'memory'"):
        open_store("memory://x")  # not a built-in: only the setting knows it
    store = store_from_settings(Settings({"ARCHIVE_STORE": "memory://crawl", **SETTINGS}))
    assert isinstance(store, MemoryStore) and store.uri == "memory://crawl"
    # the setting is merged over the built-in schemes, which stay; None removes one
    merged = Settings({"ARCHIVE_STORE_SCHEMES": {"memory": "tests.memstore.MemoryStore", "s3": None}})
    assert isinstance(open_store(str(tmp_path), merged), FileStore)
    with pytest.raises(ValueError, match="Unsupported store scheme 's3'"):
        open_store("s3://bucket/prefix", merged)
    # from -s on the command line the setting is JSON text
    assert isinstance(
        open_store("memory://x", Settings({"ARCHIVE_STORE_SCHEMES": '{"memory": "tests.memstore.MemoryStore"}'})),
        MemoryStore,
    )


def test_s3_store_reads_its_settings_in_from_uri():
    settings = Settings({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "id", "AWS_REGION_NAME": "",
                         "AWS_SECRET_ACCESS_KEY": "secret", "ARCHIVE_S3_PART_SIZE": "8388608",
                         "ARCHIVE_S3_ADDRESSING_STYLE": "path"})  # fmt: skip
    store = open_store("s3://bucket/prefix", settings)
    assert isinstance(store, S3Store)
    assert store.client_options == {
        "endpoint_url": "http://127.0.0.1:9", "aws_access_key_id": "id", "aws_secret_access_key": "secret"
    }, "the unset AWS_REGION_NAME is left to boto3's chain"  # fmt: skip
    assert store.options.part_size == 8388608 and store.options.addressing_style == "path"
    assert store.endpoint == "http://127.0.0.1:9"
    plain = S3Store.from_uri("s3://bucket/prefix")
    assert plain.client_options == {} and plain.options == S3Options()


def test_persist_and_stat(store, tmp_path):
    local = tmp_path / "local.bin"
    local.write_bytes(bytes(range(256)) * 40)
    obj = store.persist(local, KEY)
    assert local.exists(), "persist copies; deleting the local file is the caller's decision"
    assert obj.key == KEY and obj.size == local.stat().st_size
    assert obj.sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
    assert store.stat(KEY) == obj
    assert store.stat("warc/site/missing.warc.gz") is None
    assert store.stat("warc/site") is None, "a folder is not an object"
    assert store.persist(local, KEY) == obj, "sending the same file again is harmless"
    assert store.get_bytes(KEY) == local.read_bytes()


def test_put_bytes_writes_and_replaces(store):
    first = store.put_bytes("runs/site/r.json", b'{"n": 1}')
    assert first.size == 8 and first.sha256 == hashlib.sha256(b'{"n": 1}').hexdigest()
    assert store.stat("runs/site/r.json") == first
    second = store.put_bytes("runs/site/r.json", b'{"n": 22}')
    assert store.get_bytes("runs/site/r.json") == b'{"n": 22}'
    assert store.stat("runs/site/r.json") == second != first
    assert store.put_bytes("state/site/empty", b"").size == 0
    assert store.get_bytes("state/site/empty") == b""


def test_put_if_absent_creates_once(store):
    key = lock_key("blog.example")
    assert store.put_if_absent(key, b"first") is True
    assert store.put_if_absent(key, b"second") is False
    assert store.get_bytes(key) == b"first", "a refused write leaves the object as it was"
    store.delete(key)
    assert store.put_if_absent(key, b"third") is True
    assert store.get_bytes(key) == b"third"
    store.put_bytes("state/other/lock.json", b"x")
    assert store.put_if_absent("state/other/lock.json", b"y") is False


def test_put_if_absent_has_one_winner_among_threads(store):
    if isinstance(store, S3Store):
        pytest.skip("moto checks If-None-Match and writes in two steps; the atomicity is the S3 server's to give")
    start, won = threading.Barrier(8), []

    def contend(n: int) -> None:
        start.wait()
        if store.put_if_absent("state/site/lock.json", f"thread {n}".encode()):
            won.append(n)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert store.get_bytes("state/site/lock.json") == f"thread {won[0]}".encode()


def test_ranged_reads(store):
    data = bytes(range(256)) * 40
    store.put_bytes(KEY, data)
    assert store.get_bytes(KEY) == data
    assert store.get_bytes(KEY, 100) == data[100:]
    assert store.get_bytes(KEY, 100, 50) == data[100:150]
    assert store.get_bytes(KEY, 0, 1) == data[:1]
    assert store.get_bytes(KEY, len(data) - 10, 50) == data[-10:], "a range over the end gives what there is"
    assert store.get_bytes(KEY, len(data)) == b""
    assert store.get_bytes(KEY, len(data) + 5, 10) == b"", "reading past the end gives nothing"
    assert store.get_bytes(KEY, 0, 0) == b""
    for offset, length in ((0, None), (5, 10), (0, 0)):
        with pytest.raises(FileNotFoundError):
            store.get_bytes("warc/site/missing.warc.gz", offset, length)
    with pytest.raises(FileNotFoundError):
        store.get_bytes("warc/site")  # a folder holding objects is not one
    with pytest.raises(FileNotFoundError):
        store.get_bytes(f"{KEY}/below")  # nor is a key under an object
    for offset, length in ((-1, None), (0, -1)):
        with pytest.raises(ValueError):
            store.get_bytes(KEY, offset, length)


def test_delete(store):
    store.put_bytes(KEY, b"x")
    store.put_bytes("warc/site/b.warc.gz", b"y")
    store.delete(KEY)
    assert store.stat(KEY) is None
    with pytest.raises(FileNotFoundError):
        store.get_bytes(KEY)
    assert store.list_keys() == ["warc/site/b.warc.gz"]
    store.delete(KEY)  # already gone: fine
    store.delete("runs/nowhere/never.json")


def test_list_keys_order_and_prefixes(store):
    keys = ["warc/b/2.warc.gz", "runs/a/r.json", "warc/a/1.cdxj", "warc/a/1.warc.gz", "warc2/a/x", "text/a/r/p"]
    for key in keys:
        store.put_bytes(key, key.encode())
    assert store.list_keys() == sorted(keys)
    assert store.list_keys("warc/") == ["warc/a/1.cdxj", "warc/a/1.warc.gz", "warc/b/2.warc.gz"]
    assert store.list_keys("warc") == store.list_keys("warc/"), "a prefix names a folder: warc2/ is not in it"
    assert store.list_keys("warc/a/") == ["warc/a/1.cdxj", "warc/a/1.warc.gz"]
    assert store.list_keys("warc/c/") == [] == store.list_keys("nothing/")
    assert store.list_keys("warc/a/1.warc.gz") == [], "an object is not a folder"


@pytest.mark.parametrize("key", UNSAFE)
def test_unsafe_keys_are_refused(store, key, tmp_path):
    local = tmp_path / "f"
    local.write_bytes(b"x")
    calls = [
        lambda: store.persist(local, key),
        lambda: store.put_bytes(key, b"x"),
        lambda: store.put_if_absent(key, b"x"),
        lambda: store.get_bytes(key),
        lambda: store.get_bytes(key, 0, 0),
        lambda: store.delete(key),
        lambda: store.stat(key),
        lambda: store.uri_for(key),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()
    if key:  # "" lists everything
        with pytest.raises(ValueError):
            store.list_keys(key)
    assert store.list_keys() == []
    assert not (tmp_path / "x").exists() and not (tmp_path / "abs").exists()


def test_check_and_abort_incomplete(store):
    store.check()
    assert store.abort_incomplete("warc/site/", 0.0) == 0
    assert store.uri_for(KEY).startswith(store.uri + "/") and store.uri_for(KEY).endswith(KEY)


# --- SiteLock over every store --------------------------------------------------------------------------------------


def test_lock_is_taken_refused_and_released(store):
    first, second = SiteLock(store, "blog.example", "a"), SiteLock(store, "blog.example", "b")
    first.acquire()
    assert store.list_keys("state/") == [lock_key("blog.example")]
    assert first.read().run_id == "a"
    with pytest.raises(SiteLocked, match="run a") as refused:
        second.acquire(wait=0)
    assert store.uri_for(lock_key("blog.example")) in str(refused.value)
    assert not second.held
    second.release()  # not the holder: the lock stays
    assert first.read().run_id == "a"
    SiteLock(store, "other.example", "c").acquire(wait=0)  # another site's lock is another lock
    first.release()
    assert first.read() is None and not first.held
    second.acquire(wait=0)
    assert second.read().run_id == "b"
    second.release()
    assert second.read() is None


def test_lock_waits_for_a_holder_that_finishes(store):
    holder, waiter = SiteLock(store, "blog.example", "a"), SiteLock(store, "blog.example", "b")
    holder.acquire()
    threading.Timer(0.3, holder.release).start()
    waiter.acquire(wait=10, poll=0.05)
    assert waiter.read().run_id == "b"


def test_stale_lock_is_taken_over(store, caplog):
    SiteLock(store, "blog.example", "dead-run", ttl=-1).acquire()  # a run that died: its lock expired
    taker = SiteLock(store, "blog.example", "next", ttl=600)
    taker.acquire(wait=0)
    assert taker.read().run_id == "next"
    assert "Taking over the stale lock of blog.example: run dead-run" in caplog.text


def test_lock_of_a_killed_process_on_this_host_is_taken_over(store):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    body = f'{{"host": "{socket.gethostname()}", "pid": {dead.pid}, "run_id": "killed", "expires": 9e99}}'
    store.put_bytes(lock_key("blog.example"), body.encode())
    alive = f'{{"host": "{socket.gethostname()}", "pid": {os.getppid()}, "run_id": "alive", "expires": 9e99}}'
    store.put_bytes(lock_key("busy.example"), alive.encode())
    SiteLock(store, "blog.example", "next").acquire(wait=0)
    with pytest.raises(SiteLocked, match="run alive"):
        SiteLock(store, "busy.example", "next").acquire(wait=0)


def test_unreadable_lock_counts_as_stale(store):
    store.put_bytes(lock_key("blog.example"), b"\xff not json")
    lock = SiteLock(store, "blog.example", "next")
    lock.acquire(wait=0)
    assert lock.read().run_id == "next"


def test_renew_pushes_the_expiry(store):
    lock = SiteLock(store, "blog.example", "a", ttl=60)
    lock.acquire()
    before = lock.read().expires
    lock.ttl = 600
    lock.renew()
    assert lock.read().expires > before + 500


# --- S3 servers that ignore If-None-Match ---------------------------------------------------------------------------


def test_s3_without_conditional_writes_the_last_writer_wins(bucket):
    """A server that drops ``If-None-Match`` overwrites: the read-back tells the earlier writer it lost."""

    def ignore_condition(request, **_kwargs):  # what such a server does with the header
        del request.headers["If-None-Match"]

    first, second = (open_store(f"s3://{bucket}/pre", Settings()) for _ in range(2))
    for s3 in (first, second):
        s3.client.meta.events.register("before-sign.s3.PutObject", ignore_condition)
    late: list[bool] = []
    # the second run writes after the first run's PUT and before its read-back: the narrowest race there is
    first.client.meta.events.register(
        "after-call.s3.PutObject", lambda **_: late.append(second.put_if_absent(KEY, b"2"))
    )
    assert first.put_if_absent(KEY, b"1") is False
    assert late == [True]
    assert first.get_bytes(KEY) == b"2"
