"""The blogs a crawl is given (URL arguments, a sites file), checked before anything starts.

A sites file has ``URL [NAME=VALUE ...]`` a line (``#`` starts a comment); the settings after a URL apply to that
blog only. Every line is checked first: its URL (``crawler.usage.blog_url``), its settings typed by their defaults
(an unknown name is a warning), and the blog's admission rules built once (a bad ``ARCHIVE_SINCE`` or deny rule).
A mistake names the file and line and stops the command with exit status 2 before any blog is crawled.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from crawler.spiders.blog import admission_for
from crawler.usage import UsageError, blog_url, typed_settings

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.settings import Settings


class Blog(NamedTuple):
    """A blog to crawl: its URL, the settings of its line, and where it was given (``sites.txt:3: ``)."""

    url: str
    overrides: dict[str, str]
    where: str = ""


def read_sites(path: Path) -> list[Blog]:
    """Blogs of a sites file: ``URL [NAME=VALUE ...]`` a line; blank lines and ``#`` comments ignored.

    The settings after a URL apply to that blog only (politeness: ``DOWNLOAD_DELAY=2``,
    ``CONCURRENT_REQUESTS_PER_DOMAIN=1``...).

    Raises:
        UsageError: no such file, a line that is not ``URL [NAME=VALUE ...]``, or a URL that is not a blog's.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the sites file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    blogs = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:  # blank line or comment
            continue
        where = f"{path}:{number}: "
        url, *pairs = words
        overrides = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        if len(overrides) != len(pairs):
            raise UsageError(f"{where}expected URL [NAME=VALUE ...], got {line!r}")
        try:
            blogs.append(Blog(blog_url(url), overrides, where))
        except UsageError as exc:
            raise UsageError(f"{where}{exc}") from None
    return blogs


def check_sites(blogs: list[Blog], settings: Settings) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """(URL, typed settings) of each blog, as the job runner takes them, and the warnings to print.

    Raises:
        UsageError: a setting of a line that does not fit its type, or admission rules that cannot be built.
    """
    checked, warnings = [], []
    for blog in blogs:
        typed, found = typed_settings(blog.overrides, settings, blog.where)
        warnings += found
        merged = settings
        if typed:  # a copy of the job's settings costs ~4.5 ms (a deep copy): a job of many blogs makes many
            merged = settings.copy()
            merged.setdict(typed, priority="spider")
        try:
            admission_for(blog.url, merged)
        except (ValueError, TypeError, re.error) as exc:
            raise UsageError(f"{blog.where}{exc}") from None
        checked.append((blog.url, typed))
    return checked, warnings
