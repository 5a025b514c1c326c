"""A small HTTP server for the saved fixture blogs under ``tests/fixtures/blogs/``.

Run ``python -m tests.blogserver <blog_root>`` (or ``python tests/blogserver.py <blog_root>``).
It binds 127.0.0.1 on a free port, prints one line ``http://127.0.0.1:PORT`` once it listens,
and serves until killed.

Files are served like a WordPress site with pretty permalinks: ``/path/`` is ``path/index.html``
(or ``path/index.xml``, e.g. ``/feed/``), an unknown path is the blog's ``404.html`` with status
404, and a directory asked for without its trailing slash is redirected (301), as WordPress does.
The literal ``{{BASE_URL}}`` in served ``.html``/``.xml``/``.txt``/``.json``/``.css``/``.php`` bodies, in
``Location`` and in route headers becomes the server's URL, so links, canonical URLs, sitemaps and feeds point here.
``{{ASSET_URL}}`` becomes the same server under another host name (``http://localhost:PORT``): pages use it for
uploads served from an "asset host", which a crawler sees as a different host.

A blog's ``_routes.json`` maps an exact request target (path plus query string, if any) to
special behaviour::

    {"/old-post/": {"status": 301, "location": "/2024/03/some-post/"},
     "/2024/02/gzipped-post/": {"gzip": true},
     "/": {"headers": [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]}}

Keys: ``status``, ``reason``, ``location``, ``headers`` (``[name, value]`` pairs; repeated names
are sent as repeated lines), ``gzip`` (always compress, ``Content-Encoding: gzip``),
``content_type``, ``file`` (serve another file, relative to the root) and ``delay`` (seconds to
wait before answering). A key starting with ``~`` is a regular expression that must match the
whole request target; exact keys win, then patterns in file order::

    {"~^/2024/03/(?:2024/03/)+$": {"file": "2024/03/index.html"}}

Query strings are otherwise ignored for files, as a WordPress site ignores unknown query arguments.

Every ``200`` carries an ``ETag`` (a hash of the body) and a ``Last-Modified`` (the file's mtime), and a
request whose ``If-None-Match`` matches (or, without it, whose ``If-Modified-Since`` is not older than the file)
gets ``304 Not Modified``, as nginx does; ``--no-conditional`` ignores conditional headers (servers that do).

The access log (``--access-log``) gets one ``METHOD TARGET HOST`` line per request;
``BlogServer.requests_seen()`` gives ``METHOD TARGET`` lines (``hosts=True`` keeps the host).

``BlogServer(root)`` runs the server in a subprocess for tests::

    with BlogServer(root) as server:
        urlopen(server.url_for("/about/"))
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import json
import re
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

HIDDEN = {"_routes.json", "expected.json"}
SUBSTITUTED = {".html", ".xml", ".txt", ".json", ".css", ".php"}
CONTENT_TYPES = {
    ".html": "text/html; charset=UTF-8",
    ".php": "text/html; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
    ".json": "application/json; charset=UTF-8",
    ".css": "text/css",
    ".js": "application/javascript",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
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
        self.server.note_request(self.command, self.path, self.headers.get("Host", ""))
        base = self.server.base_url
        route = self.server.route_for(self.path)
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
                body = self.server.substitute(body)
            content_type = self.content_type(path)
        headers = [("Content-Type", route.get("content_type", content_type))]
        if "location" in route:
            location = self.server.substitute(route["location"])
            headers.append(("Location", urljoin(base + "/", location)))
        for name, value in route.get("headers", []):
            headers.append((name, self.server.substitute(value)))
        if route.get("gzip"):
            body = gzip.compress(body, mtime=0)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        status = route.get("status", status)
        if status == 200 and path is not None:
            validators = self.validators(path, body)
            if self.server.conditional and self.not_modified(*validators):
                status, body, headers = 304, b"", []
            headers += [("ETag", validators[0]), ("Last-Modified", validators[1])]
        self.send_response(status, route.get("reason") if status != 304 else None)
        for name, value in headers + [("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    @staticmethod
    def validators(path: Path, body: bytes) -> tuple[str, str]:
        """The ``ETag`` (from the body as sent) and ``Last-Modified`` (the file's mtime) of a 200 answer."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # a validator, not security
        return etag, email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)

    def not_modified(self, etag: str, last_modified: str) -> bool:
        """Whether the request's validators match (``If-None-Match`` wins over ``If-Modified-Since``)."""
        if (tags := self.headers.get("If-None-Match")) is not None:
            return etag in [tag.strip() for tag in tags.split(",")] or tags.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False

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

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        """Log requests only with ``--verbose``."""
        if self.server.verbose:
            super().log_message(format, *args)


class BlogHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its blog root, routes and public URL."""

    daemon_threads = True

    def __init__(
        self, root: Path, verbose: bool = False, access_log: Path | None = None, conditional: bool = True
    ) -> None:
        super().__init__(("127.0.0.1", 0), BlogHandler)
        self.root = root.resolve()
        self.verbose = verbose
        self.conditional = conditional
        self.access_log = open(access_log, "a", buffering=1) if access_log else None  # noqa: SIM115
        routes_file = self.root / "_routes.json"
        self.routes: dict[str, dict] = {}
        if routes_file.exists():
            self.routes = json.loads(routes_file.read_text("utf-8"))
        self.patterns = [(re.compile(key[1:]), route) for key, route in self.routes.items() if key.startswith("~")]
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.asset_url = f"http://localhost:{self.server_address[1]}"

    def route_for(self, target: str) -> dict:
        """The route for a request target: an exact key, else the first matching ``~pattern``, else none."""
        if target in self.routes:
            return self.routes[target]
        return next((route for pattern, route in self.patterns if pattern.fullmatch(target)), {})

    def substitute(self, data: str | bytes) -> str | bytes:
        """Replace ``{{BASE_URL}}`` and ``{{ASSET_URL}}`` in a body (bytes) or a header value (str)."""
        if isinstance(data, bytes):
            return data.replace(b"{{BASE_URL}}", self.base_url.encode()).replace(
                b"{{ASSET_URL}}", self.asset_url.encode()
            )
        return data.replace("{{BASE_URL}}", self.base_url).replace("{{ASSET_URL}}", self.asset_url)

    def note_request(self, method: str, target: str, host: str = "") -> None:
        """Append ``METHOD TARGET HOST`` to the access log, if any (tests check what a crawler asked for)."""
        if self.access_log is not None:
            self.access_log.write(f"{method} {target} {host or '-'}\n")

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep dropped connections quiet unless verbose."""
        if self.verbose:
            super().handle_error(request, client_address)


class BlogServer:
    """Run the blog server in a subprocess; ``with BlogServer(root) as server: ...``."""

    def __init__(
        self, root: str | Path, verbose: bool = False, access_log: Path | None = None, conditional: bool = True
    ) -> None:
        self.root = Path(root)
        self.args = [sys.executable, str(Path(__file__).resolve()), str(self.root)]
        self.access_log = access_log
        if not conditional:
            self.args.append("--no-conditional")
        if verbose:
            self.args.append("--verbose")
        if access_log is not None:
            self.args += ["--access-log", str(access_log)]
        self.url = ""
        self.asset_url = ""
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> BlogServer:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"blog server for {self.root} did not start")
        self.asset_url = self.url.replace("://127.0.0.1:", "://localhost:", 1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
            self.proc = None

    def requests_seen(self, hosts: bool = False) -> list[str]:
        """Every ``METHOD TARGET`` line the server logged so far (needs ``access_log``).

        With ``hosts=True`` each line is ``METHOD TARGET HOST`` (the Host header, ``-`` if none), which tells
        requests to the asset host (``localhost:PORT``) from requests to the blog (``127.0.0.1:PORT``).
        """
        if self.access_log is None or not self.access_log.exists():
            return []
        lines = self.access_log.read_text().splitlines()
        return lines if hosts else [line.rsplit(" ", 1)[0] for line in lines]

    def url_for(self, path: str) -> str:
        """Return the absolute URL of a path on this server (``"/about/"`` → ``{url}/about/``)."""
        return self.url + "/" + path.lstrip("/")

    def asset_url_for(self, path: str) -> str:
        """Return the absolute URL of a path on the asset host (``http://localhost:PORT/...``)."""
        return self.asset_url + "/" + path.lstrip("/")

    def expand(self, template: str) -> str:
        """Expand a fixture URL template (``{{BASE_URL}}/x``, ``{{ASSET_URL}}/y``) for this server."""
        return template.replace("{{BASE_URL}}", self.url).replace("{{ASSET_URL}}", self.asset_url)


def main(argv: list[str] | None = None) -> None:
    """Serve a blog root until killed."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("root", type=Path, help="a blog folder, e.g. tests/fixtures/blogs/classic")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--access-log", type=Path, help="append 'METHOD TARGET HOST' for every request to this file")
    parser.add_argument("--no-conditional", action="store_true", help="ignore If-None-Match / If-Modified-Since")
    args = parser.parse_args(argv)
    server = BlogHTTPServer(
        args.root, verbose=args.verbose, access_log=args.access_log, conditional=not args.no_conditional
    )
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
