"""WordPress rules as data: refusals, canonical URLs, page kinds, site keys and run ids."""

from __future__ import annotations

from datetime import UTC

import pytest

from crawler.wordpress import (
    ScopeRules,
    canonical_url,
    has_path_loop,
    is_post_part,
    page_kind,
    refusal,
    rest_listing_url,
    same_site_hosts,
)
from pipelines.layout import check_run_id, new_run_id, site_key

BASE = "https://blog.example.org"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/wp-admin/post.php", "admin"),
        ("/wp-login.php?redirect_to=x", "admin"),
        ("/xmlrpc.php", "admin"),
        ("/2024/03/a-post/?replytocom=12#respond", "reply"),
        ("/2024/03/a-post/?share=twitter&nb=1", "share"),
        ("/?s=travel", "search"),
        ("/2024/03/a-post/embed/", "embed"),
        ("/2024/03/a-post/feed/", "sub-feed"),
        ("/comments/feed/", "sub-feed"),
        ("/category/travel/feed/", "sub-feed"),
        ("/wp-json/wp/v2/posts", "jetpack"),
        ("/2024/03/a-post/amp/", "amp"),
        ("/2024/03/a-post/", None),
        ("/feed/", None),
        ("/page/2/", None),
        ("/category/travel/", None),
        ("/?p=123", None),
        ("/?page_id=7", None),
        ("/?p=99&preview=true", "preview"),
        ("/2024/03/2024/03/2024/03/", "path-loop"),
        ("/tag/a/tag/a/", "path-loop"),
        ("/?like_comment=5&_wpnonce=abc", "share"),
        ("/wp-comments-post.php", "admin"),
    ],
)
def test_refusal(path, rule):
    assert refusal(BASE + path) == rule


def test_canonical_url_drops_tracking_and_fragment_and_sorts_query():
    assert canonical_url("HTTPS://Blog.Example.org/a/?utm_source=x&b=2&a=1&fbclid=z#comments") == (
        "https://blog.example.org/a/?a=1&b=2"
    )
    assert canonical_url("https://blog.example.org") == "https://blog.example.org/"


def test_same_site_hosts():
    assert same_site_hosts("https://www.blog.example.org/x") == {"blog.example.org", "www.blog.example.org"}


@pytest.mark.parametrize(
    ("classes", "og_type", "kind"),
    [
        ("single single-post postid-12 single-format-standard", None, "post"),
        ("page-template-default page page-id-2", None, "page"),
        ("home page-template-default page page-id-2", None, "page"),
        ("home blog", None, "archive"),
        ("archive paged category category-travel paged-2", None, "archive"),
        ("blog paged paged-2", None, "archive"),
        ("attachment single single-attachment", None, "attachment"),
        ("error404", None, "other"),
        ("", "article", "post"),
        ("", "website", "other"),
    ],
)
def test_page_kind(classes, og_type, kind):
    assert page_kind(classes.split(), og_type) == kind


def test_page_kind_json_ld_blog_posting():
    assert page_kind([], None, blog_posting=True) == "post"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Blog.Example.org/x", "blog.example.org"),
        ("http://127.0.0.1:8080/", "127.0.0.1_8080"),
        ("https://user:secret@blog.example.org/", "blog.example.org"),
        ("blog.example.org", "blog.example.org"),
    ],
)
def test_site_key(url, key):
    assert site_key(url) == key


def test_run_ids_sort_by_time_and_are_safe():
    from datetime import datetime

    early = new_run_id(datetime(2026, 1, 1, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 2, tzinfo=UTC))
    assert early < late
    assert check_run_id(early) == early
    with pytest.raises(ValueError):
        check_run_id("../../etc")


@pytest.mark.parametrize(
    ("path", "loop"),
    [("/2024/03/post/", False), ("/a/b/a/b/", True), ("/x/x/x/", True), ("/2024/02/2024/", False), ("/", False)],
)
def test_path_loops(path, loop):
    assert has_path_loop(path) is loop


def test_rules_are_overridable():
    rules = ScopeRules.build(deny={"search": None, "no-tags": r"^/tag/"}, tracking=r"^(?:ref)$")
    assert rules.refusal(BASE + "/?s=x") is None
    assert rules.refusal(BASE + "/tag/x/") == "no-tags"
    assert rules.canonical(BASE + "/a/?ref=x&utm_source=y") == BASE + "/a/?utm_source=y"


def test_asset_hosts():
    rules = ScopeRules.build()
    assert rules.is_asset_host("https://i0.wp.com/blog.example.org/wp-content/uploads/a.jpg")
    assert rules.is_asset_host("https://s0.wp.com/_static/x.css")
    assert rules.is_asset_host("https://media.example.net/wp-content/uploads/a.jpg")
    assert not rules.is_asset_host("https://tracker.example.net/pixel.gif")
    assert not ScopeRules.build(asset_hosts=[]).is_asset_host("https://s0.wp.com/_static/x.css")


def test_post_parts_by_url():
    assert is_post_part(BASE + "/2024/03/post/comment-page-2/")
    assert is_post_part(BASE + "/?p=5&cpage=2")
    assert not is_post_part(BASE + "/2024/03/post/")


def test_rest_listing_urls():
    assert rest_listing_url(BASE + "/wp-json/", "posts", 2, 50, None) == (
        BASE + "/wp-json/wp/v2/posts?page=2&per_page=50&_fields=id%2Clink%2Cmodified_gmt"
    )
    assert rest_listing_url(BASE + "/?rest_route=/", "pages", 1, 100, "2024-01-01T00:00:00") == (
        BASE + "/?rest_route=%2Fwp%2Fv2%2Fpages&page=1&per_page=100&_fields=id%2Clink%2Cmodified_gmt"
        "&modified_after=2024-01-01T00%3A00%3A00"
    )


@pytest.mark.parametrize(
    ("html", "url", "kind"),
    [
        ('<body class="single single-post"><p>x</p></body>', BASE + "/2024/03/p/", "post"),
        ('<body class="single single-post"><p>x</p></body>', BASE + "/2024/03/p/comment-page-2/", "part"),
        (
            '<body><script type="application/ld+json">{"@graph": [{"@type": "BlogPosting"}]}</script></body>',
            BASE + "/posts/p/",
            "post",
        ),
        ('<body><script type="application/ld+json">{"@type": "WebSite"}</script></body>', BASE + "/", "other"),
    ],
)
def test_classify_page(html, url, kind):
    import lxml.html

    from crawler.wordpress import classify_page

    assert classify_page(lxml.html.document_fromstring(html), url) == kind
