"""The crawl state's entries: ``UrlState`` (the last capture of one URL) and ``Entries``, a compact map of them.

A crawl holds one entry per URL it archived (35,000 for a blog of 20,000 posts) and one per URL the last runs did.
As slotted objects with a string per field they cost ~650 bytes each, most of the growth of a large crawl's memory;
``Entries`` keeps each one as a single ``bytes`` (a JSON array of its fields, the WARC file name and run id as
numbers into a table of the names this process met), about 250 bytes, and builds the ``UrlState`` when asked.
Entries are values: changing a ``UrlState`` got from an ``Entries`` changes nothing until it is stored back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(slots=True)
class UrlState:
    """The last capture of one URL with status 200, and what a conditional request needs."""

    url: str
    digest: str  # WARC-Payload-Digest of the original capture (sha1:BASE32)
    date: str  # WARC-Date of the original capture (what revisits refer to)
    filename: str
    offset: int
    length: int
    record_id: str
    etag: str | None = None
    last_modified: str | None = None
    checked: str | None = None  # WARC-Date of the last capture that found it unchanged (revisit or original)
    text_sha256: str | None = None  # set when the page had a clean-text record
    run_id: str | None = None  # the run that made the original capture (its text record belongs to that run)
    # when the text record was made from another capture (same text, other bytes: a nonce, a date; or a record a
    # killed run wrote): that capture, {"run_id", "date", "filename", "offset", "length", "record_id", "digest"}
    text_from: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UrlState:
        """An entry from its JSON line (unknown keys, from a newer blogarc, are ignored)."""
        return cls(**{k: v for k, v in data.items() if k in NAMES})

    def as_dict(self) -> dict[str, Any]:
        """Its fields by name, as its JSON line has them (``dataclasses.asdict`` without its deep copies)."""
        return {name: getattr(self, name) for name in NAMES}

    @property
    def last_seen(self) -> str:
        """When the URL was last known to hold this payload."""
        return max(self.date, self.checked or "")


NAMES = tuple(f.name for f in fields(UrlState))
PACKED = NAMES[1:]  # the URL is the key of the map
# the WARC file name and the run id, a handful of values for every entry, are numbers into _TABLE
_TABLE: list[str] = []  # names met in this process (packed entries never leave it)
_NUMBER: dict[str, int] = {}


def _number(name: str | None) -> int | None:
    if name is None:
        return None
    if (number := _NUMBER.get(name)) is None:
        number = _NUMBER[name] = len(_TABLE)
        _TABLE.append(name)
    return number


_CHECKED, _FILENAME, _RUN_ID = (PACKED.index(name) for name in ("checked", "filename", "run_id"))
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def pack(entry: UrlState) -> bytes:
    """One entry as a JSON array (``checked`` true when it is the capture's date: the common case)."""
    values = [getattr(entry, name) for name in PACKED]
    values[_FILENAME], values[_RUN_ID] = _number(entry.filename), _number(entry.run_id)
    if entry.checked is not None and entry.checked == entry.date:
        values[_CHECKED] = True
    return _ENCODE(values).encode("utf-8")


def unpack(url: str, packed: bytes) -> UrlState:
    """The entry ``pack`` made."""
    values = json.loads(packed)
    for index in (_FILENAME, _RUN_ID):
        values[index] = _TABLE[values[index]] if values[index] is not None else None
    entry = UrlState(url, *values)
    if entry.checked is True:
        entry.checked = entry.date
    return entry


class Entries(MutableMapping[str, UrlState]):
    """``UrlState`` by URL, each kept packed (see the module docstring); ``dict``'s order and behaviour."""

    __slots__ = ("packed",)

    def __init__(self, entries: Mapping[str, UrlState] | None = None):
        self.packed: dict[str, bytes] = {}
        if entries:
            self.update(entries)

    @classmethod
    def of(cls, entries: Mapping[str, UrlState]) -> Entries:
        """``entries`` as an ``Entries`` (itself when it is one)."""
        return entries if isinstance(entries, Entries) else cls(entries)

    def __getitem__(self, url: str) -> UrlState:
        return unpack(url, self.packed[url])

    def __setitem__(self, url: str, entry: UrlState) -> None:
        self.packed[url] = pack(entry)

    def __delitem__(self, url: str) -> None:
        del self.packed[url]

    def __contains__(self, url: object) -> bool:
        return url in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)

    def __repr__(self) -> str:
        return f"Entries({len(self)} URLs)"

    def copy(self) -> Entries:
        """A copy sharing the packed entries (bytes: nothing to copy in them)."""
        other = Entries()
        other.packed = dict(self.packed)
        return other
