"""End to end: `blogarc crawl` on the fixture blogs, then everything a user would check in the store."""

from __future__ import annotations

import ast
import base64
import gzip
import hashlib
import http.client
import io
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import lxml.html
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.store.base import file_sha256
from tests.util import (
    ASSETS,
    BLOG_NAMES,
    BLOGS,
    FAST,
    REST,
    SCHEMA,
    Blog,
    blog_expected,
    blogarc,
    check_pointer,
    f1,
    index_of,
    read_jsonl_gz,
    record_at,
    site_of,
    warcio_check,
)

# Credentials given on the command line, as a user who keeps them in a crawl script would: the crawl records its
# settings (Scrapy's "Overridden settings" log line, the manifest, each WARC's warcinfo), and must leave these out.
KEY_ID = f"AKIATEST{uuid.uuid4().hex[:12].upper()}"
SECRET = f"blogarc-test-secret-{uuid.uuid4().hex}"
CREDENTIALS = ["-s", f"AWS_ACCESS_KEY_ID={KEY_ID}", "-s", f"AWS_SECRET_ACCESS_KEY={SECRET}"]


@pytest.fixture(scope="session")
def crawl_run(blog_servers, tmp_path_factory):
    """One `blogarc crawl` of every fixture blog into a fresh local store."""
    work = tmp_path_factory.mktemp("crawl")
    urls = [server.url + "/" for server in blog_servers.values()]
    before = {name: len(server.requests_seen()) for name, server in blog_servers.items()}
    store, spool = str(work / "store"), str(work / "spool")
    # -v: Scrapy's own lines too (its "Overridden settings" are where credentials given with -s could leak)
    args = ["crawl", *urls, "--store", store, "--spool", spool, "-v", *FAST, *REST, *ASSETS, *CREDENTIALS]
    result = blogarc(*args, cwd=work, text=True)
    requested = {name: server.requests_seen()[before[name] :] for name, server in blog_servers.items()}
    return result, work, requested


@pytest.fixture(scope="session")
def blogs(crawl_run, blog_servers) -> dict[str, Blog]:
    result, work, requested = crawl_run
    assert result.returncode == 0, result.stderr[-5000:]
    crawled = {}
    for name, server in blog_servers.items():
        crawled[name] = Blog(
            name, server.url, site_of(server.url), blog_expected(name), work / "store", requested[name]
        )
    return crawled


@pytest.fixture(params=BLOG_NAMES)
def blog(request, blogs) -> Blog:
    return blogs[request.param]


def test_summary_and_exit_status(crawl_run, blogs):
    result = crawl_run[0]
    for blog in blogs.values():
        assert re.search(rf"^{re.escape(blog.site)}: ok \(finished\)", result.stdout, re.M), result.stdout


def test_every_post_and_page_has_a_record_with_its_metadata(blog):
    records = blog.by_path()
    for item in blog.expected["items"]:
        record = records.get(item["path"])
        assert record is not None, f"{blog.name}: no text record for {item['path']}; got {sorted(records)}"
        assert record["kind"] == item["kind"]
        assert record["title"] == item["title"]
        assert record["author"] == item["author"], item["path"]
        assert (record["published"] or "").startswith(item["published"]), item["path"]
        assert (record["modified"] or "")[:10] == (item.get("modified") or "")[:10], item["path"]
        assert record["categories"] == item.get("categories", []), item["path"]
        assert record["tags"] == item.get("tags", []), item["path"]
        assert f1(item["text"], record["text"]) >= 0.97, (item["path"], record["text"][:500])


def test_archive_pages_yield_no_record(blog):
    records = blog.by_path()
    assert not [path for path in blog.expected.get("not_items", []) if path in records]
    optional = {item if isinstance(item, str) else item["path"] for item in blog.expected.get("optional_items", [])}
    assert set(records) - optional == {item["path"] for item in blog.expected["items"]}


def test_no_boilerplate_in_any_text(blog):
    for record in blog.records():
        for phrase in blog.expected.get("boilerplate", []):
            assert phrase not in record["text"], f"{record['url']}: {phrase!r} in text"


# The strings no text may hold on any fixture blog (issue: "Clean text that beats trafilatura's defaults on blogs").
WORDPRESS_BOILERPLATE = (
    "Leave a Reply",
    "Leave a Comment",
    "Fill in your details",
    "You are commenting using",
    "Like this:",
    "bloggers like this",
    "Share this:",
    "Related",
    "Post navigation",
    "Create a website or blog at",
    "says:",
)


