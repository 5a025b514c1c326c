"""Benchmark: blogarc extraction vs plain ``trafilatura.extract`` on the same pages, in docs/s.

``python bench/extraction.py [--eval-data /work/shared/extract-eval/data] [--rounds 3]`` loads the fixture blogs'
posts and pages (tests/fixtures/blogs/*/expected.json) and the extraction fixtures, plus the pages of the
extract-eval sets when ``--eval-data`` is given, and times, interleaved round by round so machine load hits every
contender alike (the best round of each is reported):

* text only: ``trafilatura.extract(html, include_comments=False)`` against blogarc's ``clean_text(html)`` (the
  benchmark entry point: the record's ``text``, nothing else);
* the whole record: ``trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)`` (text and
  metadata) against blogarc's ``extract_post(html, url)`` (text, metadata and structured comments), and
  ``extract_post(tree, url)``, the crawl's in-process path on an already parsed tree, parse excluded;
* ``trafilatura.extract(html)`` with the library defaults, for reference.

Each blogarc line is compared with the trafilatura line of the same job (the ``vs`` column).

It prints figures; it is not a test and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.extract.core import clean_text, extract_post, parse_html  # noqa: E402


def fixture_pages() -> list[tuple[str, str]]:
    """(html, url) of every post and page of the fixture blogs, and of the extraction fixtures with text."""
    pages = []
    for expected in sorted((ROOT / "tests" / "fixtures" / "blogs").glob("*/expected.json")):
        for item in json.loads(expected.read_text())["items"]:
            path = expected.parent / item["path"].strip("/") / "index.html"
            if path.exists():
                html = path.read_text(encoding="utf-8", errors="replace").replace("{{BASE_URL}}", "http://b.test")
                pages.append((html, "http://b.test" + item["path"]))
    for case in sorted((ROOT / "tests" / "fixtures" / "extraction").glob("*/")):
        if not case.name.startswith("bad-"):
            pages.append(((case / "page.html").read_text(encoding="utf-8"), (case / "url.txt").read_text().strip()))
    return pages


def eval_pages(data: Path) -> list[tuple[str, str]]:
    """(html, url) of the extract-eval sets (scrapinghub, cleanportaleval)."""
    pages = []
    truth = json.loads((data / "scrapinghub" / "ground-truth.json").read_text())
    for key, entry in sorted(truth.items()):
        raw = gzip.decompress((data / "scrapinghub" / "html" / f"{key}.html.gz").read_bytes())
        pages.append((raw.decode("utf-8", errors="replace"), entry.get("url") or ""))
    for path in sorted((data / "cleanportaleval" / "input").glob("*.html")):
        pages.append((path.read_bytes().decode("utf-8", errors="replace"), ""))
    return pages


def timed(func: Callable[[], object]) -> float:
    """Seconds one call of ``func`` takes."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-data", type=Path, help="extract-eval data folder (adds its pages)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = fixture_pages() + (eval_pages(args.eval_data) if args.eval_data else [])
    trees = [(parse_html(html), url) for html, url in pages]
    text_ref, record_ref = "trafilatura.extract(include_comments=False)", "trafilatura.bare_extraction(metadata)"
    contenders: dict[str, tuple[Callable[[], object], str | None]] = {
        text_ref: (lambda: [trafilatura.extract(h, url=u, include_comments=False) for h, u in pages], None),
        "blogarc clean_text(html)": (lambda: [clean_text(h) for h, _ in pages], text_ref),
        record_ref: (
            lambda: [
                trafilatura.bare_extraction(h, url=u, with_metadata=True, include_comments=False) for h, u in pages
            ],
            None,
        ),
        "blogarc extract_post(html)": (lambda: [extract_post(h, u) for h, u in pages], record_ref),
        "blogarc extract_post(tree), parse excluded": (lambda: [extract_post(t, u) for t, u in trees], record_ref),
        "trafilatura.extract (defaults)": (lambda: [trafilatura.extract(h, url=u) for h, u in pages], None),
    }
    best = {name: float("inf") for name in contenders}
    for _ in range(args.rounds):
        for name, (run, _) in contenders.items():
            best[name] = min(best[name], timed(run))
    print(f"{len(pages)} pages, best of {args.rounds} rounds")
    print(f"{'extractor':48} {'docs/s':>8} {'vs':>8}")
    for name, (_, reference) in contenders.items():
        versus = f"{best[reference] / best[name] - 1:+8.1%}" if reference else ""
        print(f"{name:48} {len(pages) / best[name]:8.1f} {versus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
