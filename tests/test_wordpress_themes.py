"""Authors, split posts, protected and private posts in the markup of WordPress 6.1's three bundled themes.

The pages are made by ``tests/wpthemes.py``, which mirrors the themes' PHP templates and the core blocks' render
functions (its docstring names each file); every expected value comes from its ``POSTS``. Issue 13 found, on a
real WordPress: Twenty Twenty-One's author taken from the author box's "View all of X's posts.", Twenty
Twenty-Two's from a comment ("Maria Kowalski says"), Twenty Twenty-Three's missing; parts 2..n of split posts lost;
protected posts recorded as "Protected: …" with the password form as text. Each is a case here.
"""

from __future__ import annotations

import json

import jsonschema
import lxml.html
import pyarrow.parquet as pq
import pytest

from crawler.wordpress import post_parts
from pipelines.extract.core import extract_post
from tests import wpthemes
from tests.blogserver import BlogServer
from tests.util import FAST, IN_PROCESS, SCHEMA, blogarc, f1, site_of, text_records
from tests.wpthemes import POSTS, THEMES

BASE = "http://blog.test"
CASES = [(theme, post) for theme in THEMES for post in POSTS]


def page(theme: str, post: wpthemes.Post, part: int = 1) -> str:
    return wpthemes.single(theme, post, part).replace("{{BASE_URL}}", BASE)


def case_id(case: tuple[str, wpthemes.Post]) -> str:
    return f"{case[0]}-{case[1].slug}"


@pytest.mark.parametrize(("theme", "post"), CASES, ids=[case_id(c) for c in CASES])
def test_metadata_of_every_post_in_every_theme(theme, post):
    extracted = extract_post(page(theme, post), BASE + post.path)
    assert extracted is not None
    assert extracted.title == post.title  # never "Protected: …" / "Private: …"
    assert extracted.author == post.author.name  # never a bio link's text, never a commenter
    assert extracted.published == post.published
    assert extracted.categories == post.categories
    assert extracted.tags == post.tags
    assert extracted.protected is post.password
    assert extracted.private is (post.status == "private")


@pytest.mark.parametrize(("theme", "post"), CASES, ids=[case_id(c) for c in CASES])
def test_text_and_comments_of_every_post_in_every_theme(theme, post):
    extracted = extract_post(page(theme, post), BASE + post.path)
    if post.password:
        assert extracted.text == "" and extracted.comments == []
        return
    if post.status == "private":
        return  # never recorded (the recorder's rule; see test_a_crawl_of_each_theme)
    assert f1("\n\n".join(post.parts[0]), extracted.text) >= 0.97
    for boilerplate in ("says:", "View all of", "Leave a Reply", "Categorized as", "Proudly powered"):
        assert boilerplate not in extracted.text
    want = [(c.id, c.parent, c.author) for c in post.comments]
    assert [(c["id"], c["parent"], c["author"]) for c in extracted.comments] == want
    assert [c["published"] for c in extracted.comments] == [c.date for c in post.comments]


@pytest.mark.parametrize("theme", THEMES)
def test_protected_post_has_no_form_and_no_bio(theme):
    post = next(p for p in POSTS if p.password)
    extracted = extract_post(page(theme, post), BASE + post.path)
    record = vars(extracted)
    everything = json.dumps(record, ensure_ascii=False)
    assert "password" not in everything.lower() and "Protected:" not in everything
    assert post.author.bio not in everything  # the author box is no text of the post
    assert not any(p in everything for p in post.parts[0])  # never shown to the archiver anyway


@pytest.mark.parametrize("theme", THEMES)
def test_split_post_parts_are_recognised_by_place_not_label(theme):
    post = next(p for p in POSTS if len(p.parts) > 1)
    for part in range(1, len(post.parts) + 1):
        url = BASE + post.part_path(part)
        current, others = post_parts(lxml.html.document_fromstring(page(theme, post, part)), url)
        assert current == part
        assert others == [BASE + post.part_path(n) for n in range(1, len(post.parts) + 1) if n != part]


def test_split_post_parts_with_a_translated_label():
    post = next(p for p in POSTS if len(p.parts) > 1)
    line = wpthemes.link_pages(post, 2, '<nav class="page-links" aria-label="Seite">', "</nav>", "Seite %")
    tree = lxml.html.document_fromstring(f"<html><body>{line.replace('{{BASE_URL}}', BASE)}</body></html>")
    assert post_parts(tree) == (2, [BASE + post.part_path(1), BASE + post.part_path(3)])


@pytest.fixture(scope="module", params=THEMES)
def theme_crawl(request, tmp_path_factory):
    """One `blogarc crawl` of a blog written in one theme: (theme, server URL, store, manifest)."""
    root = tmp_path_factory.mktemp(request.param)
    wpthemes.write_site(root / "blog", request.param)
    with BlogServer(root / "blog") as server:
        store = root / "store"
        args = ["crawl", server.url + "/", "--store", str(store), "--spool", str(root / "spool"), *FAST, *IN_PROCESS]
        result = blogarc(*args, cwd=root, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        (manifest,) = (store / "runs" / site_of(server.url)).glob("*.json")
        yield request.param, server.url, store, json.loads(manifest.read_text())


def test_a_crawl_of_each_theme(theme_crawl):
    theme, url, store, manifest = theme_crawl
    records = {r["url"][len(url) :]: r for r in text_records(store, site_of(url))}
    public = [p for p in POSTS if p.status != "private"]
    assert sorted(records) == sorted(p.path for p in public), theme  # one record a post; none for parts 2..n
    for post in public:
        record = records[post.path]
        jsonschema.validate(record, SCHEMA)
        assert (record["title"], record["author"], record["protected"]) == (post.title, post.author.name, post.password)
        if post.password:
            assert record["text"] == "" and record["word_count"] == 0 and record["comments"] == []
            continue
        assert f1(post.text, record["text"]) >= 0.97, (theme, post.slug)
        starts = [record["text"].index(part[0]) for part in post.parts]
        assert starts == sorted(starts), "parts joined in order"
    assert manifest["counts"]["pages"].get("private") == 1
    assert manifest["counts"]["pages"].get("protected") == 1
    private = next(p for p in POSTS if p.status == "private")
    assert all(private.parts[0][0] not in r["text"] for r in records.values())


def test_protected_is_a_parquet_column(theme_crawl):
    _, url, store, _ = theme_crawl
    tables = [pq.read_table(p) for p in sorted((store / "text" / site_of(url)).glob("*/part-*.parquet"))]
    flags = {row["url"][len(url) :]: row["protected"] for table in tables for row in table.to_pylist()}
    assert flags == {p.path: p.password for p in POSTS if p.status != "private"}
