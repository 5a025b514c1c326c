"""Benchmark: wget --mirror vs blogarc (extraction on and off) on a generated WordPress-like blog served by nginx.

``python bench/run_bench.py [--posts 2000] [--keep]`` generates the blog (bench/make_blog.py) in a temporary folder,
serves it with nginx on 127.0.0.1 (``python -m http.server`` if nginx is missing), runs, one after the other:

1. ``wget --mirror --no-parent --warc-file=... -e robots=on -q``;
2. ``blogarc crawl`` with extraction on;
3. ``blogarc crawl --no-extract``;

and prints a table: pages fetched, wall time, pages/s, CPU ms per page (user+sys of the whole process tree, from
``wait4``, as ``/usr/bin/time -v`` reports it), peak RSS (sum over the process tree, polled from /proc; and the
largest single process), the server's CPU per page, next to the references of DESIGN.md ("Speed"), and how many
of the generated posts blogarc wrote a text record for. It is a benchmark that prints figures, not a test: it
exits 0 whatever the figures are (2 if a crawler fails to run).

``--profile`` adds one more blogarc run per mode under ``py-spy record --subprocesses`` (if py-spy is installed)
and prints the hottest functions (self and inclusive samples); those runs are slower and are not in the table.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_blog

PYSPY_RATE = 200  # samples a second
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

NGINX_CONF = """\
daemon off;
master_process on;
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/nginx-tmp;
    proxy_temp_path {tmp}/nginx-tmp;
    fastcgi_temp_path {tmp}/nginx-tmp;
    uwsgi_temp_path {tmp}/nginx-tmp;
    scgi_temp_path {tmp}/nginx-tmp;
    absolute_redirect off;
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        root {root};
        index index.html;
        charset utf-8;
        charset_types text/xml text/plain application/rss+xml application/xml;
        error_page 404 /404.html;
        # WordPress feeds: /feed/ and /comments/feed/ are index.xml files served as RSS
        location ~ /feed/$ {{
            types {{ }}
            default_type application/rss+xml;
            try_files ${{uri}}index.xml =404;
        }}
    }}
}}
"""


# --- process measurement --------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def hwm_bytes(pid: int) -> int:
    """Peak resident set size of ``pid`` so far (``VmHWM``, the kernel's high-water mark), in bytes (0 once gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """user+sys seconds of running processes (their own, not their reaped children's)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (from /proc/stat), all cores summed."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class RssPoller(threading.Thread):
    """Polls the summed RSS of a process tree; ``peak`` is the highest sum seen."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.procs = pid, interval, 0, 1
        self.hwm = 0  # the largest VmHWM of a process of the tree: its own peak, not sampled
        self.root_cpu = 0.0  # the root process's own CPU seconds, last seen (up to one interval before it ends)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = tree(self.pid)
            self.procs = max(self.procs, len(pids))
            self.peak = max(self.peak, sum(rss_bytes(p) for p in pids))
            self.hwm = max(self.hwm, *(hwm_bytes(p) for p in pids))
            self.root_cpu = max(self.root_cpu, cpu_seconds([self.pid]))
            self.stop.wait(self.interval)


@dataclass
class Run:
    """One measured command and its figures."""

    name: str
    cmd: list[str]
    returncode: int = 0
    wall: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    max_rss_single: int = 0  # bytes, largest single process (its VmHWM)
    peak_rss_tree: int = 0  # bytes, polled sum over the tree
    procs: int = 1
    root_cpu: float = 0.0  # CPU of the command's own process (the crawler), without its children
    server_cpu: float = 0.0
    foreign_cpu: float = 0.0  # CPU used meanwhile by everything else on the machine (other jobs: noise)
    pages: int = 0  # HTML pages (wget) / responses (blogarc)
    responses: int = 0
    extract_ok: int | None = None
    covered_posts: int | None = None
    manifest: dict = field(default_factory=dict)
    log: Path | None = None

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def measure(name: str, cmd: list[str], cwd: Path, log: Path, server_pids: list[int], env: dict | None = None) -> Run:
    """Run ``cmd`` to completion and measure it (wall, CPU of the process tree, RSS, server CPU)."""
    run = Run(name, cmd, log=log)
    server_before = cpu_seconds(server_pids)
    machine_before = machine_busy_seconds()
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        poller = RssPoller(proc.pid)
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        run.wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    poller.stop.set()
    poller.join()
    run.returncode = proc.returncode
    run.user, run.sys = usage.ru_utime, usage.ru_stime  # the child and every descendant it reaped
    # Not usage.ru_maxrss: Linux counts in a child's the RSS its parent had when it forked (the mm it leaves at
    # exec), so every run would weigh at least this script, which holds the generated blog (1.27 GB at 20,000
    # posts: the "1,273 MB" of earlier 20,000-post runs was this script's size, not blogarc's). VmHWM is the
    # process's own high-water mark, read until one poll interval before it ends.
    run.max_rss_single = poller.hwm
    run.peak_rss_tree = max(poller.peak, run.max_rss_single)
    run.procs = poller.procs
    run.root_cpu = min(poller.root_cpu, run.cpu)
    run.server_cpu = cpu_seconds(server_pids) - server_before
    run.foreign_cpu = max(0.0, machine_busy_seconds() - machine_before - run.cpu - run.server_cpu)
    return run


# --- server ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bind to port 0, read it, close)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_mime_types() -> str | None:
    """The ``mime.types`` file of the installed nginx, if any."""
    for path in ("/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types", "/opt/homebrew/etc/nginx/mime.types"):
        if os.path.exists(path):
            return path
    return None


def start_server(tmp: Path, root: Path, port: int) -> tuple[subprocess.Popen, str]:
    """Nginx on 127.0.0.1:port serving root (python -m http.server if there is no nginx)."""
    # nginx workers run as another user (nobody / www-data) when started by root: open the way to the files
    for folder in [root.resolve(), *root.resolve().parents]:
        if folder == Path(folder.anchor):
            break
        folder.chmod(folder.stat().st_mode | 0o755)
        if folder == tmp.resolve():
            break
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
    )
    mime = find_mime_types()
    if nginx and mime:
        (tmp / "nginx-tmp").mkdir(exist_ok=True)
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root, mime_types=mime))
        version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
        with open(tmp / "nginx-stderr.log", "wb") as err:
            proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.DEVNULL, stderr=err)
        label = version.replace("nginx version: ", "")
    else:
        print(
            "WARNING: nginx not found (apt-get install -y nginx); falling back to `python -m http.server`, which is "
            "single-threaded Python and much slower than nginx: the crawl figures will be server-bound and are "
            "NOT comparable with the references.",
            file=sys.stderr,
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        label = "python -m http.server (fallback)"
    deadline = time.time() + 15
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=1) as r:
                r.read()
            break
        except OSError as exc:
            failed = isinstance(exc, urllib.error.HTTPError)  # it answers, but not with the file
            if failed or proc.poll() is not None or time.time() > deadline:
                stop_server(proc)
                logs = "".join(
                    p.read_text(errors="replace")[-2000:]
                    for p in (tmp / "nginx-stderr.log", tmp / "nginx-error.log")
                    if p.exists()
                )
                raise SystemExit(
                    f"The web server did not serve {root}/robots.txt ({exc}; exit {proc.poll()}):\n{logs}"
                ) from None
            time.sleep(0.1)
    return proc, label


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the web server we started (nginx: graceful SIGQUIT) and reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGQUIT if "nginx" in " ".join(map(str, proc.args)) else signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def code_under_test(tmp: Path, ref: str | None) -> tuple[dict, str]:
    """The environment for blogarc runs and a label: this working tree, or ``ref`` exported from git."""
    repo = Path(__file__).resolve().parent.parent

    def git(*cmd: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *cmd], capture_output=True, text=True).stdout.strip()

    if not ref:
        # The tree this script lives in, first on the path: an editable install may point at another clone.
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "crawler", "pipelines")
        return with_on_path(repo), f"working tree at {git('rev-parse', '--short', 'HEAD') or '?'}" + (
            " + uncommitted changes" if dirty else ""
        )
    src = tmp / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref], capture_output=True)
    if archive.returncode:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode(errors='replace')}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(src, filter="data")
    return with_on_path(src), f"{ref} ({git('rev-parse', '--short', ref)}, exported to PYTHONPATH)"


def with_on_path(src: Path) -> dict:
    """The environment with ``src`` first on PYTHONPATH."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])))


