"""Prove a store is intact (``blogarc verify``): manifests against objects, WARC structure and digests, indexes.

For each site:

* every run manifest parses, and every object it lists is present with the listed size and SHA-256 (a lost text
  batch whose records ``blogarc extract --missing`` rebuilt is named in its repair manifest's ``replaces``: a
  warning);
* every WARC is whole and well-formed: each record as long as its ``Content-Length`` and each gzip member whole
  (``pipelines.warc.files.complete_prefix``, warcio underneath), a ``warcinfo`` record first; with ``deep``, warcio
  recomputes every block and payload digest (what ``warcio check`` does);
* every WARC has its CDXJ index, and every index entry points at a real record: the offset and length of a
  record of that WARC, with the entry's URL and time; every capture record is indexed;
* the text is complete: every post the crawl state says has text has a record, every record's WARC pointer resolves
  (``pipelines.archive.textcheck``);
* every ``revisit`` record (incremental crawls) has its original in the site's WARCs: the record its
  ``WARC-Refers-To`` names, or else a response at its ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``.

Objects that no manifest lists are warnings (a run still going, or one killed before its manifest): ``strict``
makes them problems. Each object is copied once to a temporary folder through the store's ranged reader
(``pipelines.store.reader``), so the same checks run on a local folder and on S3.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.timeutils import iso_date_to_timestamp

from pipelines.archive.catalog import listed_objects, load_manifests, pick_sites
from pipelines.archive.textcheck import check_text
from pipelines.layout import TEXT, WARC, index_name, is_index_name, is_warc_name, site_prefix, warc_names_for_index
from pipelines.store.reader import fetch_to
from pipelines.warc.cdxj import parse_cdxj
from pipelines.warc.codecs import use_brotli
from pipelines.warc.files import complete_prefix

if TYPE_CHECKING:
    from pipelines.store.base import Store
    from pipelines.warc.cdxj import CdxjEntry

INDEXED_TYPES = ("response", "revisit", "resource", "metadata")  # what cdxj-indexer indexes by default


@dataclass(frozen=True)
class Problem:
    """Something wrong with one object of the store."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class RecordSpot:
    """Where a record lies in its WARC and what it is."""

    length: int
    rec_type: str
    url: str
    timestamp: str


@dataclass
class Originals:
    """A site's capture records, and its revisit records with what each refers to (checked once all are read)."""

    record_ids: set[str] = field(default_factory=set)
    captures: set[tuple[str, str]] = field(default_factory=set)  # (target URI, WARC-Date)
    revisits: list[tuple[str, int, str | None, str | None, str | None]] = field(default_factory=list)
    damaged: bool = False  # a WARC of the site is damaged: its later records (maybe originals) were not read

    def note(self, key: str, offset: int, record: Any) -> None:
        """Remember a record of WARC ``key``."""
        headers = record.rec_headers
        if record.rec_type == "revisit":
            refers = (headers.get_header(name) for name in ("WARC-Refers-To", "WARC-Refers-To-Target-URI"))
            self.revisits.append((key, offset, *refers, headers.get_header("WARC-Refers-To-Date")))
        elif record.rec_type in ("response", "resource"):
            self.record_ids.add(headers.get_header("WARC-Record-ID") or "")
            self.captures.add((headers.get_header("WARC-Target-URI") or "", headers.get_header("WARC-Date") or ""))

    def problems(self) -> list[Problem]:
        """One problem per revisit whose original is not in the site's WARCs.

        None when a WARC of the site is damaged: the originals may be past the damage, which is reported already.
        """
        missing: list[Problem] = []
        if self.damaged:
            return missing
        for key, offset, record_id, uri, date in self.revisits:
            if record_id in self.record_ids or (uri, date) in self.captures:
                continue
            missing.append(Problem(key, f"revisit at byte {offset} refers to {uri} at {date}, not in the store"))
        return missing


