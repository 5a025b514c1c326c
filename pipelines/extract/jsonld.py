"""JSON-LD as pages carry it: the nodes of their ``application/ld+json`` scripts, and their schema.org types.

Given the scripts' texts, whichever parser read them from the page (lxml for extraction, Lexbor in the crawl).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pipelines.extract.entries import ARTICLE_TYPES


def nodes(scripts: Iterable[str]) -> list[dict[str, Any]]:
    """Every node of these scripts, lists and ``@graph`` flattened; scripts that do not parse skipped."""
    found: list[dict[str, Any]] = []
    for script in scripts:
        try:
            data = json.loads(script)
        except ValueError:
            continue
        found.extend(_flatten(data))
    return found


def declares_article(scripts: Iterable[str]) -> bool:
    """Whether a node of these scripts is of one of ``ARTICLE_TYPES`` (its ``@type`` a string or a list)."""
    return any(has_type(node, ARTICLE_TYPES) for node in nodes(scripts))


def has_type(node: dict[str, Any], wanted: tuple[str, ...]) -> bool:
    """Whether a node's ``@type`` (a string or a list of them) is one of ``wanted``."""
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t in wanted for t in types)


def _flatten(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _flatten(item)]
    if isinstance(data, dict):
        return _flatten(data["@graph"]) if "@graph" in data else [data]
    return []
