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
from typing import TYPE_CHECKING

from scrapy.settings import Settings

from crawler.commands import add_command
from crawler.commands.crawl import EXIT_PENDING, LOG_LEVELS, SECRET_SETTINGS, check_store
from crawler.usage import UsageError, split_setting, typed_settings
from pipelines.services import Services
from pipelines.store.base import StoreUnavailable
from pipelines.store.spool import SpoolBusy

if TYPE_CHECKING:
    import argparse

    from pipelines.store.shipper import Shipper

logger = logging.getLogger("blogarc.upload")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc upload``."""
    upload = add_command(commands, "upload", upload_command, description=__doc__.split("\n\n")[1])
    upload.add_argument("--store", required=True, help="the store the crawl wrote to (folder, file:// or s3://)")
    upload.add_argument("--spool", help="the spool folder (default: the store's folder under ~/.cache/blogarc)")
    upload.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting (repeatable)"
    )
    upload.add_argument(
        "-L", "--loglevel", type=str.upper, choices=LOG_LEVELS, default="INFO", metavar="LEVEL", help="log level"
    )


def upload_settings(args: argparse.Namespace) -> Settings:
    """Blogarc's settings with the store, spool and ``-s`` overrides (credentials go to boto3's environment)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_STORE", args.store, priority="cmdline")
    if args.spool:
        settings.set("ARCHIVE_SPOOL_DIR", args.spool, priority="cmdline")
    given = dict(split_setting(pair) for pair in args.set)
    for name in SECRET_SETTINGS & given.keys():
        os.environ[name] = given.pop(name)
    typed, warnings = typed_settings(given, settings)
    for warning in warnings:
        print(f"blogarc upload: {warning}", file=sys.stderr)
    settings.setdict(typed, priority="cmdline")
    return settings


def upload_command(args: argparse.Namespace) -> int:
    """Ship the spool; returns the exit status."""
    logging.basicConfig(level=args.loglevel.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    settings = upload_settings(args)
    try:
        waiting = Services.from_settings(settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not waiting.spool.sites() and not waiting.spool.parked():
        # nothing to ship: the store is not even checked (a mistyped --store is not created)
        print(f"nothing waits in {waiting.spool.root} for {waiting.store.uri}")
        return 0
    services = check_store(settings, "blogarc upload")
    shipper, spool = services.shipper, services.spool
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
            shipped += ship_site(shipper, site, started, settings.getint("ARCHIVE_UPLOAD_CONCURRENCY", 2))
        except StoreUnavailable as exc:
            print(f"blogarc upload: the store is unavailable ({exc})", file=sys.stderr)
        finally:
            lock.close()
        left += spool.pending(site)
    left += [key for _, key in spool.parked() if key not in left]
    print(f"{shipped} file(s) shipped to {services.store.uri}; {len(left)} still pending in {spool.root}")
    for key in left:
        print(f"  pending: {key}")
    return EXIT_PENDING if left else 0


def ship_site(shipper: Shipper, site: str, started: float, concurrency: int) -> int:
    """Ship one site's WARCs, text batches and manifests (the shipper's order); returns how many files it stored.

    Raises:
        StoreUnavailable: when the store goes away; what was not shipped stays in the spool.
    """
    shipper.abort_unfinished(site, started)
    result = shipper.ship_site(site, concurrency)
    for obj in result.stored:
        logger.info("Stored %s (%d bytes, sha256 %s)", obj.key, obj.size, obj.sha256[:16])
    for name, exc in result.failed:
        logger.error("Could not ship %s: %s", name, exc)
        if isinstance(exc, StoreUnavailable):
            raise exc
    return len(result.stored)
