"""WordPress's own listing of its posts and pages (the REST API), read before the posts themselves are fetched.

A WordPress blog says through its REST API when each post was published and last modified and who wrote it,
which no theme prints in full (block themes show no modification date; pages show no date at all). Read first,
the listing makes every record's dates and author WordPress's own, and lets an incremental run skip the posts
that did not change since their last capture (``modified_gmt`` older than the capture) without requesting them.

So while the listing is being read, the pages that discovery finds (from sitemaps, links, feeds) are parked in
order and released when it is done: when every route's last listing page has been read or has failed, when the
seed page turns out to announce no REST API, or at the latest when the crawl would otherwise go idle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawler import discovery

ROUTES = ("posts", "pages")
FIELDS = "id,link,date_gmt,modified_gmt,author"  # what the records and incremental skips need, nothing more


@dataclass(frozen=True, slots=True)
class ListedPost:
    """What the REST listing says of one post or page (dates as ISO 8601 UTC, the author's user id)."""

    published: str | None
    modified: str | None
    author_id: int | None


@dataclass
class Listings:
    """The REST listing of one blog's crawl: its entries, its authors, and the pages parked until it is read."""

    enabled: bool = True
    pending: set[str] = field(default_factory=set)  # routes whose listing is still being read
    started: bool = False
    settled: bool = False
    failed: bool = False  # a route could not be read to its end: the listing is not the whole blog
    posts: dict[str, ListedPost] = field(default_factory=dict)  # canonical URL -> what the listing says
    authors: dict[int, str] = field(default_factory=dict)
    parked: dict[str, str] = field(default_factory=dict)  # URL -> the source that found it, in discovery order

    def __post_init__(self) -> None:
        self.settled = not self.enabled

    def park(self, url: str, source: str) -> bool:
        """Hold a discovered page until the listing is read; False when it has been (fetch it now)."""
        if self.settled:
            return False
        self.parked.setdefault(url, source)
        return True

    def begin(self, routes: tuple[str, ...] = ROUTES) -> None:
        """The REST API root is known: these routes are being read."""
        self.started = True
        self.pending.update(routes)

    def note(self, url: str, entry: dict[str, Any]) -> None:
        """Remember one listing entry, under the canonical URL of its page."""
        author = entry.get("author")
        self.posts[url] = ListedPost(
            published=_utc(entry.get("date_gmt")),
            modified=_utc(entry.get("modified_gmt")),
            author_id=author if isinstance(author, int) else None,
        )

    def note_authors(self, entries: list[dict[str, Any]]) -> None:
        """Remember the display names of the users listing (``/wp/v2/users``)."""
        for entry in entries:
            if isinstance(entry.get("id"), int) and isinstance(entry.get("name"), str):
                self.authors[entry["id"]] = entry["name"]

    def done(self, route: str, ok: bool = True) -> list[tuple[str, str]]:
        """A route has been read to its end (or has failed): the parked pages, once every route is done."""
        self.pending.discard(route)
        self.failed |= not ok
        return self.settle() if not self.pending else []

    @property
    def complete(self) -> bool:
        """Whether every route was read to its end: the listing names every post and page of the blog."""
        return self.started and self.settled and not self.pending and not self.failed

    def last_change(self, known: Iterable[str]) -> datetime | None:
        """When the blog's posts and pages last changed, by the complete listing; None when it cannot say.

        ``known`` are the posts and pages earlier runs recorded: one the listing no longer names was deleted or
        unpublished, a change of now.
        """
        if not self.complete or any(url not in self.posts for url in known):
            return None
        dates = [discovery.parse_date(d) for p in self.posts.values() for d in (p.published, p.modified) if d]
        return max((d for d in dates if d is not None), default=None)

    def settle(self) -> list[tuple[str, str]]:
        """Stop parking: the parked pages as (URL, source), in the order they were found."""
        self.settled = True
        released = list(self.parked.items())
        self.parked.clear()
        return released

    def author_of(self, url: str) -> str | None:
        """The display name of the author the listing gives for ``url``, if it gives one."""
        listed = self.posts.get(url)
        return self.authors.get(listed.author_id) if listed and listed.author_id is not None else None


def _utc(value: Any) -> str | None:
    """A REST ``*_gmt`` value (UTC without an offset) as ISO 8601 with ``Z``; None when absent or not a date."""
    when = discovery.parse_date(value) if isinstance(value, str) else None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else None
