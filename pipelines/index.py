"""CDXJ indexes of WARC files, written with cdxj-indexer (the format pywb and ReplayWeb.page read)."""

from __future__ import annotations

import io
from pathlib import Path

from cdxj_indexer.main import write_cdx_index


def cdxj_path(warc_path: Path) -> Path:
    """``x.warc.gz`` -> ``x.cdxj``, beside the WARC."""
    name = warc_path.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            return warc_path.with_name(name[: -len(suffix)] + ".cdxj")
    return warc_path.with_name(name + ".cdxj")


def write_cdxj(warc_path: Path) -> Path:
    """Index every record of a closed WARC (sorted, with offsets and lengths); return the index path.

    The index names the WARC by its bare file name, so it stays valid wherever the pair is copied.
    """
    out = io.StringIO()
    write_cdx_index(out, [str(warc_path)], {"sort": True, "filename": warc_path.name})
    target = cdxj_path(warc_path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(target)
    return target
