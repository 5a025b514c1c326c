"""Copy WARC files and their indexes out of a store into a local folder (``blogarc download``), resumably.

Files keep their store keys under the destination (``DEST/warc/{site}/NAME.warc.gz``). A file is written to
``NAME.part`` and renamed once its size and SHA-256 match the run manifest that lists it; a later run continues a
``.part`` file from where it stopped (ranged reads from its length), and skips files already there and matching.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pipelines.archive.catalog import listed_objects, load_manifests, warc_files
from pipelines.store.base import file_sha256
from pipelines.store.reader import copy_object

if TYPE_CHECKING:
    from pipelines.archive.catalog import Listed
    from pipelines.store.base import Store

PART_SUFFIX = ".part"


@dataclass
class Copied:
    """What happened to one file: ``copied``, ``resumed``, ``present``, ``unverified`` or ``failed``."""

    key: str
    path: Path
    status: str
    transferred: int = 0  # bytes read from the store for it
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``blogarc download --json``)."""
        return {**vars(self), "path": str(self.path)}


def download(
    store: Store, dest: Path, site: str | None = None, since: str | None = None, until: str | None = None
) -> list[Copied]:
    """Copy the WARCs with captures in the window (and their CDXJ indexes) into ``dest``."""
    results = []
    listed: dict[str, dict[str, Listed]] = {}
    for info in warc_files(store, site, since, until):
        if info.site not in listed:
            listed[info.site] = listed_objects(load_manifests(store, info.site)[0])
        for key in filter(None, (info.key, info.index_key)):
            target = dest.joinpath(*PurePosixPath(key).parts)
            results.append(fetch_verified(store, key, target, listed[info.site].get(key)))
    return results


def fetch_verified(store: Store, key: str, target: Path, listed: Listed | None) -> Copied:
    """Copy one object to ``target``, resuming a ``.part`` file, and check it against its manifest entry."""
    if listed is not None and _matches(target, listed):
        return Copied(key, target, "present")
    part = target.with_name(target.name + PART_SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if part.exists() else 0
    if listed is not None and offset > listed.size:
        offset = 0  # longer than the object: not a prefix of it
    with open(part, "r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        copy_object(store, key, out, listed.size if listed else None, offset)
        transferred = out.tell() - offset
    if listed is None:
        os.replace(part, target)
        return Copied(key, target, "unverified", transferred, "no run manifest lists it: nothing to check against")
    if not _matches(part, listed):
        part.unlink()
        if offset:  # the partial file was not a prefix of the object after all: copy it whole once
            retry = fetch_verified(store, key, target, listed)
            retry.transferred += transferred
            return retry
        return Copied(key, target, "failed", transferred, "size or SHA-256 differs from the run manifest")
    os.replace(part, target)
    return Copied(key, target, "resumed" if offset else "copied", transferred)


def _matches(path: Path, listed: Listed) -> bool:
    return path.is_file() and path.stat().st_size == listed.size and file_sha256(path) == listed.sha256
