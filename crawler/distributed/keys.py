"""Every Redis key of the queue (as ``pipelines/layout.py`` has every key of the store).

``blogarc:jobs``, ``blogarc:active``, ``blogarc:holding``, ``blogarc:up``, ``blogarc:grace`` and
``blogarc:worker:{id}`` are global (``crawler.distributed.jobs``); ``JobKeys`` are one job's, ``FrontierKeys`` one
blog's frontier in a job (``crawler.distributed.frontier``). One Redis database holds one queue; use another
database number (``redis://host/1``) for another.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "blogarc"


@dataclass(frozen=True)
class JobKeys:
    """The Redis keys of one job."""

    run_id: str
    prefix: str = PREFIX

    @property
    def meta(self) -> str:
        """The job's own hash."""
        return f"{self.prefix}:job:{self.run_id}"

    @property
    def sites(self) -> str:
        """Site -> its URL, settings and rank."""
        return f"{self.meta}:sites"

    @property
    def waiting(self) -> str:
        """Blogs waiting, by rank."""
        return f"{self.meta}:waiting"

    @property
    def running(self) -> str:
        """Blogs held, by lease expiry."""
        return f"{self.meta}:running"

    @property
    def holders(self) -> str:
        """Site -> its holder."""
        return f"{self.meta}:holders"

    @property
    def attempts(self) -> str:
        """Site -> claims so far."""
        return f"{self.meta}:attempts"

    @property
    def done(self) -> str:
        """Site -> how its crawl ended."""
        return f"{self.meta}:done"

    @property
    def failed(self) -> str:
        """Site -> why it failed."""
        return f"{self.meta}:failed"

    @property
    def frontier_prefix(self) -> str:
        """Where the job's blogs keep their frontiers (``{prefix}{site}:requests`` ...)."""
        return f"{self.meta}:site:"


@dataclass(frozen=True)
class FrontierKeys:
    """The Redis keys of one blog's frontier (``prefix`` is the job's ``JobKeys.frontier_prefix``)."""

    prefix: str
    site: str

    def __getitem__(self, part: str) -> str:
        return f"{self.prefix}{self.site}:{part}"
