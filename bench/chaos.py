"""Chaos: a crawl SIGKILLed at random moments, restarted each time, then run to completion. What survives?

``python bench/chaos.py [--posts 400] [--kills 20] [--stores local,s3] [--seed 1] [--keep] [-s NAME=VALUE ...]``
generates a blog (``bench/make_blog.py``), serves it on 127.0.0.1 (nginx, or ``python -m http.server``, as
``run_bench.py`` does) and, for each store (a local folder; an S3 bucket on a moto server this script starts on
127.0.0.1, port 0), runs ``blogarc crawl`` in its own process group and SIGKILLs the whole group (the crawler and
its extraction workers) at a random moment of each attempt, ``--kills`` times, restarting the same command each
time; then it lets a last run finish.

After each kill (nothing writes any more) it notes what was durable: every whole WARC record and every whole text
record in the spool (``.open`` files cut to their last whole record or line, closed files) and in the store, and
the URLs the crawl state in the store says have a text record although none is durable anywhere (the state
running ahead of the store: what issue 12 measured). At the end it prints, for WARC records (warcinfo records
aside: a file holding nothing else is dropped on purpose) and for text records: seen durable before a kill, lost
(durable before a kill, absent at the end), duplicated (the same WARC record twice; the same URL with two text
records across runs), the posts and pages without a record, and ``blogarc verify``'s verdict.

A benchmark that prints figures, not a test: it exits 0 whatever they are. Traffic goes to 127.0.0.1 only; every
loop is bounded (attempts, timeouts).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]
import make_blog  # noqa: E402
import run_bench  # noqa: E402

from pipelines.layout import is_batch_name, is_warc_name, site_key  # noqa: E402
from pipelines.runs.state import load_state  # noqa: E402
from pipelines.store.base import open_store  # noqa: E402
from pipelines.warc.files import complete_prefix  # noqa: E402

# a crawl job as it runs at night, with frequent checkpoints (issue 12 used 2 s) and batches that close mid-run;
# 20 requests a second at most, so that a first crawl of 400 posts lasts about a minute and 20 kills all land in it
SETTINGS = [
    "DOWNLOAD_DELAY=0.05", "AUTOTHROTTLE_ENABLED=False", "PROGRESS_INTERVAL=0", "ARCHIVE_STATE_CHECKPOINT=2",
    "TEXT_BATCH_ITEMS=100", "WARC_MAX_SIZE=2000000", "ARCHIVE_UPLOAD_RETRY_DELAY=1",
]  # fmt: skip
ATTEMPT_TIMEOUT = 600.0  # a final run that takes longer than this is stopped (and reported)


@dataclass
class Durable:
    """Everything whole in the spool and the store at one moment."""

    warc: set[str] = field(default_factory=set)  # WARC-Record-IDs (warcinfo aside)
    text: set[tuple[str, str, str]] = field(default_factory=set)  # (url, run_id, WARC record id it points to)
    ahead: set[str] = field(default_factory=set)  # URLs the state gives text without a durable record


@dataclass
class Figures:
    """What one store went through."""

    store: str
    kills: int = 0
    finished_early: int = 0  # attempts that ended before their kill
    seen: Durable = field(default_factory=Durable)
    ahead_max: int = 0
    wall: float = 0.0
    final: dict = field(default_factory=dict)


class StoreReader:
    """Read a store's WARCs and batches; stored objects never change under a key, so each is read once."""

    def __init__(self, uri: str, site: str):
        self.store = open_store(uri)
        self.site = site
        self._cache: dict[str, list] = {}

    def _read(self, key: str, parse) -> list:
        if key not in self._cache:
            self._cache[key] = parse(self.store.get_bytes(key))
        return self._cache[key]

    def warc_ids(self) -> list[str]:
        keys = [k for k in self.store.list_keys(f"warc/{self.site}/") if is_warc_name(k)]
        return [rid for key in keys for rid in self._read(key, warc_ids)]

    def records(self) -> list[dict]:
        keys = [k for k in self.store.list_keys(f"text/{self.site}/") if is_batch_name(k)]
        return [r for key in keys for r in self._read(key, lambda data: lines(gzip.decompress(data)))]


