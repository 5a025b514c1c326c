"""The options of one extraction run, in one object: built once per crawl (or re-extraction) and given to workers once.

Defaults are blogarc's measured choices; ``ExtractOptions.from_settings`` reads the two a user may set
(``TRAFILATURA_FAVOR_PRECISION``, ``EXTRACT_WORKER_MAX_MEMORY``: crawler/settings.py). The others are thresholds
the extraction code is tuned to (tests/fixtures/extraction and the extract-eval sets measure them), kept here so a
caller can see and change them in one place rather than in module constants.

Each rule blogarc adds on top of plain trafilatura has a name (``RULES``): the boilerplate selector groups of
``pipelines.extract.boilerplate`` and the text rules of ``pipelines.extract.core``. ``rules_off`` switches
rules off by name, so bench/extract_ablation.py can measure what each one costs or buys.

Frozen, so one object can be shared by every page and pickled to worker processes as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.extract.boilerplate import SELECTOR_RULES

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# The other rules: a block holding most of the page is kept whatever its class (max_pruned_share); no text when it is
# only the page's title and menu links; the title left out of the text when it is its first line; a WordPress
# single view read from its one content container, and that container's figures kept (pipelines.extract.content).
KEEP_MOST_OF_PAGE, CHROME_ONLY, TITLE_LINE = "keep-most-of-page", "chrome-only", "title-line"
POST_CONTENT, CONTENT_FIGURES = "post-content", "content-figures"
RULES: tuple[str, ...] = (*SELECTOR_RULES, KEEP_MOST_OF_PAGE, CHROME_ONLY, TITLE_LINE, POST_CONTENT, CONTENT_FIGURES)


@dataclass(frozen=True)
class ExtractOptions:
    """How pages are extracted.

    Attributes:
        favor_precision: trafilatura's precision mode (``TRAFILATURA_FAVOR_PRECISION``).
        max_elements: pages with more elements are not extracted (no record, counted by the caller):
            trafilatura's cost grows faster than linearly with the tree, and a 20 MB page of markup would hold a
            worker for minutes. Blog posts, comments included, have a few thousand elements.
        max_pruned_share: a block a boilerplate rule matches is kept when it holds more than this share of the
            page's text (a theme that wraps the whole post in a class a rule names; comment sections excepted).
        chrome_only_share: a text whose words are at most this share outside the page's title and menu links is
            no main text (trafilatura's last resort on a page without any).
        worker_max_memory: address-space cap of each extraction worker process, in bytes (0 = none;
            ``EXTRACT_WORKER_MAX_MEMORY``): a page needing more fails alone, with ``MemoryError``, instead of
            drawing the kernel's OOM killer onto the crawl.
        rules_off: names of rules (``RULES``) not to apply; an unknown name is a ``ValueError``.
    """

    favor_precision: bool = False
    max_elements: int = 100_000
    max_pruned_share: float = 0.5
    chrome_only_share: float = 0.1
    worker_max_memory: int = 4 * 1024**3
    rules_off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.rules_off) - set(RULES)
        if unknown:
            raise ValueError(f"unknown extraction rule(s) {sorted(unknown)}; the rules are {', '.join(RULES)}")
        object.__setattr__(self, "rules_off", frozenset(self.rules_off))  # any iterable of names; hashable

    def applies(self, rule: str) -> bool:
        """Whether ``rule`` (one of ``RULES``) is on."""
        return rule not in self.rules_off

    @property
    def pruned_share(self) -> float:
        """The largest share of a page's text pruning may remove in one block (1.0: any, the guard is off)."""
        return self.max_pruned_share if self.applies(KEEP_MOST_OF_PAGE) else 1.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ExtractOptions:
        """The options a crawl's Scrapy settings ask for; the thresholds keep their defaults."""
        return cls(
            favor_precision=settings.getbool("TRAFILATURA_FAVOR_PRECISION", cls.favor_precision),
            worker_max_memory=settings.getint("EXTRACT_WORKER_MAX_MEMORY", cls.worker_max_memory),
        )

    @classmethod
    def of(cls, options: ExtractOptions | None) -> ExtractOptions:
        """``options``, or the defaults for None."""
        return DEFAULT_OPTIONS if options is None else options


DEFAULT_OPTIONS = ExtractOptions()
