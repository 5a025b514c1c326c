"""``blogarc enqueue``, ``blogarc worker``, ``blogarc jobs``: crawl jobs on many machines through Redis.

``blogarc enqueue --redis URL --sites FILE [--run-id ID] [--store URI] [-s NAME=VALUE ...]`` puts a job's blogs in
Redis (the crawl options a job takes, ``--full``, ``--max-pages``..., apply to each of its blogs).
``blogarc worker --redis URL --store URI [--concurrent-sites N] [--lease SECONDS] [--burst]`` claims blogs and
crawls them into the store, as ``blogarc crawl`` would (``crawler/distributed/worker.py``). ``blogarc jobs --redis
URL [RUN_ID]`` shows jobs: blogs waiting, running (on which worker), done, failed. The URL may come from
``BLOGARC_REDIS_URL`` instead (keeping a password out of ``ps``); it is never logged with its credentials.

Exit status: 0; 2 for a bad option, sites file, Redis URL or store configuration; 69 (``EX_UNAVAILABLE``) when
Redis cannot be reached at start (one line says so). A worker stopped by SIGTERM or Ctrl-C gives its blogs back
and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.admission import seed_refusal
from crawler.commands.crawl import SECRET_SETTINGS, check_store, crawl_settings, read_sites
from crawler.distributed.connection import RedisUnavailable, connect, redact, redis_url
from crawler.usage import UsageError, blog_url
from pipelines.layout import check_run_id, new_run_id, site_key

if TYPE_CHECKING:
    import redis
    from scrapy.settings import Settings

EXIT_CONFIG, EXIT_REDIS = 2, 69
DEFAULT_LEASE = 60.0
# crawl options a job gives each of its blogs (the names of ``blogarc crawl``'s options)
JOB_OPTIONS = ("max_pages", "max_depth", "since", "no_extract", "no_requisites", "full", "incremental")
JOB_OPTIONS += ("revalidate_every", "site_timeout")
# settings of crawl_settings that belong to the worker or the enqueueing, not to the job
NOT_JOB_SETTINGS = ("ARCHIVE_RUN_ID", "ARCHIVE_STORE", "ARCHIVE_SPOOL_DIR", "LOG_LEVEL", "ARCHIVE_CONCURRENT_SITES")
WORKER_COMPONENTS = {
    "SCHEDULER": "crawler.distributed.components.FrontierScheduler",
    "DOWNLOADER_MIDDLEWARES": ("crawler.distributed.components.FrontierDownloads", 1),
    "SPIDER_MIDDLEWARES": ("crawler.distributed.components.FrontierPages", 5),
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc enqueue``, ``blogarc worker`` and ``blogarc jobs``."""
    enqueue = commands.add_parser("enqueue", help="put a crawl job's blogs in Redis for workers to crawl")
    enqueue.set_defaults(func=enqueue_command)
    _redis_option(enqueue)
    enqueue.add_argument("urls", nargs="*", metavar="URL", help="blog home page (https:// assumed)")
    enqueue.add_argument("--sites", type=Path, help="sites file, as for blogarc crawl: URL [NAME=VALUE ...] a line")
    enqueue.add_argument("--run-id", help="the job's run id (default: a new time-sortable id)")
    enqueue.add_argument("--store", help="only workers of this store take the job (default: any worker)")
    enqueue.add_argument("--max-attempts", type=int, default=5, help="claims of one blog before it fails (5)")
    enqueue.add_argument("--max-pages", type=int, help="fetch at most this many pages a blog")
    enqueue.add_argument("--max-depth", type=int, help="follow links at most this deep")
    enqueue.add_argument("--since", help="only posts published or modified since this ISO date")
    enqueue.add_argument("--site-timeout", type=float, metavar="SECONDS", help="stop a blog's crawl after this long")
    enqueue.add_argument("--no-extract", action="store_true", help="archive only, no clean text")
    enqueue.add_argument("--no-requisites", action="store_true", help="skip stylesheets, scripts, images, fonts")
    mode = enqueue.add_mutually_exclusive_group()
    mode.add_argument("--incremental", action="store_true", help="incremental when state exists (the default)")
    mode.add_argument("--full", action="store_true", help="capture every body again, ignoring the crawl state")
    enqueue.add_argument("--revalidate-every", type=int, metavar="N", help="every N runs, ask for every known page")
    _set_option(enqueue, "a setting for every blog of the job (repeatable)")

    worker = commands.add_parser("worker", help="crawl blogs from the queue in Redis into the store")
    worker.set_defaults(func=worker_command)
    _redis_option(worker)
    worker.add_argument("--store", help="folder, file:// or s3:// URI (default ./archive); the same on every worker")
    worker.add_argument("--spool", help="local folder for files before they reach the store (ARCHIVE_SPOOL_DIR)")
    worker.add_argument("--concurrent-sites", type=int, metavar="N", help="crawl at most N blogs at once (64)")
    worker.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE,
        metavar="SECONDS",
        help=f"a blog's lease, renewed while the worker lives; a dead worker's blogs are taken over when it "
        f"expires ({DEFAULT_LEASE:.0f})",
    )
    worker.add_argument("--burst", action="store_true", help="exit once no blog is waiting or held by a live worker")
    worker.add_argument("--contact", help="contact URL put in the User-Agent")
    _set_option(worker, "override a setting (repeatable)")
    worker.add_argument("-L", "--loglevel", help="log level (default INFO)")

    jobs = commands.add_parser("jobs", help="show the crawl jobs in Redis: blogs waiting, running, done, failed")
    jobs.set_defaults(func=jobs_command)
    _redis_option(jobs)
    jobs.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the job to show (default: the newest)")
    jobs.add_argument("--json", action="store_true", help="the job as JSON")
    jobs.add_argument("--forget", action="store_true", help="delete the job (RUN_ID) from Redis")


