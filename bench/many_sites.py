"""Benchmark: one ``blogarc crawl --sites FILE`` of many small blogs, each on its own loopback address.

``python bench/many_sites.py [--blogs 100,300,1000] [--posts 10] [--concurrent-sites N | --sweep 16,32,64] [--keep]
[-s NAME=VALUE]``
generates one WordPress-like blog (bench/make_blog.py, 10 posts) whose links name the placeholder host
``blog.invalid``, and serves it with nginx on 127.0.1.1, 127.0.1.2 ... (every address of 127.0.0.0/8 is on Linux's
loopback without setup), one ``listen`` each; nginx's ``sub_filter`` writes the address asked for in place of the
placeholder, so each address is a blog of its own whose links, sitemaps and feeds point at itself. Then, for each
count of blogs, one ``blogarc crawl --sites`` with the default politeness, measured as bench/run_bench.py measures
(wall time, peak RSS summed over the process tree, peak process count), and read back: manifests written, posts
recorded (text records of the generated posts' URLs), the job manifest's sites by status, and tracebacks (and
``CRITICAL`` lines) in the log. Targets (issue 14): peak RSS <= 2 GB and within 1.2x between 300 and 1,000 blogs;
processes <= cores + 2; a manifest for every blog, every post recorded, 0 tracebacks. It prints figures; it exits 0
whatever they are (2 when a crawl could not run).

``--sweep 16,32,64,128`` runs every count of blogs once per value of ``--concurrent-sites`` and prints one table
row per pair (the measurements behind ``ARCHIVE_CONCURRENT_SITES``'s default); each row also gives the load
average at its start, the CPU seconds of the crawl's process tree and the cores the rest of the machine used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_blog  # noqa: E402
import run_bench  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = "http://blog.invalid"
SERVER = """\
    server {{
{listen}
        root {root};
        index index.html;
        charset utf-8;
        charset_types text/xml text/plain application/rss+xml application/xml;
        error_page 404 /404.html;
        sub_filter '{placeholder}' 'http://$http_host';
        sub_filter_once off;
        sub_filter_types text/xml text/plain application/rss+xml application/xml text/css application/javascript;
        location ~ /feed/$ {{
            types {{ }}
            default_type application/rss+xml;
            try_files ${{uri}}index.xml =404;
        }}
    }}
"""


def address(n: int) -> str:
    """The loopback address of blog ``n`` (0-based): 127.0.1.1 ... 127.0.1.250, 127.0.2.1 ..."""
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


def nginx_conf(tmp: Path, root: Path, blogs: int, port: int) -> str:
    """nginx.conf of run_bench.py with one server for every blog's address."""
    mime = run_bench.find_mime_types()
    base = run_bench.NGINX_CONF.format(tmp=tmp, port=port, root=root, mime_types=mime)
    http, _, _ = base.partition("    server {")
    listen = "\n".join(f"        listen {address(n)}:{port};" for n in range(blogs))
    server = SERVER.format(listen=listen, root=root, placeholder=PLACEHOLDER)
    return http.replace("worker_connections 1024;", "worker_connections 8192;") + server + "}\n"


def start_nginx(tmp: Path, root: Path, blogs: int, port: int) -> object:
    """Start nginx serving ``blogs`` addresses; return once the last one answers."""
    import subprocess  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    (tmp / "nginx-tmp").mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(tmp, root, blogs, port))
    for folder in [root, *root.parents]:  # nginx workers may run as another user
        folder.chmod(folder.stat().st_mode | 0o755)
        if folder == tmp:
            break
    with open(tmp / "nginx-stderr.log", "wb") as err:
        proc = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(tmp)], stderr=err
        )
    deadline = time.time() + 20
    url = f"http://{address(blogs - 1)}:{port}/robots.txt"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                reply.read()
            return proc
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"nginx did not serve {url}: {(tmp / 'nginx-stderr.log').read_text()}") from None
            time.sleep(0.2)


def posts_recorded(store: Path, run_id: str, posts: set[str]) -> int:
    """Generated posts with a text record, summed over every blog."""
    found = 0
    for site in (store / "text").iterdir() if (store / "text").exists() else ():
        seen = set()
        for part in site.glob(f"{run_id}/*.jsonl.gz"):
            with gzip.open(part, "rt", encoding="utf-8") as fh:
                for line in fh:
                    url = json.loads(line).get("url", "")
                    seen.add("/" + url.split("/", 3)[-1] if url.count("/") >= 3 else url)
        found += len(posts & seen)
    return found


