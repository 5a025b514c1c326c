"""Package a site's WARCs as a WACZ file (``blogarc wacz``) with the ``wacz`` library (``wacz create``).

The WACZ holds the WARCs, a CDXJ index, ``datapackage.json`` with every file's hash, and ``pages/pages.jsonl``:
one page per post or page, titled from the clean-text records (``url``, ``ts`` = the capture's WARC-Date,
``title``), which ``wacz create --pages`` matches against the captures. ReplayWeb.page opens the result.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.archive.catalog import load_manifests, warc_files
from pipelines.layout import TEXT, is_batch_name, site_prefix
from pipelines.store.reader import fetch_to

if TYPE_CHECKING:
    from pipelines.store.base import Store

PAGES_FORMAT = "json-pages-1.0"


@dataclass
class WaczResult:
    """What went into a WACZ file."""

    path: Path
    warcs: list[str]
    pages: int
    log: str  # what ``wacz create`` printed

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": str(self.path), "warcs": self.warcs, "pages": self.pages}


def page_entries(store: Store, site: str, filenames: set[str]) -> list[dict[str, Any]]:
    """Pages for ``pages.jsonl``: each text record (post or page) whose capture is in one of ``filenames``."""
    pages, seen = [], set()
    for key in filter(is_batch_name, store.list_keys(site_prefix(TEXT, site))):
        for line in gzip.decompress(store.get_bytes(key)).decode("utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            pointer = record.get("warc") or {}
            if pointer.get("filename") not in filenames or (record["url"], record["fetched_at"]) in seen:
                continue
            seen.add((record["url"], record["fetched_at"]))
            pages.append({"url": record["url"], "ts": record["fetched_at"], "title": record.get("title") or ""})
    return sorted(pages, key=lambda page: (page["ts"], page["url"]))


def write_pages(path: Path, site: str, pages: list[dict[str, Any]]) -> None:
    """A ``pages.jsonl`` file as ``wacz create --pages`` reads it: a header line, then one page a line."""
    header = {"format": PAGES_FORMAT, "id": "pages", "title": f"{site}: posts and pages"}
    lines = [json.dumps(header)] + [json.dumps(page) for page in pages]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_wacz(store: Store, site: str, output: Path, since: str | None = None, until: str | None = None) -> WaczResult:
    """Write ``output`` (a ``.wacz``) from the site's WARCs with captures in the window.

    Raises:
        LookupError: when no WARC of the site is in the window.
        OSError: when a WARC read from the store does not match its manifest, or ``wacz create`` fails.
    """
    from wacz.main import main as wacz_main  # the wacz package is needed only here

    infos = warc_files(store, site, since, until)
    if not infos:
        raise LookupError(f"no WARC of {site} in the store for that time window")
    with tempfile.TemporaryDirectory(prefix="blogarc-wacz-") as tmp:
        paths = []
        for info in infos:
            path = Path(tmp) / info.filename
            sha256 = fetch_to(store, info.key, path, info.size)
            if info.sha256 and sha256 != info.sha256:
                raise OSError(f"{info.key} does not match its run manifest: run blogarc verify")
            paths.append(str(path))
        pages = page_entries(store, site, {info.filename for info in infos})
        pages_path = Path(tmp) / "pages.jsonl"
        write_pages(pages_path, site, pages)
        output.parent.mkdir(parents=True, exist_ok=True)
        args = ["create", "-o", str(output), "--pages", str(pages_path), "--title", site, *paths]
        seeds = _seeds(store, site)
        if seeds:
            args += ["--desc", "Archived by blogarc from " + ", ".join(seeds)]
        log = io.StringIO()
        with redirect_stdout(log):  # wacz prints its progress; keep it for the error message
            status = wacz_main(args)
        if status:
            raise OSError(f"wacz create failed ({status}):\n{log.getvalue()[-2000:]}")
    return WaczResult(output, [info.key for info in infos], len(pages), log.getvalue())


def _seeds(store: Store, site: str) -> list[str]:
    seeds: list[str] = []
    for manifest in load_manifests(store, site)[0]:
        seeds.extend(seed for seed in manifest.get("seeds", []) if seed and seed not in seeds)
    return seeds
