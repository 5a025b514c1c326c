"""The archivist tools (ls, runs, captures, get, download, verify, wacz, replay) on a store filled by real crawls.

The store is made once per session: two `blogarc crawl` runs of the classic fixture blog, so every URL has two
captures. The S3 tests copy that store's objects into a fresh bucket on moto's server and run the same tools
against s3://.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from crawler.cli import build_parser
from pipelines.archive.lookup import fetch_record, find_captures
from pipelines.archive.replay import prepare_collection
from pipelines.store.base import file_sha256, open_store
from tests.util import (
    FAST,
    CountingStore,
    blog_expected,
    blogarc,
    replaying,
    site_of,
    wait_for_url,
    warcio_check,
)

STYLESHEET = "/wp-content/themes/twentysixteen/style.css?ver=20240402"


@dataclass
class Filled:
    """A store filled by two crawls of the classic fixture blog."""

    store: Path
    url: str
    site: str
    run_ids: list[str]
    expected: dict

    def manifest(self, run_id: str) -> dict:
        return json.loads((self.store / "runs" / self.site / f"{run_id}.json").read_text())

    def warc_of(self, run_id: str) -> str:
        (key,) = (f["key"] for f in self.manifest(run_id)["files"] if f["kind"] == "warc")
        return key

    def copy(self, dest: Path) -> Path:
        shutil.copytree(self.store, dest)
        return dest


@pytest.fixture(scope="session")
def filled(blog_servers, tmp_path_factory) -> Filled:
    server = blog_servers["classic"]
    work = tmp_path_factory.mktemp("archive-tools")
    store = work / "store"
    for attempt in range(2):
        if attempt:
            time.sleep(1.1)  # CDXJ timestamps have whole seconds: keep the two runs' captures apart
        # two full captures of every URL (an incremental second run would store 304s and revisits instead)
        full = ["-s", "ARCHIVE_INCREMENTAL=False"]
        args = ["crawl", server.url + "/", "--store", str(store), "--spool", str(work / "spool"), *FAST, *full]
        result = blogarc(*args, timeout=240)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
    site = site_of(server.url)
    run_ids = sorted(p.stem for p in (store / "runs" / site).glob("*.json"))
    assert len(run_ids) == 2
    return Filled(store, server.url, site, run_ids, blog_expected("classic"))


def live_body(url: str) -> bytes:
    """The page as the fixture server sends it now, content coding undone: what `get --body` must give."""
    with urllib.request.urlopen(url) as response:
        body = response.read()
        return gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body


# ---------------------------------------------------------------- get / captures


def test_get_body_is_the_exact_page_including_gzip_and_latin1(filled, tmp_path):
    paths = ["/2024/04/ferry-to-the-outer-islands/", *filled.expected["gzip"], *filled.expected["latin1"], STYLESHEET]
    for path in paths:
        out = tmp_path / "body"
        result = blogarc("get", filled.url + path, "--body", "--store", str(filled.store), "-o", str(out))
        assert result.returncode == 0, result.stderr.decode()
        assert out.read_bytes() == live_body(filled.url + path), path
    raw = blogarc("get", filled.url + filled.expected["gzip"][0], "--store", str(filled.store)).stdout
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head and payload[:2] == b"\x1f\x8b"  # default: the message as archived


def test_get_reads_only_the_record_from_the_warc(filled):
    store = CountingStore(open_store(str(filled.store)))
    url = filled.url + "/2024/03/sourdough-in-a-cold-kitchen/"
    capture = find_captures(store, url)[-1]
    raw = fetch_record(store, capture)
    warc_reads = [r for r in store.reads if r[0].endswith(".warc.gz")]
    assert warc_reads == [(capture.warc_key, capture.entry.offset, capture.entry.length, len(raw))]
    warc_size = (filled.store / capture.warc_key).stat().st_size
    assert len(raw) == capture.entry.length < warc_size / 10
    assert all(r[0].endswith(".cdxj") for r in store.reads if r not in warc_reads)  # the rest: small indexes


def test_captures_and_at_pick_each_of_two_captures(filled):
    url = filled.url + "/2024/02/notes-on-packing-light/"
    result = blogarc("captures", url, "--json", "--store", str(filled.store))
    captures = json.loads(result.stdout)
    assert [c["warc_key"] for c in captures] == [filled.warc_of(run) for run in filled.run_ids]
    first, second = (c["timestamp"] for c in captures)  # ISO 8601 UTC, as every date blogarc prints
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first) and first < second
    digits_first = re.sub(r"\D", "", first)  # the 14-digit form archivists also use
    for at, want in ((digits_first, captures[0]), (first, captures[0]), (second, captures[1]), (None, captures[1])):
        result = blogarc("get", url, "--headers", "--store", str(filled.store), *(["--at", at] if at else []))
        assert result.returncode == 0, result.stderr.decode()
        headers = result.stdout.decode()
        warc_date = next(line.split(": ", 1)[1] for line in headers.splitlines() if line.startswith("WARC-Date:"))
        assert iso_date_to_timestamp(warc_date) == re.sub(r"\D", "", want["timestamp"]), at
        assert want["warc_key"] in result.stderr.decode()
        # the second run is incremental: its capture is a revisit of a 304 (the server said unchanged)
        assert "HTTP/1.1 200 OK" in headers or ("304 Not Modified" in headers and "WARC-Type: revisit" in headers)


def test_get_warc_is_a_valid_one_record_warc(filled, tmp_path):
    url = filled.url + "/about/"
    first, latest = (c.entry.timestamp for c in find_captures(open_store(str(filled.store)), url))
    for at, types in ((first, ("response",)), (latest, ("response", "revisit"))):  # later runs may dedupe
        out = tmp_path / f"{at}.warc.gz"
        result = blogarc("get", url, "--warc", "--at", at, "-o", str(out), "--store", str(filled.store))
        assert result.returncode == 0, result.stderr.decode()
        check = warcio_check(out)
        assert check.returncode == 0, check.stdout
        with open(out, "rb") as fh:
            records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]
        assert len(records) == 1 and records[0][0] in types and records[0][1] == url
        if records[0][0] == "response":
            assert "digest pass" in check.stdout


def test_get_unknown_url_fails_clearly(filled):
    result = blogarc("get", filled.url + "/never-archived/", "--store", str(filled.store))
    assert result.returncode == 1 and b"no capture of" in result.stderr
    assert blogarc("captures", filled.url + "/never-archived/", "--store", str(filled.store)).returncode == 1


# ---------------------------------------------------------------- ls / runs / download


def test_ls_and_runs(filled):
    infos = json.loads(blogarc("ls", "--json", "--store", str(filled.store)).stdout)
    assert [i["key"] for i in infos] == sorted(filled.warc_of(run) for run in filled.run_ids)
    for info, run in zip(infos, filled.run_ids, strict=True):
        assert info["runs"] == [run]
        assert info["size"] == (filled.store / info["key"]).stat().st_size
        assert info["captures"] == len((filled.store / info["index"]).read_text().splitlines())
        assert info["first_capture"] <= info["last_capture"]
    since = infos[1]["first_capture"]
    later = json.loads(blogarc("ls", "--json", "--since", since, "--store", str(filled.store)).stdout)
    assert [i["key"] for i in later] == [infos[1]["key"]]
    text = blogarc("ls", "--store", str(filled.store)).stdout.decode()
    assert infos[0]["key"] in text and "captures" in text
    runs = json.loads(blogarc("runs", "--json", "--store", str(filled.store)).stdout)
    assert [(r["run_id"], r["status"]) for r in runs] == [(run, "finished") for run in filled.run_ids]
    assert runs[0]["counts"]["responses"] == filled.manifest(filled.run_ids[0])["counts"]["responses"]
    assert "finished" in blogarc("runs", "--store", str(filled.store)).stdout.decode()


def test_download_checks_and_resumes(filled, tmp_path):
    dest = tmp_path / "copy"
    results = json.loads(blogarc("download", str(dest), "--json", "--store", str(filled.store)).stdout)
    assert {r["status"] for r in results} == {"copied"} and len(results) == 4  # 2 WARCs + 2 indexes
    for result in results:
        key = Path(result["path"]).relative_to(dest).as_posix()
        assert file_sha256(dest / key) == file_sha256(filled.store / key)
    again = json.loads(blogarc("download", str(dest), "--json", "--store", str(filled.store)).stdout)
    assert {(r["status"], r["transferred"]) for r in again} == {("present", 0)}
    # an interrupted copy: half a WARC in its .part file
    warc = dest / filled.warc_of(filled.run_ids[0])
    size = warc.stat().st_size
    part = warc.with_name(warc.name + ".part")
    part.write_bytes(warc.read_bytes()[: size // 2])
    warc.unlink()
    resumed = json.loads(blogarc("download", str(dest), "--json", "--store", str(filled.store)).stdout)
    (entry,) = (r for r in resumed if r["path"] == str(warc))
    assert (entry["status"], entry["transferred"]) == ("resumed", size - size // 2)
    assert file_sha256(warc) == file_sha256(filled.store / filled.warc_of(filled.run_ids[0]))
    assert not part.exists()


def test_download_refuses_an_object_that_differs_from_its_manifest(filled, tmp_path):
    store = filled.copy(tmp_path / "store")
    flip_byte(store / filled.warc_of(filled.run_ids[1]))
    result = blogarc("download", str(tmp_path / "copy"), "--store", str(store))
    assert result.returncode == 1
    assert b"failed" in result.stdout and filled.warc_of(filled.run_ids[1]).encode() in result.stdout
    assert not (tmp_path / "copy" / filled.warc_of(filled.run_ids[1])).exists()


# ---------------------------------------------------------------- verify


def flip_byte(path: Path, where: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_passes_on_a_good_store(filled):
    for deep in ([], ["--deep"]):
        result = blogarc("verify", *deep, "--store", str(filled.store))
        assert result.returncode == 0, result.stdout.decode()
        assert result.stdout.decode().rstrip().endswith(": OK")
    report = json.loads(blogarc("verify", "--json", "--store", str(filled.store)).stdout)
    assert report["ok"] and report["counts"]["warcs"] == 2 and report["counts"]["manifests"] == 2
    assert report["counts"]["index_entries"] == sum(
        len(p.read_text().splitlines()) for p in (filled.store / "warc" / filled.site).glob("*.cdxj")
    )


def test_verify_names_a_warc_with_a_flipped_byte(filled, tmp_path):
    store = filled.copy(tmp_path / "store")
    key = filled.warc_of(filled.run_ids[0])
    flip_byte(store / key)
    result = blogarc("verify", "--store", str(store))
    out = result.stdout.decode()
    assert result.returncode == 1
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM")]
    assert any(f"PROBLEM {key}: SHA-256" in line for line in problems), out
    assert any(f"PROBLEM {key}: damaged or cut off at byte" in line for line in problems), out
    assert filled.warc_of(filled.run_ids[1]) not in out  # the other WARC is fine


def test_verify_names_a_deleted_warc(filled, tmp_path):
    store = filled.copy(tmp_path / "store")
    key = filled.warc_of(filled.run_ids[1])
    (store / key).unlink()
    result = blogarc("verify", "--store", str(store))
    out = result.stdout.decode()
    assert result.returncode == 1
    assert f"PROBLEM {key}: listed in runs/{filled.site}/{filled.run_ids[1]}.json but not in the store" in out
    assert f"PROBLEM {key.removesuffix('.warc.gz')}.cdxj: index of a WARC that is not in the store" in out


@pytest.mark.parametrize("edit", ["sha256", "size", "garbage"])
def test_verify_names_an_edited_manifest(filled, tmp_path, edit):
    store = filled.copy(tmp_path / "store")
    manifest_key = f"runs/{filled.site}/{filled.run_ids[0]}.json"
    manifest = json.loads((store / manifest_key).read_text())
    entry = next(f for f in manifest["files"] if f["kind"] == "warc")
    if edit == "sha256":
        entry["sha256"] = "0" * 64
    elif edit == "size":
        entry["size"] += 1
    text = json.dumps(manifest) if edit != "garbage" else json.dumps(manifest)[:-40]
    (store / manifest_key).write_text(text)
    result = blogarc("verify", "--store", str(store))
    out = result.stdout.decode()
    assert result.returncode == 1
    if edit == "garbage":
        assert f"PROBLEM {manifest_key}: unreadable run manifest" in out
    else:
        assert f"PROBLEM {entry['key']}: " in out and manifest_key in out, out


def test_verify_deep_recomputes_digests(filled, tmp_path):
    """A record whose payload changed but whose gzip member is whole: only the digests can tell."""
    store = filled.copy(tmp_path / "store")
    key = filled.warc_of(filled.run_ids[0])
    capture = find_captures(open_store(str(store)), filled.url + "/contact/")[0]
    data = (store / key).read_bytes()
    start, length = capture.entry.offset, capture.entry.length
    record = bytearray(gzip.decompress(data[start : start + length]))
    record[-10] ^= 0x01  # a byte of the page, inside the payload
    (store / key).write_bytes(data[:start] + gzip.compress(bytes(record)) + data[start + length :])
    shallow = blogarc("verify", "--store", str(store)).stdout.decode()
    deep = blogarc("verify", "--deep", "--store", str(store)).stdout.decode()
    assert "digest" not in shallow.lower()
    assert f"PROBLEM {key}: record at byte {start}: payload digest failed" in deep, deep
    assert f"PROBLEM {key}: record at byte {start}: block digest failed" in deep, deep


# ---------------------------------------------------------------- wacz


def test_wacz_passes_wacz_validate_with_post_titles(filled, tmp_path):
    out = tmp_path / "classic.wacz"
    result = blogarc("wacz", "--site", filled.site, "-o", str(out), "--store", str(filled.store))
    assert result.returncode == 0, result.stderr.decode()
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()]
        package = json.loads(wacz.read("datapackage.json"))
    assert {f"archive/{Path(filled.warc_of(run)).name}" for run in filled.run_ids} <= names
    assert pages[0]["format"] == "json-pages-1.0"
    titles = {page["title"] for page in pages[1:]}
    assert {item["title"] for item in filled.expected["items"]} <= titles
    assert all(page["url"].startswith(filled.url) and page["ts"] for page in pages[1:])
    assert all(r["hash"].startswith("sha256:") for r in package["resources"])


# ---------------------------------------------------------------- replay


def test_pywb_replays_a_post_and_its_stylesheet(filled, pywb_bin, tmp_path):
    with replaying(filled.store, filled.site, tmp_path / "pywb", pywb_bin) as (line, base):
        assert f"{filled.site}: 2 WARC files, replay at http://127.0.0.1:" in line, line
        post = next(i for i in filled.expected["items"] if i["path"] == "/2023/11/the-lighthouse-keepers-logbook/")
        status, body = wait_for_url(f"{base}/{filled.url}{post['path']}")
        page = html.unescape(body.decode("utf-8", "replace"))
        assert status == 200 and post["title"] in page
        status, css = wait_for_url(f"{base}/{filled.url}{STYLESHEET}")
        assert status == 200 and b"Theme Name: Twenty" in css.replace(b"Twentysixteen", b"Twenty Sixteen")


# ---------------------------------------------------------------- s3://


def upload(store: Path, bucket: str, prefix: str) -> str:
    """Copy a local store's objects into a bucket, key for key."""
    import boto3

    client = boto3.client("s3")
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(store).as_posix()}")
    return f"s3://{bucket}/{prefix}"