def warc_ids(data: bytes) -> list[str]:
    """Record ids of a WARC's records, warcinfo aside."""
    records = ArchiveIterator(io.BytesIO(data), no_record_parse=True, check_digests=False)
    return [r.rec_headers.get_header("WARC-Record-ID") for r in records if r.rec_type != "warcinfo"]


def lines(data: bytes) -> list[dict]:
    """The whole JSON lines of a batch (a line cut by a kill is not a record)."""
    return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines() if line.strip()]


def text_key(record: dict) -> tuple[str, str, str]:
    """A text record's identity: its URL, its run, the WARC record it was made from."""
    return record.get("url", ""), record.get("run_id", ""), (record.get("warc") or {}).get("record_id", "")


def durable_now(reader: StoreReader, spool: Path) -> Durable:
    """What the spool and the store hold whole (call while no crawl runs)."""
    found = Durable(set(reader.warc_ids()), {text_key(r) for r in reader.records()})
    for path in sorted(p for p in spool.rglob("*") if p.is_file()):
        name = path.name
        if name.endswith(".jsonl.open"):
            found.text |= {text_key(r) for r in lines(path.read_bytes())}
        elif is_batch_name(name):
            found.text |= {text_key(r) for r in lines(gzip.decompress(path.read_bytes()))}
        elif is_warc_name(name.removesuffix(".open")):
            found.warc |= set(warc_ids(path.read_bytes()[: complete_prefix(path)[0]]))
    state = load_state(reader.store, reader.site)
    durable_urls = {url for url, _, _ in found.text}
    found.ahead = {url for url, e in state.previous.items() if e.text_sha256 and url not in durable_urls}
    return found


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process of the group is left, from /proc."""
    for entry in Path("/proc").iterdir():
        try:
            state, _, group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError, IndexError):
            continue
        if int(group) == pgid and state != "Z":
            return True
    return False


def attempt(cmd: list[str], env: dict[str, str], log: Path, kill_after: float | None) -> tuple[bool, int | None]:
    """Run the crawl; SIGKILL its process group after ``kill_after`` s. Returns (killed, exit status if it ended)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=log.parent, env=env, stdout=out, stderr=out, start_new_session=True)
        try:
            proc.wait(timeout=kill_after if kill_after is not None else ATTEMPT_TIMEOUT)
            return False, proc.returncode
        except subprocess.TimeoutExpired:
            pass
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 20
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True, None


def chaos(name: str, uri: str, base: str, work: Path, args: argparse.Namespace, env: dict[str, str]) -> Figures:
    """Kill, restart, ... then finish one crawl into ``uri``; return the figures."""
    site = site_key(base)
    spool = work / "spool"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", base + "/", "--store", uri, "--spool", str(spool)]
    for setting in [*SETTINGS, *args.setting]:
        cmd += ["-s", setting]
    log = work / "crawl.log"
    reader = StoreReader(uri, site)
    rng = random.Random(args.seed)
    figures = Figures(name)
    t0 = time.perf_counter()
    for n in range(args.kills):
        wait = rng.uniform(args.min_wait, args.max_wait)
        killed, status = attempt(cmd, env, log, wait)
        if not killed:
            figures.finished_early += 1
            print(f"  {name}: attempt {n + 1} finished (exit {status}) before its kill at {wait:.1f} s", flush=True)
            continue
        figures.kills += 1
        now = durable_now(reader, spool)
        figures.seen.warc |= now.warc
        figures.seen.text |= now.text
        figures.ahead_max = max(figures.ahead_max, len(now.ahead))
        print(
            f"  {name}: kill {figures.kills} at {wait:.1f} s: {len(now.warc)} WARC records and {len(now.text)} text "
            f"records durable, state ahead by {len(now.ahead)}",
            flush=True,
        )
    _, status = attempt(cmd, env, log, None)
    figures.wall = time.perf_counter() - t0
    figures.final = final_figures(reader, spool, uri, work, env, status)
    return figures


