"""Crawl the hostile fixture (``tests/hostile.py``) and print what it cost: pages, queue, time, CPU, peak RSS.

``python bench/hostile.py trap`` crawls the endless link trap alone (seed ``/trap/``), ``big`` the 200 MB post alone
(seed ``/big-post/``), ``all`` the whole hostile blog from its home page; ``wordpress`` crawls the bench blog
(``bench/make_blog.py``, ``--posts``, served by nginx as ``run_bench.py`` does) twice, as configured and by its links
alone (sitemaps and REST off), to show how far a real blog stays from the bounds (``bounds/new_urls_per_page_max``:
the highest average over a full window, ``bounds/frontier_max``); ``--ref REV`` runs the crawler of a commit
(``git archive`` into a temporary folder, first on ``PYTHONPATH``) for before/after figures. Each crawl runs with
no politeness delay and ``--site-timeout`` (default 180 s, the figure the issue measured the trap with), in a fresh
store. Peak RSS is the crawl process's (``getrusage(RUSAGE_CHILDREN)``: the largest of blogarc and the extraction
workers it waited for). The machine is shared: wall time is disturbed by other work, CPU seconds and counts less.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import HostileServers  # noqa: E402 - the fixture of this checkout, whatever the --ref

SEEDS = {"trap": "/trap/", "big": "/big-post/", "all": "/"}
STAT = re.compile(r"'([a-z_/-]+[a-z_0-9/-]*)': (\d+(?:\.\d+)?)")


def checkout(ref: str, into: Path) -> Path:
    """The tree of ``ref`` under ``into`` (for its ``crawler`` and ``pipelines``)."""
    archive = into / "src.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), ref], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "src", filter="data")
    return into / "src"


def crawl(seed: str, work: Path, code: Path, timeout: float, extra: list[str]) -> dict:
    """One crawl of ``seed``; its figures."""
    command = [sys.executable, "-m", "crawler.cli", "crawl", seed, "--store", str(work / "store")]
    command += ["--spool", str(work / "spool"), "--site-timeout", str(timeout)]
    command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS_INTERVAL=0", *extra]
    command += ["-s", "LOG_SCRAPY_INFO=True"]  # the stats dump (blogarc crawl drops Scrapy's INFO lines otherwise)
    env = {**os.environ, "PYTHONPATH": str(code), "XDG_CACHE_HOME": str(work / "cache")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout + 600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = {key: float(value) if "." in value else int(value) for key, value in STAT.findall(result.stderr)}
    manifests = list((work / "store" / "runs").glob("*/*.json"))
    manifest = json.loads(manifests[0].read_text()) if manifests else {}
    return {
        "exit": result.returncode,
        "summary": result.stdout.strip().splitlines()[:1],
        "responses": stats.get("downloader/response_count", 0),
        "queued_at_end": stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0),
        "refused": manifest.get("counts", {}).get("refused", {}),
        "lost": manifest.get("counts", {}).get("lost", {}),
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "new_urls_per_page_max": stats.get("bounds/new_urls_per_page_max"),
        "frontier_max": stats.get("bounds/frontier_max"),
        "depth_max": stats.get("request_depth_max"),
        "tracebacks": result.stderr.count("Traceback"),
        "log_lines": len(result.stderr.splitlines()),
    }


def wordpress(posts: int, timeout: float, extra: list[str]) -> dict:
    """The bench blog, crawled as configured and by its links alone: how far it stays from the bounds."""
    sys.path.insert(0, str(ROOT / "bench"))
    import make_blog
    import run_bench

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = run_bench.free_port()
        make_blog.build(work / "blog", posts, f"http://127.0.0.1:{port}")
        server, _ = run_bench.start_server(work, work / "blog", port)
        try:
            for name, options in (("default", []), ("links only", ["-s", "WORDPRESS_SITEMAPS=False"])):
                run = work / name.replace(" ", "-")
                run.mkdir()
                options = [*options, "-s", "WORDPRESS_REST=False"] if name == "links only" else options
                seed = f"http://127.0.0.1:{port}/"
                figures[name] = crawl(seed, run, ROOT, timeout, [*options, "--no-extract", *extra])
        finally:
            run_bench.stop_server(server)
    return figures


def main() -> None:
    """Run the chosen crawl and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("case", choices=[*sorted(SEEDS), "wordpress"])
    parser.add_argument("--posts", type=int, default=2000, help="posts of the bench blog (wordpress)")
    parser.add_argument("--ref", help="benchmark the crawler of this commit instead of the working tree")
    parser.add_argument("--timeout", type=float, default=180.0, help="--site-timeout of the crawl")
    parser.add_argument("-s", "--set", action="append", default=[], help="an extra NAME=VALUE setting")
    args = parser.parse_args()
    extra = [part for pair in args.set for part in ("-s", pair)]
    if args.case == "wordpress":
        print(json.dumps(wordpress(args.posts, args.timeout, extra), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        code = checkout(args.ref, work) if args.ref else ROOT
        with HostileServers(ROOT / "tests" / "fixtures" / "badblog", work / "access.log") as urls:
            figures = crawl(urls["blog"] + SEEDS[args.case], work, code, args.timeout, extra)
        figures["ref"] = args.ref or "working tree"
        figures["case"] = args.case
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
