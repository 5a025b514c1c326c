"""WordPress rules as data: refusals, canonical URLs, page kinds, site keys and run ids."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urljoin

import lxml.html
import pytest

from crawler import admission
from crawler.admission import Admission
from crawler.wordpress import (
    ScopeRules,
    canonical_url,
    classify_page,
    has_path_loop,
    is_post_part,
    page_kind,
    post_parts,
    refusal,
    rest_listing_url,
    same_site_hosts,
)
from pipelines.extract.metadata import declares_article
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
    assert canonical_url("https://blog.example.org/a/?utm_source=x") == canonical_url("https://blog.example.org/a/?")
    assert canonical_url("https://blog.example.org/a/?") == "https://blog.example.org/a/"


def test_admission_admits_each_url_once_across_pages(monkeypatch):
    monkeypatch.setattr(admission, "KNOWN_HREFS", 4)  # the hrefs remembered as strings are forgotten, found again
    menu = [f"{BASE}/category/c{n}/" for n in range(6)]
    pages = {
        f"{BASE}/a/": [*menu, "b/", f"{BASE}/a/#comments", " /about/ ", "#content", f"{BASE}/?b=2&a=1"],
        f"{BASE}/a/b/": [*reversed(menu), "../", "b/", f"{BASE}/a/b/c/", "/about/", "#content", f"{BASE}/?a=1&b=2"],
        f"{BASE}/x/": [*menu, "b/", f"{BASE}/a/b/c/#top", f"{BASE.upper()}/category/c1/"],
    }
    wanted, found = [f"{BASE}/"], []  # the seed is seen from the start
    for base, hrefs in pages.items():
        wanted += [canonical_url(urljoin(base, href.strip())) for href in hrefs]
    wanted = list(dict.fromkeys(wanted))
    decide = Admission(f"{BASE}/")
    for base, hrefs in pages.items():
        found += [verdict.url for url in decide.hrefs(base, hrefs) if not (verdict := decide.admit(url)).refused]
    assert found == wanted[1:]


def test_same_site_hosts():
    assert same_site_hosts("https://www.blog.example.org/x") == {"blog.example.org", "www.blog.example.org"}


@pytest.mark.parametrize(
    ("classes", "article", "kind"),
    [
        ("single single-post postid-12 single-format-standard", False, "post"),
        ("page-template-default page page-id-2", False, "page"),
        ("home page-template-default page page-id-2", False, "page"),
        ("home blog", False, "archive"),
        ("archive paged category category-travel paged-2", False, "archive"),
        ("blog paged paged-2", False, "archive"),
        ("attachment single single-attachment", False, "attachment"),
        ("error404", False, "other"),
        ("error404", True, "other"),  # body classes decide first
        ("", True, "post"),
        ("", False, "other"),
        ("post-template custom-theme", True, "post"),  # classes that decide nothing: the page's own declaration
    ],
)
def test_page_kind(classes, article, kind):
    assert page_kind(classes.split(), article) == kind


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
    assert rest_listing_url(BASE + "/wp-json/", "posts", 2, 50, None, "id,link,modified_gmt") == (
        BASE + "/wp-json/wp/v2/posts?page=2&per_page=50&_fields=id%2Clink%2Cmodified_gmt"
    )
    assert rest_listing_url(
        BASE + "/?rest_route=/", "pages", 1, 100, "2024-01-01T00:00:00", "id,link,modified_gmt"
    ) == (
        BASE + "/?rest_route=%2Fwp%2Fv2%2Fpages&page=1&per_page=100&_fields=id%2Clink%2Cmodified_gmt"
        "&modified_after=2024-01-01T00%3A00%3A00"
    )


def ld(*scripts: str, body_class: str = "", head: str = "") -> str:
    """A page whose only markers are ``head`` and JSON-LD ``scripts``."""
    tags = "".join(f'<script type="application/ld+json">{script}</script>' for script in scripts)
    return f'<html><head>{head}{tags}</head><body class="{body_class}"><p>x</p></body></html>'


JSON_LD_FORMS = [
    ('{"@type": "BlogPosting"}', True),  # scalar
    ('{"@type": ["BlogPosting"]}', True),  # list (schema.org allows several types)
    ('{"@type": ["WebPage", "FAQPage"]}', False),
    ('{"@context": "https://schema.org", "@graph": [{"@type": "WebSite"}, {"@type": "Article"}]}', True),
    ('{"@graph": [{"@type": ["WebPage"]}, {"@type": ["TechArticle", "LearningResource"]}]}', True),  # @graph + list
    ('[{"@type": "BreadcrumbList"}, {"@type": "NewsArticle"}]', True),  # a top-level list of nodes
    ('{"@type": "WebSite"}', False),
    ('{"@type": "BlogPosting"', False),  # not JSON: ignored
    ('{"@type": {"name": "BlogPosting"}}', False),  # not a type
]


@pytest.mark.parametrize(("script", "article"), JSON_LD_FORMS)
def test_declares_article_reads_every_json_ld_form(script, article):
    assert declares_article(lxml.html.document_fromstring(ld(script))) is article


def test_declares_article_from_og_type_or_any_script():
    og = '<meta property="og:type" content="article">'
    assert declares_article(lxml.html.document_fromstring(ld(head=og)))
    assert not declares_article(lxml.html.document_fromstring(ld(head=og.replace("article", "website"))))
    two = ld('{"@type": "BreadcrumbList"}', '{"@type": ["BlogPosting"]}')
    assert declares_article(lxml.html.document_fromstring(two))


@pytest.mark.parametrize(("script", "article"), JSON_LD_FORMS)
def test_classify_page_without_body_classes_reads_json_ld(script, article):
    tree = lxml.html.document_fromstring(ld(script))
    assert classify_page(tree, BASE + "/posts/p/") == ("post" if article else "other")


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
        (ld(head='<meta property="og:type" content="article">'), BASE + "/posts/p/", "post"),
        (ld(head='<meta property="og:type" content="website">'), BASE + "/", "other"),
        (ld('{"@type": ["BlogPosting"]}', body_class="error404"), BASE + "/x/", "other"),  # body classes decide
        (ld('{"@type": ["BlogPosting"]}', body_class="post-template"), BASE + "/p/", "post"),  # they decide nothing
    ],
)
def test_classify_page(html, url, kind):
    assert classify_page(lxml.html.document_fromstring(html), url) == kind


def parts_of(line: str, url: str | None = None) -> tuple[int | None, list[str]]:
    return post_parts(lxml.html.document_fromstring(f"<html><body><p>x</p>{line}</body></html>"), url)


POST = BASE + "/2024/03/post/"


def test_post_parts_of_wordpress_before_5_1_by_their_urls():
    # before 5.1 the current part was bare text and the links had no class: the part URLs tell
    line = f'<div class="page-links">Pages: <a href="{POST}">1</a> 2 <a href="{POST}3/">3</a></div>'
    assert parts_of(line, POST + "2/") == (2, [POST, POST + "3/"])
    line = f'<div class="page-links">Pages: 1 <a href="{POST}2/">2</a> <a href="{POST}3/">3</a></div>'
    assert parts_of(line, POST) == (1, [POST + "2/", POST + "3/"])


def test_post_parts_in_previous_next_mode():
    # next_or_number=next: a part links only its neighbours; the last part only back
    def line(*hrefs):
        links = "".join(f'<a href="{h}" class="post-page-numbers">Next page</a>' for h in hrefs)
        return f'<p class="post-nav-links">{links}</p>'

    assert parts_of(line(POST + "2/"), POST) == (1, [POST + "2/"])
    assert parts_of(line(POST, POST + "3/"), POST + "2/") == (2, [POST, POST + "3/"])
    assert parts_of(line(POST + "2/"), POST + "3/") == (3, [POST + "2/"])


def test_post_parts_with_plain_and_numeric_permalinks():
    plain = f'<p class="post-nav-links"><a href="{BASE}/?p=5" class="post-page-numbers">Previous page</a></p>'
    assert parts_of(plain, BASE + "/?p=5&page=2") == (2, [BASE + "/?p=5"])
    numeric = f'<p class="post-nav-links"><a href="{BASE}/123/2/" class="post-page-numbers">Next page</a></p>'
    assert parts_of(numeric, BASE + "/123/") == (1, [BASE + "/123/2/"])  # /123/ is part 1, not part 123


def test_links_that_are_no_post_parts_are_not_taken_for_them():
    assert parts_of('<div class="page-links"><a href="/about/">About</a></div>', POST) == (None, [])
    assert parts_of("<nav><a href='/page/2/'>2</a></nav>", BASE + "/") == (None, [])
