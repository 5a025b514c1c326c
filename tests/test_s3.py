"""S3 stores end to end against moto's real S3 server: crawls, outages, crashes, bad configuration, hostile names.

Every test reaches the server only through ``AWS_ENDPOINT_URL`` and dummy credentials, as production does, and reads
back with a plain boto3 client. Outages are real: the server's socket is closed (``RestartableS3``), and processes
are killed with SIGKILL.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.warc.files import complete_prefix
from tests.util import FAST, blogarc, blogarc_argv, blogarc_env, jsonl_gz_records, site_of, slow

# Moto's in-process server drops the temporary files of aborted multipart parts without closing them.
pytestmark = pytest.mark.filterwarnings("ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")

SECRET = f"blogarc-test-secret-{uuid.uuid4().hex}"
# Give up on a dead endpoint at once (botocore's own retries are botocore's to test), short timeouts.
QUICK_S3 = ["-s", "ARCHIVE_S3_MAX_ATTEMPTS=1", "-s", "ARCHIVE_S3_CONNECT_TIMEOUT=2", "-s", "ARCHIVE_S3_READ_TIMEOUT=20"]


def objects(bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix``, read with a plain boto3 client."""
    client = boto3.client("s3")
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found


def unfinished_uploads(bucket: str) -> list[dict]:
    return boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def record_ids(data: bytes) -> list[str]:
    return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(data))]


def warc_record_ids(stored: dict[str, bytes]) -> list[str]:
    """Record ids of every WARC in ``stored`` (duplicates kept, so a test can see them)."""
    return [rid for key, data in stored.items() if key.endswith((".warc.gz", ".warc")) for rid in record_ids(data)]


def check_run_in_bucket(stored: dict[str, bytes], prefix: str) -> dict:
    """The run's manifest lists every object of the run with its size and SHA-256, and nothing is missing."""
    (manifest_key,) = [k for k in stored if k.startswith(f"{prefix}runs/")]
    manifest = json.loads(stored[manifest_key])
    listed = {f["key"]: f for f in manifest["files"]}
    assert manifest["pending"] == []
    run_objects = {k for k in stored if not k.startswith(f"{prefix}state/")} - {manifest_key}  # state: no run's
    assert {prefix + k for k in listed} == run_objects
    for key, entry in listed.items():
        assert entry["size"] == len(stored[prefix + key])
        assert entry["sha256"] == hashlib.sha256(stored[prefix + key]).hexdigest()
    ids = warc_record_ids(stored)
    assert len(ids) == len(set(ids)), "a record is stored twice"
    warcinfos = sum(1 for k in stored if k.endswith(".warc.gz"))
    assert len(ids) - warcinfos == manifest["counts"]["warc_records"]
    return manifest


