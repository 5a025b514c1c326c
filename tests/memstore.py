"""A test-only store that keeps its objects in memory: proof that a store plugs in by URI scheme alone.

Nothing in ``pipelines`` names it: tests reach it through ``ARCHIVE_STORE_SCHEMES``, as a user's own store would::

    open_store("memory://name", Settings({"ARCHIVE_STORE_SCHEMES": {"memory": "tests.memstore.MemoryStore"}}))

Each instance has its own objects (two stores opened on the same URI share nothing), so it serves code that runs
in the test's process: ``SiteLock`` and the store contract, not a crawl (that runs in a subprocess).
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pipelines.store.base import StoredObject, check_range, safe_key

if TYPE_CHECKING:
    from pathlib import Path

SETTINGS = {"ARCHIVE_STORE_SCHEMES": {"memory": "tests.memstore.MemoryStore"}}


class MemoryStore:
    """Objects in a dict of the instance, behind a lock (the crawl's threads, or a test's, may share one store)."""

    def __init__(self, uri: str):
        parsed = urlparse(uri)
        if parsed.scheme != "memory" or not parsed.netloc:
            raise ValueError(f"Incorrect URI {uri!r}, expected memory://name")
        self.uri = f"memory://{parsed.netloc}"
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_uri(cls, uri: str, settings: Any | None = None) -> MemoryStore:
        """A new, empty store named by ``uri``; it has no settings."""
        return cls(uri)

    def persist(self, local_path: Path, key: str) -> StoredObject:
        return self.put_bytes(key, local_path.read_bytes())

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        with self._lock:
            self._objects[safe_key(key)] = bytes(data)
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest())

    def put_if_absent(self, key: str, data: bytes) -> bool:
        with self._lock:
            if safe_key(key) in self._objects:
                return False
            self._objects[key] = bytes(data)
            return True

    def get_bytes(self, key: str, offset: int = 0, length: int | None = None) -> bytes:
        check_range(offset, length)
        with self._lock:
            try:
                data = self._objects[safe_key(key)]
            except KeyError:
                raise FileNotFoundError(self.uri_for(key)) from None
        return data[offset:] if length is None else data[offset : offset + length]

    def delete(self, key: str) -> None:
        with self._lock:
            self._objects.pop(safe_key(key), None)

    def list_keys(self, prefix: str = "") -> list[str]:
        folder = safe_key(prefix.rstrip("/")) + "/" if prefix else ""
        with self._lock:
            return sorted(key for key in self._objects if key.startswith(folder))

    def uri_for(self, key: str) -> str:
        return f"{self.uri}/{safe_key(key)}"

    def stat(self, key: str) -> StoredObject | None:
        with self._lock:
            data = self._objects.get(safe_key(key))
        return None if data is None else StoredObject(key, len(data), hashlib.sha256(data).hexdigest())

    def check(self) -> None:
        """Always writable."""

    def abort_incomplete(self, prefix: str, before: float) -> int:
        """Writes are whole or absent: nothing is ever left unfinished."""
        return 0
