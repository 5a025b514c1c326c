"""Benchmark: blogarc's S3 store against bare boto3, and a crawl into S3 against the same crawl into a folder.

``python bench/s3_upload.py [--size-mb 500] [--runs 3] [--posts 500] [--skip-crawl]`` starts moto's S3 server in
its own process on 127.0.0.1 (``python -m moto.server``), then:

1. **Upload throughput.** Writes a WARC of ``--size-mb`` MB (records with random bodies, uncompressed) and uploads
   it, alternating, with a bare boto3 ``upload_file`` (same ``TransferConfig`` and ``ChecksumAlgorithm=SHA256``)
   and with blogarc's ``S3Store.persist`` (which also hashes the file, checks the server's copy with
   ``head_object`` and returns size and SHA-256). Prints MB/s of each (median of ``--runs``) and their ratio; the
   target is at least 90%.
2. **Crawl speed.** Generates a WordPress-like blog (``bench/make_blog.py``), serves it with nginx (or
   ``python -m http.server``; ``bench/run_bench.py``'s helpers), and crawls it with ``blogarc crawl`` into a local
   folder and into ``s3://`` (alternating, ``--runs`` each, ``WARC_MAX_SIZE`` 5 MB so files ship during the crawl).
   Prints pages/s of each (median) and their ratio (the target is within 10%), and the CPU time of blogarc's
   processes and of the moto server during each crawl: on a small machine the S3 server's own CPU competes with
   the crawl, which a remote store would not.

A benchmark that prints figures, not a test: it exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# Python puts this folder first on sys.path, where bench/incremental.py would shadow the `incremental` package
# Twisted imports: import blogarc (and Twisted) with the repository first, then the sibling benchmark helpers.
sys.path[:] = [str(BENCH.parent)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]
from pipelines.store.s3 import S3Options, S3Store  # noqa: E402

sys.path.append(str(BENCH))
import make_blog  # noqa: E402
import run_bench  # noqa: E402

MB = 1024**2
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_DEFAULT_REGION": "us-east-1"}


def start_moto(tmp: Path) -> tuple[subprocess.Popen, str]:
    """Moto's standalone S3 server in its own process (so it does not share the client's interpreter)."""
    port = run_bench.free_port()
    log = open(tmp / "moto.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("moto server did not start")


def write_warc(path: Path, size_mb: int) -> Path:
    """An uncompressed WARC of about ``size_mb`` MB: 8 MB response records with random (incompressible) bodies."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for n in range(max(1, size_mb // 8)):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"http://bench.example/{n}", "response", payload=io.BytesIO(os.urandom(8 * MB)), http_headers=headers
            )
            writer.write_record(record)
    return path


def bench_upload(endpoint: str, size_mb: int, runs: int, options: S3Options, tmp: Path) -> dict[str, float]:
    """Median MB/s of bare boto3 and of blogarc's store, uploading the same file alternately."""
    import boto3

    warc = write_warc(tmp / "bench.warc", size_mb)
    size = warc.stat().st_size
    bare = boto3.client("s3", endpoint_url=endpoint, config=options.client_config())
    bare.create_bucket(Bucket="bench-upload")
    store = S3Store("s3://bench-upload/blogarc", {"endpoint_url": endpoint}, options)
    store.check()  # create its client before timing, as the bare client was
    times: dict[str, list[float]] = {"boto3": [], "blogarc": []}
    for run in range(runs):
        for name in ("boto3", "blogarc"):
            key = f"{name}/{run}.warc"
            started = time.perf_counter()
            if name == "boto3":
                bare.upload_file(
                    str(warc), "bench-upload", key, ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                    Config=options.transfer_config(),
                )  # fmt: skip
            else:
                store.persist(warc, key)
            times[name].append(time.perf_counter() - started)
            if name == "blogarc":
                store.delete(key)
            else:
                bare.delete_object(Bucket="bench-upload", Key=key)
            print(f"  {name:8s} run {run + 1}: {size / MB / times[name][-1]:7.1f} MB/s", flush=True)
    warc.unlink()
    return {name: size / MB / statistics.median(values) for name, values in times.items()}