def test_crawl_into_s3_read_back_with_boto3(blog_servers, bucket, tmp_path):
    url = blog_servers["wpcom"].url
    spool = tmp_path / "spool"
    result = blogarc(
        "crawl", url, "--store", f"s3://{bucket}/blogs", "--spool", str(spool), "-L", "DEBUG",
        "-s", f"AWS_SECRET_ACCESS_KEY={SECRET}", "-s", "WARC_MAX_SIZE=30000", "-s", "ARCHIVE_S3_ADDRESSING_STYLE=path",
        "-s", "ARCHIVE_S3_REQUEST_CHECKSUM=when_required", *FAST, home=tmp_path, script=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    stored = objects(bucket)
    assert all(key.startswith("blogs/") for key in stored)
    site = site_of(url)
    warcs = [k for k in stored if k.startswith(f"blogs/warc/{site}/") and k.endswith(".warc.gz")]
    assert len(warcs) >= 2, "WARC_MAX_SIZE rotates files, each shipped as it closes"
    for key in warcs:
        assert key.removesuffix(".warc.gz") + ".cdxj" in stored
    texts = [k for k in stored if k.startswith(f"blogs/text/{site}/") and k.endswith(".jsonl.gz")]
    assert texts and jsonl_gz_records(stored[texts[0]])
    assert all(k.removesuffix(".jsonl.gz") + ".parquet" in stored for k in texts)
    manifest = check_run_in_bucket(stored, "blogs/")
    assert manifest["status"] == "finished"
    assert not unfinished_uploads(bucket)
    assert not [p for p in spool.rglob("*") if p.is_file() and p.name != ".lock"], "the spool is emptied"
    # credentials appear nowhere: not in logs (even at DEBUG), manifest or warcinfo records
    everything = result.stdout + result.stderr + json.dumps(manifest)
    everything += "".join(str(r.rec_headers) for k in warcs for r in ArchiveIterator(io.BytesIO(stored[k])))
    assert SECRET not in everything and "testing-key-id" not in everything


def test_reextract_from_the_store_into_the_store(blog_servers, bucket, tmp_path):
    url = blog_servers["classic"].url
    store = f"s3://{bucket}/blogs"
    crawl = blogarc(
        "crawl", url, "--store", store, "--spool", str(tmp_path / "spool"), *FAST, home=tmp_path, script=True, text=True
    )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    site = site_of(url)
    batches = {k: data for k, data in objects(bucket, f"blogs/text/{site}/").items() if k.endswith(".jsonl.gz")}
    crawled = {r["url"]: r for data in batches.values() for r in jsonl_gz_records(data)}
    result = blogarc("extract", store, "--out", store, "--run-id", "v2", home=tmp_path, script=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    written = objects(bucket, f"blogs/text/{site}/v2/")
    assert sorted(written) == [f"blogs/text/{site}/v2/part-00001.{suffix}" for suffix in ("jsonl.gz", "parquet")]
    again = jsonl_gz_records(written[f"blogs/text/{site}/v2/part-00001.jsonl.gz"])
    assert {r["url"] for r in again} == set(crawled)  # the same posts and pages, nothing else
    client = boto3.client("s3")
    for record in again:
        assert record["run_id"] == "v2" and record["text"] == crawled[record["url"]]["text"]
        pointer = record["warc"]
        assert pointer == crawled[record["url"]]["warc"]  # the capture the crawl recorded
        ranged = client.get_object(
            Bucket=bucket,
            Key=f"blogs/warc/{site}/{pointer['filename']}",
            Range=f"bytes={pointer['offset']}-{pointer['offset'] + pointer['length'] - 1}",
        )["Body"].read()
        (warc_record,) = list(ArchiveIterator(io.BytesIO(ranged)))
        assert warc_record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]


def test_store_down_from_start_then_upload_ships_everything_once(blog_servers, restartable_s3, tmp_path):
    server, bucket = restartable_s3
    server.stop()
    url = blog_servers["wpcom"].url
    store, spool = f"s3://{bucket}/p", tmp_path / "spool"
    result = blogarc(
        "crawl", url, "--store", store, "--spool", str(spool), "-s", "WARC_MAX_SIZE=30000", *FAST, *QUICK_S3,
        home=tmp_path, script=True, text=True,
    )  # fmt: skip
    assert result.returncode == 75, result.stderr[-3000:]
    assert "unreachable" in result.stderr
    site = site_of(url)
    left = sorted(p.name for p in (spool / site).glob("*.warc.gz"))
    assert len(left) >= 2
    for name in left:  # the summary names every pending file
        assert name in result.stdout
    assert f"text/{site}/" in result.stdout and f"runs/{site}/" in result.stdout
    assert "blogarc upload --store" in result.stdout

    server.start()
    assert objects(bucket) == {}
    shipped = blogarc(
        "upload", "--store", store, "--spool", str(spool), *QUICK_S3, home=tmp_path, script=True, text=True
    )
    assert shipped.returncode == 0, shipped.stderr[-3000:]
    stored = objects(bucket)
    assert {f"p/warc/{site}/{name}" for name in left} <= set(stored)
    manifest = check_run_in_bucket(stored, "p/")
    assert manifest["status"] == "finished" and manifest["completed_at"]
    assert [k for k in stored if k.startswith(f"p/text/{site}/")]
    assert not [p for p in spool.rglob("*") if p.is_file() and p.name != ".lock"]
    again = blogarc("upload", "--store", store, "--spool", str(spool), home=tmp_path, script=True, text=True)
    assert again.returncode == 0 and objects(bucket) == stored, "a second upload changes nothing"


def test_store_down_mid_crawl_pauses_fetching_then_resumes(blog_servers, restartable_s3, tmp_path):
    server, bucket = restartable_s3
    url = blog_servers["classic"].url
    spool, log = tmp_path / "spool", tmp_path / "crawl.log"
    args = [
        "crawl", url, "--store", f"s3://{bucket}", "--spool", str(spool), "-s", "WARC_MAX_SIZE=20000",
        "-s", "ARCHIVE_SPOOL_MAX_SIZE=60000", "-s", "ARCHIVE_UPLOAD_RETRY_DELAY=0.2", *slow(0.05),
        "-s", "PROGRESS_INTERVAL=0", *QUICK_S3,
    ]  # fmt: skip
    env = blogarc_env(tmp_path, script=True)
    with open(log, "w") as err:
        process = subprocess.Popen(blogarc_argv(*args, script=True), cwd=tmp_path, env=env, stdout=err, stderr=err)
        try:
            wait_for(lambda: any(k.endswith(".warc.gz") for k in objects(bucket)), "a first WARC in the store")
            server.stop()
            wait_for(lambda: "crawling paused" in log.read_text(), "the crawl to pause")
            site = site_of(url)
            # paused: the requests Scrapy already handed to the downloader finish, then nothing more is written
            wait_for(lambda: spool_settled(spool / site), "the spool to stop growing", timeout=20)
            server.start()
            assert process.wait(timeout=120) == 0, log.read_text()[-3000:]
        finally:
            process.kill()
    text = log.read_text()
    assert "crawling resumed" in text
    manifest = check_run_in_bucket(objects(bucket), "")
    assert manifest["status"] == "finished"


def spool_settled(folder: Path, quiet: float = 1.0) -> bool:
    """True when the WARC bytes in ``folder`` did not change for ``quiet`` seconds."""
    before = sum(p.stat().st_size for p in folder.glob("*.warc.gz*"))
    time.sleep(quiet)
    return before == sum(p.stat().st_size for p in folder.glob("*.warc.gz*"))


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the server may be down while we look
            pass
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def big_warc(path: Path, megabytes: int) -> Path:
    """An uncompressed WARC of about ``megabytes`` MB: a few response records with random bodies."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for n in range(megabytes // 4 + 1):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1")
            body = io.BytesIO(os.urandom(4 * 1024 * 1024))
            writer.write_record(
                writer.create_warc_record(f"http://example.org/{n}", "response", payload=body, http_headers=headers)
            )
    return path


def test_multipart_upload_of_a_warc_larger_than_the_part_size(bucket, tmp_path):
    from pipelines.store.s3 import S3Options, S3Store

    warc = big_warc(tmp_path / "big.warc", 12)
    store = S3Store(f"s3://{bucket}/mp", options=S3Options(part_size=5 * 1024**2, part_concurrency=2))
    obj = store.persist(warc, "warc/site/big.warc")
    client = boto3.client("s3")
    head = client.head_object(Bucket=bucket, Key="mp/warc/site/big.warc", PartNumber=1)
    assert head["PartsCount"] == -(-warc.stat().st_size // (5 * 1024**2)) >= 3
    data = client.get_object(Bucket=bucket, Key="mp/warc/site/big.warc")["Body"].read()
    assert data == warc.read_bytes() and obj.sha256 == hashlib.sha256(data).hexdigest()
    assert len(record_ids(data)) == 4
    # the ranged read of the protocol gets exactly the bytes asked for
    assert store.get_bytes("warc/site/big.warc", 6 * 1024**2 - 3, 7) == data[6 * 1024**2 - 3 : 6 * 1024**2 + 4]
    before = client.head_object(Bucket=bucket, Key="mp/warc/site/big.warc")
    store.persist(warc, "warc/site/big.warc")  # sent again after a crash: same object, nothing new
    after = client.head_object(Bucket=bucket, Key="mp/warc/site/big.warc")
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
    assert list(objects(bucket)) == ["mp/warc/site/big.warc"]


def test_server_killed_mid_multipart_upload(restartable_s3, tmp_path):
    server, bucket = restartable_s3
    spool = tmp_path / "spool"
    warc = big_warc(spool / "blog.example" / "blogarc-20260101000000000-00000-host.warc", 24)
    original = hashlib.sha256(warc.read_bytes()).hexdigest()
    store = f"s3://{bucket}/p"
    args = ["upload", "--store", store, "--spool", str(spool), "-s", "ARCHIVE_S3_PART_SIZE=5242880"]
    args += ["-s", "ARCHIVE_S3_PART_CONCURRENCY=1", *QUICK_S3]
    env = blogarc_env(tmp_path, script=True)
    client = boto3.client("s3")

    def some_part_uploaded() -> bool:
        uploads = unfinished_uploads(bucket)
        return bool(uploads) and bool(
            client.list_parts(Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"]).get("Parts")
        )

    process = subprocess.Popen(blogarc_argv(*args, script=True), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_for(some_part_uploaded, "a first part")
        server.stop()
        output = process.communicate(timeout=120)[0]
    finally:
        process.kill()
    assert process.returncode == 75, output[-3000:]
    assert warc.exists(), "the local copy stays until the store has the whole file"
    server.start()
    assert unfinished_uploads(bucket), "the dead upload is still on the server"
    assert not any(k.endswith(".warc") for k in objects(bucket))

    result = blogarc(*args, home=tmp_path, script=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not unfinished_uploads(bucket), "orphaned multipart uploads are aborted"
    stored = objects(bucket)
    key = f"p/warc/blog.example/{warc.name}"
    assert hashlib.sha256(stored[key]).hexdigest() == original
    assert sorted(stored) == [key.removesuffix(".warc") + ".cdxj", key]


def test_sigkill_between_warc_close_and_upload(blog_servers, restartable_s3, tmp_path):
    server, bucket = restartable_s3
    server.stop()  # closed WARCs cannot leave: the crawler is killed with files closed but not uploaded
    url = blog_servers["classic"].url
    site = site_of(url)
    spool, store = tmp_path / "spool", f"s3://{bucket}/p"
    base = ["crawl", url, "--store", store, "--spool", str(spool), "-s", "WARC_MAX_SIZE=20000", *QUICK_S3]
    command = blogarc_argv(*base, *slow(0.1), "-s", "PROGRESS_INTERVAL=0", script=True)
    process = subprocess.Popen(command, cwd=tmp_path, env=blogarc_env(tmp_path, script=True),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(
            lambda: (
                len(list((spool / site).glob("*.warc.gz"))) >= 2
                and any(complete_prefix(p)[1] >= 3 for p in (spool / site).glob("*.open"))
            ),
            "closed WARCs waiting and an .open file",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    complete = []  # every whole record the killed crawl wrote
    for path in sorted((spool / site).glob("*.warc.gz*")):
        data = path.read_bytes()[: complete_prefix(path)[0]]
        complete += record_ids(data)
    server.start()
    result = blogarc(*base, *FAST, home=tmp_path, script=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    ids = warc_record_ids(objects(bucket))
    assert set(complete) <= set(ids), "every complete record of the killed run is in the store"
    assert len(ids) == len(set(ids)), "and only once"
    assert not unfinished_uploads(bucket)


def test_missing_bucket_fails_at_start_and_keeps_local_data(blog_servers, s3_env, tmp_path):
    spool = tmp_path / "spool"
    (spool / "some.site").mkdir(parents=True)
    kept = spool / "some.site" / "blogarc-20260101000000000-00000-h.warc.gz"
    kept.write_bytes(b"earlier data")
    for command in (["crawl", blog_servers["wpcom"].url], ["upload"]):
        args = [*command, "--store", "s3://no-such-bucket-blogarc/x", "--spool", str(spool), *QUICK_S3]
        result = blogarc(*args, home=tmp_path, script=True, text=True)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "'no-such-bucket-blogarc'" in lines[0] and "does not exist" in lines[0], lines
        assert kept.read_bytes() == b"earlier data"


@pytest.fixture
def auth_s3(tmp_path):
    """A moto server that checks credentials (after 4 free calls that create a user, a key and a bucket)."""
    import socket
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), 0.2).close() or True, "moto to listen")
        url = f"http://127.0.0.1:{port}"
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
        iam.create_user(UserName="crawler")
        key = iam.create_access_key(UserName="crawler")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="crawler", PolicyName="s3", PolicyDocument=json.dumps(policy))
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"])  # fmt: skip
        s3.create_bucket(Bucket="guarded")
        yield url, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        server.kill()
        server.wait()


def test_wrong_credentials_fail_at_start_with_one_clear_error(blog_servers, auth_s3, tmp_path, monkeypatch):
    url, key_id, _ = auth_s3
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for wrong_id in ("AKIAWRONGWRONGWRONG0", key_id):  # an unknown key, then a known key with the wrong secret
        result = blogarc(
            "crawl", blog_servers["wpcom"].url, "--store", "s3://guarded/x", "--spool", str(tmp_path / "spool"),
            "-s", f"AWS_ACCESS_KEY_ID={wrong_id}", "-s", f"AWS_SECRET_ACCESS_KEY={SECRET}", *QUICK_S3,
            home=tmp_path, script=True, text=True,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "denied access" in lines[0], lines
        assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "host",
    [
        "../../etc",
        "..%2F..%2Fetc",
        "%2e%2e",
        "evil.example/../../x",
        "bücher.example",
        "例え.テスト",
        "a\\..\\b",
        "x@..@y",
    ],
)
def test_hostile_host_names_stay_inside_the_prefix(host, bucket, tmp_path):
    from pipelines.layout import manifest_key, site_key, text_prefix, warc_key
    from pipelines.store.base import open_store
    from pipelines.store.spool import Spool

    try:
        site = site_key(host)
    except ValueError:
        return  # refused outright: nothing is written
    assert "/" not in site and site not in (".", "..") and site[0] not in "._"
    local = tmp_path / "f"
    local.write_bytes(b"x")
    store = open_store(f"s3://{bucket}/jail")
    files = open_store(str(tmp_path / "archive"))
    for key in (
        warc_key(site, "a.warc.gz"),
        text_prefix(site, "run") + "part-00001.jsonl.gz",
        manifest_key(site, "run"),
    ):
        store.persist(local, key)
        files.persist(local, key)
    assert all(k.startswith("jail/") for k in objects(bucket))
    assert all(p.resolve().is_relative_to(tmp_path / "archive") for p in (tmp_path / "archive").rglob("*"))
    assert Spool(tmp_path / "spool").site_dir(site).resolve().is_relative_to(tmp_path / "spool")


def test_credentials_in_the_store_uri_are_refused_without_echo():
    from pipelines.store.base import open_store

    with pytest.raises(ValueError) as error:
        open_store(f"s3://AKIA:{SECRET}@bucket/prefix")
    assert SECRET not in str(error.value)
