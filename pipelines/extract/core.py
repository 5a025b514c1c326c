"""Clean text, metadata and comments of one blog post or page (trafilatura + WordPress knowledge).

Input is a parsed lxml tree (Scrapy's ``response.selector.root``: no second parse) or HTML text, plus the page URL.
The page's own metadata (JSON-LD, ``article:*`` and Open Graph meta, bylines, ``rel=category tag``) and its reader
comments (WordPress comment markup, as structured data) are read first; trafilatura's and htmldate's heuristics
guess only the title, author or date the page leaves undeclared. Then WordPress and Jetpack boilerplate
(``pipelines.extract.boilerplate``) is pruned, but never a block holding most of the page (a theme that wraps the
whole post in a class a rule names), and trafilatura extracts the main text. A text that is nothing but the page's
title and menu links (trafilatura's last resort on a page without main text) is no text. Comments never enter
``text``. A password-protected or private post (``pipelines.extract.access``) gets its metadata and real title
only: what WordPress shows in its place (the password form) is not its text.

Cost: a caller's tree is copied before pruning, and by trafilatura once more (measured by bench/extraction.py).

No Scrapy imports here: the same code re-extracts text from WARC files without a crawl.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import lxml.html
from htmldate import find_date
from lxml import etree
from trafilatura import bare_extraction
from trafilatura.metadata import extract_author, extract_title
from trafilatura.settings import Extractor
from w3lib.encoding import html_to_unicode

from pipelines.extract.access import PRIVATE, PROTECTED, entry_title, page_access, real_title
from pipelines.extract.boilerplate import Matcher, prune, selectors
from pipelines.extract.comments import extract_comments, fallback_comments
from pipelines.extract.content import post_content
from pipelines.extract.metadata import Declared, declared_metadata, declared_title
from pipelines.extract.options import CHROME_ONLY, TITLE_LINE, ExtractOptions

logger = logging.getLogger(__name__)

# Thresholds (element cap, largest pruned share, chrome-only share) are ExtractOptions fields.
_COUNT_ELEMENTS = etree.XPath("count(//*)")
# Menu links, for _only_chrome (nav and header elements only: a scan for role="navigation" attributes costs three
# times as much)
_CHROME_LINKS = etree.XPath("//nav//a | //header//a | //a[@rel='home']")
_WORD = re.compile(r"\w+")
# What the author guess never reads: comment lists and comments (WordPress's "X says:"), author boxes, and the
# recent-comments widget and block (commenters' names).
_COMMENTS_AND_BIOS = etree.XPath(
    "//*[@id='comments' or contains(@class, 'comment') or contains(@class, 'author')]"  # a cheap test first
    "[@id='comments' or contains(@class, 'comment-list') or contains(@class, 'commentlist')"
    " or contains(@class, 'comments-area') or contains(@class, 'wp-block-comments')"
    " or contains(@class, 'wp-block-post-comments') or contains(concat(' ', normalize-space(@class), ' '), ' comment ')"
    " or contains(@class, 'author-bio') or contains(@class, 'author-info') or contains(@class, 'author-box')"
    " or contains(@class, 'widget_recent_comments') or contains(@class, 'wp-block-latest-comments')]"
)
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # C0 controls, not allowed in XML text
_local = threading.local()


@dataclass
class Extracted(Declared):
    """What extraction finds on a page: its declared (or guessed) metadata, main text and reader comments.

    The record builder adds URL, WARC and crawl fields.
    """

    text: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)
    protected: bool = False  # a password-protected post: its metadata, no text (pipelines.extract.access)
    private: bool = False  # a private post seen through a logged-in session: never recorded

    @property
    def word_count(self) -> int:
        """Words in ``text``, split on whitespace."""
        return self._text_facts()[1]

    @property
    def text_sha256(self) -> str:
        """Hex SHA-256 of ``text`` as UTF-8 (to tell changed text from unchanged)."""
        return self._text_facts()[2]

    def _text_facts(self) -> tuple[str, int, str]:
        """``text``, its word count and digest, computed once per text: a worker's travel with its extraction."""
        facts = self.__dict__.get("_facts")
        if facts is None or facts[0] is not self.text:
            digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
            facts = self.__dict__["_facts"] = (self.text, len(self.text.split()), digest)
        return facts


@lru_cache(maxsize=8)
def extractor_options(favor_precision: bool = False) -> Extractor:
    """Trafilatura options, built once per configuration.

    Comments are off (they are read separately, and trafilatura then prunes comment sections before extracting);
    metadata is off (read from the page's declarations, guessed separately only when missing).
    """
    return Extractor(output_format="python", precision=favor_precision, comments=False, with_metadata=False)


