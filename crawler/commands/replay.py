"""``blogarc replay``: serve a store's WARCs with pywb on 127.0.0.1, one collection per site.

``blogarc replay [--site S] [--port P]`` lays out a pywb collection named after each site key (WARCs copied from
the store, the store's CDXJ indexes merged) and then becomes pywb's ``wayback`` server, so
``http://127.0.0.1:P/SITE/URL`` replays URL. pywb runs from its own virtual environment (see
``pipelines/archive/replay.py`` for why); ``--install-pywb`` makes one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import sys
from pathlib import Path

from crawler.commands import add_command
from crawler.commands.archive import add_store_option, archive_store, site_arg
from crawler.usage import port
from pipelines.archive.catalog import pick_sites
from pipelines.archive.replay import (
    PYWB_REQUIREMENT,
    default_pywb_home,
    find_pywb,
    install_pywb,
    prepare_collection,
    wayback_command,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``blogarc replay``."""
    text = "Serve the store's WARCs with pywb on 127.0.0.1: http://127.0.0.1:PORT/SITE/URL replays URL."
    replay = add_command(commands, "replay", cmd_replay, description=text)
    add_store_option(replay)
    replay.add_argument("--site", help="only this site (its key, its host or a URL; default: every site of the store)")
    replay.add_argument("--port", type=port, default=8080, help="port on 127.0.0.1 (default 8080; 0 = any free port)")
    replay.add_argument("--dir", type=Path, help="pywb's working folder (default: per store, in the user's cache)")
    replay.add_argument("--pywb", help="folder with pywb's wayback program, or a virtual environment with pywb")
    install_help = f"make a virtual environment with {PYWB_REQUIREMENT} if no pywb is found"
    replay.add_argument("--install-pywb", action="store_true", help=install_help)


def replay_dir(store_uri: str) -> Path:
    """The working folder of pywb for a store: one per store URI under the user's cache, reused between runs."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "blogarc" / "replay" / hashlib.sha256(store_uri.encode()).hexdigest()[:16]


def free_port() -> int:
    """A port nothing listens on now (pywb cannot report the port it bound, so it is chosen here)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cmd_replay(args: argparse.Namespace) -> int:
    """Lay out the collections, print their URLs, then run pywb in this process's place."""
    store = archive_store(args)
    args.site = site_arg(args, store)
    pywb_bin = find_pywb(args.pywb)
    if pywb_bin is None and args.install_pywb:
        print(f"installing {PYWB_REQUIREMENT} into {default_pywb_home()}", file=sys.stderr)
        pywb_bin = install_pywb()
    if pywb_bin is None:
        raise SystemExit(
            "blogarc replay: pywb's wayback program was not found. pywb must live in its own environment "
            f"(its pins break Scrapy's brotli support): pipx install '{PYWB_REQUIREMENT}', "
            "or --pywb DIR, or --install-pywb"
        )
    root = (args.dir or replay_dir(store.uri)).resolve()
    port = args.port or free_port()
    sites = []
    for site in pick_sites(store, args.site):
        try:
            count = prepare_collection(store, site, root)
        except LookupError as exc:
            if args.site:
                raise SystemExit(f"blogarc replay: {exc}") from None
            continue  # a site with text or runs but no WARC yet
        sites.append(site)
        print(f"{site}: {count} WARC files, replay at http://127.0.0.1:{port}/{site}/URL", flush=True)
    if not sites:
        raise SystemExit(f"blogarc replay: nothing to replay in {store.uri}")
    command = wayback_command(pywb_bin, root, port)
    print(f"pywb: {' '.join(command)}", flush=True)
    # exec rather than a child process: Ctrl-C and kill reach pywb itself, and no server is left orphaned
    os.execv(command[0], command)
    return 0  # not reached