# --- results --------------------------------------------------------------------------------------------------
def count_wget_warc(path: Path) -> tuple[int, int]:
    """(HTML pages with status 200, all responses) in wget's WARC."""
    from warcio.archiveiterator import ArchiveIterator

    html = total = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            total += 1
            ctype = record.http_headers.get_header("Content-Type") or ""
            if record.http_headers.get_statuscode() == "200" and "text/html" in ctype:
                html += 1
    return html, total


def read_blogarc_outputs(store: Path, run_id: str, posts: set[str], base: str, run: Run) -> None:
    """Fill ``run`` from blogarc's run manifest and text records (responses, records, covered posts)."""
    manifests = sorted(store.glob(f"runs/*/{run_id}.json"))
    if not manifests:
        return
    run.manifest = json.loads(manifests[0].read_text())
    counts = run.manifest.get("counts", {})
    run.responses = run.pages = int(counts.get("responses", 0))
    run.extract_ok = int(counts.get("extract_ok", 0))
    seen: set[str] = set()
    for part in store.glob(f"text/*/{run_id}/*.jsonl.gz"):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                for key in ("url", "canonical_url"):
                    url = record.get(key) or ""
                    if url.startswith(base):
                        seen.add(url[len(base) :])
    run.covered_posts = len(posts & seen)


