"""The REST listing read before posts are fetched (crawler/listings.py): parking, settling, the blog's last change."""

from __future__ import annotations

from crawler.listings import Listings

BASE = "https://blog.example"


def entry(n: int, modified: str, published: str = "2023-01-01T10:00:00", author: int = 1) -> dict:
    return {"id": n, "link": f"{BASE}/p{n}/", "date_gmt": published, "modified_gmt": modified, "author": author}


def test_pages_wait_in_order_until_every_route_is_read():
    listings = Listings()
    assert listings.park(f"{BASE}/b/", "sitemap") and listings.park(f"{BASE}/a/", "links")
    assert listings.park(f"{BASE}/b/", "links")  # still parked, once, under the source that found it first
    listings.begin(("posts", "pages"))
    assert listings.done("posts") == []
    assert listings.done("pages") == [(f"{BASE}/b/", "sitemap"), (f"{BASE}/a/", "links")]
    assert not listings.park(f"{BASE}/c/", "links")  # settled: fetched at once
    assert listings.complete


def test_a_blog_without_the_listing_parks_nothing():
    assert not Listings(enabled=False).park(f"{BASE}/a/", "links")


def test_dates_and_authors_as_wordpress_gives_them():
    listings = Listings()
    listings.begin(("posts",))
    listings.note(f"{BASE}/p1/", entry(1, "2024-02-03T04:05:06", author=7))
    listings.note_authors([{"id": 7, "name": "Amélie Durand"}, {"id": "x", "name": "ignored"}])
    listed = listings.posts[f"{BASE}/p1/"]
    assert (listed.published, listed.modified) == ("2023-01-01T10:00:00Z", "2024-02-03T04:05:06Z")
    assert listings.author_of(f"{BASE}/p1/") == "Amélie Durand"
    assert listings.author_of(f"{BASE}/unknown/") is None


def test_the_last_change_needs_a_complete_listing_that_names_every_known_post():
    listings = Listings()
    listings.begin(("posts", "pages"))
    listings.note(f"{BASE}/p1/", entry(1, "2024-02-03T04:05:06"))
    listings.note(f"{BASE}/p2/", entry(2, "2023-06-01T00:00:00", published="2024-03-01T00:00:00"))
    listings.done("posts")
    assert listings.last_change([]) is None  # a route is still being read
    listings.done("pages")
    assert listings.last_change([f"{BASE}/p1/"]).isoformat() == "2024-03-01T00:00:00+00:00"
    assert listings.last_change([f"{BASE}/p1/", f"{BASE}/deleted/"]) is None  # a post went: a change of now


def test_a_route_that_failed_leaves_the_listing_incomplete():
    listings = Listings()
    listings.begin(("posts", "pages"))
    listings.done("posts", ok=False)
    listings.done("pages")
    assert listings.settled and not listings.complete
    assert listings.last_change([]) is None
