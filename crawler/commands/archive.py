"""Archivist tools over a store: ``sites``, ``ls``, ``runs``, ``captures``, ``download``, ``verify``, ``wacz``.

Each works the same on a local folder and on ``s3://bucket/prefix`` (boto3's own environment gives the endpoint
and credentials: ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``...), through the ``Store`` protocol only. The logic lives
in ``pipelines`` (catalog, lookup, download, verify, wacz); this module parses arguments and prints. ``get`` has a
module of its own (``crawler.commands.get``).

A store that holds no archive, or a ``--site`` it does not hold, is a usage error (exit status 2, one line), never
an empty "OK". ``--site`` takes the site key, the host as typed (``127.0.0.1:8081``) or a URL. Every date printed,
in text and in ``--json``, is ISO 8601 UTC (``2026-11-27T07:36:08Z``).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.commands import add_command
from crawler.output import human_bytes, print_json, run_figures
from crawler.usage import UsageError
from pipelines.archive.catalog import (
    holds_archive,
    holds_site,
    iso_time,
    run_summaries,
    site_summaries,
    sites,
    to_timestamp,
    warc_files,
)
from pipelines.layout import site_key
from pipelines.store.base import StoreConfigError, StoreUnavailable, open_store

if TYPE_CHECKING:
    from pipelines.store.base import Store


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register the archivist subcommands."""
    _command(commands, "sites", cmd_sites)
    ls = _command(commands, "ls", cmd_ls)
    _site(ls)
    _window(ls)
    runs = _command(commands, "runs", cmd_runs)
    _site(runs)
    captures = _command(commands, "captures", cmd_captures)
    captures.add_argument("url", metavar="URL")
    _site(captures)
    _add_download(commands)
    verify = _command(commands, "verify", cmd_verify)
    _site(verify)
    verify.add_argument("--deep", action="store_true", help="also recompute every record's block and payload digest")
    verify.add_argument("--strict", action="store_true", help="objects no run manifest lists are problems too")
    wacz = _command(commands, "wacz", cmd_wacz, listing=False)
    wacz.add_argument("--site", required=True, help="the site (its key as in warc/SITE/, its host, or a URL)")
    _window(wacz)
    wacz.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.wacz", help="the WACZ file to write")


