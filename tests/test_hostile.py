"""A crawl of a blog that misbehaves on purpose (``tests/hostile.py``): bounded, refused, counted (issue 17).

One ``blogarc crawl`` of the hostile blog's home page, with blogarc's default bounds, meets every case at once: an
endless link trap, a 50 MB robots.txt, a robots.txt answering 500 and one never answering, a 200 MB post, gzip
and br bombs, a br post, a redirect chain without end, over-long URLs, a Latin-1 page declared UTF-16, an image
redirecting to another loopback address that stands in for a metadata service, and an image there. The crawl must
end by itself with its memory bounded, archive the healthy pages, name every loss in its manifest, contact the
"metadata service" never, and log no traceback. All traffic stays on 127.0.0.1 and 127.0.0.2.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.usage import EXIT_USAGE
from tests.hostile import (
    CASES,
    GOOD_POSTS,
    METADATA_SECRET,
    TRAP_FANOUT,
    HostileServers,
    large_page_parts,
    long_path,
    long_redirect_path,
)
from tests.util import FAST, Blog, blogarc, blogarc_argv, blogarc_env, site_of

FIXTURE = Path(__file__).parent / "fixtures" / "badblog"
# What each case must be named as in the manifest's "lost" (path on the blog -> kind).
LOST = {
    "/gzip-bomb/": "bomb",
    "/br-bomb/": "bomb",
    "/oversize/": "oversize",
    "/redirect-chain/0/": "redirect_chain",
    long_path(): "url_too_long",
    "/2024/05/utf-16/": "decode",
    "/big-post/": "oversize",  # 200 MB, over ARCHIVE_MAX_PAGE_SIZE: cancelled when its headers announce it
    "/big-page/": "unparsed",  # 40 MB, chunked: archived, not parsed (over ARCHIVE_MAX_PARSE_SIZE)
}
# the crawl peaks at ~400 MB (pages are held to ARCHIVE_MAX_PAGE_SIZE, 64 MiB; two bombs decode 64 MiB each at
# once); Scrapy alone peaks at 1.7 GB on the 200 MB post and more on all of it
MEMORY_BOUND = 768 * 1024**2
PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, file=sys.stderr); sys.exit(code)"
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The hostile blog's servers: (their base URLs, the HostileServers for their access log)."""
    work = tmp_path_factory.mktemp("hostile")
    served = HostileServers(FIXTURE, work / "access.log")
    with served as urls:
        yield urls, served


def crawl_of(servers, work: Path, seed: str, *options: str) -> tuple[subprocess.CompletedProcess, Blog, int]:
    """``blogarc crawl`` of ``seed`` on the hostile blog into a fresh store: the run, its Blog, its peak RSS."""
    urls, _ = servers
    args = ["crawl", urls["blog"] + seed, "--store", str(work / "store"), "--spool", str(work / "spool"), *FAST]
    # a crawl stopped by its site timeout ends as "timeout": the bounds, not the timeout, must end it
    command = [sys.executable, "-c", PEAK_RSS, *blogarc_argv(*args, "--site-timeout", "600", *options)]
    result = subprocess.run(command, cwd=work, env=blogarc_env(work), capture_output=True, text=True, timeout=900)
    peak = int(result.stderr.strip().splitlines()[-1])
    blog = Blog("hostile", urls["blog"], site_of(urls["blog"]), {}, work / "store", [])
    return result, blog, peak


@pytest.fixture(scope="module")
def crawl(servers, tmp_path_factory):
    """The one crawl of the whole hostile blog, with the default bounds."""
    return crawl_of(servers, tmp_path_factory.mktemp("crawl"), "/")


def responses(blog: Blog) -> dict[str, list]:
    """Response records by target URI: [(status, WARC headers, HTTP headers, raw payload, or its length if big)]."""
    found: dict[str, list] = {}
    for warc in blog.warcs():
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    length = int(record.rec_headers.get_header("Content-Length"))
                    payload = record.raw_stream.read() if length < 10**7 else length
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    status = int(record.http_headers.get_statuscode())
                    found.setdefault(uri, []).append((status, record.rec_headers, record.http_headers, payload))
    return found


def test_the_crawl_ends_by_itself_with_bounded_memory(crawl):
    result, blog, peak = crawl
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = blog.manifest()
    assert (manifest["status"], manifest["finish_reason"]) == ("finished", "finished")
    assert peak < MEMORY_BOUND, peak
    # the trap: link following stopped by the new-URL rate, the pages already waiting dropped
    counts = manifest["counts"]
    assert counts["refused"]["new-url-rate"] > TRAP_FANOUT
    assert counts["pages"]["archive"] < 1000  # trap pages fetched (the issue: 2,640 in 181 s and going on)


