"""Archivist tools over a store: ``ls``, ``runs``, ``captures``, ``get``, ``download``, ``verify``, ``wacz``.

Each works the same on a local folder and on ``s3://bucket/prefix`` (boto3's own environment gives the endpoint
and credentials: ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``...), through the ``Store`` protocol only. The logic lives
in ``pipelines`` (catalog, lookup, download, verify, wacz); this module parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.progress import human_bytes
from pipelines.archive.catalog import run_summaries, to_timestamp, warc_files
from pipelines.archive.download import download
from pipelines.archive.lookup import ArchivedRecord, fetch_record, find_captures, nearest, revisited
from pipelines.archive.verify import verify_store
from pipelines.archive.wacz import build_wacz
from pipelines.store.base import open_store

if TYPE_CHECKING:
    from pipelines.store.base import Store


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register the archivist subcommands."""
    ls = _command(commands, "ls", cmd_ls, "list WARC files: size, captures, first/last capture, runs")
    _site(ls)
    _window(ls)
    runs = _command(commands, "runs", cmd_runs, "list runs: status (finished / interrupted) and counts")
    _site(runs)
    captures = _command(commands, "captures", cmd_captures, "list every capture of a URL (from the CDXJ indexes)")
    captures.add_argument("url", metavar="URL")
    _site(captures)
    _add_get(commands)
    _add_download(commands)
    verify = _command(commands, "verify", cmd_verify, "check WARCs, digests, indexes and manifests; non-zero if bad")
    _site(verify)
    verify.add_argument("--deep", action="store_true", help="also recompute every record's block and payload digest")
    verify.add_argument("--strict", action="store_true", help="objects no run manifest lists are problems too")
    wacz = _command(commands, "wacz", cmd_wacz, "package a site's WARCs as a WACZ file (ReplayWeb.page)", listing=False)
    wacz.add_argument("--site", required=True, help="site key (as in warc/SITE/)")
    _window(wacz)
    wacz.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.wacz", help="the WACZ file to write")


def _command(
    commands: argparse._SubParsersAction, name: str, func: Any, text: str, listing: bool = True
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=text, description=text[:1].upper() + text[1:] + ".")
    parser.set_defaults(func=func)
    parser.add_argument("--store", default="archive", help="folder, file:// or s3:// URI (default: ./archive)")
    if listing:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", help="only this site key (as in warc/SITE/)")


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help="only WARCs with captures from this date (YYYY-MM-DD, ISO 8601, UTC)")
    parser.add_argument("--until", help="only WARCs with captures up to this date")


def _add_get(commands: argparse._SubParsersAction) -> None:
    get = _command(commands, "get", cmd_get, "fetch the capture of a URL nearest a time (one ranged read)", False)
    get.add_argument("url", metavar="URL")
    get.add_argument("--at", help="time to be nearest to (YYYY-MM-DD[Thh:mm:ss], or a timestamp); default: latest")
    _site(get)
    what = get.add_mutually_exclusive_group()
    what.add_argument("--headers", action="store_true", help="the WARC and HTTP headers only")
    what.add_argument("--body", action="store_true", help="the body decoded (gzip, deflate, br undone)")
    what.add_argument("--warc", action="store_true", help="the record itself, as a one-record WARC file")
    get.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")


def _add_download(commands: argparse._SubParsersAction) -> None:
    text = "copy WARCs and indexes to a folder, resumably, checked against the manifests"
    down = _command(commands, "download", cmd_download, text)
    down.add_argument("dest", type=Path, metavar="DEST", help="destination folder (keys are kept: DEST/warc/SITE/…)")
    _site(down)
    _window(down)


def _store(args: argparse.Namespace) -> Store:
    try:
        return open_store(args.store)
    except ValueError as exc:
        raise SystemExit(f"blogarc {args.command}: {exc}") from None


def _times(args: argparse.Namespace) -> tuple[str | None, str | None]:
    try:
        since = to_timestamp(args.since) if args.since else None
        return since, to_timestamp(args.until, upper=True) if args.until else None
    except ValueError as exc:
        raise SystemExit(f"blogarc {args.command}: {exc}") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _when(timestamp: str | None) -> str:
    """``20261127073608`` -> ``2026-11-27 07:36:08``."""
    if not timestamp:
        return "-"
    t = timestamp
    return f"{t[:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"


