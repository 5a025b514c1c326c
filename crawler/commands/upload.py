"""``blogarc upload``: ship what earlier crawls left in the local spool to the store.

``blogarc upload --store URI [--spool DIR] [-s NAME=VALUE ...]`` finds the spool of that store (the same default
folder ``blogarc crawl`` uses, or ``--spool``), repairs ``.open`` WARCs a killed crawl left, aborts unfinished
multipart uploads of those sites, and ships every WARC and index, then parked text batches, then parked run
manifests (last, once the files they name are in the store). Sites a running crawl holds are skipped. Exit status:
0 when the spool is empty afterwards, 2 on a store configuration error, 75 (``EX_TEMPFAIL``) when files still wait.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from scrapy.settings import Settings

from crawler.commands.crawl import EXIT_PENDING, SECRET_SETTINGS, check_store
from pipelines.runs.manifest import complete_parked_manifest
from pipelines.store.base import StoreUnavailable, spool_dir, store_from_settings
from pipelines.store.spool import Spool, SpoolBusy, ship_parked, ship_warc

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from pipelines.store.base import Store

logger = logging.getLogger("blogarc.upload")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc upload``."""
    upload = commands.add_parser(
        "upload", help="ship files left in the local spool to the store", description=__doc__.split("\n\n")[1]
    )
    upload.set_defaults(func=upload_command)
    upload.add_argument("--store", required=True, help="the store the crawl wrote to (folder, file:// or s3://)")
    upload.add_argument("--spool", help="the spool folder (default: the store's folder under ~/.cache/blogarc)")
    upload.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting (repeatable)"
    )
    upload.add_argument("-L", "--loglevel", default="INFO", help="log level (default INFO)")


def upload_settings(args: argparse.Namespace) -> Settings:
    """Blogarc's settings with the store, spool and ``-s`` overrides (credentials go to boto3's environment)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_STORE", args.store, priority="cmdline")
    if args.spool:
        settings.set("ARCHIVE_SPOOL_DIR", args.spool, priority="cmdline")
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"blogarc: -s expects NAME=VALUE, got {pair!r}")
        if name.strip() in SECRET_SETTINGS:
            os.environ[name.strip()] = value
        else:
            settings.set(name.strip(), value, priority="cmdline")
    return settings


def upload_command(args: argparse.Namespace) -> int:
    """Ship the spool; returns the exit status."""
    logging.basicConfig(level=args.loglevel.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    settings = upload_settings(args)
    check_store(settings, "blogarc upload")
    store = store_from_settings(settings)
    spool = Spool(spool_dir(settings, store))
    started = time.time()
    shipped, left = 0, []
    for site in spool.sites():
        try:
            lock = spool.lock(site)
        except SpoolBusy as exc:
            print(f"skipped {site}: {exc}", file=sys.stderr)
            left += spool.pending(site)
            continue
        try:
            shipped += ship_site(store, spool, site, started, settings.getint("ARCHIVE_UPLOAD_CONCURRENCY", 2))
        except StoreUnavailable as exc:
            print(f"blogarc upload: the store is unavailable ({exc})", file=sys.stderr)
        finally:
            lock.close()
        left += spool.pending(site)
    left += [key for _, key in spool.parked() if key not in left]
    print(f"{shipped} file(s) shipped to {store.uri}; {len(left)} still pending in {spool.root}")
    for key in left:
        print(f"  pending: {key}")
    return EXIT_PENDING if left else 0


def ship_site(store: Store, spool: Spool, site: str, started: float, concurrency: int) -> int:
    """Ship one site's WARCs, parked text batches and manifests; returns how many files reached the store.

    Raises:
        StoreUnavailable: when the store goes away; what was not shipped stays in the spool.
    """
    for prefix in (f"warc/{site}/", f"text/{site}/"):
        try:
            if aborted := store.abort_incomplete(prefix.rstrip("/"), started):
                logger.warning("Aborted %d unfinished upload(s) under %s", aborted, prefix)
        except StoreUnavailable:
            raise
        except Exception as exc:  # e.g. no permission to list uploads: a clean-up, not a reason to stop
            logger.warning("Could not look for unfinished uploads under %s: %s", prefix, exc)
    files, _ = spool.leftover_warcs(site)
    shipped = 0
    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        for path, result in zip(files, pool.map(lambda p: _try(ship_warc, store, p, site), files), strict=True):
            shipped += _report(path, result)
    for path, key in spool.parked(f"text/{site}/") + spool.parked(f"runs/{site}/"):
        if key.startswith("runs/"):
            done = complete_parked_manifest(store, path, key)
            logger.info("%s %s", "Stored" if done else "Kept (files still pending)", store.uri_for(key))
            shipped += done
        else:
            shipped += _report(path, _try(ship_parked, store, path, key))
    return shipped


def _try(ship: object, *args: object) -> object:
    """Run one shipment; a ``StoreUnavailable`` stops the whole run, other errors are returned to report."""
    try:
        return ship(*args)  # type: ignore[operator]
    except StoreUnavailable:
        raise
    except Exception as exc:  # reported per file, the file stays in the spool
        return exc


def _report(path: Path, result: object) -> int:
    if isinstance(result, Exception):
        logger.error("Could not ship %s: %s", path.name, result)
        return 0
    for obj, _kind in result if isinstance(result, list) else [(result, "")]:
        logger.info("Stored %s (%d bytes, sha256 %s)", obj.key, obj.size, obj.sha256[:16])
    return 1