@lru_cache(maxsize=32)
def boilerplate_matcher(rules_off: frozenset[str] = frozenset()) -> Matcher:
    """The boilerplate selectors of the rules not in ``rules_off``, compiled once per set of rules."""
    return Matcher.compile(selectors(rules_off))


def decode_html(body: bytes, content_type: str | None = None, encoding: str | None = None) -> str:
    """Decode a page body: ``encoding`` when known, else as Scrapy does (HTTP charset, BOM, ``<meta charset>``).

    A body that is not valid in the chosen encoding (a Latin-1 page declared or defaulted as UTF-8, the commonest
    charset error) is read as Windows-1252, the superset of Latin-1 browsers use, instead of filling the text with
    replacement characters.
    """
    if encoding is None:
        encoding, _ = html_to_unicode(content_type, body, auto_detect_fun=_guess_encoding)
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return body.decode("cp1252", errors="replace")


def _guess_encoding(body: bytes) -> str | None:
    for encoding in ("utf-8", "cp1252"):
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _parser(encoding: str | None) -> lxml.html.HTMLParser:
    """This thread's parser for bytes in ``encoding`` (None: as the page says); lxml parsers are not shared.

    ``huge_tree`` as Scrapy's own parse (parsel), so the crawl's tree and a re-extraction's hold the same
    deeply nested content; HTML comments go at parse time (``prune`` would strip them anyway).
    """
    parsers = _local.__dict__.setdefault("parsers", {})
    if encoding not in parsers:
        parsers[encoding] = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, encoding=encoding)
    return parsers[encoding]


def parse_html(html: str | bytes) -> lxml.html.HtmlElement | None:
    """Parse HTML text; None when there is nothing to parse (empty, binary, not HTML)."""
    if not html or not html.strip():
        return None
    encoding = None
    if isinstance(html, str):
        # parsed as UTF-8 bytes, as Scrapy (parsel) parses a page: lxml refuses a str that declares its encoding
        # (XHTML's XML prolog). A stray control character goes first, as trafilatura's own parse drops it: one in
        # a text node makes trafilatura give up on the whole page. A body full of them is a binary file, left as
        # it is: trafilatura finds no text in it (tests/fixtures/extraction/bad-binary-as-html).
        data = html.encode("utf-8", "replace")
        kept = data.translate(None, _CONTROL_BYTES)  # a UTF-8 byte under 0x20 is always that character
        html, encoding = (kept if (len(data) - len(kept)) * 100 <= len(data) else data), "utf-8"
    try:
        tree = lxml.html.document_fromstring(html, parser=_parser(encoding))
    except (etree.ParserError, ValueError):  # nothing parsable
        return None
    return tree if len(tree) else None


def extract_post(
    page: str | bytes | lxml.html.HtmlElement, url: str | None = None, options: ExtractOptions | None = None
) -> Extracted | None:
    """Extract main text, metadata and comments from one post or page.

    Args:
        page: a parsed tree (left unchanged) or the HTML.
        url: the page URL, used for metadata and relative links.
        options: how to extract (None: the defaults).

    Returns:
        An ``Extracted``, or None when the page has no main text (or more than ``options.max_elements`` elements).
    """
    options = ExtractOptions.of(options)
    tree = _parsed(page, options)
    if tree is None:
        return None
    declared = declared_metadata(tree)
    access = page_access(tree)
    if access is not None:  # no text, comments or bio: what is shown in the post's place is not the post
        declared.title = real_title(declared.title or entry_title(tree) or extract_title(tree), access, tree)
        guessed = guess_metadata(tree, url, declared, without=_COMMENTS_AND_BIOS)
        return Extracted(**vars(guessed), protected=access == PROTECTED, private=access == PRIVATE)
    comments = extract_comments(tree) or fallback_comments(tree)
    work = tree if tree is not page else copy.deepcopy(tree)  # pruning changes the tree: not a caller's
    content = post_content(work, options, boilerplate_matcher)  # before pruning: the container has its own rules
    prune(work, boilerplate_matcher(options.rules_off), options.pruned_share)
    guessed = guess_metadata(work, url, declared, without=_COMMENTS_AND_BIOS)  # after pruning, comments aside
    text = _main_text(work, url, guessed.title, options, content)
    if not text:
        return None
    return Extracted(**vars(guessed), text=text, comments=comments)


def clean_text(html: str, options: ExtractOptions | None = None) -> str:
    """The ``text`` a record of this page would hold ("" when there is none); a stable benchmark entry point.

    The same steps as ``extract_post`` without what does not change the text (comments, author and dates).

    Args:
        html: the page.
        options: how to extract (None: the defaults).
    """
    options = ExtractOptions.of(options)
    tree = _parsed(html, options)
    if tree is None:
        return ""
    if page_access(tree) is not None:
        return ""  # as extract_post: a protected post's record has no text, a private one no record
    declared = declared_title(tree)
    content = post_content(tree, options, boilerplate_matcher)
    prune(tree, boilerplate_matcher(options.rules_off), options.pruned_share)
    title = declared or extract_title(tree)  # as guess_metadata: guessed after pruning
    return _main_text(tree, None, title, options, content)


