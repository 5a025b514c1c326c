"""crawler.responsehead: a read's head and body handed to Scrapy's parser apart give what it gives on its own."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.core.downloader.handlers.http11 import _LenientHTTPClientParser
from twisted.internet.protocol import Protocol
from twisted.internet.testing import StringTransport
from twisted.web._newclient import Request
from twisted.web.http_headers import Headers

from crawler.responsehead import HeadParser, head_end

BODY = b"<html>" + b"x" * 70_000 + b"</html>"
RESPONSES = {
    "crlf": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nX-A: 1\r\n\r\n" % len(BODY) + BODY,
    "bare-lf": b"HTTP/1.1 200 OK\nContent-Length: %d\nX-A: 1\n\n" % len(BODY) + BODY,
    "folded-and-bad-lines": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  more\r\nno colon\r\nContent-Length: 4\r\n\r\nbody",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n3\r\nend\r\n0\r\n\r\n",
    "not-modified-with-extra-bytes": b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nstray bytes",
    "empty-body-then-more": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n",
    "continue-first": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody",
    "cr-only-line": b"HTTP/1.1 200 OK\r\nX-A: 1\r\r\nContent-Length: 2\r\n\r\nok",
    "no-head-end": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n",
    "bad-status": b"\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    "until-close": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n" + BODY,
}


class Collect(Protocol):
    def __init__(self, seen: dict[str, Any]):
        self.seen = seen

    def dataReceived(self, data: bytes) -> None:
        self.seen["body"] += data

    def connectionLost(self, reason: Any = None) -> None:
        self.seen["ended"] = type(reason.value).__name__


def parse(parser_class: type, chunks: list[bytes], method: bytes = b"GET") -> dict[str, Any]:
    """What a parser of ``parser_class`` makes of ``chunks``: status, headers, body, what follows, errors."""
    seen: dict[str, Any] = {"rest": None, "body": b"", "ended": None, "error": None}
    request = Request(method, b"/", Headers({b"host": [b"example"]}), None)
    parser = parser_class(request, lambda rest: seen.__setitem__("rest", rest))
    parser.makeConnection(StringTransport())
    parser._responseDeferred.addCallback(lambda response: response.deliverBody(Collect(seen)))
    try:
        for chunk in chunks:
            parser.dataReceived(chunk)
    except Exception as exc:
        seen["error"] = type(exc).__name__
    response = getattr(parser, "response", None)
    if response is not None:
        seen["status"] = (response.code, response.phrase)
        seen["headers"] = sorted(response.headers.getAllRawHeaders())
    seen["buffered"] = parser._buffer
    seen["state"] = parser.state
    return seen


@pytest.mark.parametrize("name", sorted(RESPONSES))
@pytest.mark.parametrize("cut", [None, 5, 40, 100, 1000])
def test_the_same_response_as_scrapys_parser(name, cut):
    data = RESPONSES[name]
    chunks = [data] if cut is None else [data[:cut], data[cut:]]
    for method in (b"GET", b"HEAD"):
        assert parse(HeadParser, chunks, method) == parse(_LenientHTTPClientParser, chunks, method)


def test_head_end():
    assert head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody") == len(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n")
    assert head_end(b"HTTP/1.1 200 OK\nA: b\n\nbody") == len(b"HTTP/1.1 200 OK\nA: b\n\n")
    assert head_end(b"HTTP/1.1 200 OK\r\n\r\n") == len(b"HTTP/1.1 200 OK\r\n\r\n")
    assert head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n") == -1
    assert head_end(b"\n\nrest") == 2  # an empty status line, then the empty line


def test_crawls_parse_with_it():
    """The handler's pool builds the protocol that sets HeadParser (a crawl's responses: tests/test_crawl.py)."""
    from crawler.download import Http11Handler
    from crawler.responsehead import HeadFactory, HeadProtocol

    assert HeadFactory(lambda *_: None, None).buildProtocol(None).__class__ is HeadProtocol
    assert "HeadFactory" in Http11Handler.__init__.__code__.co_names
