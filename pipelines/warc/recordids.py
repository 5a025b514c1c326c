"""WARC-Record-IDs: random (version 4) UUIDs, as ``uuid.uuid4()`` makes them, without a system call for each.

``uuid4()`` asks the OS for 16 random bytes a call (``os.urandom``: a ``getrandom`` system call, two a pair of
records). Here the bytes come from the same OS generator, 256 ids' worth at a time, and are dealt out in order, so
every id is still 122 bits from the kernel's CSPRNG and ids stay unique across threads, processes and machines as
``uuid4``'s are. A forked child drops what its parent had drawn (``os.register_at_fork``) so the two never deal out
the same bytes.
"""

from __future__ import annotations

import os
import threading

BATCH = 256  # ids drawn from the OS at once (4 KiB)

# RFC 4122 version 4 (the 13th hex digit is 4) and variant 10xx (the 17th is 8, 9, a or b): the bits
# ``uuid.UUID(bytes=..., version=4)`` sets, set here on the hex digits of the bytes drawn
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


class RandomIds:
    """A thread-safe dealer of version 4 UUIDs as ``<urn:uuid:...>`` (the WARC-Record-ID form warcio writes)."""

    def __init__(self, batch: int = BATCH):
        self._size = 32 * batch  # hex digits a draw
        self._lock = threading.Lock()
        self._hex = ""
        self._at = 0

    def drop(self) -> None:
        """Forget the bytes drawn so far (a forked child's copy of them is its parent's too)."""
        with self._lock:
            self._hex, self._at = "", 0

    def next(self) -> str:
        """A new ``<urn:uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx>``."""
        with self._lock:
            at = self._at
            if at >= len(self._hex):
                self._hex, at = os.urandom(self._size // 2).hex(), 0
            self._at = at + 32
            h = self._hex[at : at + 32]
        return f"<urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}>"


record_ids = RandomIds()
os.register_at_fork(after_in_child=record_ids.drop)
