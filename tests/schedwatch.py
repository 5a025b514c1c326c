"""A Scrapy extension for tests: the most requests Scrapy's scheduler held at once, written to a JSON file.

``-s 'EXTENSIONS={"tests.schedwatch.SchedulerWatch": 0}' -s SCHEDWATCH_FILE=path``: at each scheduled request it
reads the scheduler's length (what waits for the downloader), and at the end it writes the largest it saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import signals


class SchedulerWatch:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.path = Path(crawler.settings.get("SCHEDWATCH_FILE"))
        self.most = 0
        crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SchedulerWatch:
        return cls(crawler)

    def scheduled(self, request: Any, spider: Any) -> None:
        self.most = max(self.most, len(self.crawler.engine.scheduler))

    def closed(self, spider: Any) -> None:
        self.path.write_text(json.dumps({"most_waiting": self.most}))
