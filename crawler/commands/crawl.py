"""``blogarc crawl``: archive blogs.

``blogarc crawl URL [URL ...] [--store DIR|s3://bucket/prefix] [-s NAME=VALUE ...]`` runs one Scrapy crawler per
blog, all in one process and one run id, with the settings of ``crawler/settings.py`` (the same ones ``scrapy
crawl blog`` uses). ``-s`` overrides any Scrapy or blogarc setting, as with ``scrapy crawl``.

``--sites FILE`` gives many blogs; at most ``--concurrent-sites N`` (``ARCHIVE_CONCURRENT_SITES``) crawl at once,
the others wait in the file's order (``crawler/runner.py``), and a job manifest (``runs/_job/{run_id}.json``) sums
them up. ``--site-timeout SECONDS`` bounds each blog's crawl (``CLOSESPIDER_TIMEOUT``).

Seeds are checked before anything runs: one that is not a web URL, or that carries credentials
(``http://user:password@host/``: blogarc does not log in, and they would reach logs, manifests and WARC request
records), stops the command with one line and exit status 1. A blog's requisites, redirects and robots.txt
look-ups never reach loopback, private or link-local addresses other than the seed's own (``crawler/targets.py``)
unless ``--allow-private``. ``--explain URL`` says whether and why a URL would be fetched (``crawler/explain.py``),
without contacting a host the rules refuse.

The store is checked first: a configuration error (no such bucket, access denied, bad credentials) stops here with
one line and exit status 2; an unreachable store does not stop the crawl, which goes on into the local spool.

Each blog ends with a status, in its run manifest and its summary line: ``finished``; ``unreachable`` (no HTTP
answer at all: DNS failure, connection refused, TLS error, timeouts); ``failed`` (answers, but only errors);
``timeout`` (its ``--site-timeout`` stopped it); ``interrupted`` (stopped otherwise, or files wait in the spool);
``not started``. Exit status, the first that applies:

- 2: the store's configuration is wrong;
- 1: a blog did not finish (interrupted, not started, its lock held by another run);
- 3: a blog was unreachable, failed or timed out (the other blogs were crawled);
- 75 (``EX_TEMPFAIL``): every blog finished but files wait in the spool (the summary names them; ``blogarc
  upload`` or the next crawl ships them);
- 0: every blog finished and everything reached the store.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrapy.settings import Settings

from crawler.admission import seed_refusal
from crawler.explain import explain
from crawler.progress import human_bytes
from crawler.runner import NOT_STARTED, JobRunner, SiteResult
from pipelines import __version__
from pipelines.layout import check_run_id, new_run_id, site_key
from pipelines.runs.manifest import FAILURE_STATUSES, FINISHED, INTERRUPTED
from pipelines.services import Services
from pipelines.store.base import StoreConfigError, StoreUnavailable
from pipelines.store.shipper import FINISHED_REASONS

SECRET_SETTINGS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
EXIT_NOT_FINISHED, EXIT_CONFIG, EXIT_SITE_FAILED, EXIT_PENDING = 1, 2, 3, 75


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc crawl``."""
    crawl = commands.add_parser("crawl", help="crawl blogs into the store", description=crawl_help())
    crawl.set_defaults(func=crawl_command)
    crawl.add_argument("urls", nargs="*", metavar="URL", help="blog home page (https:// assumed)")
    crawl.add_argument(
        "--sites",
        type=Path,
        help="file with one blog URL a line, optionally followed by NAME=VALUE settings for "
        "that blog ('#' starts a comment)",
    )
    crawl.add_argument(
        "--concurrent-sites",
        type=int,
        metavar="N",
        help="crawl at most N blogs at once; the others wait in order (ARCHIVE_CONCURRENT_SITES)",
    )
    crawl.add_argument(
        "--site-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a blog's crawl after this long; it ends as 'timeout' (CLOSESPIDER_TIMEOUT)",
    )
    crawl.add_argument("--store", help="folder, file:// or s3:// URI (default: ./archive, setting ARCHIVE_STORE)")
    crawl.add_argument("--spool", help="local folder for WARCs before they reach the store (ARCHIVE_SPOOL_DIR)")
    crawl.add_argument("--run-id", help="id of this run (default: a new time-sortable id)")
    crawl.add_argument("--contact", help="contact URL put in the User-Agent")
    crawl.add_argument("--max-pages", type=int, help="fetch at most this many pages a blog (ARCHIVE_MAX_PAGES)")
    crawl.add_argument("--max-depth", type=int, help="follow links at most this deep (DEPTH_LIMIT)")
    crawl.add_argument("--since", help="only posts published or modified since this ISO date (ARCHIVE_SINCE)")
    crawl.add_argument("--no-extract", action="store_true", help="archive only, no clean text")
    crawl.add_argument("--no-requisites", action="store_true", help="skip stylesheets, scripts, images, fonts")
    mode = crawl.add_mutually_exclusive_group()
    mode.add_argument(
        "--incremental",
        action="store_true",
        help="the default when the store holds crawl state for the blog: conditional requests, revisit records "
        "for unchanged pages, text records only for new and changed posts (ARCHIVE_INCREMENTAL)",
    )
    mode.add_argument("--full", action="store_true", help="capture every body again, ignoring the crawl state")
    crawl.add_argument(
        "--revalidate-every",
        type=int,
        metavar="N",
        help="every N runs, ask for every known page instead of trusting sitemap and REST dates "
        "(ARCHIVE_REVALIDATE_EVERY)",
    )
    crawl.add_argument(
        "--explain",
        metavar="URL",
        help="print whether and why URL would be fetched (scope, trap rules, internal targets, robots.txt), then exit",
    )
    crawl.add_argument(
        "--allow-private",
        action="store_true",
        help="fetch loopback, private and link-local addresses other than the seed's own, which a blog's "
        "requisites, redirects and robots.txt look-ups may not reach otherwise (ARCHIVE_ALLOW_PRIVATE)",
    )
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