def _command(commands: argparse._SubParsersAction, name: str, func: Any, listing: bool = True) -> Any:
    parser = add_command(commands, name, func)
    add_store_option(parser)
    if listing:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store``, as every archivist tool takes it."""
    parser.add_argument("--store", default="archive", help="folder, file:// or s3:// URI (default: ./archive)")


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", help="only this site (its key as in warc/SITE/, its host as typed, or a URL)")


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help="only WARCs with captures from this date (YYYY-MM-DD, ISO 8601, UTC)")
    parser.add_argument("--until", help="only WARCs with captures up to this date")


def _add_download(commands: argparse._SubParsersAction) -> None:
    down = _command(commands, "download", cmd_download)
    down.add_argument("dest", type=Path, metavar="DEST", help="destination folder (keys are kept: DEST/warc/SITE/…)")
    _site(down)
    _window(down)


def archive_store(args: argparse.Namespace) -> Store:
    """The store ``--store`` names, which must hold an archive.

    Raises:
        UsageError: a URI no store handles, a store that cannot be read (configuration), or one with no archive.
    """
    try:
        store = open_store(args.store)
        if holds_archive(store):
            return store
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except StoreConfigError as exc:
        raise UsageError(f"cannot read the store: {exc}") from None
    except StoreUnavailable as exc:
        raise SystemExit(f"blogarc {args.command}: the store is unreachable: {exc}") from None
    raise UsageError(f"no archive at {store.uri} (nothing under runs/, warc/ or text/; check --store)")


def site_arg(args: argparse.Namespace, store: Store) -> str | None:
    """``--site`` as the store's site key (the host as typed, ``127.0.0.1:8081``, works), which must be there.

    Raises:
        UsageError: a site the store does not hold (naming the closest one it holds).
    """
    if not getattr(args, "site", None):
        return None
    try:
        key = site_key(args.site)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if holds_site(store, key):
        return key
    known = sites(store)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else f"; it holds {len(known)} (blogarc sites lists them)"
    raise UsageError(f"no site {key} in {store.uri}{hint}")


def times(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """``--since`` and ``--until`` as 14-digit timestamps.

    Raises:
        UsageError: a date that is not one (``2023-13-45``).
    """
    try:
        since = to_timestamp(args.since) if args.since else None
        return since, to_timestamp(args.until, upper=True) if args.until else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_sites(args: argparse.Namespace) -> int:
    """``blogarc sites``: every site of the store, its last run and what is stored."""
    found = site_summaries(archive_store(args))
    if args.json:
        print_json(found)
        return 0
    for site in found:
        print(
            f"{site['site']}  last run {site['last_run'] or '-'}  {site['finished_at'] or '-'}  {site['status']}  "
            f"{site['pages']} pages  {site['warc_files']} WARC files ({human_bytes(site['warc_bytes'])}), "
            f"{site['runs']} runs"
        )
    print(f"{len(found)} sites", file=sys.stderr)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    """``blogarc ls``."""
    store = archive_store(args)
    infos = warc_files(store, site_arg(args, store), *times(args))
    if args.json:
        print_json([info.as_dict() for info in infos])
        return 0
    for info in infos:
        size = human_bytes(info.size) if info.size is not None else "?"
        print(
            f"{info.key}  {size}  {info.captures} captures  {iso_time(info.first) or '-'} .. "
            f"{iso_time(info.last) or '-'}  runs: {', '.join(info.runs) or 'none (not in any manifest)'}"
        )
    print(f"{len(infos)} WARC files", file=sys.stderr)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """``blogarc runs``."""
    store = archive_store(args)
    runs = run_summaries(store, site_arg(args, store))
    if args.json:
        print_json(runs)
        return 0
    for run in runs:
        if run["status"] == "unreadable":
            print(f"{run['site']}  {run['manifest']}  UNREADABLE ({run['error']})")
            continue
        counts = run["counts"]
        figures = run_figures(
            counts.get("responses", 0),
            counts.get("records_written", 0),
            counts.get("warc_files_stored", 0),
            counts.get("warc_bytes", 0),
        )
        print(
            f"{run['site']}  {run['run_id']}  {run['status']} ({run['finish_reason']})  {run['started_at']}  "
            f"{figures}, {counts.get('warc_records', 0)} WARC records, {run['files']} files"
        )
    return 0


def cmd_captures(args: argparse.Namespace) -> int:
    """``blogarc captures URL``."""
    from pipelines.archive.lookup import find_captures  # noqa: PLC0415 - warcio and surt only when needed

    store = archive_store(args)
    captures = find_captures(store, args.url, site_arg(args, store))
    if args.json:
        print_json([{**capture.as_dict(), "timestamp": iso_time(capture.entry.timestamp)} for capture in captures])
        return 0
    for capture in captures:
        e = capture.entry
        where = f"{capture.warc_key}@{e.offset}+{e.length}"
        print(f"{iso_time(e.timestamp)}  {e.status or '-'}  {e.mime or '-'}  {e.url}  {where}")
    if not captures:
        print(f"no capture of {args.url}", file=sys.stderr)
        return 1
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """``blogarc download DEST``; non-zero when a file does not match its manifest."""
    from pipelines.archive.download import download  # noqa: PLC0415

    store = archive_store(args)
    results = download(store, args.dest, site_arg(args, store), *times(args))
    if args.json:
        print_json([result.as_dict() for result in results])
    else:
        for result in results:
            note = f" ({result.message})" if result.message else ""
            print(f"{result.status:<10} {result.path}  {human_bytes(result.transferred)} read{note}")
        print(f"{len(results)} files in {args.dest}", file=sys.stderr)
    return 1 if any(result.status == "failed" for result in results) else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``blogarc verify``; exits 1 naming each problem."""
    from pipelines.archive.verify import verify_store  # noqa: PLC0415

    store = archive_store(args)
    report = verify_store(store, site_arg(args, store), deep=args.deep, strict=args.strict)
    if args.json:
        print_json(report.as_dict())
    else:
        for problem in report.problems:
            print(f"PROBLEM {problem}")
        for warning in report.warnings:
            print(f"warning {warning}")
        counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
        verdict = "OK" if report.ok else f"{len(report.problems)} PROBLEMS"
        print(f"verify{' --deep' if args.deep else ''}: {counts or 'nothing to check'}: {verdict}")
    return 0 if report.ok else 1


def cmd_wacz(args: argparse.Namespace) -> int:
    """``blogarc wacz --site S -o FILE.wacz``."""
    from pipelines.archive.wacz import build_wacz  # noqa: PLC0415

    store = archive_store(args)
    site, window = site_arg(args, store), times(args)
    if not args.output.parent.is_dir():
        raise UsageError(f"no such folder: {args.output.parent}")
    try:
        result = build_wacz(store, site, args.output, *window)
    except ImportError:
        print("blogarc wacz: the wacz package is needed: pip install wacz", file=sys.stderr)
        return 1
    except (LookupError, OSError) as exc:
        print(f"blogarc wacz: {exc}", file=sys.stderr)
        return 1
    print(f"{result.path}: {len(result.warcs)} WARC files, {result.pages} pages")
    return 0
