"""Content codings for warcio's readers: brotli, as the ``brotli`` package of today spells it, with bounded output.

warcio 1.8.1 (and its main branch) decodes ``Content-Encoding: br`` with brotlipy's interface
(``Decompressor().decompress(data)`` and an ``unused_data`` attribute it sets). Scrapy needs Google's ``brotli``
(>= 1.2 on CPython), which installs the same ``brotli`` module with another interface (``process``, no new
attributes), so warcio fails on every br record with ``'brotli.Decompressor' object has no attribute
'unused_data'`` (``warcio check``, ``content_stream()``). No pin pairs the two: brotlipy would replace the module
Scrapy decodes br responses with, and brotlicffi is imported as ``brotlicffi``, which warcio never tries. So blogarc
decodes br itself: ``use_brotli`` gives warcio's decompressor table an adapter over Google's decompressor, for every
read blogarc does (``blogarc get``, ``verify --deep``, ``extract``), and ``python -m pipelines.warc.codecs check
FILE...`` is ``warcio check`` with the adapter (the ``warcio`` command itself cannot load it).

The adapter also bounds what one call decodes (``MAX_OUTPUT``): a br stream 640,000 times smaller than its content
(a decompression bomb a hostile server sent, archived as it came) yields at most that much a call and is then left
undecoded, instead of filling memory. Digests are unaffected: warcio computes them over the raw payload. The crawl
never accepted a body that decodes to more than ``DOWNLOAD_MAXSIZE`` (256 MiB by default), so no body it parsed is
cut.
"""

from __future__ import annotations

import sys
from typing import Any

from warcio.bufferedreaders import BufferedReader

MAX_OUTPUT = 256 * 1024 * 1024


class BrotliDecompressor:
    """brotlipy's decompressor interface over Google's ``brotli.Decompressor``, at most ``MAX_OUTPUT`` a call."""

    def __init__(self) -> None:
        import brotli  # only when a br record is read

        self._decompressor: Any = brotli.Decompressor()
        self._bounded = hasattr(self._decompressor, "can_accept_more_data")  # brotli >= 1.2
        self.unused_data: bytes | None = None  # warcio reads it; a br stream never carries a next member

    def decompress(self, data: bytes) -> bytes:
        if not self._bounded:
            return self._decompressor.process(data)
        if not self._decompressor.can_accept_more_data():
            return b""  # the last call stopped at MAX_OUTPUT with more to come: a bomb, left undecoded
        return self._decompressor.process(data, output_buffer_limit=MAX_OUTPUT)

    def flush(self) -> bytes:
        return b""


def use_brotli() -> None:
    """Make warcio decode br content with the installed ``brotli`` (when its own glue does not fit it)."""
    factory = BufferedReader.DECOMPRESSORS.get("br")
    if factory is BrotliDecompressor:
        return
    try:
        if factory is not None:
            factory()
            return  # warcio's own glue works with this brotli
    except AttributeError:
        pass
    try:
        import brotli

        brotli.Decompressor().process  # noqa: B018 - Google's bindings, the interface the adapter needs
    except (ImportError, AttributeError):
        return
    BufferedReader.DECOMPRESSORS["br"] = BrotliDecompressor


def main(argv: list[str] | None = None) -> None:
    """Run warcio's command line (``check``, ``index``, ``extract``...) with br decoded by ``use_brotli``."""
    from warcio.cli import main as warcio_main

    use_brotli()
    warcio_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