def test_the_healthy_pages_are_archived(crawl, servers):
    urls, _ = servers
    _, blog, _ = crawl
    archived = responses(blog)
    base = urls["blog"]
    for path in ("/", *GOOD_POSTS, "/br-post/"):
        assert [status for status, *_ in archived[base + path]] == [200], path
    (_, _, http_headers, payload) = archived[base + "/br-post/"][0]
    assert http_headers.get_header("Content-Encoding") == "br" and payload[:4] != b"<!DO"  # as sent: compressed
    big_page = sum(map(len, large_page_parts()))
    assert archived[base + "/big-page/"][0][3] > big_page > 32 * 1024**2  # archived whole, although not parsed
    assert [status for status, *_ in archived[urls["robots_big"] + "/wp-content/uploads/late.png"]] == [200]
    titles = {record["url"][len(base) :]: record["title"] for record in blog.records()}
    assert titles == {
        GOOD_POSTS[0]: "The Harbour at Low Tide",
        GOOD_POSTS[1]: "The Night Ferry",
        "/br-post/": "The Night Ferry",
    }


def test_every_loss_is_named_in_the_manifest(crawl, servers):
    urls, _ = servers
    _, blog, _ = crawl
    manifest = blog.manifest()
    named = {entry["url"]: kind for kind, entries in manifest["lost"].items() for entry in entries}
    for path, kind in LOST.items():
        assert named.get(urls["blog"] + path) == kind, (path, manifest["lost"].get(kind))
    assert named[urls["blog"] + long_redirect_path()] == "url_too_long"  # where /redirect-to-long/ led
    internal = urls["internal"]
    assert named[internal + "/wp-content/uploads/direct.png"] == "internal"
    assert named[internal + "/latest/meta-data/iam/security-credentials/"] == "internal"  # where meta.png led
    assert named[urls["robots_hang"] + "/robots.txt"] == "timeout"
    # what robots.txt disallows (a.png, b.png, early.png) is a policy: counted, never requested, not named a loss
    assert manifest["counts"]["robots_forbidden"] == 3
    assert all(entry["reason"] for entries in manifest["lost"].values() for entry in entries)
    assert manifest["counts"]["lost"] == {kind: len(entries) for kind, entries in manifest["lost"].items()}
    assert set(LOST) | {"/trap/", "/redirect-to-long/", "/wp-content/uploads/meta.png", "/br-post/"} >= set(CASES)


def test_the_metadata_stand_in_is_never_contacted(crawl, servers):
    urls, served = servers
    _, blog, _ = crawl
    assert served.requests("internal") == []
    assert not [uri for uri in responses(blog) if uri.startswith(urls["internal"])]
    for warc in blog.warcs():
        with open(warc, "rb") as fh:
            assert not any(METADATA_SECRET in record.raw_stream.read(1 << 20) for record in ArchiveIterator(fh))


def test_robots_txt_as_rfc_9309_says(crawl, servers):
    urls, served = servers
    _, blog, _ = crawl
    # 500 and no answer: everything disallowed (one retry each); 50 MB: its first 500 KiB are the rules
    assert served.requests("robots_500") == ["GET /robots.txt"] * 2
    assert served.requests("robots_hang") == ["GET /robots.txt"] * 2
    assert served.requests("robots_big") == ["GET /robots.txt", "GET /wp-content/uploads/late.png"]
    robots = blog.manifest()["robots"]
    assert robots[urls["robots_500"] + "/robots.txt"] == "unreachable (HTTP 500): everything disallowed"
    assert robots[urls["robots_hang"] + "/robots.txt"] == "unreachable (timeout): everything disallowed"
    assert robots[urls["robots_big"] + "/robots.txt"].startswith("rules from its first ")
    ((_, warc_headers, _, payload),) = responses(blog)[urls["robots_big"] + "/robots.txt"]
    assert warc_headers.get_header("WARC-Truncated") == "length" and len(payload) < 2 * 500 * 1024


def test_requests_waiting_for_robots_txt_obey_it(servers, tmp_path):
    """The seed and both well-known sitemaps wait for the host's robots.txt (HTTP 500: everything disallowed).

    Scrapy 2.19 let every waiting request but the first go out as if there were no robots.txt.
    """
    urls, served = servers
    for run, (retries, lookups) in enumerate([("2", 2), ("0", 1)]):  # RETRY_TIMES=0: no retry of robots.txt either
        before = len(served.requests("robots_500"))
        store, options = str(tmp_path / f"store{run}"), [*FAST, "-s", f"RETRY_TIMES={retries}"]
        result = blogarc("crawl", urls["robots_500"] + "/", "--store", store, *options, text=True)
        assert served.requests("robots_500")[before:] == ["GET /robots.txt"] * lookups, result.stderr[-3000:]
        assert "Spider error" not in result.stderr


def test_a_sitemap_url_answering_an_image_is_ignored_in_one_line(servers, tmp_path):
    urls, served = servers
    before = len(served.requests("robots_big"))
    result = blogarc("crawl", urls["robots_big"] + "/", "--store", str(tmp_path / "store"), *FAST, text=True)
    assert {"GET /wp-sitemap.xml", "GET /sitemap.xml"} <= set(served.requests("robots_big")[before:])
    assert result.stderr.count("Ignoring invalid sitemap") == 2, result.stderr[-3000:]
    assert " ERROR: " not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]


