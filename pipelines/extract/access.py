"""Posts a visitor may not read: WordPress's password-protected and private posts.

A **password-protected** post is public, but WordPress shows its content only to a visitor who sent the password:
everyone else gets ``get_the_password_form()`` (a ``form.post-password-form`` posting to
``wp-login.php?action=postpass``) in its place, no comments, and the title through ``protected_title_format``
("Protected: %s", translated). The post's record keeps what the page says of it (real title, author, dates, terms)
with ``protected`` set and no text: the form's words are not the author's.

A **private** post is shown only to logged-in users who may read it (WordPress answers 404 to everyone else), its
title through ``private_title_format`` ("Private: %s"). An archiver sees one only through a logged-in session (a
cookie it was given, a crawl of an intranet); its author never meant it for the public, so it gets no text record
(counted as ``pages/private``; a protected one as ``pages/protected``), whatever the crawl was allowed to capture.

How a page is known for each, in the order tried:

- protected: the password form, outside widgets; or ``post-password-required`` in the classes of an ``article`` or
  ``div`` (``post_class()``);
- private: ``status-private`` in those classes (``post_class()``: classic themes);
- either: the entry's title is the page's ``<title>`` (which WordPress prints without the prefix:
  ``single_post_title()``) inside one of the formats, in any language WordPress ships
  (``wordpress-title-formats.json``, made from WordPress's translations by ``tests/wordpress_l10n.py``). Block
  themes print no ``post_class()`` on single posts; this is how their private posts are told.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from lxml import etree

FORMATS_FILE = "wordpress-title-formats.json"
PROTECTED = "protected"
PRIVATE = "private"

_NOT_FOREIGN = (
    "not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget-area') or @id='secondary'])"
)
_PASSWORD_FORM = etree.XPath(
    "boolean(//form[contains(@action, 'action=postpass')"
    f" or contains(concat(' ', normalize-space(@class), ' '), ' post-password-form ')][{_NOT_FOREIGN}])"
)
# Entries whose post_class() says so: themes print it on an article or a div (a cheap substring test; the class
# tokens are checked in Python).
_CLASS_TEST = f"[contains(@class, 'post-password-required') or contains(@class, 'status-private')][{_NOT_FOREIGN}]"
_CLASSED = etree.XPath(f"//article{_CLASS_TEST} | //div{_CLASS_TEST}")
# The entry's own title: classic themes' h1.entry-title, the post-title block, else the page's only h1.
_ENTRY_TITLE = etree.XPath(
    "(//h1[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')]"
    " | //h1[contains(concat(' ', normalize-space(@class), ' '), ' wp-block-post-title ')])[1]"
)
_H1 = etree.XPath("//h1")
_DOCUMENT_TITLE = etree.XPath("string(//head/title)")


@lru_cache(maxsize=1)
def title_formats() -> dict[str, tuple[tuple[str, str], ...]]:
    """``{"protected": ((prefix, suffix), ...), "private": ...}``: every translation's text around ``%s``."""
    data = json.loads(resources.files(__package__).joinpath(FORMATS_FILE).read_text("utf-8"))
    formats = {}
    for kind in (PROTECTED, PRIVATE):
        pairs = {tuple(_words(part) for part in text.split("%s", 1)) for text in data[kind].values()}
        formats[kind] = tuple(sorted(pairs, key=lambda pair: -len(pair[0]) - len(pair[1])))  # longest first
    return formats


def page_access(tree: etree._Element) -> str | None:
    """``"protected"``, ``"private"`` or None (a page anyone may read), by the rules in the module docstring."""
    classes = {c for entry in _CLASSED(tree) for c in (entry.get("class") or "").split()}
    if _PASSWORD_FORM(tree) or "post-password-required" in classes:
        return PROTECTED
    if "status-private" in classes:
        return PRIVATE
    title = entry_title(tree)
    for kind in (PROTECTED, PRIVATE):
        bare = without_format(title, kind)
        if bare and bare != title and _starts_title(_words(_DOCUMENT_TITLE(tree)), bare):
            return kind
    return None


def entry_title(tree: etree._Element) -> str:
    """The title the page prints over its entry ("" when it prints none)."""
    found = _ENTRY_TITLE(tree)
    if not found:
        headings = _H1(tree)
        found = headings if len(headings) == 1 else []
    return _words(found[0].text_content()) if found else ""


def real_title(title: str | None, kind: str, tree: etree._Element) -> str | None:
    """``title`` without the protected or private format WordPress put around it.

    A translation of the format is taken off; failing that (a site's own ``protected_title_format`` filter), the
    longest end of the title that starts the page's ``<title>`` is kept.
    """
    if not title:
        return title
    bare = without_format(title, kind)
    if bare != title:
        return bare
    document = _words(_DOCUMENT_TITLE(tree))
    words = _words(title).split(" ")
    for start in range(1, len(words)):
        tail = " ".join(words[start:])
        if _starts_title(document, tail):
            return tail
    return title


def without_format(title: str | None, kind: str) -> str:
    """``title`` with one of the ``kind`` formats taken off (unchanged when none fits)."""
    text = _words(title or "")
    for prefix, suffix in title_formats()[kind]:
        if (prefix or suffix) and text.startswith(prefix) and text.endswith(suffix):
            inner = text[len(prefix) : len(text) - len(suffix)].strip()
            if inner:
                return inner
    return text


def _starts_title(document: str, title: str) -> bool:
    """Whether a document title is ``title``, alone or before a separator and the site's name."""
    return document == title or (document.startswith(title + " ") and len(document) > len(title) + 1)


def _words(text: str) -> str:
    return " ".join(text.split())
