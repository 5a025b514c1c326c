"""Ctrl-C and SIGTERM in ``blogarc crawl``: the first stops gracefully, the second at once.

Scrapy's ``CrawlerProcess`` already stops every crawler on the first SIGINT or SIGTERM (their blogs end
``interrupted``, with a manifest, and the waiting blogs ``not started``). Its answer to a second signal is to stop
the reactor and ignore every later signal: the process then still waits for uploads, the extraction pool and its
threads, for minutes, deaf even to SIGTERM. ``JobProcess`` answers the second signal by ending the process at once
(exit status 128 + the signal: 130 for SIGINT, 143 for SIGTERM), its extraction workers killed first. That leaves
only what a kill leaves and the next start repairs: ``.open`` WARCs and text batches in the spool (cut to their last
whole record and shipped by the next ``blogarc crawl`` or ``blogarc upload``) and the site's lock in the store,
held by a pid that no longer exists (taken over: ``pipelines.runs.sitelock``).

Extraction workers ignore SIGINT and SIGTERM (``pipelines.extract.pool``): a Ctrl-C reaches every process of the
terminal's group, and systemd's SIGTERM every process of the service; the workers end when this process shuts the
pool, without a ``KeyboardInterrupt`` traceback each.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.ossignal import signal_names

logger = logging.getLogger("blogarc.crawl")


class JobProcess(CrawlerProcess):
    """Scrapy's ``CrawlerProcess`` whose second shutdown signal ends the process at once (module docstring).

    It overrides Scrapy's hooks for the two signals (``_log_shutdown``, ``_signal_kill``), which Scrapy keeps
    private but stable.
    """

    @staticmethod
    def _log_shutdown(signum: int) -> None:
        logger.warning(
            "Received %s: stopping gracefully (running blogs end as interrupted, with their manifests); "
            "send it again to stop at once",
            signal_names.get(signum, signum),
        )

    def _signal_kill(self, signum: int, _: Any) -> None:
        # in a signal handler: no logging (the stream may be half-written), one write(2), then _exit
        for child in multiprocessing.active_children():
            child.kill()
        name = signal_names.get(signum, str(signum))
        os.write(
            2,
            f"\nblogarc: {name} again: stopped at once; the next crawl (or blogarc upload) repairs the rest\n".encode(),
        )
        os._exit(128 + signum)
