"""Many copies of one fixture blog, each on its own port (a site of its own), served by one process.

``python -m tests.blogfleet ROOT COUNT LOG_DIR`` starts ``COUNT`` ``tests.blogserver.BlogHTTPServer`` instances of
the blog at ``ROOT`` on ports chosen by the kernel, each logging its requests to ``LOG_DIR/{port}.log``, prints one
URL a line, then ``ready``, and serves until killed. A job of 60 blogs then costs one process, not 60.

``BlogFleet(root, count, log_dir)`` runs it for a test: ``fleet.urls``, ``fleet.requests(url)``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from tests.blogserver import BlogHTTPServer


class BlogFleet:
    """The fleet in a subprocess; ``with BlogFleet(root, 60, logs) as fleet: ...``."""

    def __init__(self, root: Path, count: int, log_dir: Path):
        self.args = [sys.executable, "-m", "tests.blogfleet", str(root), str(count), str(log_dir)]
        self.log_dir = log_dir
        self.urls: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> BlogFleet:
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True, cwd=root)
        for line in self.proc.stdout:
            if line.strip() == "ready":
                return self
            self.urls.append(line.strip())
        raise RuntimeError("the blog fleet did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()

    def requests(self, url: str) -> list[str]:
        """``METHOD TARGET`` of every request the blog at ``url`` received so far."""
        log = self.log_dir / f"{urlsplit(url).port}.log"
        return [line.rsplit(" ", 1)[0] for line in log.read_text().splitlines()] if log.exists() else []


def main() -> None:
    """Serve COUNT copies of the blog at ROOT."""
    root, count, log_dir = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = []
    for _ in range(count):
        server = BlogHTTPServer(root)
        server.access_log = open(log_dir / f"{server.server_address[1]}.log", "a", buffering=1)  # noqa: SIM115
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(server.base_url, flush=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
