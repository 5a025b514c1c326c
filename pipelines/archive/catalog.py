"""What a store holds, read through the ``Store`` protocol only: sites, WARC files and their indexes, run manifests.

The archivist tools (``blogarc ls``, ``runs``, ``download``, ``wacz``, ``verify``) start here. Sizes and
checksums come from the run manifests (every object a finished or interrupted run stored is listed there, with its
SHA-256); capture times come from the CDXJ index beside each WARC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from warcio.timeutils import PAD_14_DOWN, PAD_14_UP, pad_timestamp

from pipelines.layout import (
    RUNS,
    TEXT,
    WARC,
    index_name,
    is_manifest_name,
    is_warc_name,
    key_site,
    kind_prefix,
    site_prefix,
)
from pipelines.warc.cdxj import CdxjEntry, parse_cdxj

if TYPE_CHECKING:
    from pipelines.store.base import Store


@dataclass
class Listed:
    """An object as the run manifests list it."""

    key: str
    kind: str
    size: int
    sha256: str
    runs: list[str] = field(default_factory=list)


@dataclass
class WarcInfo:
    """One WARC file of the store, with what its index and the manifests say about it."""

    site: str
    key: str
    size: int | None  # from the manifests; None when no manifest lists the file
    sha256: str | None
    captures: int  # index entries (response, revisit, resource and metadata records)
    first: str | None  # 14-digit capture timestamps, UTC
    last: str | None
    runs: list[str]
    index_key: str | None  # the CDXJ beside it, if present

    @property
    def filename(self) -> str:
        """The WARC's bare file name."""
        return self.key.rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``blogarc ls --json``)."""
        return {
            "site": self.site,
            "key": self.key,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
            "captures": self.captures,
            "first_capture": iso_time(self.first),
            "last_capture": iso_time(self.last),
            "runs": self.runs,
            "index": self.index_key,
        }


# how many digits of a timestamp each precision has, and the strptime format that checks them
_PRECISIONS = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d", 10: "%Y%m%d%H", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_ZONE = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)
DATE_HELP = "use YYYY-MM-DD, an ISO 8601 time such as 2026-11-27T07:36:08Z, or a 14-digit timestamp"


def to_timestamp(text: str, upper: bool = False) -> str:
    """A date as a 14-digit UTC timestamp: ``2026-11-27``, ``2026-11-27T07:36:08Z``, ``2026-11``, ``202611``...

    Missing parts are filled with the earliest moment (or, with ``upper``, the latest), so ``--until 2026-11``
    includes the whole of November. A time with a zone (``+02:00``) is converted to UTC; one without is UTC.

    Raises:
        ValueError: when ``text`` is not such a date (``2023-13-45`` is not).
    """
    cleaned = re.sub(r"(\d\d:\d\d:\d\d)\.\d+", r"\1", text.strip())  # fractions of a second: not kept
    if "T" in cleaned.upper() and _ZONE.search(cleaned):  # a zone: let datetime convert it to UTC
        try:
            moment = datetime.fromisoformat(cleaned.upper().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a date: {text!r} ({DATE_HELP})") from None
        digits = re.sub(r"\D", "", _ZONE.sub("", cleaned))[:14]
        cleaned = moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")[: len(digits)]
    digits = re.sub(r"\D", "", cleaned)
    if len(digits) not in _PRECISIONS or not re.fullmatch(r"[\d\sT:.-]+", cleaned, re.IGNORECASE):
        raise ValueError(f"not a date: {text!r} ({DATE_HELP})")
    try:
        datetime.strptime(digits, _PRECISIONS[len(digits)])
    except ValueError:
        raise ValueError(f"not a date: {text!r} ({DATE_HELP})") from None
    return pad_timestamp(digits, PAD_14_UP if upper else PAD_14_DOWN)


def iso_time(value: str | None) -> str | None:
    """The listings' one date format, ISO 8601 UTC to the second (``2026-11-27T07:36:08Z``).

    Takes a 14-digit timestamp (CDXJ) or an ISO 8601 string (run manifests: ``+00:00``, microseconds).
    """
    if not value:
        return None
    if value.isdigit():
        moment = datetime.strptime(pad_timestamp(value[:14], PAD_14_DOWN), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sites(store: Store) -> list[str]:
    """Site keys with anything under ``warc/``, ``text/`` or ``runs/``."""
    found = set()
    for kind in (WARC, RUNS, TEXT):
        found.update(key_site(key) for key in store.list_keys(kind_prefix(kind)))
    found.discard("")  # a key straight under the prefix belongs to no site
    return sorted(found)


def pick_sites(store: Store, site: str | None) -> list[str]:
    """``[site]`` when given, otherwise every site of the store."""
    return [site] if site else sites(store)


def load_manifests(store: Store, site: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The site's run manifests (oldest first) and, for those that cannot be read, key -> error."""
    manifests, broken = [], {}
    for key in filter(is_manifest_name, store.list_keys(site_prefix(RUNS, site))):
        try:
            manifest = json.loads(store.get_bytes(key))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
                raise ValueError("not a run manifest")
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            broken[key] = str(exc)
            continue
        manifest["_key"] = key
        manifests.append(manifest)
    return manifests, broken


