"""A real ``redis-server`` for the tests, on 127.0.0.1, that a test can stop and start again.

Redis cannot listen on port 0 and print the port it got, so a free port is found by binding port 0 and closing it,
and the server is started on it (tried again on another port if something took it meanwhile). The server keeps its
data in a folder of its own with the append-only file on (``appendonly yes``), as the README asks of a production
queue, so a stop (SIGTERM: Redis writes its data out) and a start on the same port and folder bring the queue back.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from tests.util import need_servers

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """``redis-server`` in a subprocess; ``url`` (with the password, if any) for clients."""

    def __init__(self, folder: Path, password: str | None = None):
        need_servers([] if REDIS_SERVER else ["redis-server"])
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.password = password
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://[:PASSWORD@]127.0.0.1:PORT/0``."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server (on its old port after a ``stop``); returns once it answers."""
        for _ in range(5):
            port = self.port or free_port()
            args = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            args += ["--appendonly", "yes", "--save", "", "--logfile", str(self.folder / "redis.log")]
            if self.password:
                args += ["--requirepass", self.password]
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._answers(port):
                self.port = port
                return self
            self.proc.kill()
            self.proc.wait()
            if self.port:  # the old port is taken: a restart must use it
                raise RuntimeError(f"redis-server could not listen on {port} again")
        raise RuntimeError("redis-server did not start")

    def _answers(self, port: int, timeout: float = 10) -> bool:
        client = redis.Redis(port=port, password=self.password, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False  # exited: the port was taken
            try:
                if client.ping():
                    return True
            except redis.RedisError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """SIGTERM (Redis saves its append-only file) and wait; clients get 'connection refused'."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def client(self) -> redis.Redis:
        """A plain redis-py client of the server."""
        return redis.Redis.from_url(self.url)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
