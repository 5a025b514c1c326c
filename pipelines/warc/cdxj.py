"""CDXJ indexes of WARC files, written with cdxj-indexer (the format pywb and ReplayWeb.page read), and read back.

A CDXJ line is ``SURT-key 14-digit-timestamp {json}``; the JSON names the WARC file and the record's offset and
length in it, so one ranged read fetches the record.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.layout import index_name

SORT_BUFFER = 4 * 1024 * 1024  # characters of index lines sorted in memory at once


def cdxj_path(warc_path: Path) -> Path:
    """``x.warc.gz`` -> ``x.cdxj``, beside the WARC (``layout.index_name``)."""
    return warc_path.with_name(index_name(warc_path.name))


def write_cdxj(warc_path: Path) -> Path:
    """Index every record of a closed WARC (sorted, with offsets and lengths); return the index path.

    The index names the WARC by its bare file name, so it stays valid wherever the pair is copied.
    """
    # imported here: cdxj-indexer (and surt) cost a tenth of a second, which commands that only read indexes
    # (blogarc ls, get) do not pay at start-up (bench/startup.py)
    from cdxj_indexer.main import write_cdx_index  # noqa: PLC0415

    target = cdxj_path(warc_path)
    tmp = target.with_name(target.name + ".tmp")
    # straight to the file, and sorted in runs of SORT_BUFFER characters merged from temporary files: the index of
    # a 1 GB WARC is never held whole in memory (the same lines as one in-memory sort)
    opts = {"sort": True, "filename": warc_path.name, "max_sort_buff_size": SORT_BUFFER}
    with open(tmp, "w", encoding="utf-8") as out:
        write_cdx_index(out, [str(warc_path)], opts)
    tmp.replace(target)
    return target


@dataclass(frozen=True)
class CdxjEntry:
    """One line of a CDXJ index: a capture and where its record lies."""

    urlkey: str
    timestamp: str  # 14 digits, UTC
    url: str
    mime: str
    status: str
    digest: str
    offset: int
    length: int
    filename: str

    def as_dict(self) -> dict[str, str | int]:
        """The entry as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def url_key(url: str) -> str:
    """The SURT key cdxj-indexer files ``url`` under (scheme and ``www.`` dropped, query sorted)."""
    if "tldextract" not in sys.modules:
        # surt imports tldextract (and requests with it: a tenth of a second) for public-suffix look-ups that
        # surt.surt() never makes: stand in for it until one of its names is used, so `blogarc get` starts fast
        sys.modules["tldextract"] = _ImportedOnUse("tldextract")
    import surt  # noqa: PLC0415 - see write_cdxj

    return surt.surt(url)


class _ImportedOnUse(types.ModuleType):
    """A module that imports the real one (in its place in ``sys.modules``) when one of its names is first used."""

    def __getattr__(self, name: str) -> Any:
        sys.modules.pop(self.__name__, None)
        return getattr(importlib.import_module(self.__name__), name)


def parse_cdxj_line(line: str) -> CdxjEntry:
    """One CDXJ line as an entry.

    Raises:
        ValueError: when the line is not ``key timestamp {json}`` with an offset, a length and a filename.
    """
    try:
        urlkey, timestamp, blob = line.rstrip("\n").split(" ", 2)
        fields = json.loads(blob)
        return CdxjEntry(
            urlkey=urlkey,
            timestamp=timestamp,
            url=fields.get("url", ""),
            mime=fields.get("mime", ""),
            status=str(fields.get("status", "")),
            digest=fields.get("digest", ""),
            offset=int(fields["offset"]),
            length=int(fields["length"]),
            filename=fields["filename"],
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"bad CDXJ line {line[:120]!r}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"bad CDXJ line {line[:120]!r}: {exc}") from None


def parse_cdxj(text: str) -> list[CdxjEntry]:
    """Every entry of a CDXJ index (blank lines and ``!`` header lines skipped)."""
    return [parse_cdxj_line(line) for line in text.splitlines() if line.strip() and not line.startswith("!")]