def test_no_wordpress_boilerplate_nor_comment_dates_in_any_text(blog):
    records = blog.by_path()
    for record in records.values():
        for phrase in WORDPRESS_BOILERPLATE:
            assert phrase not in record["text"], f"{record['url']}: {phrase!r} in text"
    for item in blog.expected["items"]:
        if item.get("comments"):
            route = json.loads((BLOGS / blog.name / "_routes.json").read_text()).get(item["path"], {})
            page = BLOGS / blog.name / (route.get("file") or item["path"].strip("/") + "/index.html")
            tree = lxml.html.fromstring(page.read_bytes())
            dates = {" ".join(t.split()) for t in tree.xpath("//li[contains(@class, 'comment')]//time//text()")}
            assert dates, item["path"]  # the page shows its comments' dates
            assert not [date for date in dates if date and date in records[item["path"]]["text"]], item["path"]


def test_parquet_twins_hold_the_same_records(blog):
    batches = sorted((blog.store / "text" / blog.site).glob("*/part-*.jsonl.gz"))
    assert batches
    for batch in batches:
        twin = batch.with_name(batch.name.replace(".jsonl.gz", ".parquet"))
        table = pq.read_table(twin)
        assert table.schema.names == list(SCHEMA["properties"])  # the JSON Schema's fields, in its order
        assert table.to_pylist() == read_jsonl_gz([batch])  # same records, same order, nested fields included
    assert table.schema.field("warc").type.field("offset").type == pa.int64()  # typed: warc.offset is a number


def test_records_match_the_json_schema(blog):
    for record in blog.records():
        jsonschema.validate(record, SCHEMA)
        assert record["site"] == blog.site


def test_comment_threads(blog):
    records = blog.by_path()
    for item in blog.expected["items"]:
        if "comments" not in item:
            continue
        got = sorted((c["id"], c["parent"], c["author"]) for c in records[item["path"]]["comments"])
        assert got == sorted((c["id"], c["parent"], c["author"]) for c in item["comments"]), item["path"]
        texts = {c["id"]: c["text"] for c in records[item["path"]]["comments"]}
        for comment in item["comments"]:
            if "text" in comment:
                assert f1(comment["text"], texts[comment["id"]]) >= 0.9, (item["path"], comment["id"])


def test_warcs_pass_warcio_check_and_pair_every_exchange(blog):
    warcs = blog.warcs()
    assert warcs
    responses, requests = {}, {}
    for warc in warcs:
        check = warcio_check(warc)
        assert check.returncode == 0, check.stdout[-2000:]
        assert "digest pass" in check.stdout
        with open(warc, "rb") as fh:
            records = list((r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(fh))
        assert records[0][0] == "warcinfo"
        assert records[0][1]["WARC-Filename"] == warc.name
        for kind, headers in records[1:]:
            target = responses if kind == "response" else requests
            target[headers["WARC-Record-ID"]] = headers
    concurrent = {h["WARC-Concurrent-To"]: h for h in requests.values()}
    assert set(concurrent) == set(responses)
    for record_id, response in responses.items():
        assert concurrent[record_id]["WARC-Target-URI"] == response["WARC-Target-URI"]
    assert len(responses) == blog.manifest()["counts"]["responses"]
    # every request the server answered is in the archive, and nothing else
    archived = sorted("GET " + h["WARC-Target-URI"][len(blog.url) :] for h in responses.values())
    assert archived == sorted(blog.requested)


def test_warc_holds_robots_redirects_errors_and_feeds(blog):
    responses = blog.responses()
    assert responses["/robots.txt"][0][0] == 200
    for source, target in blog.expected.get("redirects", {}).items():
        status, headers, _ = responses[source][0]
        assert status in (301, 302) and headers.get_header("Location").endswith(target)
        assert target in responses
    for missing in blog.expected.get("missing", []):
        assert responses[missing][0][0] == 404
    for path in blog.expected.get("disallowed", []):
        assert path not in responses
        assert not [line for line in blog.requested if path in line], "robots.txt disallows it"
    archived = blog.archived_uris()
    for url in blog.expected["offsite"]:
        assert not [uri for uri in archived if uri.startswith(url)], url
    # an offsite host the crawl had asked for would not answer here (no internet): the refusals show it never did
    assert blog.manifest()["counts"]["refused"].get("offsite", 0) > 0
    if blog.expected.get("disallowed"):
        assert blog.manifest()["counts"]["robots_forbidden"] >= len(blog.expected["disallowed"])


def test_gzip_page_is_archived_raw_and_extracted_right(blogs):
    blog = blogs["classic"]
    paths = blog.expected["gzip"]
    responses, records = blog.responses(), blog.by_path()
    assert paths
    for path in paths:
        _, headers, payload = responses[path][0]
        assert headers.get_header("Content-Encoding") == "gzip"
        assert payload[:2] == b"\x1f\x8b"  # the bytes on the wire, not the decoded page
        item = next(i for i in blog.expected["items"] if i["path"] == path)
        assert f1(item["text"], records[path]["text"]) >= 0.9


def server_answer(uri: str) -> tuple[int, bytes]:
    """Status and body bytes exactly as the fixture server sends ``uri`` (no redirect followed, nothing decoded)."""
    parts = urlsplit(uri)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_every_response_payload_is_the_servers_bytes(blog):
    """Each response record holds the body as the server sent it, byte for byte, with its request and digests.

    The ground truth is the fixture server itself, asked again for every archived URI: whatever the crawl does to
    go faster (threads, compression off the crawl's thread, parsing once), the archive must not change by a byte.
    """
    responses, requests = {}, {}
    for warc in blog.warcs():
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Record-ID")] = (
                        record.rec_headers.get_header("WARC-Target-URI"),
                        int(record.http_headers.get_statuscode()),
                        record.rec_headers.get_header("WARC-Payload-Digest"),
                        record.raw_stream.read(),
                    )
                elif record.rec_type == "request":
                    requests[record.rec_headers.get_header("WARC-Concurrent-To")] = record
    assert responses and len(responses) == blog.manifest()["counts"]["responses"]
    assert set(requests) == set(responses)  # one request record for every response, linked to it
    for uri, status, digest, payload in responses.values():
        assert (status, payload) == server_answer(uri), uri
        assert digest == "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode(), uri


