"""Fixture pages in the exact markup of WordPress 6.1's three bundled themes, and the truth they were made from.

Until the suite crawls a real WordPress, these pages stand in for it. Each piece is the markup the theme's PHP or
the core block prints, as read in Debian's ``wordpress`` 6.1 package (``/usr/share/wordpress``):

- Twenty Twenty-One (classic): ``template-parts/content/content-single.php`` (``article`` with ``post_class()``,
  ``wp_link_pages()`` with ``before`` ``<nav class="page-links" aria-label="Page">`` and ``pagelink`` ``Page %``),
  ``inc/template-tags.php`` (``twenty_twenty_one_posted_on``/``posted_by``: the ``.byline`` is printed only for an
  author without a biography), ``template-parts/post/author-bio.php`` (``By X`` and ``View all of X's posts.``),
  ``comments.php`` (nothing for a password-protected post) with ``Walker_Comment::html5_comment``.
- Twenty Twenty-Two (block): ``templates/single.html``: ``core/post-title``, ``core/post-content`` (which appends
  ``wp_link_pages()`` with its defaults, ``<p class="post-nav-links">Pages: …``), ``core/post-date``,
  ``core/post-author`` (``<p class="wp-block-post-author__name">``), ``core/post-terms``, and the legacy
  ``core/post-comments``: ``comments_template()`` falls back to ``wp-includes/theme-compat/comments.php``
  (``ol.commentlist``, html5 comments, which block themes get by default).
- Twenty Twenty-Three (block): ``templates/single.html`` with ``patterns/post-meta.php`` ("Posted … in … by") and
  ``patterns/hidden-comments.php`` (``core/comment-template``: ``li#comment-N`` holding
  ``core/comment-author-name``, ``core/comment-date``, ``core/comment-content``).

A password-protected post shows ``get_the_password_form()`` in place of its content and its title through
``protected_title_format``; a private one its title through ``private_title_format`` (``get_the_title()``);
``<title>`` has the bare title (``wp_get_document_title()``), with " – Page N" on part N of a split post.

``write_site(root, theme)`` writes one blog (a home page listing the posts, each post's parts) for
``tests.blogserver``; ``POSTS`` is the truth the tests compare against.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")
SITE = "Harbour Notes"
B = "{{BASE_URL}}"


@dataclass(frozen=True)
class Author:
    name: str
    slug: str
    bio: str = ""


@dataclass(frozen=True)
class Comment:
    id: str
    author: str
    date: str
    text: str
    parent: str | None = None
    url: str = ""


@dataclass
class Post:
    id: int
    slug: str
    title: str
    author: Author
    published: str
    categories: list[str]
    tags: list[str]
    parts: list[list[str]]  # paragraphs of each part (<!--nextpage--> between parts)
    comments: list[Comment] = field(default_factory=list)
    status: str = "publish"  # or "private"
    password: bool = False

    @property
    def path(self) -> str:
        return f"/{self.published[:4]}/{self.published[5:7]}/{self.slug}/"

    def part_path(self, n: int) -> str:
        return self.path if n == 1 else f"{self.path}{n}/"

    @property
    def text(self) -> str:
        """The post's whole text as a reader sees it, all parts in order (what its record must hold)."""
        return "\n\n".join(p for part in self.parts for p in part)


AMELIE = Author("Amélie Durand", "amelie-durand", "Amélie sails the Breton coast and writes about tides and harbours.")
BOB = Author("Bob O'Brien", "bob")  # no biography: Twenty Twenty-One prints his byline
MARIA, JAN = "Maria Kowalski", "Jan Novák"


def _paragraphs(topic: str, count: int, seed: int) -> list[str]:
    things = ["the harbour wall", "the morning ferry", "a tide table", "the lighthouse keeper", "low water"]
    return [
        f"{topic}, note {seed + n}: we walked past {things[(seed + n) % len(things)]} and counted "
        f"{seed * 7 + n * 3} boats before the rain came in from the west, which it always does by noon here."
        for n in range(count)
    ]