def final_figures(reader: StoreReader, spool: Path, uri: str, work: Path, env: dict, status: int | None) -> dict:
    """What the store holds once the last run ended, next to what was seen."""
    ids = reader.warc_ids()
    records = reader.records()
    per_url = Counter(r.get("url") for r in records)
    verify = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "verify", "--store", uri],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    state = load_state(reader.store, reader.site)
    return {
        "last_run_status": status,
        "warc_ids": ids,
        "text_keys": {text_key(r) for r in records},
        "warc_duplicated": len(ids) - len(set(ids)),
        "text_records": len(records),
        "text_duplicated_urls": sum(1 for n in per_url.values() if n > 1),
        "urls": set(per_url),
        "state_with_text": sum(1 for e in state.previous.values() if e.text_sha256),
        "verify_status": verify.returncode,
        "verify_line": (verify.stdout.strip().splitlines() or ["(no output)"])[-1],
        "spool_left": sorted(str(p.relative_to(spool)) for p in spool.rglob("*") if p.is_file() and p.name != ".lock"),
    }


def report(figures: Figures, expected: set[str]) -> None:
    """Print one store's figures."""
    final = figures.final
    warc_lost = figures.seen.warc - set(final["warc_ids"])
    text_lost = figures.seen.text - final["text_keys"]
    print(f"\n== {figures.store} store: {figures.kills} kills ({figures.finished_early} attempts ended first), "
          f"{figures.wall:.0f} s, last run exit {final['last_run_status']}")  # fmt: skip
    print(f"  WARC records: {len(figures.seen.warc)} seen durable before a kill, {len(warc_lost)} lost, "
          f"{final['warc_duplicated']} duplicated; {len(final['warc_ids'])} in the store")  # fmt: skip
    print(f"  text records: {len(figures.seen.text)} seen durable before a kill, {len(text_lost)} lost, "
          f"{final['text_duplicated_urls']} URLs with two records; {final['text_records']} in the store")  # fmt: skip
    print(f"  posts and pages without a record: {len(expected - final['urls'])} of {len(expected)}; the state gives "
          f"text for {final['state_with_text']} URLs; state ahead of the durable records: at most "
          f"{figures.ahead_max} URLs at a kill")  # fmt: skip
    print(f"  blogarc verify: exit {final['verify_status']}: {final['verify_line']}")
    print(f"  spool after the last run: {len(final['spool_left'])} files {final['spool_left'][:5]}")


def start_moto() -> tuple[object, str]:
    """Moto's S3 server in this process, on 127.0.0.1 and a free port (port 0)."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only for the S3 store

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per store (default 20)")
    parser.add_argument("--stores", default="local,s3", help="local, s3 or both (default)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the blog and the kill moments")
    parser.add_argument("--min-wait", type=float, default=1.0, help="earliest kill, seconds after a start")
    parser.add_argument("--max-wait", type=float, default=12.0, help="latest kill, seconds after a start")
    parser.add_argument("-s", dest="setting", action="append", default=[], help="extra blogarc setting NAME=VALUE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="blogarc-chaos-"))
    server = moto = None
    try:
        port = run_bench.free_port()
        base = f"http://127.0.0.1:{port}"
        info = make_blog.build(tmp / "site", args.posts, base, args.seed)
        server, label = run_bench.start_server(tmp, tmp / "site", port)
        expected = {base + path for path in info["posts"] + info["pages"]}
        print(f"{len(info['posts'])} posts, {len(info['pages'])} pages at {base}/ ({label}); {SETTINGS + args.setting}")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp / "cache")}
        results = []
        for name in [s.strip() for s in args.stores.split(",") if s.strip()]:
            work = tmp / name
            work.mkdir()
            if name == "s3":
                moto, endpoint = start_moto()
                os.environ.update(
                    AWS_ENDPOINT_URL=endpoint,
                    AWS_ACCESS_KEY_ID="chaos",
                    AWS_SECRET_ACCESS_KEY="chaos",
                    AWS_DEFAULT_REGION="us-east-1",
                )
                env.update(
                    {
                        k: os.environ[k]
                        for k in (
                            "AWS_ENDPOINT_URL",
                            "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY",
                            "AWS_DEFAULT_REGION",
                        )
                    }
                )
                bucket = f"chaos-{uuid.uuid4().hex[:8]}"
                import boto3  # noqa: PLC0415

                boto3.client("s3").create_bucket(Bucket=bucket)
                uri = f"s3://{bucket}"
            else:
                uri = str(work / "store")
            print(f"\n{name} store {uri}:", flush=True)
            results.append(chaos(name, uri, base, work, args, env))
        for figures in results:
            report(figures, expected)
    finally:
        if server is not None:
            run_bench.stop_server(server)
        if moto is not None:
            moto.stop()
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
