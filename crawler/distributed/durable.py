"""When a request taken from a blog's frontier is durable, so that it may leave the frontier for good.

A request a worker took from Redis stays in the blog's ``inflight`` hash (``crawler.distributed.frontier``) until
everything it produced is in the store; a worker that dies before then leaves it there, and the blog's next holder
puts it back in the queue and fetches it again. This is the Redis side of what the crawl state does with pending
captures (``pipelines.runs.state``: a checkpoint never names a capture whose page is still being handled), with
"durable" meaning *in the store*, not in a local spool another machine cannot see.

A request is **handled** once the crawl is done with it: its callback's output is over and every text record it
yielded is written to its batch (``record_written``); or a downloader middleware turned it into another request
(a redirect, a retry) that is in the frontier now; or its download failed for good. Its data is then in the WARC
file and the text batch being written, or in files closed before.

Files close in order (one WARC roller and one batch writer per crawl), so handled requests are kept in
*generations*: the requests handled since the last file closed. When a file closes, the current generation is
frozen, and it still waits for a WARC file to close if records were written since the last one did (the file
being written holds some of its captures), and likewise for a text batch. Once it waits for nothing, it is sealed
at the number of files closed so far, and it is durable when all those files are in the store (``object_stored``):
its requests leave the frontier. A blog smaller than ``WARC_MAX_SIZE`` closes no file before it ends, so nothing
leaves the frontier early; its end deletes the frontier (the manifest is written by then).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.layout import TEXT_SUFFIX, is_warc_name


@dataclass
class Generation:
    """Requests handled between two file closes."""

    tokens: list[str]
    needs_warc: bool
    needs_text: bool
    upto: int | None = None  # files (in close order) that must be in the store, once sealed


@dataclass
class Durability:
    """Follow captures, records and files of one crawl; tell which handled requests became durable."""

    warc: bool = True  # WARC capture on
    text: bool = True  # text records on
    closed: list[str] = field(default_factory=list)  # store keys of the files closed, in order
    stored: set[str] = field(default_factory=set)
    collecting: list[str] = field(default_factory=list)
    frozen: list[Generation] = field(default_factory=list)
    captures_open: int = 0  # exchanges written since the last WARC file closed
    records_open: int = 0  # text records written since the last batch closed
    _prefix: int = 0  # how many of ``closed`` are stored, counted from the first

    def captured(self) -> None:
        """An exchange was written to the WARC file being written."""
        self.captures_open += 1

    def record_written(self) -> None:
        """A text record was written to the batch being written."""
        self.records_open += 1

    def handled(self, token: str) -> None:
        """The crawl is done with the request ``token`` (see the module docstring)."""
        self.collecting.append(token)

    def file_closed(self, key: str) -> list[str]:
        """A file of the crawl closed (``file_closed``); returns the requests that became durable."""
        self.closed.append(key)
        name = key.rsplit("/", 1)[-1]
        warc, batch = is_warc_name(name), name.endswith(TEXT_SUFFIX)
        if warc:
            self.captures_open = 0
        if batch:
            self.records_open = 0
        if self.collecting:
            needs_warc = self.warc and self.captures_open > 0
            needs_text = self.text and self.records_open > 0
            self.frozen.append(Generation(self.collecting, needs_warc, needs_text))
            self.collecting = []
        for generation in self.frozen:
            generation.needs_warc = generation.needs_warc and not warc
            generation.needs_text = generation.needs_text and not batch
            if generation.upto is None and not (generation.needs_warc or generation.needs_text):
                generation.upto = len(self.closed)
        return self._durable()

    def object_stored(self, key: str) -> list[str]:
        """An object reached the store (``object_stored``); returns the requests that became durable."""
        self.stored.add(key)
        return self._durable()

    def _durable(self) -> list[str]:
        while self._prefix < len(self.closed) and self.closed[self._prefix] in self.stored:
            self._prefix += 1
        durable: list[str] = []
        while self.frozen and self.frozen[0].upto is not None and self.frozen[0].upto <= self._prefix:
            durable += self.frozen.pop(0).tokens
        return durable

    @property
    def waiting(self) -> int:
        """Handled requests not durable yet."""
        return len(self.collecting) + sum(len(g.tokens) for g in self.frozen)
