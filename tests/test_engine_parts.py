"""Scrapy components blogarc replaces with cheaper ones of the same results: crawler.stats.DownloaderStats."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.stats import DownloaderStats as ScrapyDownloaderStats
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.addon import Blogarc
from crawler.stats import DownloaderStats, Stats

REQUESTS = [
    Request("http://blog.example/"),
    Request("https://Blog.Example:8443/a/b;p=1?x=1&y=%C3%A9#frag", headers={"Accept": "text/html", "X-E": ""}),
    Request("http://blog.example/p", method="POST", body=b"a=1", headers={"X-Many": ["1", "22", "333"]}),
    Request("http://xn--bcher-kva.example/\u00fc?q=\u00e9"),
]


def stats_of(middleware_class: type, collector: type) -> dict:
    crawler = get_crawler(settings_dict={"STATS_CLASS": f"{collector.__module__}.{collector.__name__}"})
    middleware = middleware_class.from_crawler(crawler)
    for request in REQUESTS:
        middleware.process_request(request)
        for status, headers in ((200, {"Content-Type": "text/html", "Set-Cookie": ["a=1", "b=2"]}), (304, {})):
            response = HtmlResponse(request.url, status=status, headers=headers, body=b"<html></html>")
            middleware.process_response(request, response)
        middleware.process_response(request, Response(request.url, status=599))
    return crawler.stats.get_stats()


@pytest.mark.parametrize("collector", [MemoryStatsCollector, Stats])
def test_downloader_stats_as_scrapys(collector):
    ours = stats_of(DownloaderStats, collector)
    assert ours == stats_of(ScrapyDownloaderStats, collector)
    assert ours["downloader/request_bytes"] > 0 and ours["downloader/response_status_count/304"] == 4


def test_the_add_on_installs_it_in_place_of_scrapys():
    settings = Settings()
    Blogarc().update_settings(settings)
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares["crawler.stats.DownloaderStats"] == 850
    assert middlewares["scrapy.downloadermiddlewares.stats.DownloaderStats"] is None
