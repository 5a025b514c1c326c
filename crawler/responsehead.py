"""A response's status line and headers read without copying the rest of the data once a line.

Twisted's ``LineReceiver`` (under ``HTTPClientParser``) takes each line off its buffer with
``buffer.split(delimiter, 1)``, which copies the whole rest of the buffer: the first read of a response holds its
head and up to 64 KiB of its body, so the ten or so lines of the head copy the body ten times (2% of a crawl's
instructions). Here the head of such a read, up to the empty line that ends it, is handed to the parser on its own,
and the body after it once the head is parsed, as one piece: the parser sees the same lines and the same body
bytes in the same order. While the head is parsed the body is held aside (``_held``) and given back by
``clearLineBuffer``, which the parser calls for what follows a response without a body.

The parser is Scrapy's (``_LenientHTTPClientParser``, which skips header lines without a colon); a read that does
not start a response, or does not hold a whole head, goes through its ``dataReceived`` as it is. Scrapy's protocol
sets the parser's class for each request (``HTTP11ClientProtocol.request`` builds a plain one), and so does the
protocol here, after it; ``crawler.download.Http11Handler`` has its connection pool build these protocols.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import (
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from twisted.web._newclient import STATUS


def head_end(data: bytes) -> int:
    """Where the head of a response starting ``data`` ends, after its empty line; -1 when it is not all in ``data``.

    The first line is the status line, whatever it holds; lines end with LF, and a line that is empty once a final
    CR is dropped ends the head, as ``HTTPParser.lineReceived`` reads them.
    """
    start = data.find(b"\n")
    if start < 0:
        return -1
    bare, crlf = data.find(b"\n\n", start), data.find(b"\n\r\n", start)
    if crlf >= 0 and (bare < 0 or crlf < bare):
        return crlf + 3
    return bare + 2 if bare >= 0 else -1


class HeadParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, handed a read's head and its body apart (see the module docstring)."""

    _held = b""

    def dataReceived(self, data: bytes) -> Any:
        if self.state != STATUS or self._buffer or self._busyReceiving or not self.line_mode:
            return super().dataReceived(data)
        end = head_end(data)
        if end < 0 or end == len(data):
            return super().dataReceived(data)
        self._held = data[end:]
        try:
            why = super().dataReceived(data[:end])
        except BaseException:
            self._buffer += self._take_held()
            raise
        rest = self._take_held()
        if not rest:  # the parser took it (clearLineBuffer)
            return why
        if why or self.paused or self._stopped():
            self._buffer += rest  # where LineReceiver leaves what it did not read
            return why
        return super().dataReceived(rest)

    def clearLineBuffer(self) -> bytes:
        return super().clearLineBuffer() + self._take_held()

    def _take_held(self) -> bytes:
        held, self._held = self._held, b""
        return held

    def _stopped(self) -> bool:
        """Whether LineReceiver would stop after the last line: the connection is being closed."""
        return bool(self.transport and self.transport.disconnecting)


class HeadProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's HTTP/1.1 client protocol, parsing responses with ``HeadParser``."""

    def request(self, request: Any) -> Any:
        result = super().request(request)
        assert self._parser is not None  # request() always builds one (Scrapy's protocol relies on it too)
        self._parser.__class__ = HeadParser
        return result


class HeadFactory(_LenientHTTP11ClientFactory):
    """The connection pool's protocol factory: ``HeadProtocol``."""

    def buildProtocol(self, addr: Any) -> HeadProtocol:
        return HeadProtocol(self._quiescentCallback)