def fmt(value: float | int | None, spec: str = ".0f") -> str:
    """``value`` formatted with ``spec``, or ``-`` when there is none."""
    return "-" if value is None else format(value, spec)


def per_request(r: Run) -> tuple[float | None, float | None]:
    """(requests/s, CPU ms per request) of a run: every response counts, as in the issue's ratios."""
    if not r.responses or not r.wall:
        return None, None
    return r.responses / r.wall, r.cpu * 1000 / r.responses


def ratios(runs: list[Run]) -> list[str]:
    """The issue-18 targets as ratios to wget in the same bench run, one line each (MET / MISSED)."""
    wget = next((r for r in runs if r.name.startswith("wget")), None)
    on = next((r for r in runs if r.name.endswith(" on")), None)
    off = next((r for r in runs if r.name.endswith(" off")), None)
    if wget is None or not wget.wall:
        return ["ratios to wget: no wget run in this bench run"]
    wget_rate, wget_cpu = per_request(wget)
    lines = []

    def line(label: str, value: float | None, goal: float, at_most: bool) -> None:
        if value is None:
            lines.append(f"  {label}: -")
            return
        met = value <= goal if at_most else value >= goal
        sign = "≤" if at_most else "≥"
        lines.append(f"  {label}: {value:.2f}  (target {sign} {goal}: {'MET' if met else 'MISSED'})")

    line("wall, blogarc with text / wget WARC only", on.wall / wget.wall if on and on.responses else None, 1.0, True)
    rate, cpu = per_request(off) if off else (None, None)
    line(
        "CPU ms/request, blogarc extraction off / wget",
        cpu / wget_cpu if cpu and wget_cpu else None,
        1.5,
        True,
    )
    line("requests/s, blogarc extraction off / wget", rate / wget_rate if rate and wget_rate else None, 0.8, False)
    return ["ratios to wget, same bench run (issue 18):", *lines]


