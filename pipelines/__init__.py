"""blogarc pipelines: everything after download (WARC, extraction, stores, manifests).

Usable without a running crawl, e.g. to re-extract text from WARC files. This package never imports
``crawler``; the version lives here so both packages can read it without breaking that rule.
"""

__version__ = "0.1.0"
