"""The store layout (DESIGN.md): every key prefix and file-name rule, and nowhere else.

```
warc/{site}/{name}.warc.gz   warc/{site}/{name}.cdxj           WARC files and their indexes
text/{site}/{run_id}/part-{batch:05d}.jsonl.gz   ….parquet      clean-text batches and their Parquet twins
runs/{site}/{run_id}.json                                       run manifests
runs/_job/{run_id}.json                                         job manifests (every blog of one blogarc crawl)
state/{site}/urls.jsonl.gz   state/{site}/lock.json             crawl state and the site's lock
```
"""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

WARC, TEXT, RUNS, STATE = "warc", "text", "runs", "state"
PREFIXES = (WARC, TEXT, RUNS, STATE)
# Site keys never start with "_" (site_key strips it), so "_job" cannot be a blog.
JOB_SEGMENT = "_job"
WARC_SUFFIXES = (".warc.gz", ".warc")
INDEX_SUFFIX = ".cdxj"
TEXT_SUFFIX = ".jsonl.gz"
PARQUET_SUFFIX = ".parquet"
MANIFEST_SUFFIX = ".json"

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


# --- file names ---------------------------------------------------------------------------------------------------


def is_warc_name(name: str) -> bool:
    """Whether a file name or key names a WARC file (``.warc.gz`` or ``.warc``)."""
    return name.endswith(WARC_SUFFIXES)


def is_index_name(name: str) -> bool:
    """Whether a file name or key names a CDXJ index."""
    return name.endswith(INDEX_SUFFIX)


def index_name(warc: str) -> str:
    """The index beside a WARC: ``x.warc.gz`` -> ``x.cdxj`` (a file name, a path or a key alike)."""
    for suffix in WARC_SUFFIXES:
        if warc.endswith(suffix):
            return warc[: -len(suffix)] + INDEX_SUFFIX
    return warc + INDEX_SUFFIX


def warc_names_for_index(index: str) -> tuple[str, ...]:
    """The WARC names an index can belong to: ``x.cdxj`` -> ``x.warc.gz``, ``x.warc``."""
    stem = index.removesuffix(INDEX_SUFFIX)
    return tuple(stem + suffix for suffix in WARC_SUFFIXES)


def is_batch_name(name: str) -> bool:
    """Whether a file name or key names a clean-text batch (``….jsonl.gz``; not its Parquet twin)."""
    return name.endswith(TEXT_SUFFIX)


def is_manifest_name(name: str) -> bool:
    """Whether a file name or key names a run manifest (``….json``)."""
    return name.endswith(MANIFEST_SUFFIX)


def batch_name(batch: int, suffix: str = TEXT_SUFFIX) -> str:
    """``part-00001.jsonl.gz`` (or with ``PARQUET_SUFFIX``, its Parquet twin)."""
    return f"part-{batch:05d}{suffix}"


# --- keys -----------------------------------------------------------------------------------------------------------


def kind_prefix(kind: str) -> str:
    """``warc/``, ``text/``, ``runs/`` or ``state/``: every site's objects of that kind."""
    if kind not in PREFIXES:
        raise ValueError(f"Unknown store prefix {kind!r}")
    return f"{kind}/"


def site_prefix(kind: str, site: str) -> str:
    """``warc/{site}/``, ``text/{site}/``, ``runs/{site}/`` or ``state/{site}/``."""
    return f"{kind_prefix(kind)}{site}/"


def warc_key(site: str, filename: str) -> str:
    """Key of a WARC file or its index."""
    return f"{WARC}/{site}/{filename}"


def text_prefix(site: str, run_id: str) -> str:
    """Prefix of a run's clean-text batches."""
    return f"{TEXT}/{site}/{run_id}/"


def batch_key(site: str, run_id: str, batch: int, suffix: str = TEXT_SUFFIX) -> str:
    """Key of one text batch (or its Parquet twin)."""
    return text_prefix(site, run_id) + batch_name(batch, suffix)


def manifest_key(site: str, run_id: str) -> str:
    """Key of a run's manifest."""
    return f"{RUNS}/{site}/{run_id}{MANIFEST_SUFFIX}"


def job_manifest_key(run_id: str) -> str:
    """Key of the job manifest of a ``blogarc crawl`` of many blogs (one per run id, beside the sites' manifests)."""
    return f"{RUNS}/{JOB_SEGMENT}/{run_id}{MANIFEST_SUFFIX}"


def state_key(site: str) -> str:
    """Key of a site's crawl state."""
    return f"{STATE}/{site}/urls.jsonl.gz"


def lock_key(site: str) -> str:
    """Key of a site's lock."""
    return f"{STATE}/{site}/lock.json"


def key_kind(key: str) -> str:
    """The kind of object a store key names: ``warc``, ``cdxj``, ``text``, ``manifest`` or ``state``."""
    top = key.split("/", 1)[0]
    if top == WARC:
        return "cdxj" if is_index_name(key) else "warc"
    return {TEXT: "text", RUNS: "manifest", STATE: "state"}.get(top, "other")


def key_site(key: str) -> str:
    """The site a key belongs to (its second segment), or "" for a key outside the layout or of no site (a job's)."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] in PREFIXES and not parts[1].startswith("_") else ""