def print_table(
    runs: list[Run], info: dict, server: str, posts: int, startup: Run | None = None, extra: list[str] = ()
) -> None:
    """Print the figures table, the ratios to wget and the notes under it."""
    cores = os.cpu_count()
    print()
    if extra:
        print(f"extra blogarc settings: {' '.join(extra)}")
    print(
        f"blogarc benchmark — {posts} posts, {info['html_files']} HTML files "
        f"({info['html_bytes'] / 1e6:.0f} MB, post pages {info['post_page_bytes_avg'] / 1024:.1f} KB on average), "
        f"server {server}, {cores} cores, Python {sys.version.split()[0]}"
    )
    head = (
        f"{'run':<24} {'requests':>8} {'wall s':>7} {'req/s':>7} {'CPU s':>7} {'cores':>5} {'CPU ms/req':>10} "
        f"{'main ms/req':>11} {'RSS MB':>7} {'max1 MB':>7} {'srv ms/req':>10} {'others':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        rate, cpu_pp = per_request(r)
        srv_pp = r.server_cpu * 1000 / r.responses if r.responses else None
        main_pp = r.root_cpu * 1000 / r.responses if r.responses else None
        note = ""
        if r.returncode:
            expected = r.name.startswith("wget") and r.returncode == 8  # wget: 8 = some server errors (404s)
            note = f"  [exit {r.returncode}{': some 404s, expected' if expected else ''}]"
        print(
            f"{r.name:<24} {r.responses:>8} {r.wall:>7.1f} {fmt(rate, '.1f'):>7} {r.cpu:>7.1f} {r.cpu / r.wall:>5.2f} "
            f"{fmt(cpu_pp, '.2f'):>10} {fmt(main_pp, '.2f'):>11} {r.peak_rss_tree / 2**20:>7.0f} "
            f"{r.max_rss_single / 2**20:>7.0f} {fmt(srv_pp, '.2f'):>10} {r.foreign_cpu / r.wall:>6.2f}{note}"
        )
    print()
    for text in ratios(runs):
        print(text)
    print()
    print(
        "requests: every response (wget: all response records of its WARC; blogarc: counts.responses of the run "
        "manifest).\nCPU = user+sys of the process and all its descendants (wait4, as /usr/bin/time -v); cores = "
        "CPU s / wall s;\nmain = the crawling process alone, without its extraction workers (polled from /proc); "
        "RSS MB = peak of the summed RSS\nof the process tree (polled every 0.2 s); max1 MB = the largest single "
        "process (its VmHWM); srv = nginx's CPU;\nothers = cores used meanwhile by other processes on the machine "
        "(/proc/stat): above ~0.1 the figures are disturbed."
    )
    if startup is not None:
        print(
            f"blogarc start-up alone (`blogarc --version`, imports): {startup.wall:.2f} s wall, "
            f"{startup.cpu:.2f} s CPU (included in the blogarc rows)."
        )
    for r in runs:
        if r.wall and r.foreign_cpu / r.wall > 0.15:
            print(
                f"WARNING: other processes used {r.foreign_cpu / r.wall:.2f} cores during '{r.name}': its figures are "
                "disturbed; rerun on a quiet machine."
            )
    wget = next((r for r in runs if r.name.startswith("wget")), None)
    if wget:
        print(
            f"wget: {wget.pages} HTML pages with status 200 among its {wget.responses} responses (it follows "
            "?replytocom= links: each commented post several times)."
        )
    n_posts = len(info["posts"])
    for r in runs:
        if r.extract_ok is None:
            continue
        pages = r.manifest.get("counts", {}).get("pages", {})
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(pages.items()))
        print(
            f"{r.name}: status {r.manifest.get('status')} ({r.manifest.get('finish_reason')}); pages by kind: "
            f"{kinds or '-'}; errors: {r.manifest.get('counts', {}).get('errors') or 'none'}"
        )
        if "on" in r.name.split()[-1]:
            print(
                f"coverage: the blog has {n_posts} posts + {len(info['pages'])} pages; blogarc wrote "
                f"{r.extract_ok} text records, covering {r.covered_posts}/{n_posts} posts "
                f"({(r.covered_posts or 0) / max(n_posts, 1):.1%})."
            )


def print_memory(by_posts: dict[int, list[Run]]) -> None:
    """Peak RSS of each blogarc run against the same run on the smallest blog (issue 18: flat memory, ≤ 1.3×)."""
    counts = sorted(by_posts)
    if len(counts) < 2:
        return
    smallest = counts[0]
    print("\npeak RSS by blog size (MB, summed over the process tree; largest single process in brackets):")
    for name in [r.name for r in by_posts[smallest] if r.name.startswith("blogarc")]:
        base = next(r for r in by_posts[smallest] if r.name == name)
        cells = []
        for n in counts:
            r = next((x for x in by_posts[n] if x.name == name), None)
            if r is None:
                continue
            cells.append(f"{n} posts {r.peak_rss_tree / 2**20:.0f} ({r.max_rss_single / 2**20:.0f})")
            if n == smallest:
                continue
            if not (r.responses and base.responses):
                cells[-1] += " = - (a run failed)"
                continue
            ratio = r.peak_rss_tree / base.peak_rss_tree
            cells[-1] += f" = {ratio:.2f}× {'MET' if ratio <= 1.3 else 'MISSED'} (≤ 1.3×)"
        print(f"  {name}: " + "; ".join(cells))