@dataclass
class Report:
    """What ``verify_store`` found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found (warnings allowed)."""
        return not self.problems

    def count(self, name: str, n: int = 1) -> None:
        """Add to a summary count."""
        self.counts[name] = self.counts.get(name, 0) + n

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``blogarc verify --json``)."""
        return {
            "ok": self.ok,
            "counts": self.counts,
            "problems": [vars(p) for p in self.problems],
            "warnings": [vars(p) for p in self.warnings],
        }


def verify_store(store: Store, site: str | None = None, deep: bool = False, strict: bool = False) -> Report:
    """Check every site of the store (or one); see the module docstring for what is checked."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="blogarc-verify-") as tmp:
        for name in pick_sites(store, site):
            report.count("sites")
            _verify_site(store, name, Path(tmp), report, deep, strict)
    return report


def _verify_site(store: Store, site: str, tmp: Path, report: Report, deep: bool, strict: bool) -> None:
    present = set(store.list_keys(site_prefix(WARC, site))) | set(store.list_keys(site_prefix(TEXT, site)))
    manifests, broken = load_manifests(store, site)
    report.count("manifests", len(manifests))
    report.problems.extend(Problem(key, f"unreadable run manifest ({err})") for key, err in broken.items())
    listed = listed_objects(manifests)
    originals = Originals()
    replaced = {key: m["_key"] for m in manifests for key in m.get("replaces", [])}  # blogarc extract --missing
    for manifest in manifests:
        for entry in manifest["files"]:
            if entry["key"] in present:
                continue
            if entry["key"] in replaced:
                report.warnings.append(
                    Problem(entry["key"], f"lost; its records were rebuilt ({replaced[entry['key']]})")
                )
            else:
                report.problems.append(Problem(entry["key"], f"listed in {manifest['_key']} but not in the store"))
    unlisted = sorted(present - set(listed))
    (report.problems if strict else report.warnings).extend(
        Problem(key, "not listed in any run manifest (run unfinished or still going)") for key in unlisted
    )
    for key in sorted(present):
        size = listed[key].size if key in listed else None
        local = tmp / "object"
        sha256 = fetch_to(store, key, local, size)
        report.count("objects")
        _check_listing(key, local, sha256, manifests, report)
        if is_warc_name(key):
            spots, whole_end = _check_warc(key, local, report, deep, originals)
            _check_index(store, key, spots, whole_end, present, report)
        elif is_index_name(key) and not any(k in present for k in warc_names_for_index(key)):
            report.problems.append(Problem(key, "index of a WARC that is not in the store"))
        local.unlink()
    report.count("revisits", len(originals.revisits))
    report.problems.extend(originals.problems())
    _check_text(store, site, report)


def _check_text(store: Store, site: str, report: Report) -> None:
    """Every post the crawl state says has text has a record; every record's WARC pointer resolves."""
    text = check_text(store, site)
    report.count("text_records", text.records)
    prefix = site_prefix(TEXT, site)
    report.problems.extend(
        Problem(prefix, f"no text record for {url} (the crawl state says it has one; blogarc extract --missing)")
        for url in text.missing
    )
    report.problems.extend(Problem(prefix, f"record of {url}: {why}") for url, why in text.bad_pointers)


def _check_listing(key: str, local: Path, sha256: str, manifests: list[dict[str, Any]], report: Report) -> None:
    """Compare the object with every manifest entry for it."""
    size = local.stat().st_size
    for manifest in manifests:
        for entry in manifest["files"]:
            if entry["key"] != key:
                continue
            if entry.get("size") != size:
                report.problems.append(
                    Problem(key, f"{size} bytes in the store, {entry.get('size')} in {manifest['_key']}")
                )
            if entry.get("sha256") != sha256:
                report.problems.append(Problem(key, f"SHA-256 {sha256} differs from {manifest['_key']}"))


