"""What blogarc prints (issue 16, parts 1, 4 and 5).

The crawl's summary and ``runs`` agree, one date format, ``blogarc sites``, ``get`` on a terminal and on revisits,
the progress line on a terminal, the log options.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.util import FAST, blog_expected, blogarc, blogarc_argv, blogarc_env, site_of

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ANY_DATE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^\s\"',)]*")


@dataclass
class TwoRuns:
    """A store with two crawls of the classic blog (the second incremental: revisits), and what each printed."""

    store: Path
    url: str
    site: str
    outputs: list[str]

    def manifests(self) -> list[dict]:
        paths = sorted((self.store / "runs" / self.site).glob("*.json"))
        return [json.loads(path.read_text()) for path in paths]

    def run(self, *args: str, text: bool = True) -> subprocess.CompletedProcess:
        return blogarc(*args, "--store", str(self.store), text=text)


@pytest.fixture(scope="module")
def two_runs(blog_servers, tmp_path_factory) -> TwoRuns:
    work = tmp_path_factory.mktemp("two-runs")
    url = blog_servers["classic"].url
    outputs = []
    for attempt in range(2):
        if attempt:
            time.sleep(1.1)  # CDXJ timestamps have whole seconds: keep the runs' captures apart
        result = blogarc("crawl", url, "--store", str(work / "store"), *FAST, home=work, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(result.stdout)
    return TwoRuns(work / "store", url, site_of(url), outputs)


def figures(line: str) -> str:
    """The figures of a summary or ``runs`` line: responses, text records, WARC files and bytes."""
    found = re.search(r"\d+ responses, \d+ text records, \d+ WARC files \([\d.]+ [KMG]?B\)", line)
    assert found, line
    return found.group(0)


def test_summary_and_runs_agree_on_every_count(two_runs):
    runs = two_runs.run("runs").stdout.splitlines()
    manifests = two_runs.manifests()
    assert len(runs) == len(manifests) == 2
    for output, line, manifest in zip(two_runs.outputs, runs, manifests, strict=True):
        summary = next(s for s in output.splitlines() if s.startswith(f"{two_runs.site}: "))
        assert manifest["run_id"] in line and manifest["run_id"] in summary
        assert figures(summary) == figures(line)
        counts = manifest["counts"]
        assert figures(line).startswith(f"{counts['responses']} responses, {counts['records_written']} text records")


def test_one_date_format_everywhere(two_runs):
    page = two_runs.url + "/about/"
    for args in (["ls"], ["ls", "--json"], ["runs"], ["runs", "--json"], ["sites"], ["sites", "--json"]):
        out = two_runs.run(*args).stdout
        dates = ANY_DATE.findall(out)
        assert dates, (args, out[:500])
        assert all(ISO.fullmatch(date) for date in dates), (args, [d for d in dates if not ISO.fullmatch(d)])
    for args in (["captures", page], ["captures", page, "--json"]):
        result = two_runs.run(*args)
        dates = ANY_DATE.findall(result.stdout)
        assert len(dates) >= 2 and all(ISO.fullmatch(date) for date in dates), result.stdout
    result = two_runs.run("get", page, "--headers")
    assert ISO.match(result.stderr), result.stderr  # the line saying which capture it is


def test_sites_lists_last_run_status_pages_and_bytes(two_runs):
    (site,) = json.loads(two_runs.run("sites", "--json").stdout)
    last = two_runs.manifests()[-1]
    warcs = sorted((two_runs.store / "warc" / two_runs.site).glob("*.warc.gz"))
    assert site["site"] == two_runs.site and site["runs"] == 2
    assert (site["last_run"], site["status"]) == (last["run_id"], last["status"])
    assert site["pages"] == last["counts"]["responses"]
    assert site["warc_files"] == len(warcs) == 2
    assert site["warc_bytes"] == sum(path.stat().st_size for path in warcs)
    assert ISO.fullmatch(site["finished_at"])
    line = two_runs.run("sites").stdout.strip()
    assert line.startswith(f"{two_runs.site}  last run {last['run_id']}") and f"{site['pages']} pages" in line


def on_terminal(argv: list[str], env: dict[str, str], stream: str = "stdout", columns: int = 80) -> tuple[int, str]:
    """Run ``argv`` with ``stream`` on a pseudo-terminal ``columns`` wide; (exit status, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    other = "stderr" if stream == "stdout" else "stdout"
    env = {**env, "COLUMNS": str(columns), "TERM": "xterm"}
    process = subprocess.Popen(argv, env=env, **{stream: slave, other: subprocess.DEVNULL}, stdin=subprocess.DEVNULL)
    os.close(slave)
    returncode = process.wait(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return returncode, b"".join(chunks).decode("utf-8", "replace")


def test_get_refuses_binary_on_a_terminal(two_runs):
    (gzipped,) = blog_expected("classic")["gzip"]
    page = two_runs.url + gzipped
    base = ["get", page, "--store", str(two_runs.store)]
    for args in ([], ["--warc"]):
        status, seen = on_terminal(blogarc_argv(*base, *args), blogarc_env())
        assert status == 2 and seen == "", (args, status, seen[:300])
        result = blogarc(*base, *args)  # not a terminal: the bytes as archived
        assert result.returncode == 0 and b"\0" in result.stdout[:8192]
    status, seen = on_terminal(blogarc_argv(*base, "--body"), blogarc_env())
    assert status == 0 and "</html>" in seen  # decoded: text
    status, seen = on_terminal(blogarc_argv(*base, "-o", "-"), blogarc_env())
    assert status == 0 and len(seen) > 100  # asked for: written anyway


def test_get_warc_of_a_revisit_says_so_and_names_the_original(two_runs, tmp_path):
    page = two_runs.url + "/about/"
    revisit = two_runs.run("get", page, "--warc", "-o", str(tmp_path / "latest.warc.gz"))
    assert revisit.returncode == 0, revisit.stderr
    assert (
        b"WARC-Type: revisit" in subprocess.run(["zcat", str(tmp_path / "latest.warc.gz")], capture_output=True).stdout
    )
    note = next(line for line in revisit.stderr.splitlines() if "revisit record" in line)
    at = re.search(r"--at (\S+) --warc", note).group(1)
    assert ISO.fullmatch(at)
    original = two_runs.run("get", page, "--warc", "--at", at, "-o", str(tmp_path / "original.warc.gz"))
    assert original.returncode == 0 and "revisit record" not in original.stderr
    data = subprocess.run(["zcat", str(tmp_path / "original.warc.gz")], capture_output=True).stdout
    assert b"WARC-Type: response" in data and b"200 OK" in data


def test_progress_line_fits_the_terminal_and_never_runs_into_log_lines(blog_servers, tmp_path):
    url = blog_servers["classic"].url
    columns = 60
    args = ["crawl", url, "--store", str(tmp_path / "store"), "-s", "DOWNLOAD_DELAY=0.05"]
    args += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    status, seen = on_terminal(blogarc_argv(*args), blogarc_env(tmp_path), "stderr", columns)
    assert status == 0, seen[-3000:]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", seen)  # cursor moves and line clears end a line
    segments = [s for s in re.split(r"[\r\n]+", plain) if s.strip()]
    progress = [s for s in segments if "pages fetched" in s and "Finished" not in s]
    assert progress, seen[-2000:]
    assert all(len(s) <= columns for s in progress), [s for s in progress if len(s) > columns]
    for segment in segments:
        if "[crawler." in segment or "[pipelines." in segment:  # a log line starts a line of its own
            assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", segment), segment
    assert "Overridden settings" not in seen and "Dumping Scrapy stats" not in seen


def test_scrapy_dump_off_by_default_and_log_options(blog_servers, tmp_path):
    url = blog_servers["plain"].url
    base = ["crawl", url, "--no-extract", "--max-pages", "2", *FAST]
    default = blogarc(*base, home=tmp_path, text=True)
    assert default.returncode == 0, default.stderr[-2000:]
    dump = ("Overridden settings", "Enabled extensions", "Dumping Scrapy stats", "Versions:")
    assert not any(text in default.stderr for text in dump)
    assert "Run manifest" in default.stderr  # blogarc's own lines stay
    for flag in (["-v"], ["-L", "INFO"]):
        verbose = blogarc(*base, *flag, home=tmp_path, text=True)
        assert all(text in verbose.stderr for text in dump), (flag, verbose.stderr[:1000])
    as_json = blogarc(*base, "--log-format", "json", home=tmp_path, text=True)
    entries = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert entries and all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]) for entry in entries)
    assert any(entry["message"].startswith("Run manifest") for entry in entries)
    log = tmp_path / "crawl.log"
    to_file = blogarc(*base, "--log-file", str(log), home=tmp_path, text=True)
    assert to_file.returncode == 0 and to_file.stderr == ""
    assert "Run manifest" in log.read_text()


def test_error_level_logs_one_line_per_problem(tmp_path):
    result = blogarc("crawl", "http://127.0.0.1:9/", "-L", "ERROR", *FAST, home=tmp_path, text=True, timeout=120)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 2, result.stderr  # the refused connection, once
