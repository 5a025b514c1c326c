"""Ablation of blogarc's extraction rules: each rule switched off in turn, against all rules on and plain trafilatura.

``python bench/extract_ablation.py [--data-dir DIR ...] [--wordpress] [--rules a,b] [--sets a,b] [--workers N]
[--wordpress-cache FILE] [--json OUT]``

Every rule blogarc adds on top of trafilatura has a name (``pipelines.extract.options.RULES``: boilerplate selector
groups, text rules); ``ExtractOptions(rules_off=...)`` switches rules off. For each rule this scores
``clean_text`` (the record's ``text``) with that rule off, next to all rules on, all rules off and plain
``trafilatura.extract(html, include_comments=False)`` (the same trafilatura), on:

* the extract-eval sets found in each ``--data-dir`` (default ``../shared/extract-eval/data``; any set its
  ``evaluate.py`` knows: scrapinghub, cleanportaleval, dragnet, trafilatura...), with that script's loaders and
  metrics (shingle P/R/F1; for the trafilatura set its with/without segments), split into WordPress pages (``wp``,
  its markers) and the others;
* ``wordpress THEME`` (``--wordpress``: needs root and the packages tests/install-servers.sh installs): every
  published post and page of the test harness's real WordPress (tests/wpserver.py), once per installed theme,
  scored against WordPress's own rendering of the content; leaks are the chrome WordPress prints around it, the
  author's bio and the tests' boilerplate strings;
* ``fixtures``: the posts and pages of the project's fixture blogs and the extraction cases with an expected text
  (tests/fixtures), scored the same way, plus **leaks**: boilerplate strings the tests forbid found in a text.

``texts changed`` counts the pages whose text differs from all-on's; ``pages +/-`` the pages where switching the
rule off raised / lowered the page's score (F1; for the segment set, segments right minus segments wrong);
``sites`` the distinct sites among them: a rule that buys its gain on one site's pages is fitted to them. A rule is
skipped (its figures are all-on's) on the pages where it matches nothing, which gives the same text.

It prints figures; it is not a test and exits 0 whatever they are. It reads ../shared (a dev tool); nothing in the
project or its tests does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.extract.boilerplate import SELECTOR_RULES, Matcher  # noqa: E402
from pipelines.extract.content import post_container  # noqa: E402
from pipelines.extract.core import clean_text, decode_html, parse_html  # noqa: E402
from pipelines.extract.options import CONTENT_FIGURES, POST_CONTENT, RULES, ExtractOptions  # noqa: E402

EVAL = ROOT.parent / "shared" / "extract-eval"
PLAIN, ALL_ON, ALL_OFF, PRECISION = "trafilatura", "blogarc", "blogarc, no rules", "blogarc +favor_precision"


@dataclass
class Page:
    """One page to extract and what its text is scored against."""

    set: str
    id: str
    site: str
    wp: bool
    html: str
    truth: str | None = None  # full-text sets
    segments: tuple[list[str], list[str]] | None = None  # the trafilatura set: (with, without)
    phrases: list[str] = field(default_factory=list)  # boilerplate strings a test forbids
    chrome: list[str] = field(default_factory=list)  # WordPress's chrome strings (single words: as a whole block)


def load_evaluate(path: Path) -> ModuleType:
    """The extract-eval harness (../shared/extract-eval/evaluate.py) as a module: its loaders and metrics."""
    spec = importlib.util.spec_from_file_location("extract_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def eval_pages(ev: ModuleType, data_dirs: list[Path], sets: set[str] | None) -> list[Page]:
    """The pages of every extract-eval set found in ``data_dirs``."""
    pages = []
    for data in data_dirs:
        for name in ev.ALL_SETS:
            if not (data / name).is_dir() or (sets and name not in sets):
                continue
            for doc in ev.LOADERS[name](data / name):
                url = (doc.get("url") or "").removeprefix("hard::")
                site = urlsplit(url).hostname or doc["id"].split("_")[0]  # cleanportaleval: site_section_NN
                wp, html = ev.is_wordpress(doc["raw"]), ev.decode_html(doc["raw"])
                page = Page(name, doc["id"], site.removeprefix("www."), wp, html)
                if "truth" in doc:
                    page.truth = doc["truth"]
                else:
                    page.segments = (doc["with"], doc["without"])
                pages.append(page)
    return pages


def fixture_pages(ev: ModuleType) -> list[Page]:
    """The fixture blogs' posts and pages and the extraction cases with an expected text, with forbidden strings."""
    from tests.test_crawl import WORDPRESS_BOILERPLATE  # the strings no fixture text may hold

    pages = []
    for expected_file in sorted((ROOT / "tests" / "fixtures" / "blogs").glob("*/expected.json")):
        blog, expected = expected_file.parent, json.loads(expected_file.read_text())
        routes = json.loads((blog / "_routes.json").read_text()) if (blog / "_routes.json").exists() else {}
        for item in expected["items"]:
            route = routes.get(item["path"]) if isinstance(routes.get(item["path"]), dict) else {}
            path = blog / (route.get("file") or item["path"].strip("/") + "/index.html")
            html = path.read_bytes().decode("utf-8", errors="replace").replace("{{BASE_URL}}", "http://b.test")
            phrases = [*expected.get("boilerplate", []), *WORDPRESS_BOILERPLATE]
            wp = ev.is_wordpress(html.encode())
            pages.append(Page("fixtures", blog.name + item["path"], blog.name, wp, html, item["text"], None, phrases))
    for case in sorted((ROOT / "tests" / "fixtures" / "extraction").glob("*/expected.json")):
        expected = json.loads(case.read_text())
        if "min_f1" in expected:
            html = (case.parent / "page.html").read_text(encoding="utf-8")
            phrases = expected["text"].get("not_contains", [])
            wp, truth = ev.is_wordpress(html.encode()), expected["min_f1"]["text"]
            pages.append(Page("fixtures", case.parent.name, case.parent.name, wp, html, truth, None, phrases))
    return pages