POSTS = [
    Post(
        11, "winter-tides", "Winter tides on the causeway", AMELIE, "2024-02-10T09:30:00+00:00",
        ["Travel"], ["tides", "Île de Ré"], [_paragraphs("Winter tides", 6, 1)],
        [
            Comment("101", MARIA, "2024-02-11T10:15:00+00:00", "We crossed it in January, lovely piece."),
            Comment("102", JAN, "2024-02-11T12:40:00+00:00", "Which month had the lowest water?", "101"),
            Comment("103", AMELIE.name, "2024-02-12T08:05:00+00:00", "February, by a few centimetres.", "102"),
        ],
    ),
    Post(
        12, "a-week-of-sourdough", "A week of sourdough", BOB, "2024-03-05T18:00:00+00:00",
        ["Kitchen"], ["bread"], [_paragraphs("Sourdough", 6, 20)],
        [Comment("104", MARIA, "2024-03-06T07:00:00+00:00", "Mine never rises this well.", url="https://maria.example/")],
    ),
    Post(
        13, "dry-stone-wall", "Building a dry-stone wall", BOB, "2024-04-01T08:00:00+00:00",
        ["Garden"], ["stone", "walls"],
        [_paragraphs("Stone wall part one", 5, 40), _paragraphs("Stone wall part two", 5, 60),
         _paragraphs("Stone wall part three", 5, 80)],
    ),
    Post(
        14, "family-recipes", "Family recipes", AMELIE, "2024-05-01T12:00:00+00:00",
        ["Kitchen"], ["recipes"], [_paragraphs("Secret recipes", 5, 100)], password=True,
    ),
    Post(
        15, "notes-for-the-editors", "Notes for the editors", BOB, "2024-05-20T12:00:00+00:00",
        ["Travel"], [], [_paragraphs("Editor notes", 5, 120)], status="private",
    ),
]  # fmt: skip


# ---------------------------------------------------------------- what every theme shares (core functions)


def the_title(post: Post) -> str:
    """``get_the_title()``: the formats of ``protected_title_format`` and ``private_title_format``."""
    if post.password:
        return f"Protected: {post.title}"
    return f"Private: {post.title}" if post.status == "private" else post.title


def document_title(post: Post, part: int) -> str:
    """``wp_get_document_title()`` on a single post (texturized, separator ``&#8211;``)."""
    page = f" &#8211; Page {part}" if part > 1 else ""
    return f"{html.escape(post.title)}{page} &#8211; {SITE}"


def long_date(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%B %-d, %Y")  # date_format "F j, Y" (C locale month names)


def comment_time(iso: str) -> str:
    hour, minute = int(iso[11:13]), iso[14:16]
    return f"{long_date(iso)} at {hour % 12 or 12}:{minute} {'am' if hour < 12 else 'pm'}"


def password_form(post: Post) -> str:
    """``get_the_password_form()``, as WordPress 6.1 prints it."""
    return (
        f'<form action="{B}/wp-login.php?action=postpass" class="post-password-form" method="post">\n'
        "\t<p>This content is password protected. To view it please enter your password below:</p>\n"
        f'\t<p><label for="pwbox-{post.id}">Password: <input name="post_password" id="pwbox-{post.id}" '
        'type="password" size="20" /></label> <input type="submit" name="Submit" value="Enter" /></p></form>\n'
    )


def link_pages(post: Post, part: int, before: str, after: str, pagelink: str = "%") -> str:
    """``wp_link_pages()`` in its number mode (the current part a span, the others links)."""
    if len(post.parts) < 2:
        return ""
    out = before
    for i in range(1, len(post.parts) + 1):
        label = pagelink.replace("%", str(i))
        if i == part:
            out += f' <span class="post-page-numbers current" aria-current="page">{label}</span>'
        else:
            out += f' <a href="{B}{post.part_path(i)}" class="post-page-numbers">{label}</a>'
    return out + after


def content(post: Post, part: int, pages: str) -> str:
    """``the_content()`` of one part (with the part links the template appends), or the password form."""
    if post.password:
        return password_form(post)
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in post.parts[part - 1]) + pages


def term_links(names: list[str], taxonomy: str, rel: str, separator: str) -> str:
    base = "category" if taxonomy == "category" else "tag"
    return separator.join(f'<a href="{B}/{base}/{_slug(n)}/" rel="{rel}">{html.escape(n)}</a>' for n in names)


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("î", "i").replace("é", "e").split())


def avatar(size: int, extra: str = "") -> str:
    url = f"{B}/wp-content/uploads/avatar-{size}.png"
    return f"<img alt='' src='{url}' class='avatar avatar-{size} photo{extra}' height='{size}' width='{size}' />"


