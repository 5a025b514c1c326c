"""Text completeness (``blogarc verify``): the clean-text product holds what the crawl state says it holds.

For a site: every post or page the crawl state (``state/{site}/urls.jsonl.gz``) records a text fingerprint for has
a record in the store's text batches, and every record's ``warc`` pointer resolves: one ranged read at its offset
and length gives a WARC record with its ``WARC-Record-ID``. ``blogarc extract --missing`` rebuilds what is
missing from the WARCs (``pipelines/extract/missing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelines.layout import warc_key
from pipelines.runs.state import UrlState, load_state
from pipelines.store.reader import read_record
from pipelines.text.reading import site_records

if TYPE_CHECKING:
    from pipelines.store.base import Store


@dataclass
class TextCheck:
    """What the text of one site lacks."""

    records: int = 0
    missing: dict[str, UrlState] = field(default_factory=dict)  # URL -> its capture, per the state
    bad_pointers: list[tuple[str, str]] = field(default_factory=list)  # (URL, why)


def check_text(store: Store, site: str, pointers: bool = True) -> TextCheck:
    """Compare the site's text records with its crawl state; resolve every record's WARC pointer."""
    state = load_state(store, site)
    expected = {url: entry for url, entry in state.previous.items() if entry.text_sha256}
    found = TextCheck()
    seen: set[str] = set()
    for record in site_records(store, None, site):
        found.records += 1
        seen.add(record.get("url", ""))
        if pointers and (why := pointer_problem(store, site, record.get("warc"))):
            found.bad_pointers.append((record.get("url", "?"), why))
    found.missing = {url: entry for url, entry in sorted(expected.items()) if url not in seen}
    return found


def pointer_problem(store: Store, site: str, pointer: Any) -> str | None:
    """Why a record's ``warc`` pointer does not lead to its WARC record, or None when it does."""
    if pointer is None:
        return None  # WARC capture was off for this record
    try:
        record = read_record(store, warc_key(site, pointer["filename"]), pointer["offset"], pointer["length"])
    except (KeyError, TypeError) as exc:
        return f"malformed warc pointer ({exc})"
    except (FileNotFoundError, ValueError, OSError) as exc:
        return f"warc pointer does not resolve ({exc})"
    if record.rec_headers.get_header("WARC-Record-ID") != pointer.get("record_id"):
        return f"warc pointer leads to another record than {pointer.get('record_id')}"
    return None
