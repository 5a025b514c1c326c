"""Stores by URI scheme: a local folder, and S3 against a real S3-compatible server (moto)."""

from __future__ import annotations

import hashlib

import boto3
import pytest

from pipelines.store import base
from pipelines.store.base import FileStore, S3Store, open_store, safe_key
from pipelines.store.checksums import CHUNK, same_bytes


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../../b", "a//b", "", "a\\b", "./a"])
def test_unsafe_keys_are_refused(key):
    with pytest.raises(ValueError):
        safe_key(key)


def test_scheme_selects_the_store(tmp_path):
    assert isinstance(open_store(str(tmp_path)), FileStore)
    assert isinstance(open_store("relative/dir"), FileStore)
    assert isinstance(open_store(tmp_path.as_uri()), FileStore)
    assert isinstance(open_store("s3://bucket/prefix"), S3Store)
    with pytest.raises(ValueError, match="Unsupported store scheme 'ftp'"):
        open_store("ftp://host/dir")


def test_file_store_round_trip(tmp_path):
    store = open_store(str(tmp_path / "archive"))
    local = tmp_path / "local.bin"
    local.write_bytes(b"0123456789" * 1000)
    obj = store.persist(local, "warc/site/a.warc.gz")
    assert obj.size == 10000 and obj.sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
    assert store.get_bytes("warc/site/a.warc.gz", 10, 5) == b"01234"
    store.put_bytes("runs/site/r.json", b"{}")
    assert store.list_keys() == ["runs/site/r.json", "warc/site/a.warc.gz"]
    assert store.list_keys("warc/") == ["warc/site/a.warc.gz"]
    with pytest.raises(ValueError):
        store.put_bytes("../escape", b"x")
    assert not (tmp_path / "escape").exists()