# --- profiling ------------------------------------------------------------------------------------------------
# Where a py-spy sample goes: the first rule (innermost frame first) whose text occurs in a frame.
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imports / process start-up", ("_find_and_load", "spawn.py:2", "_fixup_main_from_path")),
    ("trafilatura extract_post (workers)", ("extract_post (pipelines/extract/core.py",)),
    ("lxml HTML parse (parsel, once a page)", ("create_root_node",)),
    (
        "process-pool IPC (pickle, pipes)",
        (
            "multiprocessing/connection.py",
            "ExtractionPool.submit",
            "concurrent/futures/process.py",
            "multiprocessing/queues.py",
        ),
    ),
    ("WARC records + gzip (warcio)", ("warcio/", "pipelines/warc/records", "WarcExporter")),
    ("follow()/admit(): urljoin, canonical URL, scope rules, Request", ("BlogSpider.follow", "BlogSpider.admit")),
    ("discovery XPaths + CSS url() scan (crawler/discovery.py)", ("crawler/discovery.py",)),
    ("classify()", ("classify (crawler/spiders/blog.py",)),
    ("XPath selection (links, feeds)", ("Selector.xpath", "TextResponse.xpath")),
    ("text record build", ("Recorder.build", "Recorder.record")),
    ("feed export (JSON lines, gzip)", ("feedexport", "exporters.py", "postprocessing.py")),
    (
        "HTTP client (Twisted, http11)",
        (
            "core/downloader/handlers",
            "twisted/web/",
            "twisted/internet/tcp.py",
            "twisted/protocols/",
            "_newclient",
            "h2/",
        ),
    ),
    (
        "scheduler + dupefilter + fingerprints",
        ("core/scheduler.py", "dupefilters.py", "squeues.py", "pqueues.py", "fingerprint", "queuelib"),
    ),
    ("Scraper: spider output, an asyncio task per yielded object", ("scrapy/utils/asyncio.py", "core/scraper.py")),
    ("downloader middlewares", ("downloadermiddlewares/",)),
    ("rest of BlogSpider callbacks", ("crawler/spiders/blog.py",)),
    ("spider middlewares", ("spidermiddlewares/",)),
    ("stats, signals, logging", ("statscollectors.py", "logging/", "signalmanager.py", "pydispatch")),
    ("event loop waiting (select)", ("selectors.py", "select (")),
    ("threads waiting", ("threading.py", "concurrent/futures/thread.py")),
)


_PROCESS = re.compile(r'process \d+:"[^"]*";?')


def summarize_pyspy(raw: Path, rate: int, pages: int, top: int = 12) -> str:
    """Per process role (crawler, extraction workers): samples by component and the hottest functions (self)."""
    roles: dict[str, dict[str, collections.Counter[str]]] = {}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        procs = _PROCESS.findall(stack)  # command lines may hold ';' themselves
        frames = [f for f in _PROCESS.sub("", stack).split(";") if f and not f.startswith("thread ")]
        role = "extraction workers" if procs and "multiprocessing" in procs[-1] else "crawler process"
        counters = roles.setdefault(role, {"component": collections.Counter(), "self": collections.Counter()})
        if frames:
            counters["self"][frames[-1]] += count
        component = "other (engine, asyncio, Twisted)"
        for frame in reversed(frames):
            hit = next((name for name, needles in COMPONENTS if any(x in frame for x in needles)), None)
            if hit:
                component = hit
                break
        counters["component"][component] += count
    out = [
        f"{total} samples at {rate} Hz over {pages} pages; ms/page = samples / {rate} Hz / pages "
        "(active time, roughly CPU)"
    ]
    for role, counters in sorted(roles.items()):
        n = sum(counters["component"].values())
        out.append(f"  {role}: {n / max(total, 1):.0%} of samples, {n * 1000 / rate / max(pages, 1):.1f} ms/page")
        for name, c in counters["component"].most_common():
            out.append(f"    {c * 1000 / rate / max(pages, 1):6.2f} ms/page {c / n:6.1%}  {name}")
        out.append(f"   hottest functions (self), {role}:")
        out += [f"    {c / n:6.1%}  {f}" for f, c in counters["self"].most_common(top)]
    return "\n".join(out)