def post_classes(post: Post) -> str:
    """``get_post_class()``: status, password state and terms of the post."""
    classes = [f"post-{post.id}", "post", "type-post", f"status-{post.status}", "format-standard"]
    classes += ["post-password-required"] if post.password else []
    classes += ["hentry"] + [f"category-{_slug(c)}" for c in post.categories] + [f"tag-{_slug(t)}" for t in post.tags]
    return " ".join(classes)


def comment_author(c: Comment) -> str:
    """``get_comment_author_link()``."""
    name = html.escape(c.author)
    return f"<a href='{c.url}' class='url' rel='ugc external nofollow'>{name}</a>" if c.url else name


def html5_comments(post: Post, parent: str | None, avatar_size: int, children_tag: str) -> str:
    """``wp_list_comments()`` with ``Walker_Comment::html5_comment``."""
    out = ""
    for c in (c for c in post.comments if c.parent == parent):
        replies = html5_comments(post, c.id, avatar_size, children_tag)
        out += (
            f'<li id="comment-{c.id}" class="comment even thread-even depth-1{" parent" if replies else ""}">\n'
            f'\t<article id="div-comment-{c.id}" class="comment-body">\n\t\t<footer class="comment-meta">\n'
            f'\t\t\t<div class="comment-author vcard">\n\t\t\t\t{avatar(avatar_size)}\n'
            f'\t\t\t\t<b class="fn">{comment_author(c)}</b> <span class="says">says:</span>\t\t\t</div>\n'
            f'\t\t\t<div class="comment-metadata">\n\t\t\t\t<a href="{B}{post.path}#comment-{c.id}">'
            f'<time datetime="{c.date}">{comment_time(c.date)}</time></a>\t\t\t</div>\n\t\t</footer>\n'
            f'\t\t<div class="comment-content">\n\t\t\t<p>{html.escape(c.text)}</p>\n\t\t</div>\n'
            f"\t\t<div class=\"reply\"><a rel='nofollow' class='comment-reply-link' href='{B}{post.path}"
            f'?replytocom={c.id}#respond\' data-commentid="{c.id}" data-postid="{post.id}" '
            f"aria-label='Reply to {html.escape(c.author)}'>Reply</a></div>\t</article>\n"
            + (f'<{children_tag} class="children">\n{replies}</{children_tag}><!-- .children -->\n' if replies else "")
            + "</li><!-- #comment-## -->\n"
        )
    return out


def comment_form(post: Post, heading: str = "h2", block: bool = False) -> str:
    """``comment_form()`` (html5); block themes' submit button carries the button block's classes."""
    button = "submit wp-block-button__link wp-element-button" if block else "submit"
    return (
        f'<div id="respond" class="comment-respond">\n<{heading} id="reply-title" class="comment-reply-title">'
        f"Leave a Reply</{heading}>"
        f'<form action="{B}/wp-comments-post.php" method="post" id="commentform" class="comment-form" novalidate>'
        '<p class="comment-notes"><span id="email-notes">Your email address will not be published.</span></p>'
        '<p class="comment-form-comment"><label for="comment">Comment</label> <textarea id="comment" '
        'name="comment" cols="45" rows="8" maxlength="65525" required></textarea></p>'
        f'<p class="form-submit"><input name="submit" type="submit" id="submit" class="{button}" '
        f'value="Post Comment" /> <input type="hidden" name="comment_post_ID" value="{post.id}" id="comment_post_ID" />'
        "</p></form>\t</div><!-- #respond -->\n"
    )


def head(post: Post | None, part: int) -> str:
    title = document_title(post, part) if post else SITE
    canonical = f'<link rel="canonical" href="{B}{post.part_path(part)}" />\n' if post else ""
    return (
        '<!doctype html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{title}</title>\n{canonical}"
        '<meta name="generator" content="WordPress 6.1.9" />\n</head>\n'
    )


def body_class(post: Post | None, theme: str) -> str:
    if post is None:
        return "home blog wp-embed-responsive"
    classes = f"post-template-default single single-post postid-{post.id} single-format-standard wp-embed-responsive"
    return classes + (" is-light-theme no-js singular has-main-navigation" if theme == "twentytwentyone" else "")


# ---------------------------------------------------------------- Twenty Twenty-One (classic)


