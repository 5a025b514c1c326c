"""Where archives land: one ``Store`` protocol, chosen by URI scheme (``STORE_SCHEMES``).

* a plain path or ``file://`` URI: a local folder (the default, ``./archive``);
* ``s3://bucket/prefix``: any S3-compatible server through boto3 (endpoint, credentials and region come from
  boto3's own chain and environment, or from Scrapy's ``AWS_*`` settings passed in by the caller).

Keys are relative, ``/``-separated paths under the store's root (``warc/{site}/...``). ``safe_key`` refuses keys
that could escape the root, so nothing a crawled URL contributes can write elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredObject:
    """An object in the store, as a manifest lists it."""

    key: str
    size: int
    sha256: str


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def safe_key(key: str) -> str:
    """Return ``key`` if it is a clean relative key; raise ValueError otherwise."""
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"Unsafe store key {key!r}")
    return key


class Store(Protocol):
    """What every part that writes or reads the archive uses."""

    uri: str

    def persist(self, local_path: Path, key: str) -> StoredObject:
        """Copy a finished local file to ``key``, verify it arrived whole, and describe it."""

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Write a small object (manifests, state) in one piece."""

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        """Read an object, or ``length`` bytes of it from ``offset`` (a ranged read)."""

    def list_keys(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, sorted."""

    def uri_for(self, key: str) -> str:
        """The URI of ``key`` (for FEEDS and messages)."""


class FileStore:
    """A local folder. Writes go to a temporary file first and are renamed into place."""

    def __init__(self, uri: str):
        parsed = urlparse(uri)
        self.root = Path(unquote(parsed.path) if parsed.scheme == "file" else uri).expanduser().resolve()
        self.uri = self.root.as_uri()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*PurePosixPath(safe_key(key)).parts)

    def persist(self, local_path: Path, key: str) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        sha256 = file_sha256(local_path)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False) as tmp:
            with open(local_path, "rb") as src:
                shutil.copyfileobj(src, tmp, CHUNK)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
        if file_sha256(target) != sha256:
            raise OSError(f"Checksum mismatch after copying to {target}")
        return StoredObject(key, target.stat().st_size, sha256)

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest())

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        with open(self._path(key), "rb") as fh:
            fh.seek(offset)
            return fh.read() if length is None else fh.read(length)

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def uri_for(self, key: str) -> str:
        return self._path(key).as_uri()


class S3Store:
    """An S3 bucket and prefix on any S3-compatible server.

    ``client_options`` are passed to ``boto3.client("s3", ...)`` (``endpoint_url``, ``region_name``, keys); left
    empty, boto3's own configuration chain applies (``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, instance roles...).
    """

    def __init__(self, uri: str, client_options: dict[str, Any] | None = None):
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"Incorrect URI {uri!r}, expected s3://bucket/prefix")
        self.uri = uri
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.client_options = {k: v for k, v in (client_options or {}).items() if v}
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The boto3 client, created on first use (boto3 is imported only when S3 is used)."""
        if self._client is None:
            import boto3  # noqa: PLC0415 - optional at import time

            self._client = boto3.client("s3", **self.client_options)
        return self._client

    def _key(self, key: str) -> str:
        safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def persist(self, local_path: Path, key: str) -> StoredObject:
        sha256 = file_sha256(local_path)
        size = local_path.stat().st_size
        self.client.upload_file(str(local_path), self.bucket, self._key(key), ExtraArgs={"ChecksumAlgorithm": "SHA256"})
        head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        if head["ContentLength"] != size:
            raise OSError(f"Size mismatch after upload to {self.uri_for(key)}")
        return StoredObject(key, size, sha256)

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ChecksumAlgorithm="SHA256")
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest())

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            kwargs["Range"] = f"bytes={offset}-{end}"
        return self.client.get_object(**kwargs)["Body"].read()

    def list_keys(self, prefix: str = "") -> list[str]:
        if prefix:
            safe_key(prefix.rstrip("/"))
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(f"{self.prefix}/") if self.prefix else 0
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        return sorted(keys)

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


STORE_SCHEMES: dict[str, type] = {"": FileStore, "file": FileStore, "s3": S3Store}


def open_store(uri: str, client_options: dict[str, Any] | None = None) -> Store:
    """The store for ``uri``; ``client_options`` go to the S3 client.

    Raises:
        ValueError: for a scheme no store handles.
    """
    scheme = "file" if Path(uri).is_absolute() or "://" not in uri else urlparse(uri).scheme
    try:
        cls = STORE_SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"Unsupported store scheme {scheme!r} in {uri!r}") from None
    return S3Store(uri, client_options) if cls is S3Store else cls(uri)


def store_from_settings(settings: Any) -> Store:
    """The store named by ``ARCHIVE_STORE``; S3 stores reuse Scrapy's ``AWS_*`` settings when they are set."""
    options = {
        "endpoint_url": settings.get("AWS_ENDPOINT_URL"),
        "region_name": settings.get("AWS_REGION_NAME"),
        "aws_access_key_id": settings.get("AWS_ACCESS_KEY_ID"),
        "aws_secret_access_key": settings.get("AWS_SECRET_ACCESS_KEY"),
        "aws_session_token": settings.get("AWS_SESSION_TOKEN"),
    }
    return open_store(settings.get("ARCHIVE_STORE") or "archive", client_options=options)


def spool_dir(settings: Any, store: Store) -> Path:
    """Local folder where WARCs are written before they reach the store.

    ``ARCHIVE_SPOOL_DIR`` when set; otherwise one folder per store URI under the user's cache folder, so a later
    run against the same store finds (and ships) what an earlier run left behind.
    """
    if settings.get("ARCHIVE_SPOOL_DIR"):
        return Path(settings.get("ARCHIVE_SPOOL_DIR")).expanduser().resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    store_id = hashlib.sha256(store.uri.encode()).hexdigest()[:16]
    return cache / "blogarc" / "spool" / store_id