def test_latin1_page_text_is_decoded(blogs):
    blog = blogs["classic"]
    paths = blog.expected["latin1"]
    records = blog.by_path()
    assert paths
    for path in paths:
        item = next(i for i in blog.expected["items"] if i["path"] == path)
        assert f1(item["text"], records[path]["text"]) >= 0.97
        assert "\ufffd" not in records[path]["text"]
        assert "é" in records[path]["text"] or "ü" in records[path]["text"]


def test_warc_pointer_resolves_to_the_response_record(blog):
    for record in blog.records():
        check_pointer(blog.store / "warc" / blog.site / record["warc"]["filename"], record)


def test_cdxj_index_beside_each_warc(blog):
    for warc in blog.warcs():
        lines = index_of(warc).read_text().splitlines()
        with open(warc, "rb") as fh:
            count = sum(1 for r in ArchiveIterator(fh) if r.rec_type == "response")
        assert len(lines) == count
        entry = json.loads(lines[0].split(" ", 2)[2])
        assert entry["filename"] == warc.name
        record = record_at(warc, int(entry["offset"]), int(entry["length"]))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]


def test_cdxj_index_is_what_cdxj_indexer_makes_of_the_warc(blog):
    # the index is written as records are written (pipelines.warc.cdxj.index_line): it must be, byte for byte,
    # the index cdxj-indexer makes by reading the finished file back
    from cdxj_indexer.main import write_cdx_index

    for warc in blog.warcs():
        out = io.StringIO()
        write_cdx_index(out, [str(warc)], {"sort": True, "filename": warc.name})
        assert index_of(warc).read_text(encoding="utf-8") == out.getvalue()
        assert out.getvalue().count("\n") > 1


def test_manifest_lists_every_file_with_its_checksum(blog):
    manifest = blog.manifest()
    assert manifest["status"] == "finished"
    assert manifest["site"] == blog.site
    listed = {f["key"]: f for f in manifest["files"]}
    on_disk = {
        p.relative_to(blog.store).as_posix()
        for prefix in ("warc", "text")
        for p in (blog.store / prefix / blog.site).rglob("*")
        if p.is_file()
    }
    assert set(listed) == on_disk
    for key, entry in listed.items():
        assert entry["sha256"] == file_sha256(blog.store / key)
        assert entry["size"] == (blog.store / key).stat().st_size
    counts = manifest["counts"]
    assert counts["records_written"] == len(blog.records())
    assert counts["pages"].get("post", 0) >= sum(1 for i in blog.expected["items"] if i["kind"] == "post")
    text = json.dumps(manifest)
    assert "SECRET" not in text.upper().replace("AWS_SECRET_ACCESS_KEY", "")


