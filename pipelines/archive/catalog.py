"""What a store holds, read through the ``Store`` protocol only: sites, WARC files and their indexes, run manifests.

The archivist tools (``blogarc ls``, ``runs``, ``download``, ``wacz``, ``verify``) start here. Sizes and
checksums come from the run manifests (every object a finished or interrupted run stored is listed there, with its
SHA-256); capture times come from the CDXJ index beside each WARC.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from warcio.timeutils import PAD_14_DOWN, PAD_14_UP, pad_timestamp

from pipelines.warc.cdxj import CdxjEntry, parse_cdxj

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pipelines.store.base import Store

CHUNK = 8 << 20  # bytes per ranged read when streaming an object
WARC_SUFFIXES = (".warc.gz", ".warc")


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
            "first_capture": self.first,
            "last_capture": self.last,
            "runs": self.runs,
            "index": self.index_key,
        }


def to_timestamp(text: str, upper: bool = False) -> str:
    """A date as a 14-digit UTC timestamp: ``2026-11-27``, ``2026-11-27T07:36:08Z``, ``202611`` all work.

    Missing parts are filled with the earliest moment (or, with ``upper``, the latest), so ``--until 2026-11``
    includes the whole of November.

    Raises:
        ValueError: when ``text`` holds no date.
    """
    digits = re.sub(r"\D", "", text.split("+")[0])[:14]
    if len(digits) < 4:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD, an ISO 8601 time or a 14-digit timestamp)")
    return pad_timestamp(digits, PAD_14_UP if upper else PAD_14_DOWN)


def is_warc(key: str) -> bool:
    """Whether a key names a closed WARC file."""
    return key.endswith(WARC_SUFFIXES)


def index_key_for(warc_key: str) -> str:
    """``warc/s/x.warc.gz`` -> ``warc/s/x.cdxj`` (the layout ``write_cdxj`` follows)."""
    for suffix in WARC_SUFFIXES:
        if warc_key.endswith(suffix):
            return warc_key[: -len(suffix)] + ".cdxj"
    return warc_key + ".cdxj"


def sites(store: Store) -> list[str]:
    """Site keys with anything under ``warc/``, ``text/`` or ``runs/``."""
    found = set()
    for prefix in ("warc/", "runs/", "text/"):
        found.update(key.split("/", 2)[1] for key in store.list_keys(prefix) if key.count("/") >= 2)
    return sorted(found)


def pick_sites(store: Store, site: str | None) -> list[str]:
    """``[site]`` when given, otherwise every site of the store."""
    return [site] if site else sites(store)


def load_manifests(store: Store, site: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The site's run manifests (oldest first) and, for those that cannot be read, key -> error."""
    manifests, broken = [], {}
    for key in store.list_keys(f"runs/{site}/"):
        if not key.endswith(".json"):
            continue
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
        keys = store.list_keys(f"warc/{name}/")
        listed = listed_objects(load_manifests(store, name)[0])
        present = set(keys)
        for key in filter(is_warc, keys):
            index_key = index_key_for(key)
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
                    "started_at": manifest.get("started_at"),
                    "finished_at": manifest.get("finished_at"),
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


def iter_object(store: Store, key: str, size: int | None = None, offset: int = 0) -> Iterator[bytes]:
    """Stream an object from ``offset`` in chunks of ranged reads, so a 1 GB WARC never sits in memory.

    With ``size`` unknown, a short chunk ends the object; a range starting exactly at the end, which S3 refuses
    with ``InvalidRange``, ends it too.
    """
    while size is None or offset < size:
        want = CHUNK if size is None else min(CHUNK, size - offset)
        try:
            chunk = store.get_bytes(key, offset, want)
        except Exception as exc:  # S3's 416 arrives as a botocore ClientError; boto3 stays an optional import
            if offset and size is None and "InvalidRange" in str(exc):
                return
            raise
        if not chunk:
            return
        yield chunk
        offset += len(chunk)
        if len(chunk) < want:
            return


def copy_object(store: Store, key: str, out: BinaryIO, size: int | None = None, offset: int = 0) -> str:
    """Write an object (from ``offset``) to ``out``; return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    for chunk in iter_object(store, key, size, offset):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


def fetch_to(store: Store, key: str, target: Path, size: int | None = None) -> str:
    """Copy an object to a local file (created or replaced); return its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        return copy_object(store, key, out, size)
