"""blogarc's spider middlewares as Scrapy chains them: start requests marked, callback output not wrapped for nothing."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list

from crawler.addon import Blogarc
from crawler.middlewares import StartRequests


async def listed(items):
    return [item async for item in items]


async def start(requests):
    for request in requests:
        yield request


def test_start_requests_are_marked_and_callback_output_is_left_alone():
    middleware = StartRequests(crawler=None)
    requests = [Request("https://blog.example.org/"), Request("https://blog.example.org/robots.txt")]
    marked = asyncio.run(listed(middleware.process_start(start(requests))))
    assert [request.meta["is_start_request"] for request in marked] == [True, True]
    assert SpiderMiddlewareManager._get_process_spider_output(middleware) is None  # not in the output chain


def test_the_addon_puts_it_in_place_of_scrapys():
    settings = Settings()
    Blogarc().update_settings(settings)
    chain = build_component_list(settings.get_component_priority_dict_with_base("SPIDER_MIDDLEWARES"))
    assert "crawler.middlewares.StartRequests" in chain
    assert "scrapy.spidermiddlewares.start.StartSpiderMiddleware" not in chain
