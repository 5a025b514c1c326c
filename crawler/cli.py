"""The ``blogarc`` command: subcommands live in ``crawler/commands/``, one module a command group.

Each module has ``add_parser(subparsers)``, which registers its subcommands and sets ``func`` (the handler, which
returns the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pipelines import __version__

# Imported when the parser is built, not with this module: extraction workers are spawned processes, which import
# the script that started them again; keeping this module light keeps Scrapy, boto3 and pyarrow out of every worker.
COMMAND_MODULES = ("crawl", "extract", "archive", "replay", "upload", "queue")


def build_parser() -> argparse.ArgumentParser:
    """The ``blogarc`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="blogarc", description="Archive blogs: WARC files, clean text, manifests.")
    parser.add_argument("--version", action="version", version=f"blogarc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"crawler.commands.{name}").add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``blogarc``; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
