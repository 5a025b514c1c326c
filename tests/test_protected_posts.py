"""Protected and private posts in every language WordPress ships, and the formats file against WordPress itself.

The formats are WordPress's own (``protected_title_format``, ``private_title_format``), read from the ``.mo`` files
of Debian's ``wordpress-l10n`` by ``tests/wordpress_l10n.py``; the pages are ``tests/wpthemes.py``'s with the
English format swapped for each translation, as WordPress prints it on a site in that language.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace

import jsonschema
import pytest

from pipelines.extract.access import PRIVATE, PROTECTED, page_access, real_title
from pipelines.extract.core import extract_post, parse_html
from tests import wordpress_l10n, wpthemes
from tests.test_extraction import write_warc
from tests.util import SCHEMA, blogarc, need_servers, read_jsonl_gz
from tests.wpthemes import POSTS, THEMES

FORMATS = json.loads(wordpress_l10n.FORMATS_FILE.read_text("utf-8"))
BASE = "http://blog.test"
PROTECTED_POST = next(p for p in POSTS if p.password)
PRIVATE_POST = next(p for p in POSTS if p.status == "private")


def test_the_formats_file_is_what_wordpress_translations_say():
    need_servers([] if wordpress_l10n.LANGUAGES.is_dir() else ["Debian's wordpress-l10n"])
    assert {k: FORMATS[k] for k in ("protected", "private")} == wordpress_l10n.title_formats()
    assert len(FORMATS["protected"]) > 50  # every language the package ships, not a few


def localized(theme: str, post: wpthemes.Post, kind: str, locale: str) -> str:
    """The post's page with WordPress's English title format replaced by ``locale``'s."""
    english = FORMATS[kind]["en_US"].replace("%s", post.title)
    translated = FORMATS[kind][locale].replace("%s", post.title)
    page = wpthemes.single(theme, post).replace("{{BASE_URL}}", BASE)
    assert html.escape(english) in page
    return page.replace(html.escape(english), html.escape(translated))


@pytest.mark.parametrize("locale", sorted(FORMATS["protected"]))
def test_a_protected_post_keeps_its_real_title_in_every_language(locale):
    for theme in THEMES:
        extracted = extract_post(localized(theme, PROTECTED_POST, "protected", locale), BASE + PROTECTED_POST.path)
        assert extracted.protected and extracted.text == ""
        assert extracted.title == PROTECTED_POST.title, (theme, locale)


@pytest.mark.parametrize("locale", sorted(FORMATS["private"]))
def test_a_private_post_is_known_in_every_language_even_without_post_classes(locale):
    for theme in THEMES:  # the block themes print no post_class(): only the title tells
        html = localized(theme, PRIVATE_POST, "private", locale)
        assert page_access(parse_html(html)) == PRIVATE, (theme, locale)
        assert extract_post(html, BASE + PRIVATE_POST.path).private


def test_a_public_post_whose_title_looks_like_a_format_is_left_alone():
    post = next(p for p in POSTS if p.status == "publish" and not p.password)
    for title in ("Private: what I learnt", "Protected: the harbour seals"):
        shown = replace(post, title=title)
        for theme in THEMES:
            html = wpthemes.single(theme, shown).replace("{{BASE_URL}}", BASE)
            extracted = extract_post(html, BASE + post.path)
            assert page_access(parse_html(html)) is None
            assert (extracted.title, extracted.protected, extracted.private) == (title, False, False)


def test_a_site_format_no_translation_knows_is_taken_off_by_the_document_title():
    tree = parse_html(wpthemes.single("twentytwentythree", PROTECTED_POST).replace("{{BASE_URL}}", BASE))
    assert real_title(f"🔒 Locked — {PROTECTED_POST.title}", PROTECTED, tree) == PROTECTED_POST.title


def test_blogarc_extract_applies_the_same_rules(tmp_path):
    pages = [
        (BASE + post.path, wpthemes.single("twentytwentyone", post).replace("{{BASE_URL}}", BASE).encode(), "text/html")
        for post in (PROTECTED_POST, PRIVATE_POST)
    ]
    warc = tmp_path / "blogarc-20260101000000000-00000-host.warc.gz"
    write_warc(warc, pages)
    result = blogarc("extract", str(warc), "--out", str(tmp_path / "out"), "--run-id", "reex-1")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    (record,) = read_jsonl_gz(sorted((tmp_path / "out").rglob("part-*.jsonl.gz")))
    jsonschema.validate(record, SCHEMA)
    assert (record["title"], record["protected"], record["text"]) == (PROTECTED_POST.title, True, "")
    assert b"pages/private 1" in result.stdout and b"pages/protected 1" in result.stdout