# --- main -----------------------------------------------------------------------------------------------------
def blogarc_cmd(
    url: str, store: Path, spool: Path, run_id: str, extract: bool, concurrency: int, extra: list[str] = ()
) -> list[str]:
    """The ``blogarc crawl`` command line of the benchmark."""
    exe = shutil.which("blogarc") or "blogarc"
    cmd = [
        exe,
        "crawl",
        url,
        "--store",
        str(store),
        "--spool",
        str(spool),
        "--run-id",
        run_id,
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=false",
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s",
        "PROGRESS_INTERVAL=0",
        "-L",
        "WARNING",
    ]
    for pair in extra:
        cmd += ["-s", pair]
    if not extract:
        cmd.append("--no-extract")
    return cmd


def run_wget(base: str, tmp: Path, server_pids: list[int]) -> Run | None:
    """``wget --mirror --warc-file`` of the blog, measured."""
    if not shutil.which("wget"):
        print("WARNING: wget not found; skipping the wget reference run", file=sys.stderr)
        return None
    mirror = tmp / "wget"
    mirror.mkdir()
    cmd = ["wget", "--mirror", "--no-parent", f"--warc-file={tmp / 'wget-site'}", "-e", "robots=on", "-q", f"{base}/"]
    print("running wget --mirror ...", flush=True)
    run = measure("wget --mirror --warc", cmd, mirror, tmp / "wget.log", server_pids)
    warc = tmp / "wget-site.warc.gz"
    if warc.exists():
        run.pages, run.responses = count_wget_warc(warc)
    return run


def profile(mode: str, base: str, tmp: Path, posts: set[str], args: argparse.Namespace, env: dict | None) -> None:
    """One more blogarc run under ``py-spy record --subprocesses``; print its samples by component."""
    pyspy = shutil.which("py-spy")
    if not pyspy:
        print("\n--profile: py-spy not installed (pip install py-spy); skipped", file=sys.stderr)
        return
    run_id = f"profile-{mode}-{time.strftime('%Y%m%dT%H%M%S')}"
    raw = tmp / f"pyspy-{mode}.txt"
    cmd = [pyspy, "record", "--subprocesses", "--rate", str(PYSPY_RATE), "--format", "raw", "--output", str(raw)]
    cmd += ["--"] + blogarc_cmd(
        f"{base}/", tmp / f"pstore-{mode}", tmp / f"pspool-{mode}", run_id, mode == "on", args.concurrency, args.set
    )
    print(f"\nprofiling blogarc, extraction {mode} (py-spy, all processes) ...", flush=True)
    with open(tmp / f"pyspy-{mode}.log", "wb") as log:
        subprocess.run(cmd, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, env=env)
    probe = Run(f"profile {mode}", cmd)
    read_blogarc_outputs(tmp / f"pstore-{mode}", run_id, posts, base, probe)
    if raw.exists():
        print(f"py-spy, extraction {mode}: " + summarize_pyspy(raw, PYSPY_RATE, probe.responses))
    else:
        print(f"py-spy wrote nothing; see {tmp / f'pyspy-{mode}.log'}", file=sys.stderr)


