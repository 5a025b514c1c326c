"""Every user mistake is one line on standard error, exit status 2, and nothing written (issue 16, part 2)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.util import FAST, blogarc, blogarc_argv, blogarc_env, site_of

UNREACHABLE = "http://127.0.0.1:9/"  # nothing listens on the discard port: a crawl that got this far would try it


def one_line_error(result: subprocess.CompletedProcess, *expected: str) -> str:
    """Assert exit status 2, one line on standard error naming the mistake, nothing on standard output."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    for text in expected:
        assert text in lines[0], lines[0]
    assert "Traceback" not in lines[0]
    return lines[0]


def nothing_written(home: Path, *allowed: str) -> None:
    """Nothing in the working folder but what the test put there: no store, no spool, no log."""
    assert sorted(p.name for p in home.iterdir()) == sorted(allowed)


CRAWL_MISTAKES = [
    (["htp://blog.example.org/"], ["htp://blog.example.org/", "unsupported scheme 'htp'", "http://"]),
    (["ftp://blog.example.org/"], ["unsupported scheme 'ftp'"]),
    (["http:///no-host"], ["no host name"]),
    (["http://exa mple.org/"], ["is not a host name"]),
    (["http://blog..example.org/"], ["is not a host name"]),
    (["http://blog.example.org:99999/"], ["port"]),
    ([UNREACHABLE, "--since", "2023-13-45"], ["--since", "not a date: '2023-13-45'"]),
    ([UNREACHABLE, "--since", "yesterday"], ["--since", "not a date"]),
    ([UNREACHABLE, "-s", "ARCHIVE_SINCE=2023-13-45"], ["ARCHIVE_SINCE", "2023-13-45"]),
    ([UNREACHABLE, "-s", "DOWNLOAD_DELAY=fast"], ["DOWNLOAD_DELAY", "'fast'", "expected a number"]),
    ([UNREACHABLE, "-s", "CONCURRENT_REQUESTS=many"], ["CONCURRENT_REQUESTS", "expected a number"]),
    ([UNREACHABLE, "-s", "ROBOTSTXT_OBEY=maybe"], ["ROBOTSTXT_OBEY", "expected True or False"]),
    ([UNREACHABLE, "-s", "WORDPRESS_DENY_RULES=replytocom"], ["WORDPRESS_DENY_RULES", "JSON object"]),
    ([UNREACHABLE, "-s", "WORDPRESS_ASSET_HOSTS=[not json"], ["WORDPRESS_ASSET_HOSTS", "JSON array"]),
    ([UNREACHABLE, "-s", "NOEQUALS"], ["-s expects NAME=VALUE", "NOEQUALS"]),
    ([UNREACHABLE, "--max-pages", "-3"], ["--max-pages", "'-3'", "at least 0"]),
    ([UNREACHABLE, "--max-pages", "ten"], ["--max-pages", "whole number"]),
    ([UNREACHABLE, "--max-depth", "-1"], ["--max-depth"]),
    ([UNREACHABLE, "--concurrent-sites", "0"], ["--concurrent-sites", "at least 1"]),
    ([UNREACHABLE, "--site-timeout", "-5"], ["--site-timeout", "positive"]),
    ([UNREACHABLE, "--revalidate-every", "-1"], ["--revalidate-every"]),
    ([UNREACHABLE, "-L", "LOUD"], ["-L", "LOUD"]),
    ([UNREACHABLE, "-s", "LOG_LEVEL=LOUD"], ["LOG_LEVEL", "LOUD"]),
    ([UNREACHABLE, "--log-format", "xml"], ["--log-format"]),
    ([UNREACHABLE, "--log-file", "no/such/folder/crawl.log"], ["no such folder", "no/such/folder"]),
    ([UNREACHABLE, "--run-id", "../escape"], ["run id", "../escape"]),
    ([UNREACHABLE, "--store", "ftp://bucket/prefix"], ["Unsupported store scheme 'ftp'"]),
    ([UNREACHABLE, "-s", "ARCHIVE_FILE_MODE=rw-r--r--"], ["rw-r--r--"]),
    (["--sites", "no-such-sites.txt"], ["no-such-sites.txt", "No such file"]),
    ([], ["give at least one blog URL"]),
]


@pytest.mark.parametrize(("args", "expected"), CRAWL_MISTAKES, ids=[" ".join(a) or "none" for a, _ in CRAWL_MISTAKES])
def test_crawl_mistakes(args, expected, tmp_path):
    result = blogarc("crawl", *args, home=tmp_path, text=True, timeout=60)
    one_line_error(result, *expected)
    nothing_written(tmp_path)


SITES_FILE_MISTAKES = [
    (f"{UNREACHABLE}\nhtp://second.example/\n", ["sites.txt:2:", "unsupported scheme 'htp'"]),
    (f"{UNREACHABLE} DOWNLOAD_DELAY=slow\n", ["sites.txt:1:", "DOWNLOAD_DELAY", "expected a number"]),
    (f"# a comment\n\n{UNREACHABLE} NOEQUALS\n", ["sites.txt:3:", "expected URL [NAME=VALUE ...]"]),
    (f"{UNREACHABLE} ARCHIVE_SINCE=2023-13-45\n", ["sites.txt:1:", "ARCHIVE_SINCE"]),
]


@pytest.mark.parametrize(("content", "expected"), SITES_FILE_MISTAKES)
def test_sites_file_mistakes_name_the_line(content, expected, tmp_path):
    (tmp_path / "sites.txt").write_text(content)
    result = blogarc("crawl", "--sites", "sites.txt", home=tmp_path, text=True, timeout=60)
    one_line_error(result, *expected)
    nothing_written(tmp_path, "sites.txt")


