"""A blog that misbehaves on purpose, one URL per misbehaviour (issue 17), on loopback addresses only.

Run ``python -m tests.hostile ROOT [--access-log FILE]``: ``ROOT`` is the "Low Water" fixture blog
(``tests/fixtures/badblog/``), whose two good posts and its Latin-1 post are served as they are. Five servers start,
each on a free port, and one JSON line names their base URLs once they all listen:

* ``blog`` (127.0.0.1): the seed. ``/`` links to every case below; ``/robots.txt`` disallows ``/wp-admin/`` only.
* ``robots_500``, ``robots_hang``, ``robots_big`` (127.0.0.1, other ports): asset hosts whose ``robots.txt``
  answers 500, never answers, or is 50 MB long (``Disallow: /wp-content/uploads/early.png`` in its first lines,
  ``Disallow: /wp-content/uploads/late.png`` after the 50 MB). Each serves ``/wp-content/uploads/*.png``.
* ``internal`` (127.0.0.2): stands in for a cloud metadata service: every path answers ``METADATA_SECRET``.

The cases of ``blog`` (``CASES``: path -> what it does):

* ``/trap/`` and ``/trap/<hex>/``: an endless link trap; every page links to ``TRAP_FANOUT`` new random pages;
* ``/big-post/``: a post of ``BIG_SIZE`` bytes (200 MB), streamed with a ``Content-Length``;
* ``/big-page/``: an archive page of ``LARGE_SIZE`` bytes (40 MB), streamed without one (chunked);
* ``/gzip-bomb/``: ``Content-Encoding: gzip`` of ``BOMB_SIZE`` (1 GiB) of zeros, about 1 MB on the wire;
* ``/br-post/``: a healthy post sent with ``Content-Encoding: br``;
* ``/br-bomb/``: ``Content-Encoding: br`` of ``BOMB_SIZE`` of zeros, about 200 KB on the wire;
* ``/redirect-chain/0/``: ``302`` to ``/redirect-chain/1/``, and so on without end;
* ``/oversize/``: 300 MiB of zeros, chunked (no length announced: the crawler must count and cancel);
* ``/long/aaa…/`` (a link of ``LONG_URL`` characters) and ``/redirect-to-long/`` (a ``302`` to another);
* ``/2024/05/utf-16/``: the Latin-1 post, declared ``charset=utf-16``;
* ``/wp-content/uploads/meta.png``: an image answering ``302`` to the ``internal`` server;
* the home page also loads ``{internal}/wp-content/uploads/direct.png`` straight.

Every request is written to the access log as ``ROLE METHOD TARGET`` (the tests check what was asked, and that
``internal`` never was). ``HostileServers(root, access_log)`` runs it all in a subprocess for tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROLES = {
    "blog": "127.0.0.1",
    "robots_500": "127.0.0.1",
    "robots_hang": "127.0.0.1",
    "robots_big": "127.0.0.1",
    "internal": "127.0.0.2",
}
GOOD_POSTS = ("/2024/05/harbour-at-low-tide/", "/2024/05/the-night-ferry/")
LATIN1_POST = "/2024/05/wrong-charset/"  # served at /2024/05/utf-16/ as utf-16
BR_POST = "/2024/05/the-night-ferry/"  # served at /br-post/ (its links to itself too) as br
TRAP_FANOUT = 50
BIG_SIZE = 200 * 1000 * 1000
LARGE_SIZE = 40 * 1000 * 1000
BOMB_SIZE = 1024**3
OVERSIZE = 300 * 1024**2
LONG_URL = 3000
ROBOTS_BIG_SIZE = 50 * 1000 * 1000
METADATA_SECRET = b"AKIA-METADATA-SECRET-TOKEN"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
CHUNK = 1 << 20
CASES = {
    "/trap/": "trap",
    "/big-post/": "big",
    "/big-page/": "large",
    "/gzip-bomb/": "bomb",
    "/br-post/": "br",
    "/br-bomb/": "bomb",
    "/redirect-chain/0/": "redirect_chain",
    "/oversize/": "oversize",
    "/redirect-to-long/": "long_redirect",
    "/2024/05/utf-16/": "utf16",
    "/wp-content/uploads/meta.png": "to_internal",
}


def long_path() -> str:
    """The over-long URL path the home page links to."""
    return "/long/" + "a" * LONG_URL + "/"


def long_redirect_path() -> str:
    """The over-long URL path ``/redirect-to-long/`` redirects to."""
    return "/long-target/" + "b" * LONG_URL + "/"


def page(title: str, body_class: str, content: str) -> bytes:
    """A page in the markup of the fixture blog's theme (``tests/fixtures/badblog/``)."""
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n\t<meta charset="UTF-8">\n'
        f"\t<title>{title} &#8211; Low Water</title>\n</head>\n"
        f'<body class="{body_class}">\n<div id="page" class="site">\n'
        '<div id="content" class="site-content"><main id="main" class="site-main">\n'
        f"{content}\n</main></div>\n</div>\n</body>\n</html>\n"
    ).encode()