def tt1_single(post: Post, part: int) -> str:
    pages = link_pages(post, part, '<nav class="page-links" aria-label="Page">', "</nav>", "Page %")
    author = post.author
    byline = (
        f'<span class="byline">By <a href="{B}/author/{author.slug}/" rel="author">{html.escape(author.name)}</a></span>'
        if not author.bio
        else ""
    )
    footer = (
        '<div class="posted-by"><span class="posted-on">Published <time class="entry-date published updated" '
        f'datetime="{post.published}">{long_date(post.published)}</time></span>{byline}</div>'
        '<div class="post-taxonomies"><span class="cat-links">Categorized as '
        f"{term_links(post.categories, 'category', 'category tag', ', ')} </span>"
        + (
            f'<span class="tags-links">Tagged {term_links(post.tags, "post_tag", "tag", ", ")}</span>'
            if post.tags
            else ""
        )
        + "</div>"
    )
    bio = (
        f'\t<div class="author-bio show-avatars">\n\t\t{avatar(85)}\n\t\t<div class="author-bio-content">\n'
        f'\t\t\t<h2 class="author-title">\n\t\t\tBy {html.escape(author.name)}\t\t\t</h2>\n'
        f'\t\t\t<p class="author-description"> {html.escape(author.bio)}</p><!-- .author-description -->\n'
        f'\t\t\t<a class="author-link" href="{B}/author/{author.slug}/" rel="author">View all of '
        f"{html.escape(author.name)}&#039;s posts.</a>\t\t</div><!-- .author-bio-content -->\n"
        "\t</div><!-- .author-bio -->\n"
        if author.bio
        else ""
    )
    comments = ""
    if not post.password:
        count = len(post.comments)
        listed = html5_comments(post, None, 60, "ol")
        title = f'<h2 class="comments-title">\n\t\t\t\t{count} comment{"s" if count != 1 else ""}\t\t\t\t\t</h2>\n'
        comments = (
            '<div id="comments" class="comments-area default-max-width show-avatars">\n'
            + (f'{title}<ol class="comment-list">\n{listed}</ol><!-- .comment-list -->\n' if count else "")
            + comment_form(post)
            + "</div><!-- #comments -->\n"
        )
    article = (
        f'<article id="post-{post.id}" class="{post_classes(post)} entry">\n\n'
        f'\t<header class="entry-header alignwide">\n\t\t<h1 class="entry-title">{html.escape(the_title(post))}</h1>'
        "\t</header><!-- .entry-header -->\n\n"
        f'\t<div class="entry-content">\n\t\t{content(post, part, pages)}\t</div><!-- .entry-content -->\n\n'
        f'\t<footer class="entry-footer default-max-width">\n\t\t{footer}\t</footer><!-- .entry-footer -->\n\n'
        f"{bio}\n</article><!-- #post-{post.id} -->\n"
    )
    navigation = (
        '<nav class="navigation post-navigation" aria-label="Posts">\n<h2 class="screen-reader-text">Post navigation'
        f'</h2>\n<div class="nav-links"><div class="nav-next"><a href="{B}/" rel="next"><p class="meta-nav">Next post'
        f'</p><p class="post-title">{SITE}</p></a></div></div>\n</nav>\n'
    )
    return tt1_document(post, part, article + comments + navigation)


def tt1_document(post: Post | None, part: int, main: str) -> str:
    return (
        head(post, part) + f'<body class="{body_class(post, "twentytwentyone")}">\n<div id="page" class="site">\n'
        '\t<a class="skip-link screen-reader-text" href="#content">Skip to content</a>\n'
        '<header id="masthead" class="site-header has-title-and-tagline has-menu" role="banner">\n'
        f'<div class="site-branding"><p class="site-title"><a href="{B}/" rel="home">{SITE}</a></p></div>\n'
        '<nav id="site-navigation" class="primary-navigation" aria-label="Primary menu"><div class="primary-menu-'
        f'container"><ul id="primary-menu-list" class="menu-wrapper"><li class="menu-item"><a href="{B}/">Home</a>'
        f'</li><li class="menu-item"><a href="{B}/about/">About</a></li></ul></div></nav>\n</header><!-- #masthead -->\n'
        '\t<div id="content" class="site-content">\n\t\t<div id="primary" class="content-area">\n'
        f'\t\t\t<main id="main" class="site-main">\n{main}\t\t\t</main><!-- #main -->\n'
        "\t\t</div><!-- #primary -->\n\t</div><!-- #content -->\n"
        '\t<footer id="colophon" class="site-footer" role="contentinfo">\n\t\t<div class="site-info">\n'
        f'\t\t\t<div class="site-name"><a href="{B}/">{SITE}</a></div><div class="powered-by">Proudly powered by '
        '<a href="https://wordpress.org/">WordPress</a>.</div>\n\t\t</div>\n\t</footer>\n</div><!-- #page -->\n'
        "</body>\n</html>\n"
    )