def test_the_log_names_each_failure_in_one_line_and_has_no_traceback(crawl, servers):
    urls, _ = servers
    result, blog, _ = crawl
    log = result.stderr
    assert "Traceback" not in log
    failures = [
        line
        for line in log.splitlines()
        if re.match(r"\S+ \S+ \[[^\]]+\] (?:WARNING|ERROR|CRITICAL):", line) and "download warn size" not in line
    ]
    for entries in blog.manifest()["lost"].values():
        for entry in entries:
            lines = [line for line in failures if entry["url"][:150] in line]
            assert len(lines) == 1, (entry["url"][:100], lines)
    assert sum("link following stops" in line for line in failures) == 1  # the trap, warned once


def test_verify_deep_passes_on_the_br_responses(crawl, tmp_path):
    _, blog, _ = crawl
    verified = blogarc("verify", "--store", str(blog.store), "--deep", cwd=tmp_path, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for warc in blog.warcs():  # `warcio check`, with blogarc's br decoding (the warcio command cannot load it)
        command = [sys.executable, "-m", "pipelines.warc.codecs", "check", "-v", str(warc)]
        checked = subprocess.run(command, capture_output=True, text=True, env=blogarc_env())
        assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
        assert "digest pass" in checked.stdout


@pytest.mark.parametrize(
    ("bound", "settings"),
    [
        ("depth", ["-s", "DEPTH_LIMIT=1", "-s", "ARCHIVE_MAX_NEW_URLS_PER_PAGE=0"]),
        ("frontier", ["-s", "ARCHIVE_MAX_FRONTIER=100", "-s", "ARCHIVE_MAX_NEW_URLS_PER_PAGE=0"]),
        ("new-url-rate", ["-s", "ARCHIVE_NEW_URLS_WINDOW=20"]),
    ],
)
def test_each_bound_stops_the_trap_counted_and_warned_once(servers, tmp_path, bound, settings):
    result, blog, _ = crawl_of(servers, tmp_path, "/trap/", *settings)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = blog.manifest()
    assert manifest["status"] == "finished"
    assert manifest["counts"]["refused"][bound] > 0
    assert set(manifest["counts"]["refused"]) == {bound}  # the bound that stopped it, no other
    warnings = Counter(re.findall(r"\[crawler\.bounds\] WARNING: (.{20})", result.stderr))
    assert sum(warnings.values()) == 1, warnings
    assert manifest["counts"]["responses"] < 1000


def test_a_seed_with_credentials_is_refused_in_one_line(servers, tmp_path):
    urls, served = servers
    before = len(served.requests())
    seed = urls["blog"].replace("http://", "http://maren:s3cret-Pw@") + "/"
    result = blogarc("crawl", seed, "--store", str(tmp_path / "store"), cwd=tmp_path, text=True)
    assert result.returncode == EXIT_USAGE
    (line,) = result.stderr.strip().splitlines()
    assert "maren:***@" in line and "credentials" in line
    assert "s3cret-Pw" not in result.stdout + result.stderr
    assert not (tmp_path / "store").exists() and len(served.requests()) == before
    sites = tmp_path / "sites.txt"
    sites.write_text(f"{urls['blog']}/\n{seed}\n")
    result = blogarc("crawl", "--sites", str(sites), "--store", str(tmp_path / "store"), cwd=tmp_path, text=True)
    assert result.returncode == EXIT_USAGE and "s3cret-Pw" not in result.stdout + result.stderr
    assert len(served.requests()) == before


def test_explain_shows_the_rule_and_never_contacts_a_refused_host(servers, tmp_path):
    urls, served = servers
    target = urls["internal"] + "/wp-content/uploads/x.png"
    result = blogarc("crawl", urls["blog"], "--explain", target, cwd=tmp_path, text=True)
    assert result.returncode == 0, result.stderr
    assert "as a page requisite: refused: internal" in result.stdout
    assert "target:     refused (internal): 127.0.0.2" in result.stdout and "--allow-private" in result.stdout
    assert "robots.txt: not asked" in result.stdout
    assert served.requests("internal") == []
    allowed = blogarc("crawl", urls["blog"], "--explain", target, "--allow-private", cwd=tmp_path, text=True)
    assert "as a page requisite: fetched" in allowed.stdout and "target:     allowed" in allowed.stdout
    assert served.requests("internal") == ["GET /robots.txt"]  # asked for: the user allowed it
    decisions = {
        "robots_500": "disallowed (URL: unreachable (HTTP 500): everything disallowed)",
        "robots_hang": "disallowed (URL unreachable: timed out; everything disallowed)",
        "robots_big": "allowed",  # its Disallow of late.png comes after the 500 KiB read
    }
    for host, decision in decisions.items():
        url = urls[host] + "/wp-content/uploads/late.png"
        options = ["--explain", url, "-s", "ARCHIVE_ROBOTS_TIMEOUT=1"]
        result = blogarc("crawl", urls["blog"], *options, cwd=tmp_path, text=True)
        robots_url = urls[host] + "/robots.txt"
        assert f"robots.txt: {decision.replace('URL', robots_url)}\n" in result.stdout + "\n", (host, result.stdout)
