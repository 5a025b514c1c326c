"""How faithfully blogarc records a real WordPress, theme by theme (issue 13's table).

Starts the test harness's WordPress (Debian's package, Apache + mod_php, MariaDB; see tests/wpserver.py: needs
root and the packages `.ci/run` installs), crawls it once per installed theme, and prints for each theme the share
of posts whose title, author, dates, categories, tags and comments agree with WordPress's own data, and the median
and minimum text F1 against the rendered content. ``--details`` prints every disagreement.

    python bench/wordpress_fidelity.py [--details] [--theme NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.util import FAST, blogarc, f1, site_of, text_records  # noqa: E402
from tests.wpcheck import FIELDS, differences, fidelity_table, records_by_url, rendered_text  # noqa: E402
from tests.wpserver import WordPress, missing  # noqa: E402


def crawl_theme(wp: WordPress, theme: str, details: bool) -> dict:
    """One theme's crawl and its row of the table."""
    wp.switch_theme(theme)
    with tempfile.TemporaryDirectory() as store:
        before, started = len(wp.access_log()), time.monotonic()
        done = blogarc("crawl", wp.base, "--store", store, *FAST, text=True, timeout=1800)
        wall = time.monotonic() - started
        truth, records = wp.truth(), text_records(Path(store), site_of(wp.base))
    row = {"theme": theme, "exit": done.returncode, "requests": len(wp.access_log()) - before, "wall_s": wall}
    row.update(fidelity_table(truth, records))
    if details:
        grouped = records_by_url(records)
        for item in truth["published"]:
            found = grouped.get(item["url"])
            if not found:
                print(f"  {theme} {item['url']}: no record")
                continue
            score = 1.0 if item["protected"] else f1(rendered_text(item), found[0]["text"])  # no text to have
            for line in differences(item, found[0]) + ([f"text F1 {score:.3f}"] if score < 0.97 else []):
                print(f"  {theme} {item['type']} {item['url']}: {line}")
    return row


def main() -> None:
    """Crawl every theme (or those asked for) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="print every field that disagrees")
    parser.add_argument("--theme", action="append", help="only these themes (default: every installed theme)")
    args = parser.parse_args()
    if absent := missing():
        sys.exit(f"cannot start the WordPress harness: missing {', '.join(absent)}")
    with WordPress() as wp:
        themes = args.theme or [t["stylesheet"] for t in wp.themes()]
        rows = [crawl_theme(wp, theme, args.details) for theme in themes]
    columns = ["theme", "exit", "requests", "wall_s", "posts", *FIELDS, "f1_median", "f1_min"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = [f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