def listed_objects(manifests: list[dict[str, Any]]) -> dict[str, Listed]:
    """Every object the manifests list, by key, with the runs that list it (the last listing wins)."""
    listed: dict[str, Listed] = {}
    for manifest in manifests:
        for entry in manifest.get("files", []):
            runs = listed[entry["key"]].runs if entry["key"] in listed else []
            listed[entry["key"]] = Listed(entry["key"], entry.get("kind", ""), entry["size"], entry["sha256"], runs)
            runs.append(manifest.get("run_id", ""))
    return listed


def read_index(store: Store, index_key: str) -> list[CdxjEntry]:
    """The entries of one CDXJ index in the store."""
    return parse_cdxj(store.get_bytes(index_key).decode("utf-8"))


def warc_files(
    store: Store, site: str | None = None, since: str | None = None, until: str | None = None
) -> list[WarcInfo]:
    """The WARC files of a site (or of every site) with captures between ``since`` and ``until`` (timestamps)."""
    found = []
    for name in pick_sites(store, site):
        keys = store.list_keys(site_prefix(WARC, name))
        listed = listed_objects(load_manifests(store, name)[0])
        present = set(keys)
        for key in filter(is_warc_name, keys):
            index_key = index_name(key)
            entries = read_index(store, index_key) if index_key in present else []
            stamps = sorted(entry.timestamp for entry in entries)
            entry = listed.get(key)
            info = WarcInfo(
                site=name,
                key=key,
                size=entry.size if entry else None,
                sha256=entry.sha256 if entry else None,
                captures=len(entries),
                first=stamps[0] if stamps else None,
                last=stamps[-1] if stamps else None,
                runs=entry.runs if entry else [],
                index_key=index_key if index_key in present else None,
            )
            if _in_window(info, since, until):
                found.append(info)
    return found


def _in_window(info: WarcInfo, since: str | None, until: str | None) -> bool:
    # A file without an index has no known capture times: keep it unless a window was asked for.
    if info.first is None:
        return since is None and until is None
    return (since is None or info.last >= since) and (until is None or info.first <= until)


def run_summaries(store: Store, site: str | None = None) -> list[dict[str, Any]]:
    """One summary per run manifest (``blogarc runs``), oldest run first."""
    summaries = []
    for name in pick_sites(store, site):
        manifests, broken = load_manifests(store, name)
        for manifest in manifests:
            counts = manifest.get("counts", {})
            summaries.append(
                {
                    "site": name,
                    "run_id": manifest.get("run_id"),
                    "status": manifest.get("status"),
                    "finish_reason": manifest.get("finish_reason"),
                    "started_at": iso_time(manifest.get("started_at")),
                    "finished_at": iso_time(manifest.get("finished_at")),
                    "seeds": manifest.get("seeds", []),
                    "counts": counts,
                    "files": len(manifest.get("files", [])),
                    "manifest": manifest["_key"],
                }
            )
        summaries.extend(
            {"site": name, "manifest": key, "status": "unreadable", "error": err} for key, err in broken.items()
        )
    return sorted(summaries, key=lambda s: (s.get("run_id") or "", s["site"]))


def holds_archive(store: Store) -> bool:
    """Whether the store holds anything of blogarc's (a run manifest, a WARC or a text batch).

    ``runs/`` is listed first: it is the smallest prefix and any finished run wrote there.
    """
    return any(store.list_keys(kind_prefix(kind)) for kind in (RUNS, WARC, TEXT))


def holds_site(store: Store, site: str) -> bool:
    """Whether the store holds anything of ``site`` (a site key)."""
    return any(store.list_keys(site_prefix(kind, site)) for kind in (RUNS, WARC, TEXT))


def site_summaries(store: Store) -> list[dict[str, Any]]:
    """One entry per site of the store (``blogarc sites``): its runs, the last one's status and figures, bytes stored.

    ``warc_bytes`` sums the WARC files the manifests list for the site (every run); the last run's ``pages`` are
    its responses, as the crawl's summary line counts them.
    """
    found = []
    for name in sites(store):
        manifests, broken = load_manifests(store, name)
        last = manifests[-1] if manifests else {}
        counts = last.get("counts", {})
        stored = listed_objects(manifests)
        found.append(
            {
                "site": name,
                "runs": len(manifests),
                "unreadable_manifests": len(broken),
                "last_run": last.get("run_id"),
                "status": last.get("status") or "no finished run",
                "finished_at": iso_time(last.get("finished_at")),
                "pages": counts.get("responses", 0),
                "text_records": counts.get("records_written", 0),
                "warc_files": sum(1 for obj in stored.values() if is_warc_name(obj.key)),
                "warc_bytes": sum(obj.size for obj in stored.values() if is_warc_name(obj.key)),
            }
        )
    return found
