"""Subcommands of ``blogarc``: one module a command group, each with ``add_parser(subparsers)``.

``COMMANDS`` names every command with the module that implements it and its one-line help, so ``blogarc --help``
lists them and ``blogarc --version`` answers without importing any: a command imports only its own module
(start-up time: ``bench/startup.py``). Add a command here and register it in its module with ``add_command``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import argparse


class Command(NamedTuple):
    """Where a command lives and what ``blogarc --help`` says of it."""

    module: str  # under crawler.commands
    help: str


COMMANDS = {
    "crawl": Command("crawl", "crawl blogs into the store"),
    "upload": Command("upload", "ship files left in the local spool to the store"),
    "sites": Command("archive", "list the store's sites: last run, status, pages, bytes"),
    "ls": Command("archive", "list WARC files: size, captures, first/last capture, runs"),
    "runs": Command("archive", "list runs: status and counts"),
    "captures": Command("archive", "list every capture of a URL (from the CDXJ indexes)"),
    "get": Command("get", "fetch the capture of a URL nearest a time (one ranged read)"),
    "download": Command("archive", "copy WARCs and indexes to a folder, resumably, checked against the manifests"),
    "verify": Command("archive", "check WARCs, digests, indexes and manifests; non-zero if bad"),
    "wacz": Command("archive", "package a site's WARCs as a WACZ file (ReplayWeb.page)"),
    "extract": Command("extract", "re-extract clean text from WARC files or stores"),
    "extract-html": Command("extract", "print the clean text of one HTML page"),
    "replay": Command("replay", "replay archived sites with pywb"),
    "enqueue": Command("queue", "put a crawl job's blogs in Redis for workers to crawl"),
    "worker": Command("queue", "crawl blogs from the queue in Redis into the store"),
    "jobs": Command("queue", "show the crawl jobs in Redis: blogs waiting, running, done, failed"),
}


def add_command(
    commands: argparse._SubParsersAction, name: str, func: Any, description: str | None = None
) -> argparse.ArgumentParser:
    """Register command ``name`` (its help from ``COMMANDS``) with its handler ``func`` (returns the exit status)."""
    text = COMMANDS[name].help
    parser = commands.add_parser(name, help=text, description=description or text[:1].upper() + text[1:] + ".")
    parser.set_defaults(func=func)
    return parser
