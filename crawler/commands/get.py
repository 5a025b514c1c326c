"""``blogarc get URL``: the capture of a URL nearest a time, read with one ranged read of its WARC.

It prints the HTTP response as archived; ``--headers`` the WARC and HTTP headers; ``--body`` the body with its
content coding undone; ``--warc`` the record itself (a valid one-record WARC file). A ``revisit`` record has no
payload of its own: the HTTP response and ``--body`` take it from the capture it revisits (a second ranged read);
``--warc`` writes the revisit record, as asked, and says where its original is. Bytes that would garble a terminal
(a gzip body, an image, a ``.warc.gz`` record) are not written to one: ``-o FILE`` saves them, ``-o -`` writes them
to standard output anyway, ``--body`` decodes the body.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.commands import add_command
from crawler.commands.archive import add_store_option, archive_store, site_arg
from crawler.output import looks_binary, write_bytes
from crawler.usage import UsageError
from pipelines.archive.catalog import iso_time, to_timestamp
from pipelines.archive.lookup import ArchivedRecord, fetch_record, find_captures, nearest, revisited

if TYPE_CHECKING:
    from collections.abc import Callable

    from pipelines.archive.lookup import Capture
    from pipelines.store.base import Store


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc get``."""
    get = add_command(commands, "get", cmd_get, description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    add_store_option(get)
    get.add_argument("url", metavar="URL")
    get.add_argument("--at", help="time to be nearest to (YYYY-MM-DD[Thh:mm:ssZ], or a timestamp); default: latest")
    get.add_argument("--site", help="the site (its key as in warc/SITE/, its host, or a URL); default: the URL's")
    what = get.add_mutually_exclusive_group()
    what.add_argument("--headers", action="store_true", help="the WARC and HTTP headers only")
    what.add_argument("--body", action="store_true", help="the body decoded (gzip, deflate, br undone)")
    what.add_argument("--warc", action="store_true", help="the record itself, as a one-record WARC file")
    get.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE ('-': standard output, even binary to a terminal)"
    )


def cmd_get(args: argparse.Namespace) -> int:
    """Print or save one capture."""
    output = Path(args.output) if args.output and args.output != "-" else None
    if output is not None and not output.parent.is_dir():
        raise UsageError(f"no such folder: {output.parent}")
    store = archive_store(args)
    site = site_arg(args, store)
    try:
        at = to_timestamp(args.at) if args.at else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        capture = nearest(find_captures(store, args.url, site), at)
    except LookupError:
        print(f"blogarc get: no capture of {args.url} in {store.uri}", file=sys.stderr)
        return 1
    e = capture.entry
    where = f"{capture.warc_key} at byte {e.offset} ({e.length} bytes)"
    print(f"{iso_time(e.timestamp)} {e.status} {e.url} from {where}", file=sys.stderr)
    raw = fetch_record(store, capture)
    try:
        record = ArchivedRecord.parse(raw)
        if args.warc:
            data = raw  # a .warc.gz record is its own gzip member: a valid WARC file by itself
            if record.is_revisit:
                say_revisit(store, record, capture, args)
        else:
            data = get_output(args, record, lambda revisit: original(store, revisit, capture.site))
    except (LookupError, ValueError) as exc:
        print(f"blogarc get: {exc}", file=sys.stderr)
        return 1
    if output is not None:
        output.write_bytes(data)
    elif args.output != "-" and sys.stdout.isatty() and looks_binary(data):
        raise UsageError(
            "the capture is binary (compressed or not text) and standard output is a terminal: nothing written; "
            "use --body for the decoded body, -o FILE to save it, or -o - to write it here anyway"
        )
    else:
        write_bytes(data)
    return 0


def get_output(
    args: argparse.Namespace, record: ArchivedRecord, original: Callable[[ArchivedRecord], ArchivedRecord]
) -> bytes:
    """What ``get`` writes without ``--warc``: headers, the decoded body, or the HTTP message as archived.

    A ``revisit`` record has no payload of its own: the body comes from the capture it revisits (``original``).
    """
    if args.headers:
        return record.warc_head + record.http_head
    payload_record = original(record) if record.is_revisit else record
    if args.body:
        return payload_record.body()
    if record.http_headers is not None and record.http_headers.get_statuscode() == "304":
        # a server-not-modified revisit: the 304's head does not describe the body (no Content-Encoding, length 0)
        return payload_record.http_head + payload_record.payload
    return record.http_head + payload_record.payload


def original(store: Store, record: ArchivedRecord, site: str) -> ArchivedRecord:
    """The record holding a revisit's payload (a second ranged read)."""
    capture = revisited(store, record, site)
    if capture is None:
        raise LookupError("a revisit record whose original capture is not in the store")
    e = capture.entry
    print(f"revisit of {iso_time(e.timestamp)}: payload from {capture.warc_key} at byte {e.offset}", file=sys.stderr)
    return ArchivedRecord.parse(fetch_record(store, capture))


def say_revisit(store: Store, record: ArchivedRecord, capture: Capture, args: argparse.Namespace) -> None:
    """``--warc`` of a revisit: say that it has no payload, and how to get the record that has it."""
    profile = (record.warc_headers.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
    found = revisited(store, record, capture.site)
    if found is None:
        where = "its original capture is not in the store"
    else:
        when = iso_time(found.entry.timestamp)
        where = (
            f"the payload is in the capture of {when} ({found.warc_key} at byte {found.entry.offset}): "
            f"blogarc get {args.url} --at {when} --warc -o FILE"
        )
    print(f"blogarc get: this capture is a revisit record ({profile}), without the payload; {where}", file=sys.stderr)