def bench_blog(n_posts: int, tmp: Path, args: argparse.Namespace, env: dict | None, code_label: str) -> list[Run]:
    """Generate a blog of ``n_posts`` posts under ``tmp``, serve it, run what ``--only`` asks; print its table."""
    wanted = {x.strip() for x in args.only.split(",") if x.strip()}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    root = tmp / "site"
    t0 = time.perf_counter()
    info = make_blog.build(root, n_posts, base, args.seed)
    print(
        f"generated {len(info['posts'])} posts, {len(info['pages'])} pages, {info['archives']} archive pages "
        f"({info['html_files']} HTML files, {info['html_bytes'] / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s "
        f"under {tmp}",
        flush=True,
    )
    server, label = start_server(tmp, root, port)
    runs: list[Run] = []
    try:
        server_pids = tree(server.pid)
        print(f"serving {base}/ with {label}", flush=True)
        posts = set(info["posts"])
        if "wget" in wanted and (wget := run_wget(base, tmp, server_pids)) is not None:
            runs.append(wget)
        for mode in ("on", "off"):
            if mode not in wanted:
                continue
            run_id = f"bench-{mode}-{time.strftime('%Y%m%dT%H%M%S')}"
            store, spool = tmp / f"store-{mode}", tmp / f"spool-{mode}"
            cmd = blogarc_cmd(f"{base}/", store, spool, run_id, mode == "on", args.concurrency, args.set)
            print(f"running blogarc crawl, extraction {mode} ...", flush=True)
            run = measure(f"blogarc extraction {mode}", cmd, tmp, tmp / f"blogarc-{mode}.log", server_pids, env)
            read_blogarc_outputs(store, run_id, posts, base, run)
            if run.returncode or not run.manifest:
                tail = (tmp / f"blogarc-{mode}.log").read_text(errors="replace")[-3000:]
                print(
                    f"blogarc (extraction {mode}) exited {run.returncode}"
                    f"{'' if run.manifest else ', no run manifest'}; log tail:\n{tail}",
                    file=sys.stderr,
                )
            runs.append(run)
        startup = None
        if wanted & {"on", "off"}:
            blogarc = shutil.which("blogarc") or "blogarc"
            startup = measure("blogarc --version", [blogarc, "--version"], tmp, tmp / "startup.log", [], env)
        print_table(runs, info, f"{label}; blogarc {code_label}", n_posts, startup, args.set)
        if args.profile:
            for mode in ("on", "off"):
                if mode in wanted:
                    profile(mode, base, tmp, posts, args, env)
    finally:
        stop_server(server)
    return runs


def main(argv: list[str] | None = None) -> int:
    """Generate, serve, measure, print; exit status 2 if a blogarc run failed."""
    parser = argparse.ArgumentParser(description="wget vs blogarc on a generated WordPress-like blog (prints figures).")
    parser.add_argument(
        "--posts",
        default="2000",
        help="posts in the generated blog (default 2000); a comma-separated list (2000,20000) benches each size in "
        "turn and compares the peak RSS of each blogarc run with the smallest size's",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (blog, WARCs, logs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32, help="blogarc CONCURRENT_REQUESTS(_PER_DOMAIN)")
    parser.add_argument("--only", default="wget,on,off", help="runs to do, comma-separated: wget,on,off")
    parser.add_argument("--profile", action="store_true", help="also profile the blogarc runs of --only with py-spy")
    parser.add_argument(
        "--ref",
        help="benchmark this git commit/branch of the repo (exported with git archive and "
        "put first on PYTHONPATH) instead of the working tree",
    )
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra blogarc setting for every blogarc run (repeatable), e.g. -s EXTRACT_WORKERS=0",
    )
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.posts.split(",") if x.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="blogarc-bench-"))
    tmp.chmod(0o755)  # nginx workers (another user) walk through it to the blog
    by_posts: dict[int, list[Run]] = {}
    try:
        env, code_label = code_under_test(tmp, args.ref)
        print(f"blogarc under test: {code_label}", flush=True)
        for n in sizes:
            folder = tmp / f"posts-{n}"
            folder.mkdir()
            by_posts[n] = bench_blog(n, folder, args, env, code_label)
            if not args.keep and len(sizes) > 1:
                shutil.rmtree(folder / "site", ignore_errors=True)  # a 20,000-post blog is 2.3 GB
        print_memory(by_posts)
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    blogarc_runs = [r for runs in by_posts.values() for r in runs if r.name.startswith("blogarc")]
    return 2 if any(r.returncode or not r.manifest for r in blogarc_runs) else 0


if __name__ == "__main__":
    sys.exit(main())