def cmd_ls(args: argparse.Namespace) -> int:
    """``blogarc ls``."""
    infos = warc_files(_store(args), args.site, *_times(args))
    if args.json:
        _print_json([info.as_dict() for info in infos])
        return 0
    for info in infos:
        size = human_bytes(info.size) if info.size is not None else "?"
        print(
            f"{info.key}  {size}  {info.captures} captures  {_when(info.first)} .. {_when(info.last)}  "
            f"runs: {', '.join(info.runs) or 'none (not in any manifest)'}"
        )
    print(f"{len(infos)} WARC files", file=sys.stderr)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """``blogarc runs``."""
    runs = run_summaries(_store(args), args.site)
    if args.json:
        _print_json(runs)
        return 0
    for run in runs:
        if run["status"] == "unreadable":
            print(f"{run['site']}  {run['manifest']}  UNREADABLE ({run['error']})")
            continue
        counts = run["counts"]
        print(
            f"{run['site']}  {run['run_id']}  {run['status']} ({run['finish_reason']})  {run['started_at']}  "
            f"{counts.get('responses', 0)} responses, {counts.get('records_written', 0)} text records, "
            f"{counts.get('warc_records', 0)} WARC records ({human_bytes(counts.get('warc_bytes', 0))}), "
            f"{run['files']} files"
        )
    return 0


def cmd_captures(args: argparse.Namespace) -> int:
    """``blogarc captures URL``."""
    captures = find_captures(_store(args), args.url, args.site)
    if args.json:
        _print_json([capture.as_dict() for capture in captures])
        return 0
    for capture in captures:
        e = capture.entry
        print(f"{e.timestamp}  {e.status or '-'}  {e.mime or '-'}  {e.url}  {capture.warc_key}@{e.offset}+{e.length}")
    if not captures:
        print(f"no capture of {args.url}", file=sys.stderr)
        return 1
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    """``blogarc get URL``: print or save one capture."""
    store = _store(args)
    try:
        at = to_timestamp(args.at) if args.at else None
    except ValueError as exc:
        raise SystemExit(f"blogarc get: {exc}") from None
    try:
        capture = nearest(find_captures(store, args.url, args.site), at)
    except LookupError:
        print(f"blogarc get: no capture of {args.url} in {store.uri}", file=sys.stderr)
        return 1
    raw = fetch_record(store, capture)
    e = capture.entry
    where = f"{capture.warc_key} at byte {e.offset} ({e.length} bytes)"
    print(f"{e.timestamp} {e.status} {e.url} from {where}", file=sys.stderr)
    try:
        data = _get_output(args, raw, lambda record: _original(store, record, capture.site))
    except (LookupError, ValueError) as exc:
        print(f"blogarc get: {exc}", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def _get_output(args: argparse.Namespace, raw: bytes, original: Any) -> bytes:
    """What ``get`` writes: the record (``--warc``), headers, decoded body, or the HTTP message as archived.

    A ``revisit`` record has no payload of its own: the body comes from the capture it revisits (``original``).
    """
    if args.warc:
        return raw  # a .warc.gz record is its own gzip member: a valid WARC file by itself
    record = ArchivedRecord.parse(raw)
    if args.headers:
        return record.warc_head + record.http_head
    payload_record = original(record) if record.is_revisit else record
    if args.body:
        return payload_record.body()
    if record.http_headers is not None and record.http_headers.get_statuscode() == "304":
        # a server-not-modified revisit: the 304's head does not describe the body (no Content-Encoding, length 0)
        return payload_record.http_head + payload_record.payload
    return record.http_head + payload_record.payload


def _original(store: Store, record: ArchivedRecord, site: str) -> ArchivedRecord:
    """The record holding a revisit's payload (a second ranged read)."""
    capture = revisited(store, record, site)
    if capture is None:
        raise LookupError("a revisit record whose original capture is not in the store")
    e = capture.entry
    print(f"revisit of {e.timestamp}: payload from {capture.warc_key} at byte {e.offset}", file=sys.stderr)
    return ArchivedRecord.parse(fetch_record(store, capture))


def cmd_download(args: argparse.Namespace) -> int:
    """``blogarc download DEST``; non-zero when a file does not match its manifest."""
    results = download(_store(args), args.dest, args.site, *_times(args))
    if args.json:
        _print_json([result.as_dict() for result in results])
    else:
        for result in results:
            note = f" ({result.message})" if result.message else ""
            print(f"{result.status:<10} {result.path}  {human_bytes(result.transferred)} read{note}")
        print(f"{len(results)} files in {args.dest}", file=sys.stderr)
    return 1 if any(result.status == "failed" for result in results) else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``blogarc verify``; exits 1 naming each problem."""
    report = verify_store(_store(args), args.site, deep=args.deep, strict=args.strict)
    if args.json:
        _print_json(report.as_dict())
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
    try:
        result = build_wacz(_store(args), args.site, args.output, *_times(args))
    except ImportError:
        print("blogarc wacz: the wacz package is needed: pip install wacz", file=sys.stderr)
        return 1
    except (LookupError, OSError) as exc:
        print(f"blogarc wacz: {exc}", file=sys.stderr)
        return 1
    print(f"{result.path}: {len(result.warcs)} WARC files, {result.pages} pages")
    return 0
