"""Content codings for warcio's readers: brotli, as the ``brotli`` package of today spells it.

warcio 1.8.1 decodes ``Content-Encoding: br`` with brotlipy's interface (``Decompressor().decompress(data)`` and an
``unused_data`` attribute it sets). The ``brotli`` package Scrapy needs (Google's bindings, 1.1+) calls the method
``process`` and its decompressor takes no new attributes, so warcio fails on every br record with ``'brotli.
Decompressor' object has no attribute 'unused_data'`` (warcio check, ``content_stream()``, blogarc get/verify/
extract). ``use_brotli`` gives warcio's decompressor table an adapter with the interface it expects; the decoding
itself stays Google's. Idempotent; a warcio that already works with the installed brotli is left alone.
"""

from __future__ import annotations

from typing import Any

from warcio.bufferedreaders import BufferedReader


class BrotliDecompressor:
    """brotlipy's decompressor interface over Google's ``brotli.Decompressor``."""

    def __init__(self) -> None:
        import brotli  # only when a br record is read

        self._decompressor: Any = brotli.Decompressor()
        self.unused_data: bytes | None = None  # warcio reads it; a br stream never carries a next member

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)

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
