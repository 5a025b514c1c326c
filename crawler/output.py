"""How blogarc prints: sizes, a run's figures, JSON, and binary output that must not reach a terminal.

Light on purpose (every listing command imports it): no Scrapy, no warcio.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def human_bytes(size: float) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def run_figures(responses: int, records: int, warc_files: int, warc_bytes: int) -> str:
    """A run's figures as both the crawl's summary line and ``blogarc runs`` print them (from the run manifest)."""
    return f"{responses} responses, {records} text records, {warc_files} WARC files ({human_bytes(warc_bytes)})"


def print_json(data: Any) -> None:
    """``--json`` output."""
    print(json.dumps(data, indent=2))


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` would garble a terminal: a NUL byte or invalid UTF-8 in its first 8 KB (as curl checks)."""
    head = data[:8192]
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # a character cut at the 8 KB boundary is not binary
    return False


def write_bytes(data: bytes) -> None:
    """Write ``data`` to standard output as it is."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
