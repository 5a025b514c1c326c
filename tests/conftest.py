"""Session fixtures: real servers on 127.0.0.1 (fixture blogs over HTTP, moto's S3 server)."""

from __future__ import annotations

import gc
import uuid
import warnings
from pathlib import Path

import pytest

from tests.blogserver import BlogServer
from tests.util import BLOGS


def point_boto3_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """boto3's own environment pointing at a test server, with dummy credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def new_bucket() -> str:
    """A fresh bucket on the server boto3's environment points at."""
    import boto3

    name = f"blogarc-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def blog_servers(tmp_path_factory):
    """Every fixture blog served by its own server process on 127.0.0.1 (port 0): {name: server}.

    Each server logs the requests it receives, so tests can check what a crawl asked for.
    """
    logs = tmp_path_factory.mktemp("access-logs")
    servers = {}
    try:
        for root in sorted(p for p in BLOGS.iterdir() if p.is_dir()):
            servers[root.name] = BlogServer(root, access_log=logs / f"{root.name}.log").__enter__()
        yield servers
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def s3_server():
    """Moto's standalone S3 server on 127.0.0.1, reached only through the endpoint URL, as production does."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """boto3's own environment pointing at the test server, with dummy credentials."""
    point_boto3_at(monkeypatch, s3_server)
    return s3_server


@pytest.fixture
def bucket(s3_env):
    """A fresh bucket per test."""
    return new_bucket()


class RestartableS3:
    """Moto's S3 server in this process on a fixed port that a test can stop and start again.

    Moto keeps its buckets in this process, not in the server thread, so objects and unfinished multipart uploads
    survive a restart, as they do on a real S3 server that goes down and comes back.
    """

    def __init__(self):
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.running = True

    def stop(self) -> None:
        """Stop and close the listening socket, so clients get 'connection refused'."""
        if self.running:
            self._server.stop()
            self._server._server.server_close()
            self.running = False

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        if not self.running:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            self.running = True


@pytest.fixture
def restartable_s3(monkeypatch):
    """A ``RestartableS3`` with a fresh bucket, boto3's environment pointing at it; yields (server, bucket)."""
    server = RestartableS3()
    point_boto3_at(monkeypatch, server.url)
    yield server, new_bucket()
    server.stop()
    with warnings.catch_warnings():  # moto leaves the temporary files of aborted parts to the garbage collector
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="session")
def pywb_bin() -> Path:
    """Pywb in its own virtual environment (made once per machine, under the user's cache), as `--install-pywb` does."""
    from pipelines.archive.replay import default_pywb_home, install_pywb

    return install_pywb(default_pywb_home())


@pytest.fixture(scope="session")
def wordpress():
    """A real WordPress on 127.0.0.1 (Debian's package on Apache + mod_php, MariaDB).

    Its content is made through WordPress's own PHP API (tests/wpserver.py).
    """
    from tests.util import need_servers
    from tests.wpserver import WordPress, missing

    need_servers(missing())
    with WordPress() as site:
        yield site