# ---------------------------------------------------------------- Twenty Twenty-Two and -Three (block)


def block_document(post: Post | None, part: int, theme: str, main: str) -> str:
    return (
        head(post, part) + f'<body class="{body_class(post, theme)}">\n<div class="wp-site-blocks">'
        '<header class="wp-block-template-part"><div class="wp-block-group"><p class="wp-block-site-title">'
        f'<a href="{B}/" rel="home">{SITE}</a></p><nav class="is-responsive wp-block-navigation" '
        f'aria-label="Menu"><ul class="wp-block-page-list"><li class="wp-block-pages-list__item"><a '
        f'class="wp-block-pages-list__item__link" href="{B}/about/">About</a></li></ul></nav></div></header>\n'
        f"{main}\n"
        '<footer class="wp-block-template-part"><div class="wp-block-group"><p class="has-text-align-center">'
        'Proudly powered by <a href="https://wordpress.org" rel="nofollow">WordPress</a></p></div></footer>'
        "</div>\n</body>\n</html>\n"
    )


def post_author_block(post: Post, font: str = "") -> str:
    """``render_block_core_post_author`` without avatar or byline attribute."""
    return (
        f'<div class="wp-block-post-author{font}"><div class="wp-block-post-author__content">'
        f'<p class="wp-block-post-author__name">{html.escape(post.author.name)}</p></div></div>'
    )


def post_terms_block(post: Post, taxonomy: str, font: str = "") -> str:
    names = post.categories if taxonomy == "category" else post.tags
    if not names:
        return ""
    links = term_links(names, taxonomy, "tag", '<span class="wp-block-post-terms__separator">, </span>')
    return f'<div class="taxonomy-{taxonomy} wp-block-post-terms{font}">{links}</div>'


def post_content_block(post: Post, part: int) -> str:
    # core/post-content appends wp_link_pages() with its defaults when the post has a core/nextpage block
    pages = link_pages(post, part, '<p class="post-nav-links">Pages:', "</p>")
    return f'<div class="entry-content wp-block-post-content">{content(post, part, pages)}</div>'


def tt2_single(post: Post, part: int) -> str:
    comments = ""
    if post.password:  # theme-compat/comments.php
        comments = '<p class="nocomments">This post is password protected. Enter the password to view comments.</p>'
    else:
        count = len(post.comments)
        heading = f"{count} responses to &#8220;{html.escape(the_title(post))}&#8221;"
        listed = (
            f'<h3 id="comments">{heading}</h3>\n<ol class="commentlist">\n{html5_comments(post, None, 32, "ul")}</ol>'
        )
        comments = (listed if count else "") + comment_form(post, "h3", block=True)
    font = " has-small-font-size"
    main = (
        '<main class="wp-block-group"><div class="wp-block-group">'
        f'<h1 class="alignwide wp-block-post-title">{html.escape(the_title(post))}</h1>'
        '<hr class="wp-block-separator alignwide is-style-wide"/></div>\n'
        '<div style="height:32px" aria-hidden="true" class="wp-block-spacer"></div>\n'
        f"{post_content_block(post, part)}\n"
        '<div style="height:32px" aria-hidden="true" class="wp-block-spacer"></div>\n'
        '<div class="wp-block-group"><div class="wp-block-group">'
        f'<div class="wp-block-post-date{font}"><time datetime="{post.published}">{long_date(post.published)}</time>'
        f"</div>{post_author_block(post, font)}{post_terms_block(post, 'category', font)}"
        f"{post_terms_block(post, 'post_tag', font)}</div>\n"
        '<div style="height:32px" aria-hidden="true" class="wp-block-spacer"></div>\n'
        '<hr class="wp-block-separator is-style-wide"/>\n'
        f'<div class="wp-block-post-comments">{comments}</div></div></main>'
    )
    return block_document(post, part, "twentytwentytwo", main)