def _parsed(page: str | bytes | etree._Element, options: ExtractOptions) -> etree._Element | None:
    """The page's tree (a caller's as it is), or None when there is none or it is too big to extract."""
    tree = page if isinstance(page, etree._Element) else parse_html(page)
    if tree is None or _COUNT_ELEMENTS(tree) > options.max_elements:
        return None
    return tree


def _main_text(
    pruned: etree._Element, url: str | None, title: str | None, options: ExtractOptions, content: etree._Element | None
) -> str:
    """The main text of ``content`` (else, or when it has none, of the pruned page) as blocks; "" when none."""
    trafilatura = extractor_options(options.favor_precision)
    text = _trafilatura_text(content, url, trafilatura) or _trafilatura_text(pruned, url, trafilatura)
    text = paragraphs(text, title if options.applies(TITLE_LINE) else None)
    chrome = options.applies(CHROME_ONLY) and _only_chrome(text, pruned, title, options.chrome_only_share)
    return "" if chrome else text


def _only_chrome(text: str, tree: etree._Element, title: str | None, share: float) -> bool:
    """Whether ``text`` is the page's chrome (its title, site name and menu links), but for ``share`` of its words.

    That is trafilatura's last resort (the page's whole text) on a page without main text: no record is better.
    """
    if _WORD.search(text) is None:
        return False
    chrome = {" ".join("".join(a.itertext()).split()) for a in _CHROME_LINKS(tree)} | {title or ""}
    chrome_words = sum(len(_WORD.findall(part)) for part in chrome)
    for words, _ in enumerate(_WORD.finditer(text), start=1):  # counted only as far as needed: posts are long
        if chrome_words < words * (1 - share):
            return False  # too few chrome words to make up the text, even all of them
    for part in sorted(chrome, key=len, reverse=True):
        text = text.replace(part, " ") if part else text
    return len(_WORD.findall(text)) <= words * share


def _trafilatura_text(tree: etree._Element | None, url: str | None, options: Extractor) -> str:
    """The main text trafilatura finds in ``tree`` ("" when it finds none); trafilatura works on its own copy.

    In Unicode's composed form (NFC), as ``trafilatura.extract`` returns it (``bare_extraction`` does not).
    """
    if tree is None:
        return ""
    document = bare_extraction(tree, url=url, options=options)
    return unicodedata.normalize("NFC", document.text or "") if document is not None else ""


def guess_metadata(
    tree: etree._Element, url: str | None, declared: Declared, without: etree.XPath | None = None
) -> Declared:
    """``declared`` with its missing title, author and date guessed by trafilatura and htmldate (read-only).

    Each guess runs only for a field the page left out (trafilatura's whole metadata pass costs as much as its
    text extraction, and WordPress pages declare most of it). ``without`` selects what the author guess must not
    read (comments, whose "X says:" trafilatura takes for a byline, and author boxes): set aside while it runs.
    """
    guessed = copy.copy(declared)
    if not guessed.title:
        guessed.title = extract_title(tree)
    if not guessed.author:
        with _set_aside(tree, without):
            guessed.author = extract_author(tree)
    if not guessed.published:
        guessed.published = find_date(tree, url=url, original_date=True, extensive_search=True)
    return guessed


@contextmanager
def _set_aside(tree: etree._Element, selector: etree.XPath | None) -> Iterator[None]:
    """Take what ``selector`` finds out of ``tree`` for the ``with`` block; put it back, in place, afterwards."""
    found = [node for node in selector(tree) if node.getparent() is not None] if selector is not None else []
    outermost = [node for node in found if not any(a in found for a in node.iterancestors())]
    placed = []
    for node in outermost:
        mark = etree.Comment("set aside")  # keeps the node's place and tail
        mark.tail, node.tail = node.tail, None
        node.getparent().replace(node, mark)
        placed.append((mark, node))
    try:
        yield
    finally:
        for mark, node in placed:
            node.tail, mark.tail = mark.tail, None
            mark.getparent().replace(mark, node)


def paragraphs(text: str, title: str | None = None) -> str:
    """Trafilatura's one-block-per-line text, blocks separated by blank lines, without a leading title line."""
    blocks = [line.strip() for line in text.splitlines() if line.strip()]
    if title and blocks and blocks[0] == unicodedata.normalize("NFC", title.strip()):
        blocks = blocks[1:]
    return "\n\n".join(blocks)