def test_s3_get_is_one_ranged_read_of_the_record(filled, bucket):
    uri = upload(filled.store, bucket, "blogs")
    store = open_store(uri)
    requests, responses = [], []
    store.client.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: requests.append((params["Key"], params.get("Range")))
    )
    store.client.meta.events.register(
        "after-call.s3.GetObject",
        lambda parsed, **_: responses.append((parsed["ContentLength"], parsed.get("ContentRange"))),
    )
    url = filled.url + "/2024/02/a-week-of-winter-soups/"
    capture = find_captures(store, url)[-1]
    raw = fetch_record(store, capture)
    warc_gets = [(req, resp) for req, resp in zip(requests, responses, strict=True) if req[0].endswith(".warc.gz")]
    start, end = capture.entry.offset, capture.entry.offset + capture.entry.length - 1
    total = (filled.store / capture.warc_key).stat().st_size
    assert warc_gets == [
        ((f"blogs/{capture.warc_key}", f"bytes={start}-{end}"), (capture.entry.length, f"bytes {start}-{end}/{total}"))
    ]
    assert len(raw) == capture.entry.length
    result = blogarc("get", url, "--body", "--store", uri)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == live_body(url)


def test_s3_store_lists_verifies_downloads_packages_and_replays(filled, bucket, tmp_path):
    uri = upload(filled.store, bucket, "blogs")
    local_ls = json.loads(blogarc("ls", "--json", "--store", str(filled.store)).stdout)
    assert json.loads(blogarc("ls", "--json", "--store", uri).stdout) == local_ls
    runs = json.loads(blogarc("runs", "--json", "--store", uri).stdout)
    assert [r["run_id"] for r in runs] == filled.run_ids
    result = blogarc("verify", "--deep", "--store", uri)
    assert result.returncode == 0 and result.stdout.decode().rstrip().endswith(": OK"), result.stdout.decode()
    result = blogarc("download", str(tmp_path / "copy"), "--store", uri)
    assert result.returncode == 0, result.stdout.decode()
    for info in local_ls:
        assert file_sha256(tmp_path / "copy" / info["key"]) == file_sha256(filled.store / info["key"])
    result = blogarc("wacz", "--site", filled.site, "-o", str(tmp_path / "s3.wacz"), "--store", uri)
    assert result.returncode == 0, result.stderr.decode()
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(tmp_path / "s3.wacz")], capture_output=True
    )
    assert check.returncode == 0, check.stdout
    assert prepare_collection(open_store(uri), filled.site, tmp_path / "pywb") == 2
    for info in local_ls:
        copied = tmp_path / "pywb" / "collections" / filled.site / "archive" / Path(info["key"]).name
        assert copied.read_bytes() == (filled.store / info["key"]).read_bytes()
    # one flipped byte in the bucket is named
    import boto3

    key = filled.warc_of(filled.run_ids[1])
    data = bytearray((filled.store / key).read_bytes())
    data[len(data) // 2] ^= 0x01
    boto3.client("s3").put_object(Bucket=bucket, Key=f"blogs/{key}", Body=bytes(data))
    result = blogarc("verify", "--store", uri)
    assert result.returncode == 1 and f"PROBLEM {key}: SHA-256".encode() in result.stdout, result.stdout.decode()


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("command", ["ls", "runs", "captures", "get", "download", "verify", "wacz", "replay"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and "--store" in out
    listing = command in ("ls", "runs", "captures", "download", "verify")
    assert ("--json" in out) == listing
