"""Where archives land: one ``Store`` protocol, chosen by URI scheme (``STORE_SCHEMES``).

* a plain path or ``file://`` URI: a local folder (the default, ``./archive``);
* ``s3://bucket/prefix``: any S3-compatible server through boto3 (``pipelines/store/s3.py``; endpoint, credentials
  and region come from boto3's own chain and environment, or from Scrapy's ``AWS_*`` settings).

Other stores plug in by scheme alone: ``ARCHIVE_STORE_SCHEMES`` (scheme -> dotted class path) is merged over
``STORE_SCHEMES``, and every store class is built the same way, by ``from_uri(uri, settings)``.

Keys are relative, ``/``-separated paths under the store's root (``warc/{site}/...``). ``safe_key`` refuses keys
that could escape the root, so nothing a crawled URL contributes can write elsewhere. Two error classes tell the
caller what to do: ``StoreConfigError`` (fix the configuration: stop now) and ``StoreUnavailable`` (the store is
down or unreachable: keep the files in the local spool and ship them later).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from pipelines.store.checksums import copy_hashed, file_sha256, same_bytes


class StoreConfigError(Exception):
    """The store cannot work as configured (no such bucket, access denied, bad credentials): stop at start."""


class StoreUnavailable(Exception):
    """The store cannot be reached now (connection refused, timeouts, 5xx after retries): try again later."""


@dataclass(frozen=True)
class StoredObject:
    """An object in the store, as a manifest lists it."""

    key: str
    size: int
    sha256: str


def safe_key(key: str) -> str:
    """Return ``key`` if it is a clean relative key; raise ValueError otherwise."""
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in key or any(ord(c) < 32 or c == "\x7f" for c in key):
        raise ValueError(f"Unsafe store key {key!r}")
    return key


def check_range(offset: int, length: int | None) -> None:
    """Refuse a negative ``offset`` or ``length`` (every store's ``get_bytes`` takes the same ranges)."""
    if offset < 0 or (length is not None and length < 0):
        raise ValueError(f"Bad range: offset {offset}, length {length}")


class Store(Protocol):
    """What every part that writes or reads the archive uses (tests/test_store_contract.py holds each store to it).

    Keys are checked with ``safe_key`` (ValueError otherwise). Prefixes name folders: ``warc/`` and ``warc`` alike.
    """

    uri: str

    @classmethod
    def from_uri(cls, uri: str, settings: Any | None = None) -> Store:
        """The store at ``uri``, configured from Scrapy ``settings`` where it has settings (None: defaults)."""

    def persist(self, local_path: Path, key: str) -> StoredObject:
        """Copy a finished local file to ``key``, verify it arrived whole, and describe it."""

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Write a small object (manifests, state) in one piece."""

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create ``key`` only if there is no object there; True when this call created it, False when one existed."""

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Read an object, or ``length`` bytes of it from ``offset`` (a ranged read).

        Reading past the end gives ``b""``; a missing key raises FileNotFoundError.
        """

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is fine."""

    def list_keys(self, prefix: str = "") -> list[str]:
        """Keys under the folder ``prefix`` (``""``: every key), sorted."""

    def uri_for(self, key: str) -> str:
        """The URI of ``key`` (for FEEDS and messages)."""

    def stat(self, key: str) -> StoredObject | None:
        """Size and SHA-256 of ``key`` as stored, or None when there is no such object."""

    def check(self) -> None:
        """Make sure the store can be written; raise ``StoreConfigError`` or ``StoreUnavailable``."""

    def abort_incomplete(self, prefix: str, before: float) -> int:
        """Abort unfinished uploads under ``prefix`` started before ``before`` (epoch seconds); return how many."""


def file_mode(setting: Any = None) -> int:
    """The mode of the files a folder store writes.

    ``ARCHIVE_FILE_MODE`` (octal: ``"0640"``) if set, else what the process's umask leaves of ``0666``, as for any
    file the user creates.

    Raises:
        ValueError: for a setting that is not an octal mode.
    """
    if setting not in (None, ""):
        try:
            mode = int(setting, 8) if isinstance(setting, str) else int(setting)
        except ValueError:
            mode = -1
        if not 0 <= mode <= 0o7777:
            raise ValueError(f"ARCHIVE_FILE_MODE is not an octal file mode such as 0640: {setting!r}")
        return mode
    return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux's /proc), or by setting it back at once elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1], 8) for line in fh if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
        return umask


class FileStore:
    """A local folder. Writes go to a temporary file first and are renamed into place, with ``mode``.

    Args:
        uri: a path or ``file://`` URI.
        mode: the mode of the files written (default: ``file_mode()``, the umask's); temporary files are created
            ``0600`` whatever the umask, so each one gets this mode before it is renamed into place.
    """

    def __init__(self, uri: str, mode: int | None = None):
        parsed = urlparse(uri)
        self.root = Path(unquote(parsed.path) if parsed.scheme == "file" else uri).expanduser().resolve()
        self.uri = self.root.as_uri()
        self.mode = file_mode() if mode is None else mode

    @classmethod
    def from_uri(cls, uri: str, settings: Any | None = None) -> FileStore:
        """The folder at ``uri`` (a path or ``file://`` URI), its files' mode from ``ARCHIVE_FILE_MODE``.

        Raises:
            ValueError: for an ``ARCHIVE_FILE_MODE`` that is not an octal mode.
        """
        return cls(uri, file_mode(settings.get("ARCHIVE_FILE_MODE")) if settings is not None else None)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*PurePosixPath(safe_key(key)).parts)

    def persist(self, local_path: Path, key: str) -> StoredObject:
        """Copy, hashing what is copied (one SHA-256 pass); the copy takes the key once it matches the local file.

        The check is a byte-for-byte comparison of the synced copy with the local file (a memcmp, not a second
        SHA-256 of each), so a copy that differs never replaces what the key held, and the caller deletes the local
        file only after this returned.
        """
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False) as tmp:
            sha256, size = copy_hashed(local_path, tmp)
            os.fchmod(tmp.fileno(), self.mode)
            tmp.flush()
            os.fsync(tmp.fileno())
        if not same_bytes(local_path, Path(tmp.name)):
            os.unlink(tmp.name)
            raise OSError(f"The copy of {local_path} for {target} differs from it")
        os.replace(tmp.name, target)
        return StoredObject(key, size, sha256)

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False) as tmp:
            tmp.write(data)
            os.fchmod(tmp.fileno(), self.mode)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest())

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create with ``O_CREAT | O_EXCL``: atomic on POSIX file systems, NFS v3+ included."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fd, self.mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return True

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        check_range(offset, length)
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                return fh.read() if length is None else fh.read(length)
        except (IsADirectoryError, NotADirectoryError):  # a folder, or under a file: no such object, as on S3
            raise FileNotFoundError(path) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def uri_for(self, key: str) -> str:
        return self._path(key).as_uri()

    def stat(self, key: str) -> StoredObject | None:
        path = self._path(key)
        return StoredObject(key, path.stat().st_size, file_sha256(path)) if path.is_file() else None

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreConfigError(f"Cannot create the store folder {self.root}: {exc.strerror}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreConfigError(f"The store folder {self.root} is not writable")

    def abort_incomplete(self, prefix: str, before: float) -> int:
        """Remove temporary files a killed copy left under ``prefix``."""
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        stale = [p for p in base.rglob(".tmp-*") if p.stat().st_mtime < before] if base.exists() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)