def wordpress_pages(cache: Path | None) -> list[Page]:
    """Every published post and page (each part of a split post) of the test harness's real WordPress, per theme.

    Scored against WordPress's own rendering of the content (``dump.php``); the chrome WordPress prints around it
    (comment form, tagline), the author's bio and the tests' boilerplate strings are leaks. Protected posts are left
    out (their text is the password form's business, not a rule's). ``cache``: a JSON file of the pages, read
    when it exists (no WordPress started), else written, so that two versions of blogarc see the same pages.
    """
    if cache and cache.exists():
        return [Page(**page) for page in json.loads(cache.read_text())]
    from tests.test_crawl import WORDPRESS_BOILERPLATE
    from tests.wpcheck import html_text
    from tests.wpserver import WordPress, missing

    if absent := missing():
        sys.exit(f"--wordpress: cannot start the harness's WordPress: missing {', '.join(absent)}")
    pages = []
    with WordPress() as wp:
        for theme in (t["stylesheet"] for t in wp.themes()):
            wp.switch_theme(theme)
            truth = wp.truth()
            for item in (i for i in truth["published"] if not i["protected"]):
                for number, part in enumerate(item["parts"], 1):
                    url = item["url"] if number == 1 else f"{item['url'].rstrip('/')}/{number}/"
                    with urllib.request.urlopen(url, timeout=60) as response:
                        html = decode_html(response.read(), response.headers.get("Content-Type"))
                    phrases = [*WORDPRESS_BOILERPLATE, *([item["author_bio"]] if item["author_bio"] else [])]
                    page = Page(f"wordpress {theme}", url, item["type"], True, html, html_text(part), None, phrases)
                    page.chrome = truth["chrome"]
                    pages.append(page)
    if cache:
        cache.write_text(json.dumps([vars(page) for page in pages]))
    return pages


def leaks(page: Page, text: str) -> int:
    """How many of the page's forbidden strings its text holds."""
    from tests.wpcheck import chrome_found

    return sum(phrase in text for phrase in page.phrases) + len(chrome_found(text, page.chrome) if page.chrome else [])


def fires(rule: str, page: Page) -> bool:
    """Whether switching ``rule`` off can change this page's text (False: its selectors match nothing here)."""
    if rule not in SELECTOR_RULES and rule not in (POST_CONTENT, CONTENT_FIGURES):
        return True  # the text rules: decided on the text
    tree = parse_html(page.html)
    if tree is None:
        return False
    if rule in (POST_CONTENT, CONTENT_FIGURES):  # a WordPress single view with one content container
        return post_container(tree) is not None
    return bool(Matcher.compile({rule: SELECTOR_RULES[rule]}).find(tree))


def extract(job: tuple[str, tuple[str, ...] | None, str]) -> str:
    """One text: ``job`` is (config, rules off or None for plain trafilatura, html)."""
    config, rules_off, html = job
    if rules_off is None:
        return trafilatura.extract(html, include_comments=False) or ""
    return clean_text(html, ExtractOptions(favor_precision=config == PRECISION, rules_off=frozenset(rules_off)))


def configs(rules: list[str]) -> dict[str, tuple[str, ...] | None]:
    """Config label -> the rules it switches off (None: plain trafilatura)."""
    named = {PLAIN: None, ALL_ON: (), ALL_OFF: RULES, PRECISION: ()}
    return named | {f"-{rule}": (rule,) for rule in rules}


def run(pages: list[Page], rules: list[str], workers: int) -> dict[str, list[str]]:
    """The text of every page under every config (a rule-off config reuses all-on's text where the rule is idle)."""
    texts: dict[str, list[str]] = {}
    with ProcessPoolExecutor(workers) if workers > 1 else _Serial() as pool:
        for config, rules_off in configs(rules).items():
            todo = [i for i, page in enumerate(pages) if not config.startswith("-") or fires(config[1:], page)]
            jobs = [(config, rules_off, pages[i].html) for i in todo]
            done = dict(zip(todo, pool.map(extract, jobs, chunksize=8), strict=True))
            texts[config] = [done[i] if i in done else texts[ALL_ON][i] for i in range(len(pages))]
            print(f"  {config}: {len(todo)} pages extracted", file=sys.stderr, flush=True)
    return texts


