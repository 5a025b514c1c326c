"""What a crawl of the real WordPress must show, checked against WordPress's own data (``WordPress.truth()``).

Shared by the tests (every check must hold) and by ``bench/wordpress_fidelity.py`` (which prints the share of
posts each check holds for, theme by theme).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from statistics import median

import lxml.html

from tests.util import f1

FIELDS = ("title", "author", "published", "modified", "categories", "tags", "comments")


def rendered_text(item: dict) -> str:
    """The text of a post as WordPress renders its content: every part of a split post, in order."""
    texts = []
    for part in item["parts"]:
        if part.strip():
            texts.append(html_text(part))
    return "\n\n".join(texts)


def html_text(html: str) -> str:
    """The text a browser shows for an HTML fragment (a comment's content may hold links)."""
    return lxml.html.fromstring(f"<div>{html}</div>").text_content() if html.strip() else ""


def instant(value: str | None) -> datetime | None:
    """An ISO 8601 date-time as an aware UTC instant; None for a missing value or a bare date (not exact)."""
    if not value or "T" not in value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


def comments_as_wordpress_has_them(item: dict) -> list[tuple]:
    """(id, parent, author, text) of every approved comment, as WordPress stores them."""
    return [
        (str(c["id"]), str(c["parent"]) if c["parent"] else None, c["author"], " ".join(html_text(c["text"]).split()))
        for c in item["comments"]
    ]


def comments_as_recorded(record: dict) -> list[tuple]:
    """(id, parent, author, text) of every comment of a text record."""
    return [(c["id"], c["parent"], c["author"], " ".join(c["text"].split())) for c in record["comments"]]


def compared(item: dict, record: dict) -> dict[str, tuple[object, object, bool]]:
    """Each field of the record beside WordPress's value for the post or page ``item``: (got, want, agree)."""
    pairs = {
        "title": (record["title"], item["title"]),
        "author": (record["author"], item["author"]),
        "published": (record["published"], item["published"]),
        "modified": (record["modified"], item["modified"]),
        "categories": (sorted(record["categories"]), sorted(item["categories"])),
        "tags": (sorted(record["tags"]), sorted(item["tags"])),
        "comments": (sorted(comments_as_recorded(record)), sorted(comments_as_wordpress_has_them(item))),
    }
    dates = {"published", "modified"}  # the same instant, whatever the offset it is written with
    return {
        field: (got, want, instant(got) == instant(want) if field in dates else got == want)
        for field, (got, want) in pairs.items()
    }


def checks(item: dict, record: dict) -> dict[str, bool]:
    """Which of the record's fields agree with WordPress's data for the post or page ``item``."""
    return {field: agree for field, (_, _, agree) in compared(item, record).items()}


def differences(item: dict, record: dict) -> list[str]:
    """One line per field that disagrees: name, what the record says, what WordPress says."""
    return [
        f"{field}: got {got!r}, want {want!r}"
        for field, (got, want, agree) in compared(item, record).items()
        if not agree
    ]


def records_by_url(records: list[dict]) -> dict[str, list[dict]]:
    """Text records grouped by the URL they were fetched from."""
    grouped: dict[str, list[dict]] = {}
    for record in records:
        grouped.setdefault(record["url"], []).append(record)
    return grouped


def chrome_found(text: str, chrome: list[str]) -> list[str]:
    """The strings of WordPress's page chrome present in a text: phrases anywhere, single words as a whole block."""
    blocks = {block.strip() for block in re.split(r"\n\s*\n", text)}
    return [c for c in chrome if (c in text if " " in c else c in blocks)]


# What a post page prints around its content to link the neighbouring posts: classic themes' post navigation (its
# heading and "Previous post"/"Next post" labels, not the linked titles), block themes' post-navigation-link labels.
_NAVIGATION_LABELS = (
    "//nav[contains(@class, 'post-navigation')]//*[contains(@class, 'meta-nav') or contains(@class, 'screen-reader-text')]"
    " | //*[contains(@class, 'wp-block-post-navigation-link')]/text()"
)


def navigation_labels(html: str) -> set[str]:
    """The post navigation's labels on a page as WordPress served it (empty when it has none)."""
    found = lxml.html.fromstring(html).xpath(_NAVIGATION_LABELS)
    texts = (item if isinstance(item, str) else item.text_content() for item in found)
    return {" ".join(text.split()) for text in texts if len(" ".join(text.split())) > 3}


def page_chrome(truth: dict, pages: list[str]) -> list[str]:
    """Every string of page chrome no text may hold.

    WordPress's comment form, password form and tagline (``truth["chrome"]``), "Leave a Reply", the post
    navigation of the served ``pages``, the authors' bios and every comment, approved or not.
    """
    bios = {item["author_bio"] for item in truth["published"] if item["author_bio"]}
    comments = [c["text"] for item in truth["published"] for c in item["comments"]] + [
        c["text"] for c in truth["unapproved"]
    ]
    labels = set().union(*(navigation_labels(html) for html in pages))
    found = [*truth["chrome"], "Leave a Reply", *sorted(labels), *sorted(bios)]
    return found + [" ".join(html_text(text).split()) for text in comments]


def fidelity_table(truth: dict, records: list[dict]) -> dict:
    """Share of posts (not pages) with each field right, and the median and minimum text F1 of posts and pages."""
    grouped = records_by_url(records)
    posts = [i for i in truth["published"] if i["type"] == "post" and not i["protected"]]
    shares = {}
    for field in FIELDS:
        right = [checks(i, grouped[i["url"]][0])[field] for i in posts if i["url"] in grouped]
        shares[field] = sum(right) / len(posts)
    scores = [
        f1(rendered_text(i), grouped[i["url"]][0]["text"]) if i["url"] in grouped else 0.0
        for i in truth["published"]
        if not i["protected"]
    ]
    return {"posts": len(posts), **shares, "f1_median": median(scores), "f1_min": min(scores)}
