"""Each discovery source alone, and the crawl limits: REST only, sitemaps only, --max-pages, --since, --explain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.blogserver import BlogServer
from tests.util import ASSETS, FAST, REST, ROOT, Blog, blog_expected, blogarc, site_of

LINKS_OFF = ["-s", "ARCHIVE_FOLLOW_LINKS=False"]


def crawl(server, tmp_path: Path, *options: str) -> tuple[dict, dict[str, dict], list[str]]:
    """Crawl one fixture blog into a fresh store: (manifest, records by path, requests the server saw)."""
    before = len(server.requests_seen())
    store, spool = str(tmp_path / "store"), str(tmp_path / "spool")
    args = ["crawl", server.url, "--store", store, "--spool", spool, *FAST, *REST, *ASSETS, *options]
    result = blogarc(*args, cwd=tmp_path, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    blog = Blog("", server.url, site_of(server.url), {}, tmp_path / "store", server.requests_seen()[before:])
    return blog.manifest(), blog.by_path(), blog.requested


@pytest.mark.parametrize("blog", ["block", "plain"])
def test_rest_api_alone_finds_every_post_and_page(blog_servers, tmp_path, blog):
    manifest, records, _ = crawl(blog_servers[blog], tmp_path, *LINKS_OFF, "-s", "WORDPRESS_SITEMAPS=False")
    assert {i["path"] for i in blog_expected(blog)["items"]} <= set(records)
    assert manifest["counts"]["discovered"]["rest"] >= len(blog_expected(blog)["items"])
    assert manifest["counts"]["pages"]["rest"] >= 3  # paged listings were followed


@pytest.mark.parametrize("blog", ["block", "notwp"])
def test_sitemaps_alone_find_every_post_and_page(blog_servers, tmp_path, blog):
    manifest, records, _ = crawl(blog_servers[blog], tmp_path, *LINKS_OFF, "-s", "WORDPRESS_REST=False")
    assert {i["path"] for i in blog_expected(blog)["items"]} <= set(records)
    assert manifest["counts"]["discovered"]["sitemap"] >= len(blog_expected(blog)["items"])


def test_links_alone_cover_a_blog_without_sitemaps_or_rest(blog_servers, tmp_path):
    _, records, _ = crawl(
        blog_servers["block"], tmp_path, "-s", "WORDPRESS_SITEMAPS=False", "-s", "WORDPRESS_REST=False"
    )
    assert {i["path"] for i in blog_expected("block")["items"]} <= set(records)


def test_max_pages_holds(blog_servers, tmp_path):
    manifest, _, requested = crawl(blog_servers["classic"], tmp_path, "--max-pages", "5", "--no-requisites")
    pages = [line for line in requested if not line.endswith("/robots.txt")]
    redirects = sum(1 for line in pages if line.split(" ", 1)[1] in blog_expected("classic")["redirects"])
    assert len(pages) - redirects <= 5, pages
    assert manifest["counts"]["refused"]["max-pages"] > 0


def test_since_keeps_only_newer_posts(blog_servers, tmp_path):
    items = blog_expected("block")["items"]
    dates = sorted({(i.get("modified") or i["published"])[:10] for i in items if i["kind"] == "post"})
    since = dates[-2]  # the two newest modification dates
    _, records, _ = crawl(blog_servers["block"], tmp_path, "--since", since)
    newer = {i["path"] for i in items if (i.get("modified") or i["published"])[:10] >= since}
    assert set(records) == newer


def test_explain_names_the_rule(blog_servers, tmp_path):
    url = blog_servers["classic"].url
    result = blogarc(
        "crawl", url, "--explain", url + "/2024/04/ferry-to-the-outer-islands/?replytocom=21", cwd=tmp_path, text=True
    )
    assert result.returncode == 0
    assert "refused: reply" in result.stdout
    result = blogarc("crawl", url, "--explain", url + "/private/secret-draft/", cwd=tmp_path, text=True)
    assert "as a page:  fetched" in result.stdout and "disallowed by" in result.stdout
    result = blogarc("crawl", url, "--explain", "https://offsite.invalid/x", cwd=tmp_path, text=True)
    assert "refused: offsite" in result.stdout


def test_sites_file_with_per_site_settings(blog_servers, tmp_path):
    sites = tmp_path / "sites.txt"
    sites.write_text(
        f"# nightly blogs\n{blog_servers['wpcom'].url}  DOWNLOAD_DELAY=0.2 CONCURRENT_REQUESTS_PER_DOMAIN=1\n"
        f"{blog_servers['notwp'].url}/   # defaults\n"
    )
    store = tmp_path / "store"
    args = ["crawl", "--sites", str(sites), "--store", str(store), "--spool", str(tmp_path / "spool"), *FAST]
    result = blogarc(*args, cwd=tmp_path, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    settings = {}
    for manifest in (store / "runs").glob("*/*.json"):
        if manifest.parent.name == "_job":  # the job's manifest beside the sites' (README: many blogs in one job)
            continue
        data = json.loads(manifest.read_text())
        settings[data["site"]] = data["settings"]
    wpcom, notwp = site_of(blog_servers["wpcom"].url), site_of(blog_servers["notwp"].url)
    assert settings[wpcom]["DOWNLOAD_DELAY"] == 0.2 and settings[wpcom]["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings[notwp]["DOWNLOAD_DELAY"] == 0.0


def test_pages_the_sitemaps_list_do_not_count_towards_the_link_frontier(tmp_path):
    """A frontier above every page links can find never trips, however many pages the sitemaps list at once."""
    source = tmp_path / "generated"
    generator = [sys.executable, str(ROOT / "bench" / "make_blog.py"), str(source), "--posts", "60"]
    subprocess.run([*generator, "--base-url", "{{BASE_URL}}"], check=True, capture_output=True, timeout=120)
    one_at_a_time = ["--no-extract", "-s", "CONCURRENT_REQUESTS=1", "-s", "ARCHIVE_MAX_NEW_URLS_PER_PAGE=0"]
    (tmp_path / "unbounded").mkdir(), (tmp_path / "bounded").mkdir()
    with BlogServer(source, access_log=tmp_path / "access.log") as server:
        first, _, _ = crawl(server, tmp_path / "unbounded", *one_at_a_time)
        by_links = first["counts"]["discovered"]["links"]
        assert first["counts"]["discovered"]["sitemap"] > 40  # listed at once: the backlog holds them
        bound = ["-s", f"ARCHIVE_MAX_FRONTIER={by_links + 1}"]
        second, _, _ = crawl(server, tmp_path / "bounded", *one_at_a_time, *bound)
    assert "frontier" not in second["counts"]["refused"], second["counts"]["refused"]
    assert second["counts"]["bounds"]["frontier_max"] <= by_links
    assert second["counts"]["responses"] == first["counts"]["responses"]