def tt3_comments(post: Post, parent: str | None) -> str:
    """``core/comment-template`` with the inner blocks of ``patterns/hidden-comments.php``."""
    out = ""
    for c in (c for c in post.comments if c.parent == parent):
        name = f'<a rel="external nofollow ugc" href="{c.url}" target="_self" >{c.author}</a>' if c.url else c.author
        replies = tt3_comments(post, c.id)
        out += (
            f'<li id="comment-{c.id}" class="comment even thread-even depth-1">'
            '<div class="wp-block-columns"><div class="wp-block-column" style="flex-basis:40px">'
            f'<div class="wp-block-avatar">{avatar(40, " wp-block-avatar__image")}</div></div>'
            f'<div class="wp-block-column"><div class="wp-block-comment-author-name">{name}</div>'
            f'<div class="wp-block-group"><div class="wp-block-comment-date"><time datetime="{c.date}">'
            f'<a href="{B}{post.path}#comment-{c.id}">{long_date(c.date)}</a></time></div></div>'
            f'<div class="wp-block-comment-content"><p>{html.escape(c.text)}</p></div>'
            f"<div class=\"wp-block-comment-reply-link\"><a rel='nofollow' class='comment-reply-link' "
            f"href='{B}{post.path}?replytocom={c.id}#respond'>Reply</a></div></div></div>"
            + (f"<ol>{replies}</ol>" if replies else "")
            + "</li>"
        )
    return out


def tt3_single(post: Post, part: int) -> str:
    comments = ""
    if not post.password:  # comment-template, comments-title and the form print nothing for it
        count = len(post.comments)
        title = f'<h3 class="wp-block-comments-title">{count} responses to &#8220;{html.escape(post.title)}&#8221;</h3>'
        listed = f'{title}<ol class="wp-block-comment-template">{tt3_comments(post, None)}</ol>' if count else ""
        comments = f'<div class="wp-block-comments"><h2>Comments</h2>{listed}{comment_form(post, "h3", True)}</div>'
    main = (
        '<main class="wp-block-group" style="margin-top:var(--wp--preset--spacing--50)"><div class="wp-block-group">'
        f'<h1 style="margin-bottom:var(--wp--preset--spacing--40)" class="wp-block-post-title">'
        f"{html.escape(the_title(post))}</h1></div>\n{post_content_block(post, part)}\n"
        '<div class="wp-block-template-part"><div style="height:0" aria-hidden="true" class="wp-block-spacer"></div>'
        '<div class="wp-block-group"><hr class="wp-block-separator alignwide has-css-opacity is-style-wide"/>'
        '<div class="wp-block-columns alignwide has-small-font-size"><div class="wp-block-column">'
        '<div class="wp-block-group"><p>Posted</p><div class="wp-block-post-date">'
        f'<time datetime="{post.published}">{long_date(post.published)}</time></div><p>in</p>'
        f'{post_terms_block(post, "category")}</div><div class="wp-block-group"><p>by</p>{post_author_block(post)}'
        '</div></div><div class="wp-block-column"><div class="wp-block-group"><p>Tags:</p>'
        f"{post_terms_block(post, 'post_tag')}</div></div></div></div></div>\n"
        f'<section class="wp-block-template-part"><div class="wp-block-group">{comments}</div></section></main>'
    )
    return block_document(post, part, "twentytwentythree", main)


# ---------------------------------------------------------------- a blog


RENDER = {"twentytwentyone": tt1_single, "twentytwentytwo": tt2_single, "twentytwentythree": tt3_single}


def single(theme: str, post: Post, part: int = 1) -> str:
    """Part ``part`` of ``post`` as ``theme`` renders it (``{{BASE_URL}}`` for the blog's address)."""
    return RENDER[theme](post, part)


def home(theme: str) -> str:
    """The blog's front page: a listing of every post (a logged-in editor's view: the private post too)."""
    items = "".join(
        f'<article class="{post_classes(p)}"><h2 class="entry-title"><a href="{B}{p.path}">'
        f"{html.escape(the_title(p))}</a></h2></article>\n"
        for p in POSTS
    )
    if theme == "twentytwentyone":
        return tt1_document(None, 1, items)
    return block_document(
        None, 1, theme, f'<main class="wp-block-group"><ul class="wp-block-post-template">{items}</ul></main>'
    )


def write_site(root: Path, theme: str) -> None:
    """Write one blog in ``theme`` under ``root``, for ``tests.blogserver.BlogServer``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(home(theme), "utf-8")
    (root / "404.html").write_text(tt1_document(None, 1, "<p>Nothing here.</p>"), "utf-8")
    for post in POSTS:
        for n in range(1, len(post.parts) + 1):
            folder = root / post.part_path(n).strip("/")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.html").write_text(single(theme, post, n), "utf-8")
