"""Authors, split, protected and private posts on the real WordPress (tests/wpserver.py), in every theme it ships.

Expected values are WordPress's own (``WordPress.truth()``: dump.php reads them through WordPress's PHP API).
The crawl reads the pages alone (no REST listing), so every author and title here is the extraction rules' own.
The private post is seen the way an archiver sees one by accident: a crawl sent with a logged-in editor's cookies
(WordPress answers 404 to anyone else), which must write no record of it.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.parse
import urllib.request

import jsonschema
import pytest

from tests.util import FAST, IN_PROCESS, SCHEMA, blogarc, f1, site_of, text_records
from tests.wpcheck import rendered_text

THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")


def login_cookie(wp) -> str:
    """The ``Cookie`` header of the admin's session, got through wp-login.php as a browser gets it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(wp.base + "wp-login.php").read()  # sets wordpress_test_cookie
    form = {"log": "admin", "pwd": wp.admin_password, "wp-submit": "Log In", "testcookie": "1"}
    opener.open(wp.base + "wp-login.php", urllib.parse.urlencode(form).encode()).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar if c.name.startswith("wordpress_logged_in"))
    assert cookies, "the admin could not log in"
    return cookies


@pytest.fixture(scope="module", params=THEMES)
def crawled(request, wordpress, tmp_path_factory):
    """(truth, records, manifest) of a crawl of one theme, sent with the admin's cookies."""
    wordpress.switch_theme(request.param)
    work = tmp_path_factory.mktemp(request.param)
    headers = json.dumps({"Cookie": login_cookie(wordpress)})
    store = work / "store"
    args = ["crawl", wordpress.base, "--store", str(store), "--spool", str(work / "spool"), *FAST, *IN_PROCESS]
    # a Cookie header of its own: Scrapy's cookie middleware would replace it with its (empty) jar's
    session = ["-s", f"DEFAULT_REQUEST_HEADERS={headers}", "-s", "COOKIES_ENABLED=False"]
    # the pages' own markup alone (the REST listing's author would hide a wrong byline rule): what re-extraction
    # from WARCs and blogs without the REST API rely on
    session += ["-s", "WORDPRESS_REST=False"]
    done = blogarc(*args, *session, cwd=work, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (manifest,) = (store / "runs" / site_of(wordpress.base)).glob("*.json")
    return wordpress.truth(), text_records(store, site_of(wordpress.base)), json.loads(manifest.read_text())


def test_titles_authors_and_protected_flags_are_wordpress_own(crawled):
    truth, records, _ = crawled
    by_url = {r["url"]: r for r in records}
    for item in (i for i in truth["published"] if i["type"] == "post"):
        record = by_url[item["url"]]
        jsonschema.validate(record, SCHEMA)
        assert (record["title"], record["author"]) == (item["title"], item["author"]), item["url"]
        assert record["protected"] is item["protected"]
        if item["protected"]:
            assert record["text"] == "" and record["comments"] == []
            if item["author_bio"]:
                assert item["author_bio"] not in json.dumps(record, ensure_ascii=False)


def test_split_posts_are_one_record_with_every_part_in_order(crawled):
    truth, records, _ = crawled
    by_url = {r["url"]: r for r in records}
    split = [i for i in truth["published"] if len([p for p in i["parts"] if p.strip()]) > 1]
    assert split
    for item in split:
        record = by_url[item["url"]]
        assert f1(rendered_text(item), record["text"]) >= 0.97, item["url"]
        assert not any(r["url"].startswith(item["url"]) and r["url"] != item["url"] for r in records)


def test_a_private_post_seen_through_a_session_is_counted_not_recorded(crawled):
    truth, records, manifest = crawled
    private = [h for h in truth["hidden"] if h["status"] == "private"]
    assert private and manifest["counts"]["pages"].get("private", 0) >= len(private)
    for hidden in private:
        assert not [r for r in records if hidden["slug"] in r["url"] or r["title"] == hidden["title"]]
    protected = sum(1 for i in truth["published"] if i["protected"])
    assert manifest["counts"]["pages"].get("protected", 0) == protected
