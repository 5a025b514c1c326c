"""Helpers shared by the tests: reading back what blogarc wrote, the way a user would."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``warcio check -v`` (the command archivists use) on a WARC file."""
    return subprocess.run(
        [sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def read_jsonl_gz(paths: list[Path]) -> list[dict]:
    """Every JSON record of gzipped JSON Lines files."""
    records = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records