def store_schemes(settings: Any | None = None) -> dict[str, str]:
    """``STORE_SCHEMES`` with ``ARCHIVE_STORE_SCHEMES`` merged over it (a scheme set to None is removed)."""
    extra = settings.getdict("ARCHIVE_STORE_SCHEMES") if settings is not None else {}
    return {scheme: path for scheme, path in {**STORE_SCHEMES, **extra}.items() if path is not None}


def load_object(path: Any) -> Any:
    """The object a dotted path names (an object passes through), as Scrapy's ``load_object``.

    Not Scrapy's own: importing it imports all of Scrapy, and ``blogarc ls`` or ``get`` open a store without
    needing Scrapy (start-up time, ``bench/startup.py``).
    """
    if not isinstance(path, str):
        return path
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def open_store(uri: str, settings: Any | None = None) -> Store:
    """The store for ``uri``: the class its scheme names, built by ``from_uri(uri, settings)``.

    Args:
        uri: a path, or ``scheme://...`` for a scheme in ``STORE_SCHEMES`` or ``ARCHIVE_STORE_SCHEMES``.
        settings: Scrapy settings (the S3 store's ``AWS_*`` and ``ARCHIVE_S3_*``); None for every default.

    Raises:
        ValueError: for a scheme no store handles, or a malformed URI.
    """
    scheme = "file" if Path(uri).is_absolute() or "://" not in uri else urlparse(uri).scheme
    try:
        cls = load_object(store_schemes(settings)[scheme])
    except KeyError:
        raise ValueError(f"Unsupported store scheme {scheme!r} in {uri!r}") from None
    return cls.from_uri(uri, settings)


def store_from_settings(settings: Any) -> Store:
    """The store named by ``ARCHIVE_STORE``; S3 stores reuse Scrapy's ``AWS_*`` settings when they are set."""
    return open_store(settings.get("ARCHIVE_STORE") or "archive", settings)


# Stores by URI scheme, as dotted paths (like Scrapy's FEED_STORAGES_BASE): the S3 store, and boto3, load on use.
# ARCHIVE_STORE_SCHEMES is merged over it (``store_schemes``).
STORE_SCHEMES: dict[str, str] = {
    "": "pipelines.store.base.FileStore",
    "file": "pipelines.store.base.FileStore",
    "s3": "pipelines.store.s3.S3Store",
}


def __getattr__(name: str) -> Any:
    """``S3Store`` and ``S3Options`` are importable from here too, loaded on first use."""
    if name in ("S3Store", "S3Options"):
        return load_object(f"pipelines.store.s3.{name}")
    raise AttributeError(name)
