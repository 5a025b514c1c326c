"""Subcommands of ``blogarc``: one module a command group, each with ``add_parser(subparsers)``."""