def _check_warc(
    key: str, path: Path, report: Report, deep: bool, originals: Originals | None = None
) -> tuple[dict[int, RecordSpot], int]:
    """Structure (and, with ``deep``, digests) of one WARC; returns its whole records by offset, and their end."""
    use_brotli()
    report.count("warcs")
    size = path.stat().st_size
    whole_end, whole_records = complete_prefix(path)
    if whole_end < size:
        if originals is not None:
            originals.damaged = True
        report.problems.append(
            Problem(key, f"damaged or cut off at byte {whole_end} of {size} ({whole_records} whole records before)")
        )
    spots: dict[int, RecordSpot] = {}
    with open(path, "rb") as fh:
        # only the whole records: past the damage warcio would parse garbage (and print zlib errors)
        iterator = ArchiveIterator(LimitReader(fh, whole_end), check_digests=deep)
        try:
            for record in iterator:
                _drain(record.content_stream() if deep else record.raw_stream)
                iterator.read_to_end(record)
                offset, length = iterator.member_info
                if not spots and record.rec_type != "warcinfo":
                    report.problems.append(Problem(key, f"first record is {record.rec_type}, not warcinfo"))
                spots[offset] = _spot(record, length)
                if originals is not None:
                    originals.note(key, offset, record)
                if deep and record.digest_checker.passed is False:
                    for problem in record.digest_checker.problems:
                        report.problems.append(Problem(key, f"record at byte {offset}: {problem}"))
        except Exception as exc:  # a whole record warcio cannot parse (bad HTTP head, bad date...): name it
            after = max(spots, default=0)
            report.problems.append(Problem(key, f"unreadable record after byte {after}: {type(exc).__name__}: {exc}"))
    report.count("records", len(spots))
    return spots, whole_end


def _spot(record: Any, length: int) -> RecordSpot:
    headers = record.rec_headers
    return RecordSpot(
        length,
        record.rec_type,
        headers.get_header("WARC-Target-URI") or "",
        iso_date_to_timestamp(headers.get_header("WARC-Date") or "1970-01-01T00:00:00Z"),
    )


def _drain(stream: Any) -> None:
    while stream.read(1 << 20):
        pass


def _check_index(
    store: Store, warc_key: str, spots: dict[int, RecordSpot], whole_end: int, present: set[str], report: Report
) -> None:
    """The WARC's CDXJ exists, and its entries and the WARC's capture records match one to one.

    Entries past a damaged part of the WARC are not checked one by one (the damage is reported already).
    """
    index_key = index_name(warc_key)
    if index_key not in present:
        report.problems.append(Problem(warc_key, f"no index ({index_key} is missing)"))
        return
    try:
        entries = parse_cdxj(store.get_bytes(index_key).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        report.problems.append(Problem(index_key, f"unreadable index: {exc}"))
        return
    report.count("index_entries", len(entries))
    filename = warc_key.rsplit("/", 1)[-1]
    pointed = set()
    beyond = [entry for entry in entries if entry.offset >= whole_end]
    if beyond:
        report.problems.append(Problem(index_key, f"{len(beyond)} entries point past the damage in {filename}"))
    for entry in entries:
        if entry.offset >= whole_end:
            continue
        message = _entry_problem(entry, filename, spots)
        if message:
            report.problems.append(Problem(index_key, message))
        pointed.add(entry.offset)
    unindexed = [o for o, spot in spots.items() if spot.rec_type in INDEXED_TYPES and o not in pointed]
    if unindexed:
        report.problems.append(Problem(index_key, f"{len(unindexed)} records of {filename} are not indexed"))


def _entry_problem(entry: CdxjEntry, filename: str, spots: dict[int, RecordSpot]) -> str | None:
    where = f"entry for {entry.url} at {entry.timestamp}"
    if entry.filename != filename:
        return f"{where} names {entry.filename}, not the WARC beside it"
    spot = spots.get(entry.offset)
    if spot is None:
        return f"{where} points at byte {entry.offset}, where no record starts"
    if spot.length != entry.length or spot.url != entry.url or spot.timestamp != entry.timestamp:
        return f"{where} does not match the record at byte {entry.offset} ({spot.url} at {spot.timestamp})"
    return None
