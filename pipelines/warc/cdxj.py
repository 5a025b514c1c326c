"""CDXJ indexes of WARC files, written with cdxj-indexer (the format pywb and ReplayWeb.page read), and read back.

A CDXJ line is ``SURT-key 14-digit-timestamp {json}``; the JSON names the WARC file and the record's offset and
length in it, so one ranged read fetches the record.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib
import json
import re
import sys
import tempfile
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipelines.layout import index_name

SORT_BUFFER = 1024 * 1024  # characters of index lines sorted in memory at once (~1.3 MB; 4 M: +5 MB at a close)
LINES_SUFFIX = ".lines.tmp"  # a WARC's index lines, unsorted, while it is written (``lines_path``)
_SPACE = re.compile(r"[;\s]")  # what ends a media type in Content-Type (cdxj-indexer's RE_SPACE)
# the WARC-Dates ``timestamp14`` cuts up itself
_WARC_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


def cdxj_path(warc_path: Path) -> Path:
    """``x.warc.gz`` -> ``x.cdxj``, beside the WARC (``layout.index_name``)."""
    return warc_path.with_name(index_name(warc_path.name))


def lines_path(warc_path: Path) -> Path:
    """Where a WARC's index lines gather, unsorted, while it is written: ``x.cdxj.lines.tmp`` beside it."""
    return warc_path.with_name(index_name(warc_path.name) + LINES_SUFFIX)


def index_fields(record: Any) -> dict[str, str]:
    """The CDXJ fields of a response or revisit record that do not depend on its place in the file.

    The values cdxj-indexer reads back from the file (``CDXJIndexer.get_field``): the target URI, the media type
    of the HTTP ``Content-Type`` (``warc/revisit`` for a revisit), the HTTP status and the payload digest, plus
    the WARC-Date for the timestamp. Fields without a value are left out, as cdxj-indexer leaves them out.
    """
    headers, http_headers = record.rec_headers, record.http_headers
    if record.rec_type == "revisit":
        mime = "warc/revisit"
    elif (mime := http_headers.get_header("Content-Type") if http_headers else None) is not None:
        mime = _SPACE.split(mime, 1)[0].strip() if mime else mime
    fields = {
        "url": headers.get_header("WARC-Target-URI"),
        "mime": mime,
        "status": http_headers.get_statuscode() if http_headers else None,
        "digest": headers.get_header("WARC-Payload-Digest"),
        "date": headers.get_header("WARC-Date"),
    }
    return {name: value for name, value in fields.items() if value is not None}


def response_index_fields(
    url: str, headers: list[tuple[str, str]], status: int, digest: str, date: str, revisit: bool = False
) -> dict[str, str]:
    """``index_fields`` of a response (or revisit) record, from what it is built of (its HTTP header lines...)."""
    if revisit:
        mime: str | None = "warc/revisit"
    elif mime := next((value for name, value in headers if name.lower() == "content-type"), None):
        mime = _SPACE.split(mime, 1)[0].strip()
    fields = {"url": url, "mime": mime, "status": str(status), "digest": digest, "date": date}
    return {name: value for name, value in fields.items() if value is not None}


def index_line(fields: dict[str, str], offset: int, length: int, filename: str) -> str:
    """The CDXJ line cdxj-indexer writes for a record with these ``index_fields`` at this place in ``filename``."""
    index = {name: value for name, value in fields.items() if name != "date"}
    index.update(length=str(length), offset=str(offset), filename=filename)
    return f"{url_key(index['url'])} {timestamp14(fields['date'])} {json.dumps(index)}\n"


def timestamp14(date: str) -> str:
    """The 14-digit timestamp of a WARC-Date, as warcio's ``iso_date_to_timestamp`` gives it.

    A WARC-Date this writer makes (``YYYY-MM-DDThh:mm:ss[.ffffff]Z``) is cut into its digits (warcio parses it
    into a datetime and formats that: 15 times the work, a record); any other form goes to warcio.
    """
    if _WARC_DATE.fullmatch(date):
        return date[0:4] + date[5:7] + date[8:10] + date[11:13] + date[14:16] + date[17:19]
    from warcio.timeutils import iso_date_to_timestamp  # noqa: PLC0415 - see write_cdxj

    return iso_date_to_timestamp(date)


def sort_lines(lines: Path, target: Path) -> Path:
    """Sort the index lines gathered in ``lines`` into the index ``target`` (as ``write_cdxj`` sorts); remove them.

    cdxj-indexer's external sort (its ``SortingWriter``: runs of more than SORT_BUFFER characters sorted into
    temporary files and merged, a line equal to the one before it written once), done with ``list.sort`` and
    ``heapq.merge`` here: importing ``cdxj_indexer.main`` for it pulls pyamf and pkg_resources in, 0.48 G
    instructions (0.3-0.7 s) at the close of every crawl, for AMF request parsing the crawl never does. The
    indexes stay byte for byte cdxj-indexer's (tests/test_crawl.py, tests/test_cdxj.py).
    """
    tmp = target.with_name(target.name + ".tmp")
    runs: list[Path] = []  # temporary files of sorted runs, when the lines are more than one run
    try:
        with open(lines, encoding="utf-8") as unsorted, open(tmp, "w", encoding="utf-8") as out:
            run: list[str] = []
            size = 0
            for line in unsorted:
                run.append(line)
                size += len(line)
                if size > SORT_BUFFER:
                    runs.append(_sorted_run(run))
                    run, size = [], 0
            if not runs:
                run.sort()
                _write_unique(run, out)
            else:
                if run:
                    runs.append(_sorted_run(run))
                with contextlib.ExitStack() as stack:
                    files = [stack.enter_context(open(path, encoding="utf-8")) for path in runs]
                    _write_unique(heapq.merge(*files), out)
    finally:
        for path in runs:
            path.unlink(missing_ok=True)
    tmp.replace(target)
    lines.unlink()
    return target


def _sorted_run(run: list[str]) -> Path:
    run.sort()
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".cdxj-run", delete=False) as out:
        _write_unique(run, out)
    return Path(out.name)


def _write_unique(lines: Iterable[str], out: IO[str]) -> None:
    """Write sorted lines, a line equal to the one before it once (as cdxj-indexer's ``write_to_file``)."""
    last = None
    for line in lines:
        if line != last:
            out.write(line)
        last = line


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
