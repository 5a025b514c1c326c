"""``blogarc crawl``: archive blogs.

``blogarc crawl URL [URL ...] [--store DIR|s3://bucket/prefix] [-s NAME=VALUE ...]`` runs one Scrapy crawler per
blog, all in one process and one run id, with the settings of ``crawler/settings.py`` (the same ones ``scrapy
crawl blog`` uses). ``-s`` overrides any Scrapy or blogarc setting, as with ``scrapy crawl``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.progress import human_bytes
from crawler.spiders.blog import BlogSpider
from pipelines import __version__
from pipelines.layout import check_run_id, manifest_key, new_run_id, site_key
from pipelines.stores import store_from_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


SECRET_SETTINGS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc crawl``."""
    crawl = commands.add_parser("crawl", help="crawl blogs into the store", description=crawl_help())
    crawl.set_defaults(func=crawl_command)
    crawl.add_argument("urls", nargs="*", metavar="URL", help="blog home page (https:// assumed)")
    crawl.add_argument("--sites", type=Path, help="file with one blog URL a line ('#' starts a comment)")
    crawl.add_argument("--store", help="folder, file:// or s3:// URI (default: ./archive, setting ARCHIVE_STORE)")
    crawl.add_argument("--spool", help="local folder for WARCs before they reach the store (ARCHIVE_SPOOL_DIR)")
    crawl.add_argument("--run-id", help="id of this run (default: a new time-sortable id)")
    crawl.add_argument("--contact", help="contact URL put in the User-Agent")
    crawl.add_argument("--max-pages", type=int, help="stop each blog after this many responses")
    crawl.add_argument("--no-extract", action="store_true", help="archive only, no clean text")
    crawl.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting (repeatable)"
    )
    crawl.add_argument("-L", "--loglevel", help="log level (default INFO)")


def crawl_help() -> str:
    """The long description of ``blogarc crawl``."""
    return (
        "Crawl each blog (everything on its host reachable by links from the home page), archive every HTTP "
        "exchange as WARC, extract the text of posts and pages, and write a run manifest per blog."
    )


def read_sites(path: Path) -> list[str]:
    """Blog URLs from a sites file: one a line, blank lines and ``#`` comments ignored."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def crawl_settings(args: argparse.Namespace) -> Settings:
    """Blogarc's settings, then the command line's options, then ``-s`` overrides (which win)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    chosen = {
        "ARCHIVE_STORE": args.store,
        "ARCHIVE_SPOOL_DIR": args.spool,
        "CLOSESPIDER_PAGECOUNT": args.max_pages,
        "EXTRACT_ENABLED": False if args.no_extract else None,
        "LOG_LEVEL": args.loglevel,
    }
    if args.contact:
        chosen["USER_AGENT"] = f"blogarc/{__version__} (+{args.contact})"
    for name, value in chosen.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    for pair in args.set:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SystemExit(f"blogarc: -s expects NAME=VALUE, got {pair!r}")
        if name in SECRET_SETTINGS:
            # Scrapy logs every overridden setting at start; credentials go to boto3's environment instead.
            os.environ[name] = value
            continue
        settings.set(name, value, priority="cmdline")
    run_id = args.run_id or settings.get("ARCHIVE_RUN_ID") or new_run_id()
    settings.set("ARCHIVE_RUN_ID", check_run_id(run_id), priority="cmdline")
    return settings


def crawl_command(args: argparse.Namespace) -> int:
    """Run the crawl; the exit status is 0 only if every blog finished and everything reached the store."""
    urls = list(args.urls) + (read_sites(args.sites) if args.sites else [])
    if not urls:
        raise SystemExit("blogarc crawl: give at least one blog URL (or --sites FILE)")
    for url in urls:
        try:
            site_key(url if "://" in url else f"https://{url}")
        except ValueError as exc:
            raise SystemExit(f"blogarc crawl: {exc}") from None
    settings = crawl_settings(args)
    try:
        store_from_settings(settings)
    except ValueError as exc:
        raise SystemExit(f"blogarc crawl: {exc}") from None
    process = CrawlerProcess(settings)
    crawlers = []
    for url in urls:
        crawler = process.create_crawler(BlogSpider)
        process.crawl(crawler, url=url)
        crawlers.append(crawler)
    process.start()
    return print_summary(crawlers, settings)


def print_summary(crawlers: list[Crawler], settings: Settings) -> int:
    """One line per blog; returns the exit status."""
    status = 0
    run_id = settings.get("ARCHIVE_RUN_ID")
    for crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        site = getattr(crawler.spider, "site", None) or "?"
        pending = stats.get("warc/files_pending", 0)
        ok = stats.get("finish_reason") in ("finished", "closespider_pagecount") and not pending
        status = status if ok else 1
        print(
            f"{site}: {'ok' if ok else 'INCOMPLETE'} ({stats.get('finish_reason', 'not started')}); "
            f"{stats.get('response_received_count', 0)} responses, {stats.get('extract/ok', 0)} text records, "
            f"{stats.get('warc/files_stored', 0)} WARC files ({human_bytes(stats.get('warc/bytes', 0))}), "
            f"{pending} WARC files pending; manifest {manifest_key(site, run_id)}"
        )
    return status
