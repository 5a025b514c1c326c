"""The ``blogarc`` command: subcommands live in ``crawler/commands/``, one module a command group.

Only the module of the command typed is imported (``crawler.commands.COMMANDS`` says which): ``blogarc
--version``, ``ls`` and ``get`` start without Scrapy, boto3 or pyarrow. That also keeps extraction workers light:
they are spawned processes, which import the script that started them again. The garbage collector is off while
the command's modules are imported, and what they made is frozen (``gc.freeze``): the tens of thousands of objects
of Scrapy, Twisted and the rest are never walked by a collection, then or later in the crawl.

Exit statuses every command shares: 2 for a usage error (one line on standard error, nothing done), 130 when
interrupted (Ctrl-C), 141 when the reader of standard output went away (``blogarc captures URL | head``: quiet, as
Unix tools are). The others are each command's own (``blogarc crawl``: 0, 1, 3, 75; see the README).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

from crawler.commands import COMMANDS
from crawler.usage import EXIT_USAGE, Parser, UsageError
from pipelines import __version__

EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


def build_parser(commands: list[str] | None = None) -> Parser:
    """The ``blogarc`` argument parser, with the full parsers of ``commands`` (default: every command).

    The other commands get a parser with their help line only, enough for ``blogarc --help``.
    """
    parser = Parser(prog="blogarc", description="Archive blogs: WARC files, clean text, manifests.")
    parser.add_argument("--version", action="version", version=f"blogarc {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = set(COMMANDS) if commands is None else set(commands) & set(COMMANDS)
    for module in dict.fromkeys(COMMANDS[name].module for name in COMMANDS if name in wanted):
        importlib.import_module(f"crawler.commands.{module}").add_parser(subparsers)
    for name, command in COMMANDS.items():
        if name not in subparsers.choices:
            subparsers.add_parser(name, help=command.help, add_help=False)
    return parser


def command_word(argv: list[str]) -> str | None:
    """The subcommand named on the command line (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run ``blogarc``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    word = command_word(argv)
    gc.disable()  # importing the command makes objects for good (modules, classes): nothing to collect
    try:
        parser = build_parser([word] if word else [])
        gc.freeze()  # and no later collection walks them again
    finally:
        gc.enable()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, not at exit: a reader that went away is a BrokenPipeError we can silence
        return status
    except UsageError as exc:
        print(f"blogarc {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # nothing more can be written there: point stdout at /dev/null so the interpreter's last flush is quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"blogarc {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
