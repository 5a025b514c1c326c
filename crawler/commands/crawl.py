"""``blogarc crawl``: archive blogs.

``blogarc crawl URL [URL ...] [--store DIR|s3://bucket/prefix] [-s NAME=VALUE ...]`` runs one Scrapy crawler per
blog, all in one process and one run id, with the settings of ``crawler/settings.py`` (the same ones ``scrapy
crawl blog`` uses). ``-s`` overrides any Scrapy or blogarc setting, as with ``scrapy crawl``.

``--sites FILE`` gives many blogs; at most ``--concurrent-sites N`` (``ARCHIVE_CONCURRENT_SITES``) crawl at once,
the others wait in the file's order (``crawler/runner.py``), and a job manifest (``runs/_job/{run_id}.json``) sums
them up. ``--site-timeout SECONDS`` bounds each blog's crawl (``CLOSESPIDER_TIMEOUT``).

Seeds are checked before anything runs: one that is not a web URL, or that carries credentials
(``http://user:password@host/``: blogarc does not log in, and they would reach logs, manifests and WARC request
records), stops the command with one line and exit status 2 (a usage error). A blog's requisites, redirects and
robots.txt look-ups never reach loopback, private or link-local addresses other than the seed's own
(``crawler/targets.py``) unless ``--allow-private``. ``--explain URL`` says whether and why a URL would be fetched
(``crawler/explain.py``), without contacting a host the rules refuse.

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
from scrapy.utils.log import log_scrapy_info

from crawler import logs
from crawler.admission import seed_refusal
from crawler.commands import add_command
from crawler.explain import explain
from crawler.output import run_figures
from crawler.runner import NOT_STARTED, JobRunner, SiteResult
from crawler.sites import Blog, check_sites, read_sites
from crawler.usage import UsageError, blog_url, count, iso_date, seconds, split_setting, typed_settings
from pipelines import __version__
from pipelines.layout import check_run_id, new_run_id, site_key
from pipelines.runs.manifest import FAILURE_STATUSES, FINISHED, INTERRUPTED
from pipelines.services import Services
from pipelines.store.base import StoreConfigError, StoreUnavailable
from pipelines.store.shipper import FINISHED_REASONS

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET_SETTINGS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
EXIT_NOT_FINISHED, EXIT_CONFIG, EXIT_SITE_FAILED, EXIT_PENDING = 1, 2, 3, 75


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc crawl``."""
    crawl = add_command(commands, "crawl", crawl_command, description=crawl_help())
    crawl.add_argument("urls", nargs="*", metavar="URL", help="blog home page (https:// assumed)")
    crawl.add_argument(
        "--sites",
        type=Path,
        help="file with one blog URL a line, optionally followed by NAME=VALUE settings for "
        "that blog ('#' starts a comment)",
    )
    crawl.add_argument(
        "--concurrent-sites",
        type=count(1),
        metavar="N",
        help="crawl at most N blogs at once; the others wait in order (ARCHIVE_CONCURRENT_SITES)",
    )
    crawl.add_argument(
        "--site-timeout",
        type=seconds,
        metavar="SECONDS",
        help="stop a blog's crawl after this long; it ends as 'timeout' (CLOSESPIDER_TIMEOUT)",
    )
    crawl.add_argument("--store", help="folder, file:// or s3:// URI (default: ./archive, setting ARCHIVE_STORE)")
    crawl.add_argument("--spool", help="local folder for WARCs before they reach the store (ARCHIVE_SPOOL_DIR)")
    crawl.add_argument("--run-id", help="id of this run (default: a new time-sortable id)")
    crawl.add_argument("--contact", help="contact URL put in the User-Agent")
    limit = "(0 = no limit)"
    crawl.add_argument(
        "--max-pages", type=count(0), help=f"fetch at most this many pages a blog {limit} (ARCHIVE_MAX_PAGES)"
    )
    crawl.add_argument("--max-depth", type=count(0), help=f"follow links at most this deep {limit} (DEPTH_LIMIT)")
    crawl.add_argument(
        "--since", type=iso_date, help="only posts published or modified since this ISO 8601 date (ARCHIVE_SINCE)"
    )
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
        type=count(0),
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
    add_log_options(crawl)