def crawl(tmp: Path, blogs: int, port: int, args: argparse.Namespace, posts: set[str], lanes: int | None) -> dict:  # noqa: PLR0913
    """One measured ``blogarc crawl --sites`` of ``blogs`` blogs, ``lanes`` at once (None: the default); figures."""
    work = tmp / f"run-{blogs}-{lanes or 'default'}"
    work.mkdir()
    sites = work / "sites.txt"
    sites.write_text("".join(f"http://{address(n)}:{port}/\n" for n in range(blogs)))
    run_id = f"many-{blogs}-{time.strftime('%Y%m%dT%H%M%S')}"
    store = work / "store"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites), "--store", str(store)]
    cmd += ["--spool", str(work / "spool"), "--run-id", run_id]
    if lanes:
        cmd += ["--concurrent-sites", str(lanes)]
    for pair in args.set:
        cmd += ["-s", pair]
    load = os.getloadavg()[0]
    print(f"crawling {blogs} blogs, --concurrent-sites {lanes or 'default'} (load {load:.2f}) ...", flush=True)
    env = dict(os.environ, PYTHONPATH=str(REPO))  # this checkout's blogarc
    run = run_bench.measure(f"{blogs} blogs", cmd, work, work / "crawl.log", args.server_pids, env)
    log = (work / "crawl.log").read_text(errors="replace")
    manifests = [p for p in store.glob(f"runs/*/{run_id}.json") if not p.parent.name.startswith("_")]
    requests = sum(json.loads(p.read_text())["counts"]["requests"] for p in manifests)
    job = store / "runs" / "_job" / f"{run_id}.json"
    by_status = json.loads(job.read_text())["sites_by_status"] if job.exists() else {}
    return {
        "blogs": blogs,
        "lanes": lanes or "default",
        "load": load,
        "cpu": run.cpu,
        "main_cpu": run.root_cpu,  # the crawling process alone (its reactor thread and its threads)
        "others": run.foreign_cpu / run.wall if run.wall else 0.0,
        "server_cpu": run.server_cpu,
        "exit": run.returncode,
        "wall": run.wall,
        "peak_rss": run.peak_rss_tree,
        "procs": run.procs,
        "requests": requests,
        "requests_per_s": requests / run.wall if run.wall else 0.0,
        "manifests": len(manifests),
        "posts": posts_recorded(store, run_id, posts),
        "posts_expected": blogs * len(posts),
        "tracebacks": log.count("Traceback (most recent call last)"),
        "critical": log.count("] CRITICAL:"),
        "statuses": {status: len(names) for status, names in by_status.items()},
    }


def print_table(results: list[dict]) -> None:
    """The figures of every crawl, one Markdown row each."""
    head = "blogs | concurrent sites | load | exit | wall | CPU (main) | nginx CPU | others | peak RSS (tree)"
    print(f"| {head} | processes | requests/s | manifests | posts recorded | tracebacks |")
    print("|---" * 14 + "|")
    for r in results:
        cells = [
            r["blogs"],
            r["lanes"],
            f"{r['load']:.2f}",
            r["exit"],
            f"{r['wall']:.0f} s",
            f"{r['cpu']:.0f} s ({r['main_cpu']:.0f} s)",
            f"{r['server_cpu']:.0f} s",
            f"{r['others']:.2f}",
            f"{r['peak_rss'] / 1e9:.2f} GB",
            r["procs"],
            f"{r['requests_per_s']:.1f}",
            r["manifests"],
            f"{r['posts']} / {r['posts_expected']}",
            f"{r['tracebacks']} (+{r['critical']} CRITICAL)",
        ]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")


def main(argv: list[str] | None = None) -> int:
    """Generate, serve, crawl each count of blogs, print the table."""
    parser = argparse.ArgumentParser(description="one blogarc crawl of many small blogs (prints figures)")
    parser.add_argument("--blogs", default="100,300", help="counts of blogs to crawl, one crawl each (100,300,1000)")
    parser.add_argument("--posts", type=int, default=10, help="posts a blog (default 10)")
    parser.add_argument("--concurrent-sites", type=int, help="blogarc crawl --concurrent-sites (default: its own)")
    parser.add_argument("--sweep", default="", help="values of --concurrent-sites, one crawl each (16,32,64,128)")
    parser.add_argument("--port", type=int, default=0, help="port of every blog (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (blog, stores, logs)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="blogarc setting")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.blogs.split(",") if n.strip()]
    lanes = [int(n) for n in args.sweep.split(",") if n.strip()] or [args.concurrent_sites]
    tmp = Path(tempfile.mkdtemp(prefix="blogarc-many-"))
    port = args.port or run_bench.free_port()
    info = make_blog.build(tmp / "site", args.posts, PLACEHOLDER, 1)
    posts = set(info["posts"])
    server = start_nginx(tmp, tmp / "site", max(counts), port)
    args.server_pids = run_bench.tree(server.pid)  # nginx's CPU apart from the other processes'
    results = []
    try:
        for blogs in counts:
            for n in lanes:
                results.append(crawl(tmp, blogs, port, args, posts, n))
                print(json.dumps(results[-1]), flush=True)  # each crawl's figures as soon as it is over
    finally:
        run_bench.stop_server(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.posts} posts a blog ({info['html_files']} HTML files); {os.cpu_count()} cores; nginx; defaults")
    print_table(results)
    for r in results:
        print(f"{r['blogs']} blogs, --concurrent-sites {r['lanes']}, sites by status: {r['statuses']}")
    return 2 if any(r["exit"] not in (0, 75) and not r["manifests"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
