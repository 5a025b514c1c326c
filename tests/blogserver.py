"""A small HTTP server for the saved fixture blogs under ``tests/fixtures/blogs/``.

Run ``python -m tests.blogserver <blog_root>`` (or ``python tests/blogserver.py <blog_root>``).
It binds 127.0.0.1 on a free port, prints one line ``http://127.0.0.1:PORT`` once it listens,
and serves until killed.

Files are served like a WordPress site with pretty permalinks: ``/path/`` is ``path/index.html``
(or ``path/index.xml``, e.g. ``/feed/``), an unknown path is the blog's ``404.html`` with status
404, and a directory asked for without its trailing slash is redirected (301), as WordPress does.
The literal ``{{BASE_URL}}`` in served ``.html``/``.xml``/``.txt`` bodies, in ``Location`` and in
route headers becomes the server's URL, so links, canonical URLs, sitemaps and feeds point here.

A blog's ``_routes.json`` maps an exact request target (path plus query string, if any) to
special behaviour::

    {"/old-post/": {"status": 301, "location": "/2024/03/some-post/"},
     "/2024/02/gzipped-post/": {"gzip": true},
     "/": {"headers": [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]}}

Keys: ``status``, ``reason``, ``location``, ``headers`` (``[name, value]`` pairs; repeated names
are sent as repeated lines), ``gzip`` (always compress, ``Content-Encoding: gzip``),
``content_type``, ``file`` (serve another file, relative to the root) and ``delay`` (seconds to
wait before answering).

``BlogServer(root)`` runs the server in a subprocess for tests::

    with BlogServer(root) as server:
        urlopen(server.url_for("/about/"))
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

HIDDEN = {"_routes.json", "expected.json"}
SUBSTITUTED = {".html", ".xml", ".txt"}
CONTENT_TYPES = {
    ".html": "text/html; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}


class BlogHandler(BaseHTTPRequestHandler):
    """Serve one blog root, configured by ``server.root``, ``server.routes`` and ``.verbose``."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        """Answer a GET request."""
        self.answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD request: the GET headers, no body."""
        self.answer(head=True)

    def answer(self, head: bool) -> None:
        """Resolve the request target to a status, headers and body, and send them."""
        self.server.note_request(self.command, self.path)
        base = self.server.base_url
        route = self.server.routes.get(self.path, {})
        time.sleep(route.get("delay", 0))
        status, path = 200, self.resolve(route.get("file", urlsplit(self.path).path))
        if isinstance(path, str):  # a directory asked for without its trailing slash
            route = {"status": 301, "location": path, **route}
            path = None
        body, content_type = b"", "text/html; charset=UTF-8"
        if path is None and "status" not in route:
            status, path = 404, self.server.root / "404.html"
        if path is not None:
            body = path.read_bytes()
            if path.suffix in SUBSTITUTED:
                body = body.replace(b"{{BASE_URL}}", base.encode())
            content_type = self.content_type(path)
        headers = [("Content-Type", route.get("content_type", content_type))]
        if "location" in route:
            location = route["location"].replace("{{BASE_URL}}", base)
            headers.append(("Location", urljoin(base + "/", location)))
        for name, value in route.get("headers", []):
            headers.append((name, value.replace("{{BASE_URL}}", base)))
        if route.get("gzip"):
            body = gzip.compress(body, mtime=0)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        self.send_response(route.get("status", status), route.get("reason"))
        for name, value in headers + [("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def resolve(self, url_path: str) -> Path | str | None:
        """Map a URL path to a file under the root, a redirect target (str) or None."""
        root = self.server.root
        try:
            target = (root / unquote(url_path).lstrip("/")).resolve()
        except (OSError, ValueError):  # e.g. an encoded NUL byte
            return None
        if not target.is_relative_to(root) or target.name in HIDDEN:
            return None
        if target.is_dir():
            if not url_path.endswith("/"):
                return url_path + "/"
            indexes = (target / "index.html", target / "index.xml")
            target = next((p for p in indexes if p.is_file()), None)
        return target if target is not None and target.is_file() else None

    @staticmethod
    def content_type(path: Path) -> str:
        """Content type for a file: by suffix, feeds (``…/feed/index.xml``) as RSS."""
        if path.suffix == ".xml" and path.parent.name == "feed":
            return "application/rss+xml; charset=UTF-8"
        return CONTENT_TYPES.get(path.suffix, "application/octet-stream")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Log requests only with ``--verbose``."""
        if self.server.verbose:
            super().log_message(format, *args)


class BlogHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its blog root, routes and public URL."""

    daemon_threads = True

    def __init__(self, root: Path, verbose: bool = False, access_log: Path | None = None) -> None:
        super().__init__(("127.0.0.1", 0), BlogHandler)
        self.root = root.resolve()
        self.verbose = verbose
        self.access_log = open(access_log, "a", buffering=1) if access_log else None  # noqa: SIM115
        routes_file = self.root / "_routes.json"
        self.routes = {}
        if routes_file.exists():
            self.routes = json.loads(routes_file.read_text("utf-8"))
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def note_request(self, method: str, target: str) -> None:
        """Append ``METHOD TARGET`` to the access log, if any (tests check what a crawler asked for)."""
        if self.access_log is not None:
            self.access_log.write(f"{method} {target}\n")

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep dropped connections quiet unless verbose."""
        if self.verbose:
            super().handle_error(request, client_address)


class BlogServer:
    """Run the blog server in a subprocess; ``with BlogServer(root) as server: ...``."""

    def __init__(self, root: str | Path, verbose: bool = False, access_log: Path | None = None) -> None:
        self.root = Path(root)
        self.args = [sys.executable, str(Path(__file__).resolve()), str(self.root)]
        self.access_log = access_log
        if verbose:
            self.args.append("--verbose")
        if access_log is not None:
            self.args += ["--access-log", str(access_log)]
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> BlogServer:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"blog server for {self.root} did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
            self.proc = None

    def requests_seen(self) -> list[str]:
        """Every ``METHOD TARGET`` line the server logged so far (needs ``access_log``)."""
        if self.access_log is None or not self.access_log.exists():
            return []
        return self.access_log.read_text().splitlines()

    def url_for(self, path: str) -> str:
        """Return the absolute URL of a path on this server (``"/about/"`` → ``{url}/about/``)."""
        return self.url + "/" + path.lstrip("/")


def main(argv: list[str] | None = None) -> None:
    """Serve a blog root until killed."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("root", type=Path, help="a blog folder, e.g. tests/fixtures/blogs/classic")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--access-log", type=Path, help="append 'METHOD TARGET' for every request to this file")
    args = parser.parse_args(argv)
    server = BlogHTTPServer(args.root, verbose=args.verbose, access_log=args.access_log)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
