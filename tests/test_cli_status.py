"""Statuses and exit codes that tell the truth (issue 16, part 1), and files that honour the umask (part 6)."""

from __future__ import annotations

import json
import re
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from tests.util import FAST, IN_PROCESS, blogarc_argv, blogarc_env, site_of

EXIT_SITE_FAILED = 3  # README, exit status of blogarc crawl: a blog was unreachable, failed or timed out


def free_port() -> int:
    """A port nothing listens on (bound once to find a free one, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*args: str, cwd: Path, umask: int | None = None) -> subprocess.CompletedProcess:
    """``blogarc ARGS`` in ``cwd``, with the given umask."""
    argv = blogarc_argv(*args)
    if umask is not None:
        argv = ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", *argv]
    return subprocess.run(argv, cwd=cwd, env=blogarc_env(cwd), capture_output=True, text=True, timeout=300)


def figures(line: str) -> str:
    found = re.search(r"\d+ responses, \d+ text records, \d+ WARC files \([\d.]+ [KMG]?B\)", line)
    assert found, line
    return found.group(0)


def test_blogs_that_answer_nothing_are_not_ok(blog_servers, tmp_path):
    good = blog_servers["plain"].url
    refused, bare = free_port(), free_port()
    urls = {
        site_of(good): (good, "finished", "ok"),
        f"127.0.0.1_{refused}": (f"http://127.0.0.1:{refused}/", "unreachable", "unreachable"),
        "no-such-host.invalid": ("http://no-such-host.invalid/", "unreachable", "unreachable"),
        f"127.0.0.1_{bare}": (f"127.0.0.1:{bare}", "unreachable", "unreachable"),  # no scheme: https assumed
    }
    args = ["crawl", *(url for url, _, _ in urls.values()), "--store", "store", "--no-extract", *FAST, *IN_PROCESS]
    result = run(*args, "-s", "RETRY_TIMES=0", cwd=tmp_path)
    assert result.returncode == EXIT_SITE_FAILED, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = {line.split(":", 1)[0]: line for line in result.stdout.splitlines() if ": " in line and "(" in line}
    runs = {line.split()[0]: line for line in run("runs", "--store", "store", cwd=tmp_path).stdout.splitlines()}
    listed = {
        site["site"]: site for site in json.loads(run("sites", "--store", "store", "--json", cwd=tmp_path).stdout)
    }
    for site, (_, status, word) in urls.items():
        (path,) = (tmp_path / "store" / "runs" / site).glob("*.json")
        manifest = json.loads(path.read_text())
        assert manifest["status"] == status, (site, manifest["counts"])
        assert summary[site].startswith(f"{site}: {word} "), summary[site]
        assert f"  {status} (" in runs[site]
        assert figures(summary[site]) == figures(runs[site])  # the same counts, from the same manifest
        assert listed[site]["status"] == status
    assert f"https:// was assumed for 127.0.0.1:{bare}: give http://127.0.0.1:{bare} if it has no TLS" in result.stdout
    job = json.loads(next((tmp_path / "store" / "runs" / "_job").glob("*.json")).read_text())
    assert sorted(job["sites_by_status"]["unreachable"]) == sorted(s for s, v in urls.items() if v[1] == "unreachable")


def modes(store: Path) -> set[int]:
    return {stat.S_IMODE(path.stat().st_mode) for path in store.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("umask", "setting", "mode"), [(0o022, None, 0o644), (0o027, None, 0o640), (0o077, "0664", 0o664)]
)
def test_store_files_honour_the_umask_or_archive_file_mode(blog_servers, tmp_path, umask, setting, mode):
    url = blog_servers["plain"].url
    args = [
        "crawl",
        url,
        "--store",
        "store",
        *FAST,
        *IN_PROCESS,
        *(["-s", f"ARCHIVE_FILE_MODE={setting}"] if setting else []),
    ]
    result = run(*args, cwd=tmp_path, umask=umask)
    assert result.returncode == 0, result.stderr[-3000:]
    kinds = {
        path.relative_to(tmp_path / "store").parts[0] for path in (tmp_path / "store").rglob("*") if path.is_file()
    }
    assert {"warc", "text", "runs", "state"} <= kinds
    assert modes(tmp_path / "store") == {mode}


def test_a_blog_whose_seed_fails_is_failed_though_other_pages_answer(blog_servers, tmp_path):
    """The seed answers 404; the blog's sitemaps and posts answer: the crawl is not what was asked, so ``failed``."""
    home = blog_servers["plain"].url
    seed = home.rstrip("/") + "/no-such-page/"
    result = run("crawl", seed, "--store", "store", "--no-extract", *FAST, *IN_PROCESS, cwd=tmp_path)
    assert result.returncode == EXIT_SITE_FAILED, result.stdout + result.stderr[-3000:]
    (path,) = (tmp_path / "store" / "runs" / site_of(home)).glob("*.json")
    manifest = json.loads(path.read_text())
    assert manifest["counts"]["responses"] > 3  # robots.txt, sitemaps and pages answered
    assert (manifest["status"], manifest["seed_failure"]) == ("failed", "HTTP 404")
    assert f"{site_of(home)}: failed " in result.stdout
    assert f"its seed {seed} failed (HTTP 404)" in result.stdout
    assert "Traceback" not in result.stderr