def home(urls: dict[str, str]) -> bytes:
    """The seed's home page: a link or an image for every case."""
    base, links = urls["blog"], [*GOOD_POSTS, *CASES, long_path()]
    anchors = "\n".join(f'<p><a href="{base}{path}">{path[:40]}</a></p>' for path in links if not path.endswith(".png"))
    images = [
        f"{base}/wp-content/uploads/meta.png",
        f"{urls['internal']}/wp-content/uploads/direct.png",
        f"{urls['robots_500']}/wp-content/uploads/a.png",
        f"{urls['robots_hang']}/wp-content/uploads/b.png",
        f"{urls['robots_big']}/wp-content/uploads/early.png",
        f"{urls['robots_big']}/wp-content/uploads/late.png",
    ]
    tags = "\n".join(f'<img src="{src}" alt="">' for src in images)
    return page("Low Water", "home blog hfeed", f"{anchors}\n{tags}")


def trap_page(rng: random.Random, base: str) -> bytes:
    """An archive page of the trap: links to new random trap pages, and the trap's first page."""
    links = "\n".join(
        f'<li><a href="{base}/trap/{rng.getrandbits(64):016x}/">older</a></li>' for _ in range(TRAP_FANOUT)
    )
    return page("Archives", "archive date", f'<p><a href="{base}/trap/">Archives</a></p>\n<ul>\n{links}\n</ul>')


def big_post_parts() -> tuple[bytes, bytes, int, bytes]:
    """Head, filler line, how often it repeats, and tail of the 200 MB post."""
    head = page("A Post of 200 MB", "post-template-default single single-post", "<article class='post'>")
    head = head.split(b"</main>")[0] + b'<div class="entry-content">\n'
    tail = b"</div></article>\n</main></div>\n</div>\n</body>\n</html>\n"
    filler = b"<p>The tide came in over the flats and went out again, as it does twice a day, every day.</p>\n"
    count = (BIG_SIZE - len(head) - len(tail)) // len(filler)
    return head, filler, count, tail


