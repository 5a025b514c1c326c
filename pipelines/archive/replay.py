"""Replay a store with pywb (``blogarc replay``): one pywb collection per site, named after the site key.

pywb lives in a virtual environment of its own, not beside blogarc: pywb 2.10 requires ``brotlipy``, whose
``brotli`` module shadows the ``brotli`` package Scrapy decodes ``br`` responses with (``Decompressor.process``
is missing, so crawls of brotli-serving blogs break), and it pins ``redis==2.10.6``, ``werkzeug==3.1.7`` and
``pyOpenSSL<26.2``. ``find_pywb`` looks for its ``wayback`` program; ``install_pywb`` makes such an environment.

The collection is laid out by hand rather than with ``wb-manager init``, whose name check refuses the dots of a
site key (``blog.example.org``) that pywb itself serves fine::

    ROOT/config.yaml                          framed_replay: false, so /SITE/URL answers with the page itself
    ROOT/collections/SITE/archive/*.warc.gz   the site's WARCs, copied from the store (kept between runs)
    ROOT/collections/SITE/indexes/index.cdxj  the store's CDXJ indexes of those WARCs, merged and sorted

The merged index leaves out ``server-not-modified`` revisits (incremental crawls' 304s): pywb 2.10 replays a revisit
with the revisit's own HTTP head and serves any 3xx head as it is, so a browser would get a bodiless 304 for a
request it never made conditional. Without them, pywb replays the capture they stand for, which has the same
payload; the 304 exchanges stay in the WARCs and in the store's indexes (``blogarc get`` resolves them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.archive.catalog import warc_files
from pipelines.store.base import file_sha256
from pipelines.store.reader import fetch_to

if TYPE_CHECKING:
    from pipelines.store.base import Store

PYWB_REQUIREMENT = "pywb==2.10.0"
CONFIG_YAML = """\
# written by blogarc replay
# no top frame: http://HOST/SITE/URL answers with the archived page itself
framed_replay: false
"""
READY_MARK = ".blogarc-pywb-ready"


def default_pywb_home() -> Path:
    """Where ``install_pywb`` puts pywb's environment by default (one per pywb version, under the user's cache)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "blogarc" / PYWB_REQUIREMENT.replace("==", "-")


def find_pywb(hint: str | Path | None = None) -> Path | None:
    """The folder holding pywb's ``wayback`` program, or None.

    Looked for in order: ``hint`` (a folder with ``wayback``, or a virtual environment), ``$BLOGARC_PYWB``
    (the same), ``wayback`` on ``PATH``, then the environment ``install_pywb`` makes by default.
    """
    candidates = [hint, os.environ.get("BLOGARC_PYWB")]
    on_path = shutil.which("wayback")
    candidates += [Path(on_path).parent if on_path else None, default_pywb_home()]
    for candidate in filter(None, candidates):
        for folder in (Path(candidate), Path(candidate) / "bin"):
            if (folder / "wayback").is_file():
                return folder
    return None


def install_pywb(home: Path | None = None) -> Path:
    """Create a virtual environment with pywb at ``home`` (default: ``default_pywb_home()``); return its bin folder.

    An environment left half made by an interrupted install is made again.

    Raises:
        subprocess.CalledProcessError: when venv or pip fail.
    """
    home = home or default_pywb_home()
    if (home / READY_MARK).exists():
        return home / "bin"
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, PYWB_REQUIREMENT], check=True)
    (home / READY_MARK).write_text(PYWB_REQUIREMENT + "\n", encoding="utf-8")
    return home / "bin"


def prepare_collection(store: Store, site: str, root: Path) -> int:
    """Lay out (or bring up to date) the pywb collection ``site`` under ``root``; return its number of WARCs.

    WARCs already copied with the size and SHA-256 the run manifest lists are kept; the index is rewritten.

    Raises:
        LookupError: when the site has no WARC in the store.
    """
    infos = warc_files(store, site)
    if not infos:
        raise LookupError(f"no WARC of {site} in {store.uri}")
    collection = root / "collections" / site
    for folder in ("archive", "indexes", "static", "templates"):
        (collection / folder).mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    lines: list[str] = []
    for info in infos:
        target = collection / "archive" / info.filename
        fresh = target.is_file() and info.sha256 and target.stat().st_size == info.size
        if not (fresh and file_sha256(target) == info.sha256):
            fetch_to(store, info.key, target, info.size)
        if info.index_key:
            lines += [
                line for line in store.get_bytes(info.index_key).decode("utf-8").splitlines() if _replayable(line)
            ]
    index = collection / "indexes" / "index.cdxj"
    index.write_text("".join(line + "\n" for line in sorted(filter(None, lines))), encoding="utf-8")
    return len(infos)


def _replayable(cdxj_line: str) -> bool:
    """False for the index line of a revisit of a 304 (see the module docstring)."""
    return not ('"mime": "warc/revisit"' in cdxj_line and '"status": "304"' in cdxj_line)


def wayback_command(pywb_bin: Path, root: Path, port: int) -> list[str]:
    """The command that serves ``root``'s collections on 127.0.0.1:``port``."""
    return [str(pywb_bin / "wayback"), "--bind", "127.0.0.1", "--port", str(port), "--directory", str(root)]
