"""Close a download handler while the reactor is busy past its disconnect timeout; print the errors Twisted logged.

Run as ``python -m tests.closing_race DOTTED.HANDLER.CLASS``: the handler fetches a few pages over a keep-alive
connection from a server on 127.0.0.1, then is closed while the reactor sleeps 1.5 s (as it does when one process
carries many blogs), so its 1 s disconnect timer and the connection's loss are both due when the reactor wakes.
Prints the number of errors Twisted logged, then the end of each (where the exception is named), one a line.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class KeepAlive(BaseHTTPRequestHandler):
    """Five bytes, on a connection that stays open for the next request."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


def main(handler_path: str) -> None:
    """Fetch, close under a busy reactor, report."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"

    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy import Request
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.test import get_crawler
    from twisted.internet import reactor
    from twisted.python import log

    module, name = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module), name).from_crawler(get_crawler())
    errors: list[str] = []
    log.addObserver(lambda event: errors.append(log.textFromEventDict(event) or "") if event.get("isError") else None)

    async def fetch_then_close() -> None:
        for _ in range(5):
            await handler.download_request(Request(url))
        deferred_from_coro(handler.close())
        reactor.callLater(0, time.sleep, 1.5)  # busy past the 1 s disconnect timeout

    deferred_from_coro(fetch_then_close()).addBoth(lambda _: reactor.callLater(3, reactor.stop))
    reactor.run()
    print(len(errors))
    for error in errors:
        print(" ".join(error.split())[-300:])  # the exception is at the end


if __name__ == "__main__":
    main(sys.argv[1])
