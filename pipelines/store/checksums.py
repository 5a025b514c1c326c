"""Files copied and checked: a file's SHA-256, a copy that hashes what it copies, a byte-for-byte comparison.

A stored file's SHA-256 (the run manifest lists it) is taken as the file is copied, in the same pass: the copy is
then checked against the local file with a comparison of bytes, which costs a memcmp instead of a second SHA-256.
"""

from __future__ import annotations

import hashlib
import os
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashed(path: Path, out: IO[bytes]) -> tuple[str, int]:
    """Copy a file into ``out``; return the hex SHA-256 and the size of the bytes copied."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (compared a chunk at a time)."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if os.fstat(fa.fileno()).st_size != os.fstat(fb.fileno()).st_size:
            return False
        while chunk := fa.read(CHUNK):
            if chunk != fb.read(CHUNK):
                return False
        return not fb.read(1)