def large_page_parts() -> list[bytes]:
    """The 40 MB archive page, in parts of about 1 MiB (``sum(map(len, ...))`` is its size)."""
    head = page("Everything", "archive date", "<ul>").split(b"</main>")[0]
    line = b'<li><a href="/trap/">An archive page that goes on and on</a></li>\n'
    tail = b"</ul></main></div>\n</div>\n</body>\n</html>\n"
    per_part = CHUNK // len(line)
    parts, rest = divmod((LARGE_SIZE - len(head) - len(tail)) // len(line), per_part)
    return [head, *([line * per_part] * parts), line * rest, tail]


def bombs() -> dict[str, bytes]:
    """``BOMB_SIZE`` zero bytes, gzip- and br-compressed (about 4 s: once, before the servers start)."""
    import brotli

    gzip, br = zlib.compressobj(6, zlib.DEFLATED, 31), brotli.Compressor(quality=1)
    zeros = bytes(CHUNK)
    parts = [(gzip.compress(zeros), br.process(zeros)) for _ in range(BOMB_SIZE // CHUNK)]
    return {
        "gzip": b"".join(g for g, _ in parts) + gzip.flush(),
        "br": b"".join(b for _, b in parts) + br.finish(),
    }


class Handler(BaseHTTPRequestHandler):
    """Answer for the server's role (``self.server.role``)."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        """Log the request, then answer as the role does."""
        server: HostileServer = self.server  # type: ignore[assignment]
        server.note(self.command, self.path)
        try:
            getattr(self, f"serve_{server.role}")()
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up on a body, as it should
            self.close_connection = True

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=UTF-8", **headers: str) -> None:
        """One complete answer."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def serve_internal(self) -> None:
        self.send(200, METADATA_SECRET, "text/plain")

    def serve_robots_500(self) -> None:
        if self.path == "/robots.txt":
            self.send(500, b"<h1>500 Internal Server Error</h1>")
        else:
            self.send(200, PNG, "image/png")

    def serve_robots_hang(self) -> None:
        if self.path == "/robots.txt":
            time.sleep(600)  # never answers (the crawler's timeout must end the wait)
        else:
            self.send(200, PNG, "image/png")

    def serve_robots_big(self) -> None:
        if self.path != "/robots.txt":
            self.send(200, PNG, "image/png")
            return
        first = b"User-agent: *\nDisallow: /wp-content/uploads/early.png\n"
        last = b"Disallow: /wp-content/uploads/late.png\n"
        line = b"Disallow: /nothing-here/padding-line-of-a-robots-file-too-long-to-read/\n"
        count = (ROBOTS_BIG_SIZE - len(first) - len(last)) // len(line)
        self.stream(
            200, "text/plain", [first, *([line * (CHUNK // len(line))] * (count // (CHUNK // len(line)))), last]
        )

    def stream(self, status: int, content_type: str, parts: list[bytes], **headers: str) -> None:
        """An answer whose body is ``parts``, written one after the other with its total ``Content-Length``."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(map(len, parts))))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def chunked(self, status: int, content_type: str, parts: Iterable[bytes]) -> None:
        """An answer whose body is ``parts``, sent with ``Transfer-Encoding: chunked`` (no length announced)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def serve_blog(self) -> None:
        server: HostileServer = self.server  # type: ignore[assignment]
        path, base = self.path, server.urls["blog"]
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /wp-admin/\n", "text/plain")
        elif path == "/":
            self.send(200, home(server.urls))
        elif path in GOOD_POSTS:
            self.send(200, server.file(path))
        elif path.startswith("/trap/"):
            self.send(200, trap_page(server.rng, base))
        elif path.startswith("/redirect-chain/"):
            number = int(path.split("/")[2])
            self.send(302, b"", Location=f"{base}/redirect-chain/{number + 1}/")
        elif path == "/redirect-to-long/":
            self.send(302, b"", Location=base + long_redirect_path())
        elif path == "/wp-content/uploads/meta.png":
            self.send(302, b"", Location=f"{server.urls['internal']}/latest/meta-data/iam/security-credentials/")
        elif path == "/2024/05/utf-16/":
            self.send(200, server.file(LATIN1_POST), "text/html; charset=utf-16")
        else:
            self.serve_heavy(path)

    def serve_heavy(self, path: str) -> None:
        """The cases that send (or announce) a great many bytes; 404 for anything else."""
        server: HostileServer = self.server  # type: ignore[assignment]
        if path == "/big-post/":
            head, filler, count, tail = big_post_parts()
            block = filler * (CHUNK // len(filler))
            blocks, rest = divmod(count, CHUNK // len(filler))
            self.stream(200, "text/html; charset=UTF-8", [head, *([block] * blocks), filler * rest, tail])
        elif path in ("/gzip-bomb/", "/br-bomb/"):
            coding = path.split("-")[0].strip("/")
            self.send(200, server.bombs[coding], Content_Encoding=coding)
        elif path == "/br-post/":
            import brotli

            body = server.file(BR_POST).replace(BR_POST.encode(), b"/br-post/")  # a post of its own
            self.send(200, brotli.compress(body), Content_Encoding="br")
        elif path == "/oversize/":
            self.chunked(200, "text/html; charset=UTF-8", (bytes(CHUNK) for _ in range(OVERSIZE // CHUNK)))
        elif path == "/big-page/":
            self.chunked(200, "text/html; charset=UTF-8", large_page_parts())
        else:
            self.send(404, page("Not found", "error404", "<h1>Nothing here</h1>"))

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass


class HostileServer(ThreadingHTTPServer):
    """One role's server; ``urls`` (every role's base URL) is filled in once all listen."""

    daemon_threads = True

    def __init__(self, role: str, root: Path, log: Any, lock: threading.Lock) -> None:
        super().__init__((ROLES[role], 0), Handler)
        self.role, self.root, self.log, self.lock = role, root, log, lock
        self.urls: dict[str, str] = {}
        self.bombs: dict[str, bytes] = {}
        self.rng = random.Random(17)

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def note(self, method: str, target: str) -> None:
        if self.log is not None:
            with self.lock:
                self.log.write(f"{self.role} {method} {target}\n")

    def file(self, path: str) -> bytes:
        """A page of the fixture blog, its ``{{BASE_URL}}`` filled in."""
        body = (self.root / path.strip("/") / "index.html").read_bytes()
        return body.replace(b"{{BASE_URL}}", self.urls["blog"].encode())

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are the point here


class HostileServers:
    """Every role's server in a subprocess: ``with HostileServers(root, log) as urls: urls["blog"]``."""

    def __init__(self, root: Path, access_log: Path) -> None:
        self.args = [sys.executable, "-m", "tests.hostile", str(root), "--access-log", str(access_log)]
        self.access_log = access_log
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> dict[str, str]:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
        line = self.proc.stdout.readline()
        if not line.startswith("{"):
            self.__exit__()
            raise RuntimeError("the hostile servers did not start")
        return json.loads(line)

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
            self.proc = None

    def requests(self, role: str | None = None) -> list[str]:
        """``METHOD TARGET`` of every request a role's server got so far (every role's, prefixed, if None)."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        if role is None:
            return lines
        return [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] == role]


def main(argv: list[str] | None = None) -> None:
    """Start every role's server and serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("root", type=Path, help="the Low Water fixture blog (tests/fixtures/badblog)")
    parser.add_argument("--access-log", type=Path, help="append 'ROLE METHOD TARGET' for every request")
    args = parser.parse_args(argv)
    log = open(args.access_log, "a", buffering=1) if args.access_log else None  # noqa: SIM115
    lock = threading.Lock()
    servers = [HostileServer(role, args.root.resolve(), log, lock) for role in ROLES]
    urls, compressed = {server.role: server.url for server in servers}, bombs()
    for server in servers:
        server.urls, server.bombs = urls, compressed
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps(urls), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
