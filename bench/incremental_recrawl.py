"""Benchmark: what an incremental re-crawl costs next to the first, on the generated 2,000-post blog under nginx.

``python bench/incremental_recrawl.py [--posts 2000] [--edit 20] [--keep]`` generates the blog (bench/make_blog.py),
serves it with nginx (which sends ``ETag`` and ``Last-Modified`` and answers conditional requests with 304), and
runs ``blogarc crawl`` into one store four times:

1. the first run (no state: a full capture);
2. the same blog, unchanged: incremental (conditional requests, revisits, sitemap lastmod skips);
3. unchanged again with ``ARCHIVE_REVALIDATE_EVERY=1``: every known page asked for again (conditionally);
4. after editing ``--edit`` posts (a paragraph added, their sitemap ``lastmod`` moved to now, as WordPress does).

It prints, per run: wall time, requests sent, bytes received, WARC bytes, every byte stored (manifest files
plus the crawl state), text records, revisit records, and each as a fraction of the first run. A benchmark that
prints figures, not a test: exit 0 whatever they are (2 when a run fails).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_blog
from run_bench import blogarc_cmd, free_port, start_server, stop_server


def run_once(label: str, base: str, tmp: Path, run_id: str, extra: list[str], concurrency: int) -> dict:
    """One ``blogarc crawl`` of the blog into ``tmp/store``; its figures from the manifest and the crawl state."""
    cmd = blogarc_cmd(base + "/", tmp / "store", tmp / "spool", run_id, True, concurrency, extra)
    started = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"{label}: blogarc exited {result.returncode}")
    (manifest_path,) = (tmp / "store" / "runs").glob(f"*/{run_id}.json")
    manifest = json.loads(manifest_path.read_text())
    counts = manifest["counts"]
    state = sum(p.stat().st_size for p in (tmp / "store" / "state").glob("*/urls.jsonl.gz"))
    return {
        "run": label,
        "mode": manifest.get("mode"),
        "wall_s": wall,
        "requests": counts.get("requests", 0),
        "bytes_received": counts.get("bytes_received", 0),
        "warc_bytes": sum(f["size"] for f in manifest["files"] if f["kind"] == "warc"),
        "stored_bytes": sum(f["size"] for f in manifest["files"]) + state,
        "text_records": counts.get("records_written", 0),
        "revisits": revisit_count(tmp / "store", manifest),
    }


def edit_posts(root: Path, base: str, paths: list[str]) -> None:
    """Add a paragraph to each post and move its sitemap ``lastmod`` to now."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for path in paths:
        page = root / path.strip("/") / "index.html"
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace('<div class="entry-content">', '<div class="entry-content"><p>Edited.</p>', 1))
    for sitemap in root.glob("wp-sitemap-posts-post-*.xml"):
        xml = sitemap.read_text(encoding="utf-8")
        for path in paths:
            xml = re.sub(rf"(<loc>{re.escape(base + path)}</loc><lastmod>)[^<]*", rf"\g<1>{now}", xml)
        sitemap.write_text(xml, encoding="utf-8")


def revisit_count(store: Path, manifest: dict) -> int:
    """Revisit records in the run's WARCs (from their CDXJ indexes)."""
    total = 0
    for entry in manifest["files"]:
        if entry["kind"] == "cdxj":
            total += sum('"warc/revisit"' in line for line in (store / entry["key"]).read_text().splitlines())
    return total


def print_table(rows: list[dict]) -> None:
    """Each run's figures and their fraction of the first run's."""
    first = rows[0]
    names = ["wall_s", "requests", "bytes_received", "warc_bytes", "stored_bytes", "text_records", "revisits"]
    print(f"{'run':<28}{'mode':<12}" + "".join(f"{n:>18}" for n in names))
    for row in rows:
        cells = []
        for name in names:
            value = row[name]
            shown = f"{value:.1f}" if isinstance(value, float) else f"{value:,}"
            share = f" ({value / first[name]:.1%})" if row is not first and first[name] else ""
            cells.append(f"{shown + share:>18}")
        print(f"{row['run']:<28}{row['mode'] or '?':<12}" + "".join(cells))


def main(argv: list[str] | None = None) -> int:
    """Generate, serve, crawl three times, print."""
    parser = argparse.ArgumentParser(description="cost of an incremental re-crawl vs the first (prints figures)")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--edit", type=int, default=20, help="posts edited before the last run (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="blogarc-incremental-"))
    server = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        info = make_blog.build(tmp / "site", args.posts, base, args.seed)
        server, label = start_server(tmp, tmp / "site", port)
        print(f"{len(info['posts'])} posts, {info['html_files']} HTML files, served by {label}", flush=True)
        runs = [
            ("1 first (full)", []),
            ("2 unchanged (incremental)", []),
            ("3 unchanged (revalidate)", ["ARCHIVE_REVALIDATE_EVERY=1"]),
        ]
        rows = [
            run_once(name, base, tmp, f"bench-{i}", extra, args.concurrency) for i, (name, extra) in enumerate(runs)
        ]
        edit_posts(tmp / "site", base, info["posts"][:: max(1, len(info["posts"]) // args.edit)][: args.edit])
        rows.append(run_once(f"4 {args.edit} posts edited", base, tmp, "bench-3", [], args.concurrency))
        print_table(rows)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
