"""Stores by URI scheme: a local folder, and S3 against a real S3-compatible server (moto)."""

from __future__ import annotations

import hashlib

import boto3
import pytest

from pipelines.stores import FileStore, S3Store, open_store, safe_key


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