def add_log_options(parser: argparse.ArgumentParser) -> None:
    """``-L``, ``-v``, ``--log-file``, ``--log-format`` (crawler/logs.py)."""
    parser.add_argument(
        "-L",
        "--loglevel",
        type=str.upper,
        choices=LOG_LEVELS,
        metavar="LEVEL",
        help="log level: DEBUG, INFO (the default; given explicitly, Scrapy's own start-up lines too), WARNING, ERROR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="Scrapy's own INFO lines too (LOG_SCRAPY_INFO)")
    parser.add_argument("--log-file", type=Path, metavar="FILE", help="write the log to FILE (LOG_FILE)")
    parser.add_argument(
        "--log-format", choices=("text", "json"), default=None, help="text (default) or json: one object a line"
    )


def crawl_help() -> str:
    """The long description of ``blogarc crawl``."""
    return (
        "Crawl each blog (everything on its host reachable by links from the home page), archive every HTTP "
        "exchange as WARC, extract the text of posts and pages, and write a run manifest per blog."
    )


def crawl_settings(args: argparse.Namespace) -> tuple[Settings, list[str]]:
    """Blogarc's settings, then the command line's options, then ``-s`` overrides (which win); and warnings.

    Raises:
        UsageError: a ``-s`` that is not NAME=VALUE, or a value that does not fit its setting's type.
    """
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    explicit_level = args.loglevel in ("INFO", "DEBUG")
    chosen = {
        "ARCHIVE_STORE": args.store,
        "ARCHIVE_SPOOL_DIR": args.spool,
        "ARCHIVE_MAX_PAGES": args.max_pages,
        "DEPTH_LIMIT": args.max_depth,
        "ARCHIVE_SINCE": args.since,
        "EXTRACT_ENABLED": False if args.no_extract else None,
        "ARCHIVE_REQUISITES": False if args.no_requisites else None,
        "LOG_LEVEL": args.loglevel,
        "LOG_SCRAPY_INFO": True if args.verbose or explicit_level else None,
        "LOG_FILE": str(args.log_file) if args.log_file else None,
        "LOG_JSON": args.log_format == "json" if args.log_format else None,
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
    given = dict(split_setting(pair) for pair in args.set)
    for name in SECRET_SETTINGS & given.keys():
        # Scrapy logs every overridden setting at start; credentials go to boto3's environment instead.
        os.environ[name] = given.pop(name)
    typed, warnings = typed_settings(given, settings)
    for name, value in typed.items():
        settings.set(name, value, priority="cmdline")
    if str(settings.get("LOG_LEVEL")).upper() not in LOG_LEVELS:
        raise UsageError(f"setting LOG_LEVEL={settings.get('LOG_LEVEL')!r}: expected one of {', '.join(LOG_LEVELS)}")
    settings.set("LOG_LEVEL", str(settings.get("LOG_LEVEL")).upper(), priority=settings.getpriority("LOG_LEVEL"))
    # blogarc crawl logs through crawler/logs.py, installed once for the process
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    try:
        run_id = check_run_id(args.run_id or settings.get("ARCHIVE_RUN_ID") or new_run_id())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings.set("ARCHIVE_RUN_ID", run_id, priority="cmdline")
    if not settings.getbool("DNSCACHE_ENABLED") and not settings.getbool("ARCHIVE_ALLOW_PRIVATE"):
        # crawler.safety checks the address a name resolves to; with no cache the download resolves it again
        warnings.append(
            "DNSCACHE_ENABLED=False: a host name is resolved again after its address was checked, so a name that "
            "changes its address in between (DNS rebinding) can reach an internal address"
        )
    return settings, warnings


def crawl_command(args: argparse.Namespace) -> int:
    """Run the crawl; the exit status is 0 only if every blog finished and everything reached the store."""
    # Scrapy's TLS modules make deprecated class aliases, each reading the source of every frame on the stack
    # (inspect.stack()); imported here, one at a time, rather than deep in the engine's start-up when it loads
    # the download handler, they cost a fraction of that
    import scrapy.core.downloader.tls  # noqa: F401, I001
    import scrapy.core.downloader.contextfactory  # noqa: F401

    blogs = [Blog(blog_url(url), {}) for url in args.urls] + (read_sites(args.sites) if args.sites else [])
    settings, warnings = crawl_settings(args)
    for url in [blog.url for blog in blogs] + ([args.explain] if args.explain else []):
        if (problem := seed_refusal(url)) is not None:  # before anything else can log or store the URL
            raise UsageError(problem)
    if args.explain:
        print(explain(args.explain, blogs[0].url if blogs else blog_url(args.explain), settings))
        return 0
    if not blogs:
        raise UsageError("give at least one blog URL (or --sites FILE)")
    if args.log_file and not args.log_file.parent.is_dir():
        raise UsageError(f"no such folder for the log file: {args.log_file.parent}")
    sites, more = check_sites(blogs, settings)
    for warning in warnings + more:
        print(f"blogarc crawl: {warning}", file=sys.stderr)
    services = check_store(settings, "blogarc crawl")
    runner = JobRunner(settings, services, sites, settings.getint("ARCHIVE_CONCURRENT_SITES"))
    logs.install(settings)
    if settings.getbool("LOG_SCRAPY_INFO"):
        log_scrapy_info(settings)  # CrawlerProcess logged it before blogarc's handler was there
    try:
        results = runner.run()
    finally:
        services.close()
        logs.uninstall()
    status = print_summary(results, services, {url for url in args.urls if "://" not in url})
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


def print_summary(results: list[SiteResult], services: Services, bare: set[str] = frozenset()) -> int:
    """One line per blog, and the files still waiting in the spool; returns the exit status.

    ``bare`` are the blogs given without a scheme (``https://`` was assumed): an unreachable one gets a hint.
    """
    store, spool = services.store, services.spool
    bare_sites = {site_key(f"https://{url}") for url in bare}
    waiting = False
    for result in results:
        # the manifest named what it left in the spool; look there only then, or when no manifest says (each
        # look scans the whole spool: once per blog, a job of 1,000 blogs would spend minutes on it)
        pending = spool.pending(result.site) if result.files_pending or not result.manifest else []
        waiting = waiting or bool(pending)
        figures = run_figures(result.pages, result.records, result.warc_files, result.bytes)
        print(
            f"{result.site}: {summary_word(result, pending)} ({result.finish_reason}); {figures}, "
            f"{len(pending)} files pending; manifest {result.manifest or 'none'}"
        )
        if result.seed_failure:
            print(f"  its seed {result.url} failed ({result.seed_failure}): the other pages do not make it a crawl")
        if result.status in FAILURE_STATUSES and result.site in bare_sites and result.url.startswith("https://"):
            print(f"  https:// was assumed for {result.url[8:]}: give http://{result.url[8:]} if it has no TLS")
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
