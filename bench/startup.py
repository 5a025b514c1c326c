"""Start-up time of ``blogarc --version``, ``blogarc ls`` and ``blogarc get`` (issue 18, target 3: <= 0.3 s each).

Usage::

    python bench/startup.py [--repeat 20] [--checkout DIR ...] [--imports 8]

It serves the ``classic`` fixture blog (``tests/blogserver.py``), crawls it once into a temporary store, then runs
each command ``--repeat`` times per checkout (default: this one; give ``--checkout /work/main`` to compare with
another tree), hyperfine-style: one warm-up run, then wall time (min and median) and CPU time (user + system, from
``getrusage`` of the children) per run. ``python -c pass`` is measured the same way: the interpreter's own start-up
(including whatever ``site`` imports on this machine), which no command can go below. Then ``python -X importtime``
of each command lists its most expensive imports (cumulative microseconds), which is where start-up goes.

Figures vary with the machine's load (other processes share the cores): compare checkouts in the same run, and
prefer the CPU column and the minimum.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.blogserver import BlogServer  # noqa: E402

TARGET = 0.3  # seconds


def commands(store: Path, url: str) -> dict[str, list[str]]:
    """The commands measured, by name."""
    return {
        "python -c pass": ["-c", "pass"],
        "blogarc --version": ["-m", "crawler.cli", "--version"],
        "blogarc ls": ["-m", "crawler.cli", "ls", "--store", str(store)],
        "blogarc get": ["-m", "crawler.cli", "get", f"{url}/", "--store", str(store), "-o", os.devnull],
    }


def env_for(checkout: Path, home: Path) -> dict[str, str]:
    """The environment of a command run from ``checkout``, with a private cache folder."""
    return {**os.environ, "PYTHONPATH": str(checkout), "XDG_CACHE_HOME": str(home / "cache")}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *argv],
        env=env,
        cwd=env["XDG_CACHE_HOME"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(argv: list[str], env: dict[str, str], repeat: int) -> dict[str, float]:
    """Min and median wall time and median CPU time of ``repeat`` runs after a warm-up."""
    run_once(argv, env)  # warm-up: the page cache, .pyc files
    walls, cpus = zip(*(run_once(argv, env) for _ in range(repeat)), strict=True)
    return {"min": min(walls), "median": statistics.median(walls), "cpu": statistics.median(cpus)}


def top_imports(argv: list[str], env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """The ``count`` top-level imports with the largest cumulative time (microseconds, name)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=env,
        cwd=env["XDG_CACHE_HOME"],  # python -m puts the working folder first on the path: not a checkout
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):  # top level: indented by one space only
            found.append((int(cumulative), name.strip()))
    return sorted(found, reverse=True)[:count]


def crawl_store(url: str, store: Path, home: Path) -> None:
    """Crawl the fixture blog into ``store`` (the archive ``ls`` and ``get`` read)."""
    fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS_INTERVAL=0"]
    argv = [sys.executable, "-m", "crawler.cli", "crawl", url, "--store", str(store), "--no-extract", *fast]
    subprocess.run(argv, env=env_for(ROOT, home), cwd=home, capture_output=True, check=True, timeout=600)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per command (default 20)")
    parser.add_argument("--checkout", action="append", type=Path, help="a blogarc tree to measure (repeatable)")
    parser.add_argument("--imports", type=int, default=8, help="top imports listed per command (0: none)")
    args = parser.parse_args()
    checkouts = [path.resolve() for path in args.checkout or [ROOT]]
    with tempfile.TemporaryDirectory() as tmp, BlogServer(ROOT / "tests" / "fixtures" / "blogs" / "classic") as blog:
        home, store = Path(tmp), Path(tmp) / "store"
        (home / "cache").mkdir()
        crawl_store(blog.url, store, home)
        print(
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.repeat} runs each; target {TARGET} s"
        )
        print(f"{'checkout':<24} {'command':<20} {'min s':>7} {'median s':>9} {'CPU s':>7}  target")
        for checkout in checkouts:
            env = env_for(checkout, home)
            for name, argv in commands(store, blog.url).items():
                figures = measure(argv, env, args.repeat)
                verdict = "" if name.startswith("python") else ("ok" if figures["median"] <= TARGET else "OVER")
                print(
                    f"{str(checkout)[-24:]:<24} {name:<20} {figures['min']:>7.3f} {figures['median']:>9.3f} "
                    f"{figures['cpu']:>7.3f}  {verdict}"
                )
        if args.imports:
            for checkout in checkouts:
                env = env_for(checkout, home)
                for name, argv in list(commands(store, blog.url).items())[1:]:
                    listed = ", ".join(
                        f"{module} {us / 1000:.0f} ms" for us, module in top_imports(argv, env, args.imports)
                    )
                    print(f"{str(checkout)[-24:]} {name}: {listed}")


if __name__ == "__main__":
    main()
