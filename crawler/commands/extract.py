"""``blogarc extract`` and ``blogarc extract-html``: clean text from the archive, without crawling.

``blogarc extract WARC_OR_STORE… --out DIR_OR_URI`` re-extracts every archived post and page (WARC files, folders
of them, or stores given by URI: every WARC under ``warc/``) and writes clean-text records with the crawl's schema
and ``warc`` pointers to ``text/{site}/{run_id}/`` in the output store. ``blogarc extract-html FILE|-`` prints the
text of one saved page.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from scrapy.settings import Settings

from crawler.commands import add_command
from crawler.usage import UsageError, count
from crawler.wordpress import canonical_url, classify_page
from pipelines.archive.catalog import holds_archive, pick_sites
from pipelines.extract.core import extract_post
from pipelines.extract.missing import rebuild_missing
from pipelines.extract.rerun import (
    Exchange,
    ExtractRun,
    Reextraction,
    decode,
    file_exchanges,
    run_records,
    store_exchanges,
)
from pipelines.layout import check_run_id, new_run_id, site_key
from pipelines.services import Services
from pipelines.store.base import open_store


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc extract`` and ``blogarc extract-html``."""
    extract = add_command(commands, "extract", extract_command, description=__doc__.split("\n\n")[1])
    extract.add_argument("sources", nargs="+", metavar="WARC_OR_STORE", help="WARC file, folder, or store URI")
    extract.add_argument("--out", help="output store: folder, file:// or s3:// URI (with --missing: the store)")
    extract.add_argument(
        "--missing",
        action="store_true",
        help="rebuild the text records the store's crawl state says exist but the store lacks (blogarc verify names "
        "them), with their original run ids: blogarc extract --missing STORE [--site SITE]",
    )
    extract.add_argument("--site", help="with --missing: only this site (its key or host)")
    extract.add_argument("--run-id", help="id of this run (default: a new time-sortable id)")
    extract.add_argument("--favor-precision", action="store_true", help="trafilatura's precision mode")
    extract.add_argument(
        "--workers", type=count(-1), default=-1, help="extraction processes (default: one per core; 0 = this process)"
    )
    html = add_command(commands, "extract-html", extract_html_command)
    html.add_argument("file", help="HTML file, or - for standard input")
    html.add_argument("--url", help="the page's URL (for relative links and metadata)")


def sources(names: list[str]) -> Iterator[Exchange]:
    """Archived HTML responses from every source: local paths, or stores given by URI."""
    local = [Path(name) for name in names if "://" not in name and Path(name).exists()]
    stores = [open_store(name) for name in names if "://" in name]
    return chain(file_exchanges(local), *(store_exchanges(store) for store in stores))


def extract_command(args: argparse.Namespace) -> int:
    """Re-extract; prints what was written and the ``extract/*`` counts. Exit status 1 when nothing was written."""
    if args.missing:
        return missing_command(args)
    if not args.out:
        raise UsageError("--out is required (the store the records go to)")
    try:
        run_id = check_run_id(args.run_id or new_run_id())
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        settings.set("ARCHIVE_STORE", args.out, priority="cmdline")
        if args.workers >= 0:
            settings.set("EXTRACT_WORKERS", args.workers, priority="cmdline")
        if args.favor_precision:
            settings.set("TRAFILATURA_FAVOR_PRECISION", True, priority="cmdline")
        services = Services.from_settings(settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    missing = [name for name in args.sources if "://" not in name and not Path(name).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    job = Reextraction(run_id, classify_page, canonical_url, services.extract_options)
    out = ExtractRun(
        services.shipper,
        run_id,
        list(args.sources),
        settings.getint("TEXT_BATCH_ITEMS"),
        settings.getbool("TEXT_PARQUET"),
    )
    try:
        asyncio.run(_write(job, sources(args.sources), services, out))
    finally:
        services.close()
    keys = out.finish(job.stats)
    for key in keys:
        print(services.store.uri_for(key))
    counts = ", ".join(f"{name} {value}" for name, value in sorted(job.stats.items()))
    print(f"run {run_id}: {job.stats['extract/ok']} text records in {len(keys)} files ({counts or 'no pages'})")
    return 0 if keys else 1


async def _write(job: Reextraction, found: Iterator[Exchange], services: Services, out: ExtractRun) -> None:
    async for record in run_records(job, found, services.pool()):
        out.add(record)


def missing_command(args: argparse.Namespace) -> int:
    """``--missing``: rebuild what the store lacks; exit status 1 when records are still missing afterwards."""
    if len(args.sources) != 1 or (args.out and args.out != args.sources[0]):
        raise UsageError("--missing takes one store (blogarc extract --missing STORE)")
    try:
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        settings.set("ARCHIVE_STORE", args.sources[0], priority="cmdline")
        settings.set("TRAFILATURA_FAVOR_PRECISION", args.favor_precision, priority="cmdline")
        services = Services.from_settings(settings)
        run_id = check_run_id(args.run_id or new_run_id())
        if not holds_archive(services.store):
            raise UsageError(f"no archive at {services.store.uri} (nothing under runs/, warc/ or text/)")
        sites = pick_sites(services.store, site_key(args.site) if args.site else None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    job = Reextraction(run_id, classify_page, canonical_url, services.extract_options)
    still = 0
    for site in sites:
        left, stored = rebuild_missing(job, services.shipper, site)
        for obj in stored:
            print(services.store.uri_for(obj.key))
        for url in left:
            print(f"{site}: still missing: {url}", file=sys.stderr)
        still += len(left)
    print(f"run {run_id}: {job.stats['extract/ok']} text records rebuilt; {still} still missing")
    return 1 if still else 0


def extract_html_command(args: argparse.Namespace) -> int:
    """Print the text of one page (nothing when it has no main text)."""
    try:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    _, tree = decode(body)
    extracted = extract_post(tree, args.url) if tree is not None else None
    if extracted is not None:
        sys.stdout.write(extracted.text + "\n")
    return 0