def bench_crawl(endpoint: str, moto_pid: int, posts: int, runs: int, extract: bool, tmp: Path) -> dict[str, float]:
    """Median pages/s of the same crawl into a local folder and into S3."""
    import boto3

    root, port = tmp / "blog", run_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    make_blog.build(root, posts, base, 1)
    server, label = run_bench.start_server(tmp, root, port)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench-crawl")
    rates: dict[str, list[float]] = {"local": [], "s3": []}
    print(f"  serving {posts} posts with {label}", flush=True)
    try:
        for run in range(runs):
            for name in ("local", "s3"):
                run_id = f"bench-{name}-{run}"
                store = str(tmp / f"store-{run_id}") if name == "local" else f"s3://bench-crawl/{run_id}"
                cmd = run_bench.blogarc_cmd(f"{base}/", store, tmp / f"spool-{run_id}", run_id, extract, 32,
                                            ["WARC_MAX_SIZE=5000000"])  # fmt: skip
                started, cpu, server_cpu = time.perf_counter(), children_cpu(), process_cpu(moto_pid)
                result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
                wall = time.perf_counter() - started
                cpu, server_cpu = children_cpu() - cpu, process_cpu(moto_pid) - server_cpu
                if result.returncode != 0:
                    print(result.stderr[-2000:])
                    raise SystemExit(f"blogarc crawl into {store} exited {result.returncode}")
                responses = read_manifest(store, endpoint)["counts"]["responses"]
                rates[name].append(responses / wall)
                print(f"  {name:6s} run {run + 1}: {responses} responses in {wall:.1f}s = {rates[name][-1]:.1f}/s; "
                      f"CPU: blogarc {cpu:.1f}s, moto server {server_cpu:.1f}s")  # fmt: skip
    finally:
        run_bench.stop_server(server)
    return {name: statistics.median(values) for name, values in rates.items()}


def children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (blogarc and its extraction workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system CPU seconds a running process used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_manifest(store: str, endpoint: str) -> dict:
    """The single run manifest in a store (folder or s3://bucket/prefix)."""
    from scrapy.settings import Settings

    from pipelines.store.base import open_store

    target = open_store(store, Settings({"AWS_ENDPOINT_URL": endpoint}))
    (key,) = [k for k in target.list_keys("runs/") if k.endswith(".json")]
    return json.loads(target.get_bytes(key))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="size of the WARC to upload (default 500)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant (default 3)")
    parser.add_argument("--part-size-mb", type=int, default=64, help="multipart part size (ARCHIVE_S3_PART_SIZE)")
    parser.add_argument("--part-concurrency", type=int, default=4, help="parts in flight (ARCHIVE_S3_PART_CONCURRENCY)")
    parser.add_argument("--posts", type=int, default=500, help="posts in the generated blog (default 500)")
    parser.add_argument("--no-extract", action="store_true", help="crawl with --no-extract")
    parser.add_argument("--skip-crawl", action="store_true", help="only the upload benchmark")
    parser.add_argument("--skip-upload", action="store_true", help="only the crawl benchmark")
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    tmp = Path(tempfile.mkdtemp(prefix="blogarc-s3-bench-"))
    moto, endpoint = start_moto(tmp)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    options = S3Options(part_size=args.part_size_mb * MB, part_concurrency=args.part_concurrency)
    try:
        if not args.skip_upload:
            print(f"upload of a {args.size_mb} MB WARC to moto ({endpoint}), parts of {args.part_size_mb} MB, "
                  f"{args.part_concurrency} at once:", flush=True)  # fmt: skip
            up = bench_upload(endpoint, args.size_mb, args.runs, options, tmp)
            print(f"upload MB/s (median): boto3 {up['boto3']:.1f}, blogarc {up['blogarc']:.1f} "
                  f"= {up['blogarc'] / up['boto3']:.0%} of bare boto3 (target >= 90%)")  # fmt: skip
        if not args.skip_crawl:
            mode = "off" if args.no_extract else "on"
            print(f"crawl of a generated blog, local folder vs s3:// (extraction {mode}):")
            crawl = bench_crawl(endpoint, moto.pid, args.posts, args.runs, not args.no_extract, tmp)
            print(f"crawl pages/s (median): local {crawl['local']:.1f}, s3 {crawl['s3']:.1f} "
                  f"= {crawl['s3'] / crawl['local']:.0%} of local (target >= 90%)")  # fmt: skip
    finally:
        moto.kill()
        moto.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