def read_sites(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Blogs of a sites file: ``URL [NAME=VALUE ...]`` a line; blank lines and ``#`` comments ignored.

    The settings after a URL apply to that blog only (politeness: ``DOWNLOAD_DELAY=2``,
    ``CONCURRENT_REQUESTS_PER_DOMAIN=1``...).
    """
    sites = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:  # blank line or comment
            continue
        url, *pairs = words
        overrides = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        if len(overrides) != len(pairs):
            raise SystemExit(f"blogarc crawl: {path}:{number}: expected URL [NAME=VALUE ...], got {line!r}")
        sites.append((url, overrides))
    return sites


def crawl_settings(args: argparse.Namespace) -> Settings:
    """Blogarc's settings, then the command line's options, then ``-s`` overrides (which win)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    chosen = {
        "ARCHIVE_STORE": args.store,
        "ARCHIVE_SPOOL_DIR": args.spool,
        "ARCHIVE_MAX_PAGES": args.max_pages,
        "DEPTH_LIMIT": args.max_depth,
        "ARCHIVE_SINCE": args.since,
        "EXTRACT_ENABLED": False if args.no_extract else None,
        "ARCHIVE_REQUISITES": False if args.no_requisites else None,
        "LOG_LEVEL": args.loglevel,
        "ARCHIVE_INCREMENTAL": False if args.full else (True if args.incremental else None),
        "ARCHIVE_REVALIDATE_EVERY": args.revalidate_every,
        "ARCHIVE_CONCURRENT_SITES": args.concurrent_sites,
        "CLOSESPIDER_TIMEOUT": args.site_timeout,
        "ARCHIVE_ALLOW_PRIVATE": True if args.allow_private else None,
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
    sites = [(url, {}) for url in args.urls] + (read_sites(args.sites) if args.sites else [])
    settings = crawl_settings(args)
    for url in [url for url, _ in sites] + ([args.explain] if args.explain else []):
        if (problem := seed_refusal(url)) is not None:  # before anything else can log or store the URL
            raise SystemExit(f"blogarc crawl: {problem}")
    if args.explain:
        print(explain(args.explain, sites[0][0] if sites else args.explain, settings))
        return 0
    if not sites:
        raise SystemExit("blogarc crawl: give at least one blog URL (or --sites FILE)")
    for url, _ in sites:
        try:
            site_key(url if "://" in url else f"https://{url}")
        except ValueError as exc:
            raise SystemExit(f"blogarc crawl: {exc}") from None
    services = check_store(settings, "blogarc crawl")
    runner = JobRunner(settings, services, sites, settings.getint("ARCHIVE_CONCURRENT_SITES"))
    try:
        results = runner.run()
    finally:
        services.close()
    status = print_summary(results, services)
    if len(results) > 1:
        print(f"job manifest {runner.write_job_manifest(results)}")
    return status


def check_store(settings: Settings, command: str) -> Services:
    """The job's services, with the store checked.

    A configuration error ends the command with one clear line and exit status 2; an unreachable store is a
    warning (the crawl goes on into the spool).
    """
    try:
        services = Services.from_settings(settings)
        services.check_store()
    except (ValueError, StoreConfigError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except StoreUnavailable as exc:
        print(f"{command}: warning: the store is unreachable ({exc}); files wait in the local spool", file=sys.stderr)
    return services


def print_summary(results: list[SiteResult], services: Services) -> int:
    """One line per blog, and the files still waiting in the spool; returns the exit status."""
    store, spool = services.store, services.spool
    waiting = False
    for result in results:
        # the manifest named what it left in the spool; look there only then, or when no manifest says (each
        # look scans the whole spool: once per blog, a job of 1,000 blogs would spend minutes on it)
        pending = spool.pending(result.site) if result.files_pending or not result.manifest else []
        waiting = waiting or bool(pending)
        print(
            f"{result.site}: {summary_word(result, pending)} ({result.finish_reason}); {result.pages} responses, "
            f"{result.records} text records, {result.warc_files} WARC files ({human_bytes(result.bytes)}), "
            f"{len(pending)} files pending; manifest {result.manifest or 'none'}"
        )
        if pending:
            print(f"  pending in {spool.root}: {', '.join(pending)}")
            print(f"  ship them with: blogarc upload --store {store.uri} --spool {spool.root}")
    return exit_status(results, waiting)


def summary_word(result: SiteResult, pending: list[str]) -> str:
    """``ok``, the failure status (``unreachable``, ``failed``, ``timeout``), or ``INCOMPLETE``."""
    if result.status in FAILURE_STATUSES:
        return result.status
    return "ok" if result.status == FINISHED and not pending else "INCOMPLETE"


def exit_status(results: list[SiteResult], pending: bool) -> int:
    """The job's exit status (the module docstring lists the codes)."""
    if any(result.finish_reason == "store_config_error" for result in results):
        return EXIT_CONFIG
    if any(
        result.status in (INTERRUPTED, NOT_STARTED) and result.finish_reason not in FINISHED_REASONS
        for result in results
    ):
        return EXIT_NOT_FINISHED
    if any(result.status in FAILURE_STATUSES for result in results):
        return EXIT_SITE_FAILED
    return EXIT_PENDING if pending else 0
