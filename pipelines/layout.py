"""The store layout (DESIGN.md): which key each product gets, site keys and run ids.

```
warc/{site}/{name}.warc.gz   warc/{site}/{name}.cdxj
text/{site}/{run_id}/part-{batch:05d}.jsonl.gz   text/{site}/{run_id}/part-{batch:05d}.parquet
runs/{site}/{run_id}.json    state/{site}/...
```
"""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def site_key(url_or_host: str) -> str:
    """The blog's host name made safe for a key segment: ``Blog.Example.org:8080`` -> ``blog.example.org_8080``.

    Raises:
        ValueError: when nothing usable is left (an empty or all-punctuation host).
    """
    host = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
    host = host.rsplit("@", 1)[-1].lower()  # never keep credentials from a URL
    # bücher.example -> xn--bcher-kva.example: international names stay distinct, in ASCII; a name the codec
    # refuses (empty labels, "..") is left to the substitution below, which makes it safe anyway
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    key = _UNSAFE.sub("_", host).strip("._")
    if not key:
        raise ValueError(f"No usable site name in {url_or_host!r}")
    return key


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time: ``20261127T065814Z-3fa9``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is safe as a key segment; raise ValueError otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", run_id):
        raise ValueError(f"Unsafe run id {run_id!r}: use letters, digits, '.', '_' and '-'")
    return run_id


def warc_key(site: str, filename: str) -> str:
    """Key of a WARC file or its index."""
    return f"warc/{site}/{filename}"


def text_prefix(site: str, run_id: str) -> str:
    """Prefix of a run's clean-text batches."""
    return f"text/{site}/{run_id}/"


def manifest_key(site: str, run_id: str) -> str:
    """Key of a run's manifest."""
    return f"runs/{site}/{run_id}.json"
