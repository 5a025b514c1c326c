"""A real WordPress (Debian's package), crawled with every theme the package ships, checked against WordPress itself.

The blog's content is written through WordPress's PHP API (tests/wordpress/content.php): authors with bios,
threaded comments with pending and spam ones, pages, sticky, split, password-protected, draft, pending, private
and scheduled posts, non-ASCII terms, images with captions, a gallery, an embed, a classic-editor post. Every
expected value is read back from WordPress (tests/wordpress/dump.php), never typed here.
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.util import FAST, blogarc, f1, site_of, text_records
from tests.wpcheck import chrome_found, differences, page_chrome, records_by_url, rendered_text
from tests.wpserver import THEMES

THEME_NAMES = sorted(p.name for p in THEMES.iterdir()) if THEMES.is_dir() else ["(wordpress not installed)"]


@dataclass
class Crawl:
    """One crawl of the WordPress with one theme: WordPress's data, the records, the requests Apache served."""

    theme: str
    truth: dict
    records: list[dict]
    requests: list[str]
    store: Path

    def record_of(self, item: dict) -> dict:
        found = records_by_url(self.records).get(item["url"], [])
        assert len(found) == 1, f"{self.theme}: {len(found)} records for {item['url']}"
        return found[0]


def crawl(wordpress, theme: str, store: Path, *settings: str) -> Crawl:
    """Crawl the WordPress with ``theme`` active into ``store``, as a user would (default politeness aside)."""
    wordpress.switch_theme(theme)
    before = len(wordpress.access_log())
    done = blogarc("crawl", wordpress.base, "--store", str(store), *FAST, *settings, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    records = text_records(store, site_of(wordpress.base))
    return Crawl(theme, wordpress.truth(), records, wordpress.access_log()[before:], store)


@pytest.fixture(scope="module", params=THEME_NAMES)
def themed(request, wordpress, tmp_path_factory) -> Crawl:
    """The WordPress crawled once with each theme."""
    return crawl(wordpress, request.param, tmp_path_factory.mktemp(f"wp-{request.param}"))


def shown(crawl: Crawl) -> list[dict]:
    """The published posts and pages whose text a visitor can read (not password-protected)."""
    return [item for item in crawl.truth["published"] if not item["protected"]]


def test_every_published_post_and_page_is_recorded_once(themed):
    recorded = records_by_url(themed.records)
    for item in themed.truth["published"]:
        assert len(recorded.get(item["url"], [])) == 1, f"{themed.theme}: {item['url']}"
    published = {item["url"] for item in themed.truth["published"]}
    assert set(recorded) <= published, f"{themed.theme}: records of other pages {set(recorded) - published}"


def test_metadata_is_wordpress_own(themed):
    wrong = [f"{item['url']} {line}" for item in shown(themed) for line in differences(item, themed.record_of(item))]
    assert not wrong, f"{themed.theme}:\n" + "\n".join(wrong)


def test_every_text_is_wordpress_rendered_content(themed):
    """Text F1 against ``the_content`` (every part of a split post) at least 0.97, on every post and page."""
    scores = {item["url"]: f1(rendered_text(item), themed.record_of(item)["text"]) for item in shown(themed)}
    low = {url: round(score, 3) for url, score in scores.items() if score < 0.97}
    assert not low, f"{themed.theme}: {low}"


def test_no_page_chrome_in_any_text(themed):
    """No tagline, comment or password form, "Leave a Reply", post navigation, author bio nor comment in a text."""
    pages = []
    for item in shown(themed):
        with urllib.request.urlopen(item["url"], timeout=60) as response:
            pages.append(response.read().decode("utf-8"))
    chrome = page_chrome(themed.truth, pages)
    assert themed.truth["chrome"] and len(chrome) > len(themed.truth["chrome"]) + 3, chrome  # bios, comments
    phrases = [c for c in chrome if " " in c]  # a comment of several paragraphs: found across the text's blocks
    leaked = {
        r["url"]: {*chrome_found(r["text"], chrome), *chrome_found(" ".join(r["text"].split()), phrases)}
        for r in themed.records
    }
    leaked = {url: found for url, found in leaked.items() if found}
    assert not leaked, f"{themed.theme}: {leaked}"


def test_pending_and_spam_comments_never_appear(themed):
    unapproved = {" ".join(c["text"].split()) for c in themed.truth["unapproved"]}
    assert unapproved, "the blog has pending and spam comments"
    recorded = {" ".join(c["text"].split()) for r in themed.records for c in r["comments"]}
    assert not unapproved & recorded


def test_drafts_private_pending_and_scheduled_posts_are_never_requested(themed):
    hidden = themed.truth["hidden"]
    assert {h["status"] for h in hidden} == {"draft", "pending", "private", "future"}
    for item in hidden:
        asked = [r for r in themed.requests if item["slug"] in r or re.search(rf"[?&](p|page_id)={item['id']}\b", r)]
        assert not asked, f"{themed.theme}: {item['status']} post requested: {asked}"
        assert not [r["url"] for r in themed.records if r["title"] == item["title"]]


def test_a_protected_post_is_marked_with_its_real_title_and_no_form(themed):
    truth = themed.truth
    for item in (i for i in truth["published"] if i["protected"]):
        record = themed.record_of(item)
        assert record["protected"] is True
        assert record["title"] == item["title"]
        assert not chrome_found(record["text"], truth["chrome"]), record["text"]
        assert not (item["author_bio"] and item["author_bio"] in record["text"])
        assert f1(rendered_text(item), record["text"]) == 0.0  # nothing of the hidden content either


def test_an_unchanged_second_run_asks_for_a_fifth_and_an_edited_post_is_fetched(wordpress, tmp_path):
    """An unchanged night asks for at most a fifth of the first run's requests; an edited post is fetched again.

    REST ``modified_gmt`` skips every unchanged post and, nothing changed, archives too (WordPress sends no ETag);
    the edited post is recorded as changed.
    """
    theme = THEME_NAMES[0]
    first = crawl(wordpress, theme, tmp_path)
    second = crawl(wordpress, theme, tmp_path)
    assert len(second.requests) <= 0.2 * len(first.requests), second.requests
    posts = {urlsplit(item["url"]).path for item in shown(first)}
    assert not [line for line in second.requests if line.split()[1] in posts]  # every post skipped by its date
    assert len(second.records) == len(first.records)  # the second run wrote none: nothing changed
    edited = next(i for i in shown(first) if i["type"] == "post" and not i["comments"])
    wordpress.edit(edited["id"], "A paragraph added after the first two runs, about a heron and a ferry.")
    third = crawl(wordpress, theme, tmp_path)
    assert f"GET {urlsplit(edited['url']).path} HTTP/1.1" in third.requests
    new = [r for r in third.records if r["run_id"] not in {x["run_id"] for x in second.records}]
    assert [(r["url"], r["change"]) for r in new] == [(edited["url"], "changed")]
