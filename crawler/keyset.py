"""A set of 60-bit keys (string hashes, ``crawler.admission.KEY``) in about 10 bytes a key instead of ~70.

Admission remembers the hash of every URL and href it decided: ~10^5 keys per 10^4 posts, the largest structure
of a large crawl after the crawl state when held in Python sets (a 32-byte int and a 16-byte slot at most 60% full
a key). ``KeySet`` keeps most keys in a sorted ``array`` of 64-bit ints (8 bytes a key, found by ``bisect``) and
the keys added since the last merge in a set at most an eighth its size. The keys found in the array land in a
small set of ``hot`` ones, so that the links every page repeats (menus, sidebars) stay set look-ups.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left

MIN_RECENT = 8192  # keys added before the first merge (a small crawl never merges)
HOT = 4096  # keys found in the array kept as a set; cleared when full (what is hot comes back at once)


class KeySet:
    """``in`` and ``add`` of a set of ints in [0, 2**63), compactly (see the module docstring)."""

    __slots__ = ("frozen", "recent", "hot")

    def __init__(self) -> None:
        self.frozen = array("q")  # sorted, no duplicates
        self.recent: set[int] = set()
        self.hot: set[int] = set()

    def __contains__(self, key: int) -> bool:
        if key in self.recent or key in self.hot:
            return True
        if not self._in_array(key):
            return False
        if len(self.hot) >= HOT:
            self.hot = set()
        self.hot.add(key)
        return True

    def add(self, key: int) -> None:
        """Add ``key`` (one already in costs nothing more: merges drop duplicates)."""
        self.recent.add(key)
        if len(self.recent) >= max(MIN_RECENT, len(self.frozen) // 8):
            self._merge()

    def __len__(self) -> int:
        return len(self.frozen) + sum(1 for key in self.recent if not self._in_array(key))

    def _in_array(self, key: int) -> bool:
        frozen = self.frozen
        at = bisect_left(frozen, key)
        return at < len(frozen) and frozen[at] == key

    def _merge(self) -> None:
        """Merge the recent keys into the array, one key at a time (no list of every key: that would be a peak)."""
        merged, last = array("q"), -1
        for key in heapq.merge(self.frozen, sorted(self.recent)):
            if key != last:
                merged.append(key)
                last = key
        self.frozen, self.recent = merged, set()
