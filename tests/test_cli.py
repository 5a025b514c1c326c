"""The commands as users type them, run as subprocesses against the fixture blogs; crash recovery."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.warc.files import complete_prefix
from tests.util import (
    FAST,
    ROOT,
    blogarc,
    blogarc_argv,
    blogarc_env,
    index_of,
    only_manifest,
    site_of,
    slow,
    warcio_check,
)


def test_readme_crawl_command_into_default_store(blog_servers, tmp_path):
    url = blog_servers["wpcom"].url
    result = blogarc("crawl", url, home=tmp_path, script=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    archive = tmp_path / "archive"
    site = site_of(url)
    assert list((archive / "warc" / site).glob("*.warc.gz"))
    assert list((archive / "warc" / site).glob("*.cdxj"))
    assert list((archive / "text" / site).glob("*/part-00001.jsonl.gz"))
    assert only_manifest(archive, site)["status"] == "finished"
    assert f"{site}: ok (finished)" in result.stdout
    assert "Finished (finished)" in result.stderr  # the end-of-crawl summary


def test_scrapy_crawl_runs_the_same_job(blog_servers, tmp_path):
    url = blog_servers["wpcom"].url
    store = tmp_path / "store"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "blog",
            "-a",
            f"url={url}",
            "-s",
            f"ARCHIVE_STORE={store}",
            "-s",
            f"ARCHIVE_SPOOL_DIR={tmp_path / 'spool'}",
            *FAST,
        ],
        cwd=ROOT,
        env=blogarc_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    site = site_of(url)
    assert list((store / "warc" / site).glob("*.warc.gz"))
    assert list((store / "text" / site).glob("*/part-*.jsonl.gz"))
    assert list((store / "runs" / site).glob("*.json"))


def test_bad_arguments_get_a_clear_error(tmp_path):
    result = blogarc("crawl", "--store", "ftp://x/y", "http://127.0.0.1:9/", home=tmp_path, script=True, text=True)
    assert result.returncode != 0
    assert "Unsupported store scheme 'ftp'" in result.stderr + result.stdout
    result = blogarc("crawl", "http://127.0.0.1:9/", "-s", "NOEQUALS", cwd=tmp_path, script=True, text=True)
    assert result.returncode != 0 and "NAME=VALUE" in result.stderr


def wait_for_open_warc(spool: Path, min_records: int, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in spool.rglob("*.warc.gz.open"):
            if complete_prefix(path)[1] >= min_records:
                return path
        time.sleep(0.05)
    raise AssertionError(f"no .open WARC with {min_records} records appeared in {spool}")


def test_sigkill_mid_crawl_then_next_run_repairs_and_ships(blog_servers, tmp_path):
    url = blog_servers["classic"].url
    store, spool = tmp_path / "store", tmp_path / "spool"
    args = ["crawl", url, "--store", str(store), "--spool", str(spool)]
    process = subprocess.Popen(
        blogarc_argv(*args, *slow(0.3), script=True),
        cwd=tmp_path,
        env=blogarc_env(tmp_path, script=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        open_warc = wait_for_open_warc(spool, min_records=7)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert open_warc.exists()
    whole_bytes, whole_records = complete_prefix(open_warc)
    assert whole_records >= 7

    result = blogarc(*args, *FAST, home=tmp_path, script=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "Repaired" in result.stderr
    assert not list(spool.rglob("*.open"))
    shipped = store / "warc" / site_of(url) / open_warc.name.removesuffix(".open")
    assert shipped.exists(), sorted(p.name for p in shipped.parent.iterdir())
    assert shipped.stat().st_size == whole_bytes
    assert warcio_check(shipped).returncode == 0
    with open(shipped, "rb") as fh:
        assert sum(1 for _ in ArchiveIterator(fh)) == whole_records
    assert index_of(shipped).exists()
    manifest = only_manifest(store, site_of(url))
    assert manifest["counts"]["warc_files_repaired"] == 1
    assert any(f["key"].endswith(shipped.name) for f in manifest["files"])


@pytest.mark.parametrize("flag", ["--help"])
def test_help(flag, tmp_path):
    result = blogarc("crawl", flag, script=True, text=True, timeout=60)
    assert result.returncode == 0 and "--store" in result.stdout


# `blogarc crawl --help` in-process: the command's modules imported, then what is left of the collector's state
FROZEN_AFTER_IMPORTS = """
import gc, sys
from crawler.cli import main
try:
    main(["crawl", "--help"])
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count(), "scrapy" in sys.modules)
"""


def test_the_commands_imports_are_frozen_out_of_garbage_collections():
    """crawler/cli.py: Scrapy's and Twisted's objects are never walked again by a collection; collections go on."""
    argv = [sys.executable, "-c", FROZEN_AFTER_IMPORTS]
    done = subprocess.run(argv, env=blogarc_env(), capture_output=True, text=True, timeout=60, check=True)
    enabled, frozen, scrapy = done.stdout.split()[-3:]
    assert (enabled, scrapy) == ("True", "True")
    assert int(frozen) > 20_000, frozen