def _redis_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis", metavar="URL", help="redis://[:PASSWORD@]HOST[:PORT]/DB (or BLOGARC_REDIS_URL)")


def _set_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help=text)


def open_redis(args: argparse.Namespace, command: str) -> redis.Redis:
    """The checked Redis client, or one line and the documented exit status."""
    try:
        return connect(redis_url(args.redis))
    except ValueError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except RedisUnavailable as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_REDIS) from None


def _crawl_namespace(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with every attribute ``crawl_settings`` reads (those the command has not are unset)."""
    names = ("store", "spool", "max_pages", "max_depth", "since", "loglevel", "revalidate_every", "contact")
    defaults: dict[str, Any] = dict.fromkeys(names + ("concurrent_sites", "site_timeout", "run_id"))
    defaults |= {"no_extract": False, "no_requisites": False, "full": False, "incremental": False, "set": []}
    defaults |= {"verbose": False, "log_file": None, "log_format": "text", "allow_private": False, "explain": None}
    return argparse.Namespace(**{**defaults, **vars(args)})


# --- enqueue ---------------------------------------------------------------------------------------------------


def job_settings(args: argparse.Namespace) -> dict[str, str]:
    """The settings a job gives each of its blogs: its crawl options and ``-s`` pairs (never credentials)."""
    for pair in args.set:
        if pair.partition("=")[0].strip() in SECRET_SETTINGS:
            raise SystemExit(f"blogarc enqueue: {pair.partition('=')[0]} would be stored in Redis; give it to workers")
    settings, warnings = crawl_settings(_crawl_namespace(args))
    for warning in warnings:
        print(f"blogarc enqueue: {warning}", file=sys.stderr)
    return {
        name: str(settings[name])
        for name in settings
        if (settings.getpriority(name) or 0) >= 40 and name not in NOT_JOB_SETTINGS
    }


def enqueue_command(args: argparse.Namespace) -> int:
    """Put the job in the queue; prints its run id."""
    from crawler.distributed.jobs import JobExists, JobQueue  # noqa: PLC0415 - redis only for these commands

    listed = [(blog.url, blog.overrides) for blog in read_sites(args.sites)] if args.sites else []
    sites = [(blog_url(url), {}) for url in args.urls] + listed
    if not sites:
        raise SystemExit("blogarc enqueue: give blog URLs or --sites FILE")
    entries = []
    for url, overrides in sites:
        if (problem := seed_refusal(url)) is not None:  # credentials: before Redis, a log or a manifest sees them
            raise UsageError(problem)
        try:
            entries.append((site_key(url), url, overrides))
        except ValueError as exc:
            raise SystemExit(f"blogarc enqueue: {exc}") from None
    run_id = check_run_id(args.run_id) if args.run_id else new_run_id()
    settings = job_settings(args)
    store = store_uri(args.store) if args.store else ""
    queue = JobQueue(open_redis(args, "blogarc enqueue"))
    try:
        count = queue.create_job(run_id, entries, settings, store, args.max_attempts)
    except JobExists as exc:
        print(f"blogarc enqueue: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"job {run_id}: {count} blogs queued in {redact(redis_url(args.redis))}")
    return 0


def store_uri(uri: str) -> str:
    """The URI a store describes itself with (what a worker compares with the job's)."""
    from scrapy.settings import Settings  # noqa: PLC0415

    from pipelines.store.base import store_from_settings  # noqa: PLC0415

    try:
        return store_from_settings(Settings({"ARCHIVE_STORE": uri})).uri
    except ValueError as exc:
        raise SystemExit(f"blogarc enqueue: {exc}") from None


# --- worker ----------------------------------------------------------------------------------------------------


def worker_settings(args: argparse.Namespace) -> Settings:
    """``blogarc crawl``'s settings, with the worker's components and the defaults leases need."""
    settings, warnings = crawl_settings(_crawl_namespace(args))
    for warning in warnings:
        print(f"blogarc worker: {warning}", file=sys.stderr)
    settings.set("SCHEDULER", WORKER_COMPONENTS["SCHEDULER"], priority=50)  # the frontier is the queue's
    for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
        path, order = WORKER_COMPONENTS[name]
        settings.set_in_component_priority_dict(name, path, order)
    # The state is saved when a blog's crawl ends, not checkpointed: a checkpoint names captures that may still be
    # in this machine's spool only, and the worker that takes over a dead one's blog runs on another machine.
    # The store lock lives as long as the lease (the lease loop renews both): a dead worker's expires with it.
    for name, value in (
        ("ARCHIVE_STATE_CHECKPOINT", 0),
        ("ARCHIVE_LOCK_TTL", args.lease),
        ("ARCHIVE_LOCK_WAIT", max(30.0, 1.5 * args.lease)),
    ):
        if (settings.getpriority(name) or 0) < 40:
            settings.set(name, value, priority=30)
    return settings


def worker_command(args: argparse.Namespace) -> int:
    """Claim and crawl blogs until stopped (or, with ``--burst``, until none is left)."""
    from crawler.distributed.jobs import JobQueue  # noqa: PLC0415
    from crawler.distributed.worker import Worker  # noqa: PLC0415

    if args.lease < 2:
        raise SystemExit("blogarc worker: --lease must be at least 2 seconds")
    client = open_redis(args, "blogarc worker")
    settings = worker_settings(args)
    services = check_store(settings, "blogarc worker")
    worker = Worker(
        settings,
        services,
        JobQueue(client),
        concurrent=settings.getint("ARCHIVE_CONCURRENT_SITES"),
        lease=args.lease,
        burst=args.burst,
    )
    try:
        worker.run()
    finally:
        services.close()
    return 0


# --- jobs ------------------------------------------------------------------------------------------------------


def jobs_command(args: argparse.Namespace) -> int:
    """Show a job (or every job's counts); ``--forget`` deletes one."""
    from crawler.distributed.jobs import JobQueue  # noqa: PLC0415
    from crawler.distributed.status import job_lines, job_status  # noqa: PLC0415

    queue = JobQueue(open_redis(args, "blogarc jobs"))
    if args.forget:
        if not args.run_id:
            raise SystemExit("blogarc jobs: --forget needs the RUN_ID of the job to delete")
        print(f"job {args.run_id}: {queue.forget(args.run_id)} keys deleted")
        return 0
    jobs = queue.jobs()
    run_id = args.run_id or (jobs[-1] if jobs else None)
    if run_id is None or run_id not in jobs:
        print(f"blogarc jobs: {'no such job ' + run_id if run_id else 'no job in the queue'}", file=sys.stderr)
        return EXIT_CONFIG if run_id else 0
    status = job_status(queue, run_id)
    if args.json:
        print(json.dumps(asdict(status), indent=2))
        return 0
    for line in job_lines(queue, jobs, status):
        print(line)
    return 0