def test_file_store_hashes_the_copy_once_and_compares_it(tmp_path, monkeypatch):
    """One SHA-256 pass (taken while copying, several chunks here), no second reading hash of either file."""
    monkeypatch.setattr(base, "file_sha256", lambda path: pytest.fail(f"{path} hashed apart from its copy"))
    store = FileStore(str(tmp_path / "archive"))
    local = tmp_path / "local.bin"
    local.write_bytes(bytes(range(256)) * (CHUNK // 256 * 2 + 7))
    obj = store.persist(local, "warc/site/a.warc.gz")
    assert (obj.size, obj.sha256) == (local.stat().st_size, hashlib.sha256(local.read_bytes()).hexdigest())
    assert (tmp_path / "archive/warc/site/a.warc.gz").read_bytes() == local.read_bytes()


def test_file_store_refuses_a_copy_that_differs(tmp_path, monkeypatch):
    """A copy that does not match the local file never takes the key; the local file stays for the next try."""
    store = FileStore(str(tmp_path / "archive"))
    store.put_bytes("warc/site/a.warc.gz", b"what the key held")
    local = tmp_path / "local.bin"
    local.write_bytes(b"x" * 5000)

    def short_copy(path, out):
        out.write(path.read_bytes()[:-1])  # a write cut short
        return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size

    monkeypatch.setattr(base, "copy_hashed", short_copy)
    with pytest.raises(OSError, match="differs"):
        store.persist(local, "warc/site/a.warc.gz")
    assert store.get_bytes("warc/site/a.warc.gz") == b"what the key held" and local.exists()
    assert not list((tmp_path / "archive").rglob(".tmp-*"))


@pytest.mark.parametrize(
    ("a", "b", "same"), [(b"abc" * 10**6, b"abc" * 10**6, True), (b"abc", b"abd", False), (b"ab", b"abc", False)]
)
def test_same_bytes(tmp_path, a, b, same):
    (tmp_path / "a").write_bytes(a)
    (tmp_path / "b").write_bytes(b)
    assert same_bytes(tmp_path / "a", tmp_path / "b") is same


def test_s3_store_round_trip(tmp_path, bucket):
    store = open_store(f"s3://{bucket}/some/prefix")
    local = tmp_path / "local.bin"
    local.write_bytes(bytes(range(256)) * 100)
    obj = store.persist(local, "warc/site/a.warc.gz")
    assert obj.size == 25600
    # read back with a plain boto3 client, as any user of the bucket would
    body = boto3.client("s3").get_object(Bucket=bucket, Key="some/prefix/warc/site/a.warc.gz")["Body"].read()
    assert body == local.read_bytes()
    assert store.get_bytes("warc/site/a.warc.gz", 256, 4) == bytes(range(4))
    store.put_bytes("runs/site/r.json", b"{}")
    assert store.list_keys() == ["runs/site/r.json", "warc/site/a.warc.gz"]
    assert store.uri_for("runs/site/r.json") == f"s3://{bucket}/some/prefix/runs/site/r.json"


@pytest.fixture(params=["file", "s3"])
def any_store(request, tmp_path):
    """The same tests against a local folder and an S3 bucket (moto's real server)."""
    if request.param == "file":
        return open_store(str(tmp_path / "archive"))
    return open_store(f"s3://{request.getfixturevalue('bucket')}/pre")


def test_reading_back_through_the_protocol(any_store, tmp_path):
    data = bytes(range(256)) * 40
    local = tmp_path / "local.bin"
    local.write_bytes(data)
    key = "warc/site/a.warc.gz"
    obj = any_store.persist(local, key)
    assert local.exists(), "persist copies; deleting the local file is the caller's decision"
    assert any_store.get_bytes(key) == data
    assert any_store.get_bytes(key, 100) == data[100:]
    assert any_store.get_bytes(key, 100, 50) == data[100:150]
    assert any_store.get_bytes(key, len(data) - 10, 50) == data[-10:]
    assert any_store.get_bytes(key, len(data) + 5, 10) == b""
    assert any_store.get_bytes(key, 0, 0) == b""
    with pytest.raises(FileNotFoundError):
        any_store.get_bytes("warc/site/missing.warc.gz")
    with pytest.raises(ValueError):
        any_store.get_bytes("../outside")
    assert any_store.stat(key) == obj
    assert any_store.stat("warc/site/missing.warc.gz") is None
    assert any_store.list_keys("warc/site/") == [key] == any_store.list_keys()
    assert any_store.persist(local, key) == obj, "sending the same file again is harmless"


def test_s3_prefix_does_not_leak_into_siblings(bucket, tmp_path):
    boto3.client("s3").put_object(Bucket=bucket, Key="pre2/warc/x.warc.gz", Body=b"not ours")
    store = open_store(f"s3://{bucket}/pre")
    local = tmp_path / "f"
    local.write_bytes(b"ours")
    store.persist(local, "warc/x.warc.gz")
    assert store.list_keys() == ["warc/x.warc.gz"]


def test_file_store_check_refuses_a_store_it_cannot_write(tmp_path):
    from pipelines.store.base import StoreConfigError

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreConfigError):
        open_store(str(blocker / "archive")).check()
    open_store(str(tmp_path / "fine")).check()


def test_s3_options_from_settings_reach_botocore():
    from scrapy.settings import Settings

    from pipelines.store.s3 import S3Options

    settings = Settings({"ARCHIVE_S3_ADDRESSING_STYLE": "path", "ARCHIVE_S3_REQUEST_CHECKSUM": "when_required",
                         "ARCHIVE_S3_PART_SIZE": "8388608", "ARCHIVE_S3_MAX_ATTEMPTS": "7",
                         "ARCHIVE_S3_RETRY_MODE": "adaptive", "AWS_VERIFY": "False"})  # fmt: skip
    options = S3Options.from_settings(settings)
    config = options.client_config()
    assert config.s3 == {"addressing_style": "path"}
    assert config.request_checksum_calculation == "when_required"
    assert config.retries == {"mode": "adaptive", "max_attempts": 7}
    assert (config.connect_timeout, config.read_timeout) == (10.0, 60.0)
    assert options.verify is False and options.transfer_config().multipart_chunksize == 8388608
    # TLS verification stays on unless asked; a CA bundle path is passed through
    assert S3Options.from_settings(Settings()).verify is None
    assert S3Options.from_settings(Settings({"AWS_VERIFY": "/etc/ca.pem"})).verify == "/etc/ca.pem"


def test_one_process_at_a_time_per_site_spool(tmp_path):
    from pipelines.store.spool import Spool, SpoolBusy

    spool = Spool(tmp_path)
    held = spool.lock("blog.example")
    with pytest.raises(SpoolBusy):
        spool.lock("blog.example")
    spool.lock("other.example").close()
    held.close()
    spool.lock("blog.example").close()
