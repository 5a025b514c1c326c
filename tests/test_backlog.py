"""Pages wait in the spider's backlog as URLs, not in Scrapy's scheduler as Requests (flat memory, issue 18).

A sitemap lists every post at once; as Requests in the scheduler they would take ~1-2 KB each, and a crawl's memory
would grow with the blog. The crawl of a generated blog (bench/make_blog.py, its own count of posts) is watched by
``tests.schedwatch``: the scheduler must never hold more than the downloader's room and the hubs (robots.txt,
sitemaps, feeds, requisites), whatever the blog's size.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.blogserver import BlogServer
from tests.util import FAST, ROOT, blogarc

POSTS = 300
CONCURRENCY = 4


def test_the_scheduler_holds_a_few_requests_while_hundreds_of_posts_wait(tmp_path):
    source = tmp_path / "blog"
    generator = [sys.executable, str(ROOT / "bench" / "make_blog.py"), str(source), "--posts", str(POSTS)]
    subprocess.run([*generator, "--base-url", "{{BASE_URL}}"], check=True, capture_output=True, timeout=120)
    watch = tmp_path / "watch.json"
    with BlogServer(source) as server:
        settings = [
            "-s", f"CONCURRENT_REQUESTS={CONCURRENCY}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
            "-s", 'EXTENSIONS={"tests.schedwatch.SchedulerWatch": 0}', "-s", f"SCHEDWATCH_FILE={watch}",
        ]  # fmt: skip
        store = tmp_path / "store"
        result = blogarc("crawl", server.url + "/", "--no-extract", "--store", str(store), *FAST, *settings, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads(next((store / "runs").rglob("*.json")).read_text())
    assert manifest["counts"]["pages"]["post"] == POSTS  # every post fetched, so hundreds waited at some point
    most = json.loads(watch.read_text())["most_waiting"]
    assert 0 < most <= 3 * CONCURRENCY + 20, most  # room in the downloader, the hubs; never the listed posts