class _Serial:
    """``ProcessPoolExecutor``'s map in this process (``--workers 1``: the machine is shared)."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, func: Callable[[tuple], str], jobs: list[tuple], chunksize: int = 1) -> list[str]:
        return [func(job) for job in jobs]


def page_scores(ev: ModuleType, page: Page, text: str) -> tuple[tuple, float]:
    """(the harness's raw counts for this page, one comparable score: its F1, or segments right minus wrong)."""
    if page.segments is not None:
        counts = ev.segment_counts({"with": page.segments[0], "without": page.segments[1]}, text)
        return counts, counts[0] - counts[1]
    counts = ev.shingle_tp_fp_fn(ev.tokenize(page.truth), ev.tokenize(text), 4)
    p, r = ev.precision_score(*counts), ev.recall_score(*counts)
    return counts, 2 * p * r / (p + r) if p + r else 0.0


def summary(ev: ModuleType, segment: bool, counts: list[tuple]) -> tuple[float, float, float]:
    """(P, R, F1) of a set of pages, as the harness computes them."""
    if not counts:
        return (float("nan"),) * 3
    return ev.segment_scores(counts)[:3] if segment else ev.aggregate(counts)


def tables(ev: ModuleType, pages: list[Page], texts: dict[str, list[str]]) -> list[dict]:
    """One row per set and config: P/R/F1 (all, wp, other), pages and sites changed against all-on, leaks."""
    rows = []
    for name in dict.fromkeys(page.set for page in pages):
        index = [i for i, page in enumerate(pages) if page.set == name]
        segment = pages[index[0]].segments is not None
        scored = {c: {i: page_scores(ev, pages[i], texts[c][i]) for i in index} for c in texts}
        for config, by_page in scored.items():
            row = {"set": name, "config": config, "n": len(index)}
            for subset, wanted in (("all", None), ("wp", True), ("other", False)):
                chosen = [i for i in index if wanted is None or pages[i].wp is wanted]
                row[subset] = summary(ev, segment, [by_page[i][0] for i in chosen])
            row["changed"] = sum(texts[config][i] != texts[ALL_ON][i] for i in index)
            up = [i for i in index if by_page[i][1] > scored[ALL_ON][i][1] + 1e-9]
            down = [i for i in index if by_page[i][1] < scored[ALL_ON][i][1] - 1e-9]
            row["pages"] = (len(up), len(down))
            row["sites"] = (len({pages[i].site for i in up}), len({pages[i].site for i in down}))
            row["leaks"] = sum(leaks(pages[i], texts[config][i]) for i in index)
            rows.append(row)
    return rows


def print_tables(rows: list[dict]) -> None:
    """Markdown tables, one per set."""
    for name in dict.fromkeys(row["set"] for row in rows):
        base = next(r for r in rows if r["set"] == name and r["config"] == ALL_ON)
        print(f"\n### {name} ({base['n']} pages)\n")
        print("| config | F1 | P | R | F1 wp | F1 other | ΔF1 vs all on (all / wp / other) | texts changed ", end="")
        print("| pages +/- | sites +/- | leaks |\n|---|---|---|---|---|---|---|---|---|---|---|")
        for row in (r for r in rows if r["set"] == name):
            delta = " / ".join(f"{row[s][2] - base[s][2]:+.4f}" for s in ("all", "wp", "other"))
            print(
                f"| {row['config']} | {row['all'][2]:.4f} | {row['all'][0]:.4f} | {row['all'][1]:.4f} "
                f"| {row['wp'][2]:.4f} | {row['other'][2]:.4f} | {delta} | {row['changed']} "
                f"| {row['pages'][0]}/{row['pages'][1]} "
                f"| {row['sites'][0]}/{row['sites'][1]} | {row['leaks']} |"
            )


def main() -> int:
    """Run the ablation and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, action="append", help="extract-eval data folder (repeatable)")
    parser.add_argument("--evaluate", type=Path, default=EVAL / "evaluate.py", help="the extract-eval harness")
    parser.add_argument(
        "--rules", help=f"comma-separated rules to switch off one at a time (default: {','.join(RULES)})"
    )
    parser.add_argument("--sets", help="comma-separated sets (default every set found, and fixtures)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wordpress", action="store_true", help="add the real WordPress's pages, per theme (root)")
    parser.add_argument("--wordpress-cache", type=Path, help="the WordPress pages: read from this file, else saved")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    ev = load_evaluate(args.evaluate)
    sets = set(args.sets.split(",")) if args.sets else None
    rules = args.rules.split(",") if args.rules else list(RULES)
    ExtractOptions(rules_off=frozenset(rules))  # unknown names fail here, before an hour of work
    pages = eval_pages(ev, args.data_dir or [EVAL / "data"], sets)
    pages += fixture_pages(ev) if not sets or "fixtures" in sets else []
    pages += wordpress_pages(args.wordpress_cache) if args.wordpress or args.wordpress_cache else []
    print(f"{len(pages)} pages, trafilatura {trafilatura.__version__}", file=sys.stderr)
    rows = tables(ev, pages, run(pages, rules, args.workers))
    print_tables(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
