"""Benchmark: a job of many politeness-bound blogs crawled by 1, 2 and 3 ``blogarc worker`` processes, and takeover.

``python bench/distributed.py [--blogs 24] [--posts 10] [--workers 1,2,3] [--concurrent-sites 4] [--lease 10]``
generates one WordPress-like blog (bench/make_blog.py) and serves it with nginx on many loopback addresses, one blog
each (bench/many_sites.py's set-up), starts a redis-server (tests/redisserver.py), then:

1. for each count of workers, a job of ``--blogs`` blogs (``blogarc enqueue``), crawled by that many ``blogarc
   worker --burst`` processes with ``--concurrent-sites`` each and blogarc's default politeness (robots.txt,
   AutoThrottle, 0.5 s between requests, 2 at a time per blog): wall time from the workers' start to the last one's
   exit, requests (the run manifests' ``requests``), requests/s, CPU seconds of the workers, manifests and posts
   recorded. Politeness-bound blogs are crawled slowly each; what more workers add is blogs crawled at once.
2. takeover: a job of two slow blogs and two workers with a free lane each; the holder of a blog is SIGKILLed
   mid-crawl, and the time until another worker claims it (the ``holders`` entry in Redis changes), and until that
   worker takes a request from its frontier (``inflight`` fills again), is measured against ``--lease``.

The machine is shared with other work: wall-time figures move with it (CPU seconds less so); the script prints the
machine's load next to them. It prints figures and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_blog  # noqa: E402
import many_sites  # noqa: E402
import run_bench  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.redisserver import RedisServer  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(REPO))


def blogarc(*args: str, redis_url: str) -> list[str]:
    """The command line of ``blogarc ARGS --redis URL`` (this checkout's)."""
    return [sys.executable, "-m", "crawler.cli", *args, "--redis", redis_url]


def children_cpu() -> float:
    """CPU seconds of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def job_sites(work: Path, port: int, first: int, count: int, extra: str = "") -> Path:
    """A sites file of the blogs ``first`` .. ``first + count - 1`` (``extra``: settings for each)."""
    sites = work / "sites.txt"
    lines = [f"http://{many_sites.address(n)}:{port}/ {extra}\n" for n in range(first, first + count)]
    sites.write_text("".join(lines))
    return sites


def run_job(tmp: Path, redis_url: str, port: int, workers: int, args: argparse.Namespace, posts: set[str]) -> dict:
    """One job of ``args.blogs`` blogs crawled by ``workers`` workers; its figures."""
    work = tmp / f"workers-{workers}"
    work.mkdir()
    run_id = f"bench-{workers}w-{time.strftime('%H%M%S')}"
    sites = job_sites(work, port, 0, args.blogs)
    enqueue = blogarc("enqueue", "--sites", str(sites), "--run-id", run_id, redis_url=redis_url)
    subprocess.run(enqueue, env=ENV, check=True)
    store = work / "store"
    cpu0, load0, t0 = children_cpu(), os.getloadavg()[0], time.perf_counter()
    procs = []
    for n in range(workers):
        cmd = blogarc("worker", "--store", str(store), "--spool", str(work / f"spool-{n}"), redis_url=redis_url)
        cmd += ["--burst", "--concurrent-sites", str(args.concurrent_sites), "--lease", str(args.lease)]
        cmd += ["-L", "WARNING"]
        with open(work / f"worker-{n}.log", "wb") as log:
            procs.append(subprocess.Popen(cmd, env=ENV, stdout=log, stderr=subprocess.STDOUT))
    codes = [proc.wait() for proc in procs]
    wall = time.perf_counter() - t0
    manifests = [p for p in store.glob(f"runs/*/{run_id}.json") if not p.parent.name.startswith("_")]
    requests = sum(json.loads(p.read_text())["counts"]["requests"] for p in manifests)
    logs = "".join(p.read_text(errors="replace") for p in work.glob("worker-*.log"))
    return {
        "workers": workers,
        "exit": codes,
        "wall": wall,
        "requests": requests,
        "requests_per_s": requests / wall,
        "cpu": children_cpu() - cpu0,
        "load": (load0 + os.getloadavg()[0]) / 2,
        "manifests": len(manifests),
        "posts": many_sites.posts_recorded(store, run_id, posts),
        "posts_expected": len(manifests) and args.blogs * len(posts),
        "tracebacks": logs.count("Traceback (most recent call last)"),
    }


def takeover(tmp: Path, server: RedisServer, port: int, args: argparse.Namespace, trials: int) -> list[dict]:
    """Kill the holder of a slow blog mid-crawl; how long until another worker claims it and fetches from it."""
    client = server.client()
    found = []
    for trial in range(trials):
        work = tmp / f"takeover-{trial}"
        work.mkdir()
        run_id = f"takeover-{trial}-{time.strftime('%H%M%S')}"
        slow = "DOWNLOAD_DELAY=1 AUTOTHROTTLE_ENABLED=False CONCURRENT_REQUESTS_PER_DOMAIN=1"
        sites = job_sites(work, port, args.blogs + 2 * trial, 2, slow)
        subprocess.run(blogarc("enqueue", "--sites", str(sites), "--run-id", run_id, redis_url=server.url), env=ENV)
        procs = []
        for n in range(2):
            cmd = blogarc("worker", "--store", str(work / "store"), redis_url=server.url)
            cmd += ["--spool", str(work / f"spool-{n}"), "--concurrent-sites", "2", "--lease", str(args.lease)]
            cmd += ["--burst", "-L", "WARNING"]
            procs.append(subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        holders = f"blogarc:job:{run_id}:holders"
        site = f"{many_sites.address(args.blogs + 2 * trial)}_{port}"
        while not client.hexists(holders, site):
            time.sleep(0.05)
        time.sleep(5)  # in the middle of its crawl
        holder = json.loads(client.hget(holders, site))
        victim = next(p for p in procs if p.pid == holder["pid"])
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.wait()
        inflight = f"blogarc:job:{run_id}:site:{site}:inflight"
        while json.loads(client.hget(holders, site) or b"{}").get("worker", holder["worker"]) == holder["worker"]:
            time.sleep(0.05)
        claimed = time.monotonic() - killed
        while not client.hlen(inflight):  # the claim put the dead worker's requests back; a new one is taken
            time.sleep(0.05)
        fetching = time.monotonic() - killed
        for proc in procs:
            proc.wait()
        found.append({"lease": args.lease, "claimed_after": claimed, "fetching_after": fetching})
    return found


def main(argv: list[str] | None = None) -> int:
    """Serve the blogs, run the jobs, print the tables."""
    parser = argparse.ArgumentParser(description="blogarc workers on a Redis queue (prints figures)")
    parser.add_argument("--blogs", type=int, default=24, help="blogs of each job (24)")
    parser.add_argument("--posts", type=int, default=10, help="posts a blog (10)")
    parser.add_argument("--workers", default="1,2,3", help="counts of workers, one job each (1,2,3)")
    parser.add_argument("--concurrent-sites", type=int, default=4, help="blogs a worker crawls at once (4)")
    parser.add_argument("--lease", type=float, default=10.0, help="workers' --lease (10)")
    parser.add_argument("--takeovers", type=int, default=3, help="takeover trials (3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="blogarc-dist-"))
    port = run_bench.free_port()
    info = make_blog.build(tmp / "site", args.posts, many_sites.PLACEHOLDER, 1)
    nginx = many_sites.start_nginx(tmp, tmp / "site", args.blogs + 2 * args.takeovers, port)
    results, takeovers = [], []
    try:
        with RedisServer(tmp / "redis") as server:
            for workers in (int(n) for n in args.workers.split(",")):
                print(f"{workers} worker(s) ...", flush=True)
                results.append(run_job(tmp, server.url, port, workers, args, set(info["posts"])))
                print(json.dumps(results[-1]), flush=True)
            takeovers = takeover(tmp, server, port, args, args.takeovers)
    finally:
        run_bench.stop_server(nginx)
        print(f"kept {tmp}") if args.keep else shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.blogs} blogs of {args.posts} posts, default politeness; {os.cpu_count()} cores, shared machine")
    print("| workers | wall | requests | requests/s | CPU s | load avg | manifests | posts recorded | tracebacks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['workers']} | {r['wall']:.0f} s | {r['requests']} | {r['requests_per_s']:.1f} | {r['cpu']:.0f} | "
            f"{r['load']:.1f} | {r['manifests']} | {r['posts']} / {r['posts_expected']} | {r['tracebacks']} |"
        )
    for t in takeovers:
        print(
            f"takeover (lease {t['lease']:.0f} s): claimed by another worker {t['claimed_after']:.1f} s after the "
            f"kill, fetching again after {t['fetching_after']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