def test_unknown_setting_is_a_warning_naming_the_closest_one(blog_servers, tmp_path):
    url = blog_servers["plain"].url
    args = ["crawl", url, "--max-pages", "1", "--no-extract", *FAST, "-s", "DOWNLOAD_DELAYY=5"]
    result = blogarc(*args, "-s", "ROBOTSTXT_OBEY=false", home=tmp_path, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if "DOWNLOAD_DELAYY" in line]
    assert warnings == [
        "blogarc crawl: warning: unknown setting DOWNLOAD_DELAYY (did you mean DOWNLOAD_DELAY?); it is passed on as given"
    ]
    (manifest,) = (tmp_path / "archive" / "runs" / site_of(url)).glob("*.json")
    settings = json.loads(manifest.read_text())["settings"]
    assert settings["ROBOTSTXT_OBEY"] is False  # the value reached the crawl


def test_missing_files_and_folders(tmp_path):
    one_line_error(blogarc("extract-html", "nosuch.html", home=tmp_path, text=True), "nosuch.html", "No such file")
    args = ("extract", "nosuch.warc.gz", "--out", "out")
    one_line_error(blogarc(*args, home=tmp_path, text=True), "no such file or folder: nosuch.warc.gz")
    one_line_error(blogarc("extract", "--missing", "no-such-store", home=tmp_path, text=True), "no archive at")
    nothing_written(tmp_path)


ARCHIVE_COMMANDS = [
    ["sites"],
    ["ls"],
    ["runs"],
    ["verify"],
    ["captures", "https://blog.example.org/"],
    ["get", "https://blog.example.org/"],
    ["download", "copy"],
    ["wacz", "--site", "blog.example.org", "-o", "x.wacz"],
    ["replay", "--pywb", "nowhere"],
]


@pytest.mark.parametrize("args", ARCHIVE_COMMANDS, ids=[a[0] for a in ARCHIVE_COMMANDS])
def test_archive_tools_on_a_store_that_does_not_exist(args, tmp_path):
    result = blogarc(*args, "--store", "no-such-store", home=tmp_path, text=True)
    one_line_error(result, "no archive at", "no-such-store")
    nothing_written(tmp_path)


@pytest.fixture(scope="module")
def small_store(blog_servers, tmp_path_factory) -> tuple[Path, str]:
    """A store with one crawl of the plain fixture blog: (store, blog URL)."""
    work = tmp_path_factory.mktemp("usage-store")
    url = blog_servers["plain"].url
    result = blogarc("crawl", url, "--store", str(work / "store"), "--no-extract", *FAST, home=work, timeout=240)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return work / "store", url


STORE_MISTAKES = [
    (["ls", "--site", "127.0.0.1:1"], ["no site 127.0.0.1_1", "did you mean"]),
    (["runs", "--site", "http://no-such-blog.example/"], ["no site no-such-blog.example"]),
    (["verify", "--site", "other.example"], ["no site other.example"]),
    (["ls", "--since", "2023-13-45"], ["not a date: '2023-13-45'"]),
    (["ls", "--until", "soon"], ["not a date: 'soon'"]),
    (["download", "copy", "--since", "2026-02-30"], ["not a date"]),
    (["get", "{url}/", "--at", "2023-13-45"], ["not a date"]),
    (["get", "{url}/", "-o", "no/such/folder/page.html"], ["no such folder"]),
    (["wacz", "--site", "{site}", "-o", "no/such/folder/x.wacz"], ["no such folder"]),
    (["replay", "--port", "70000"], ["--port", "70000"]),
    (["get"], ["URL"]),
    (["nosuch-command"], ["invalid choice: 'nosuch-command'"]),
]


@pytest.mark.parametrize(("args", "expected"), STORE_MISTAKES, ids=[" ".join(a) for a, _ in STORE_MISTAKES])
def test_archive_tool_mistakes(small_store, args, expected, tmp_path):
    store, url = small_store
    args = [arg.format(url=url, site=site_of(url)) for arg in args]
    store_option = ["--store", str(store)] if args[0] != "nosuch-command" else []
    result = blogarc(*args, *store_option, home=tmp_path, text=True)
    one_line_error(result, *expected)
    nothing_written(tmp_path)


def test_site_as_typed_is_the_site_key(small_store, tmp_path):
    store, url = small_store
    host = url.split("://", 1)[1]  # 127.0.0.1:PORT, as a user types it
    by_host = blogarc("runs", "--json", "--site", host, "--store", str(store), home=tmp_path, text=True)
    by_key = blogarc("runs", "--json", "--site", site_of(url), "--store", str(store), home=tmp_path, text=True)
    assert by_host.returncode == 0 and json.loads(by_host.stdout) == json.loads(by_key.stdout) != []


def test_broken_pipe_is_quiet(small_store, tmp_path):
    store, _ = small_store
    for args in (["sites", "--json"], ["ls"], ["runs", "--json"]):
        process = subprocess.Popen(
            blogarc_argv(*args, "--store", str(store)),
            cwd=tmp_path,
            env=blogarc_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        process.stdout.close()  # the reader is gone before anything is written (`| head` that already quit)
        with process.stderr:
            err = process.stderr.read().decode()
        process.wait(timeout=60)
        assert "Traceback" not in err and "BrokenPipeError" not in err, err
        assert process.returncode == 141, (args, process.returncode, err)