def test_user_agent_names_blogarc_with_contact(blog):
    with open(blog.warcs()[0], "rb") as fh:
        request = next(r for r in ArchiveIterator(fh) if r.rec_type == "request")
    agent = request.http_headers.get_header("User-Agent")
    assert re.fullmatch(r"blogarc/\d+\.\d+\.\d+ \(\+https?://\S+\)", agent)


def expand(template: str, blog: Blog) -> str:
    """A fixture URL template with the server's addresses filled in ({{ASSET_URL}} is the same server by name)."""
    asset = blog.url.replace("127.0.0.1", "localhost")
    return template.replace("{{BASE_URL}}", blog.url).replace("{{ASSET_URL}}", asset)


def test_no_trap_is_ever_requested(blog):
    requested = {line.split(" ", 1)[1] for line in blog.requested}
    for trap in list(blog.expected.get("traps", [])) + list(blog.expected.get("tracking_variants", [])):
        assert trap not in requested, f"{blog.name}: trap {trap} was requested"


def test_no_url_is_fetched_twice(blog):
    repeated = sorted({line for line in blog.requested if blog.requested.count(line) > 1})
    # the same path on the blog host and on the asset host are two URLs; the log shows paths only
    asset_paths = {urlsplit(expand(u, blog)).path for u in blog.expected.get("requisites", []) if "ASSET_URL" in u}
    assert [line for line in repeated if line.split(" ", 1)[1] not in asset_paths] == []


def test_page_requisites_are_archived(blog):
    archived = blog.archived_uris()
    for template in blog.expected.get("requisites", []):
        assert expand(template, blog) in archived, f"{blog.name}: requisite {template} not archived"


def test_discovery_sources_are_counted(blog):
    refused = blog.manifest()["counts"]["refused"]
    sources = blog.expected.get("sources", {})
    listed = blog.manifest()["counts"]["listed"]
    for source, present in sources.items():
        if present:
            assert listed.get(source, 0) > 0, (blog.name, source, listed)
    if blog.expected.get("traps"):
        # by a rule of their own: every blog links offsite too, so "offsite" alone is always there
        assert set(refused) - {"offsite"}, ("trap links are counted by rule", refused)


def test_drafts_404_and_yield_no_record(blog):
    records, responses = blog.by_path(), blog.responses()
    assert blog.expected["drafts"]  # every fixture blog has one (make_fixtures.py)
    for draft in blog.expected["drafts"]:
        assert draft not in records
        if "preview=" in draft:
            # a preview link pasted into a page (make_fixtures.PREVIEW_DRAFTS): refused by rule, never asked for
            assert "GET " + draft not in blog.requested
            assert blog.manifest()["counts"]["refused"].get("preview", 0) >= 1
        else:
            # a stale sitemap entry or a link to a post that went back to draft: asked for, and its 404 archived
            assert "GET " + draft in blog.requested, (draft, blog.requested)
            assert [status for status, _, _ in responses[draft]] == [404], draft


def store_text(folder: Path) -> str:
    """Every file under ``folder`` as text: gzip members decompressed, Parquet tables as their rows."""
    texts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.endswith(".parquet"):
            texts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
        else:
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace"))
    return "\n".join(texts)


def test_credentials_given_with_s_appear_in_no_log_manifest_warc_or_record(crawl_run, blogs):
    result, work, _ = crawl_run
    log = result.stdout + result.stderr
    # the crawl does write down what it was given with -s: in its log and in each WARC's warcinfo record
    # (Scrapy logs the settings of its own that differ from its defaults: the AWS_* ones are among them)
    overridden = [ast.literal_eval(s) for s in re.findall(r"Overridden settings:\n(\{.*?\})$", log, re.S | re.M)]
    # -s values are typed by their defaults (crawler/usage.py): AUTOTHROTTLE_ENABLED=False is now Scrapy's own
    # default, False, which Scrapy's dump leaves out (it listed the string "False" before); blogarc's User-Agent
    # shows the dump is there
    assert overridden and all(settings["USER_AGENT"].startswith("blogarc/") for settings in overridden)
    assert all(settings.get("AUTOTHROTTLE_ENABLED", False) is False for settings in overridden)
    assert "DOWNLOAD_DELAY: 0" in store_text(work / "store" / "warc")
    for secret in (SECRET, KEY_ID):
        assert secret not in log
        assert secret not in store_text(work / "store"), "in the store: a manifest, WARC, index, batch or state"
        assert secret not in store_text(work / "spool")
