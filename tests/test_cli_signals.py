"""Ctrl-C and SIGTERM sent to a real ``blogarc crawl`` of a fixture blog (issue 16, part 3).

The signals go to the crawl's whole process group, as a terminal's Ctrl-C and systemd's SIGTERM do: the extraction
workers get them too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.test_cli import wait_for_open_warc
from tests.util import FAST, blogarc, blogarc_argv, blogarc_env, only_manifest, site_of, slow, warcio_check


class Crawl:
    """A ``blogarc crawl`` of one blog in its own session (process group), output captured."""

    def __init__(self, url: str, work: Path):
        self.url, self.store, self.spool = url, work / "store", work / "spool"
        args = ["crawl", url, "--store", str(self.store), "--spool", str(self.spool), *slow(0.3)]
        self.process = subprocess.Popen(
            blogarc_argv(*args),
            cwd=work,
            env=blogarc_env(work),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def wait_for_extraction(self, timeout: float = 90) -> None:
        """Until a text record was written (the extraction workers are running), and a WARC is open."""
        deadline = time.monotonic() + timeout
        while not list(self.spool.rglob("*.jsonl.open")):
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "no text record was written"
            time.sleep(0.05)
        wait_for_open_warc(self.spool, min_records=2)

    def signal(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def group_gone(self, timeout: float = 10) -> bool:
        """Whether every process of the crawl's group (its extraction workers too) has ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


def assert_quiet(err: str) -> None:
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]


def assert_stopped_gracefully(crawl: Crawl, returncode: int, out: str, err: str, signame: str) -> None:
    assert returncode == 1, (returncode, err[-3000:])  # a blog did not finish
    assert_quiet(err)
    assert f"Received {signame}: stopping gracefully" in err
    site = site_of(crawl.url)
    manifest = only_manifest(crawl.store, site)
    assert (manifest["status"], manifest["finish_reason"]) == ("interrupted", "shutdown")
    assert f"{site}: INCOMPLETE (shutdown)" in out
    assert not list(crawl.spool.rglob("*.open"))  # every file closed, and shipped
    assert crawl.group_gone()


def test_first_ctrl_c_stops_gracefully_with_quiet_workers(blog_servers, tmp_path):
    crawl = Crawl(blog_servers["classic"].url, tmp_path)
    crawl.wait_for_extraction()
    crawl.signal(signal.SIGINT)
    assert_stopped_gracefully(crawl, *crawl.finish(), "SIGINT")


def test_sigterm_is_the_first_ctrl_c(blog_servers, tmp_path):
    crawl = Crawl(blog_servers["classic"].url, tmp_path)
    crawl.wait_for_extraction()
    crawl.signal(signal.SIGTERM)
    assert_stopped_gracefully(crawl, *crawl.finish(), "SIGTERM")


def test_second_ctrl_c_stops_at_once_and_the_next_run_repairs(blog_servers, tmp_path):
    crawl = Crawl(blog_servers["classic"].url, tmp_path)
    crawl.wait_for_extraction()
    open_warc = next(crawl.spool.rglob("*.warc.gz.open"))
    crawl.signal(signal.SIGINT)
    time.sleep(0.2)
    crawl.signal(signal.SIGINT)
    returncode, _, err = crawl.finish(timeout=20)  # at once: not after the in-flight requests and the uploads
    assert returncode == 130, (returncode, err[-3000:])
    assert "SIGINT again: stopped at once" in err
    assert_quiet(err)
    assert crawl.group_gone(), "extraction workers outlived the crawl"
    assert open_warc.exists()  # what a kill leaves: the next start repairs it

    again = blogarc(
        "crawl", crawl.url, "--store", str(crawl.store), "--spool", str(crawl.spool), *FAST, home=tmp_path, text=True
    )
    assert again.returncode == 0, again.stderr[-3000:]  # the dead run's lock is taken over, its files shipped
    assert not list(crawl.spool.rglob("*.open"))
    shipped = crawl.store / "warc" / site_of(crawl.url) / open_warc.name.removesuffix(".open")
    assert shipped.exists() and warcio_check(shipped).returncode == 0
