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


def link_depth(**settings):
    from scrapy.utils.test import get_crawler

    from crawler.bounds import LinkDepth

    crawler = get_crawler(settings_dict={"DEPTH_LIMIT": 2, "URLLENGTH_LIMIT": 60, **settings})
    crawler.spider = None
    return LinkDepth.from_crawler(crawler), crawler


def test_link_depth_checks_depth_then_url_length_in_one_pass(monkeypatch):
    from scrapy.http import HtmlResponse

    from crawler import losses

    lost = []
    monkeypatch.setattr(losses, "lose", lambda crawler, kind, url, reason: lost.append((kind, url)))
    middleware, crawler = link_depth()
    page = HtmlResponse("https://blog.example.org/", request=Request("https://blog.example.org/"))
    page.meta["depth"] = 1
    long_url = "https://blog.example.org/" + "x" * 60
    deep_and_long = Request(long_url + "/deep")
    output = [Request("https://blog.example.org/a"), Request(long_url), {"item": 1}, None]
    kept = list(middleware.process_spider_output(page, output))
    assert [getattr(o, "url", o) for o in kept] == ["https://blog.example.org/a", {"item": 1}]
    assert kept[0].meta["depth"] == 2
    assert lost == [("url_too_long", long_url)]
    page.meta["depth"] = 2  # the next link is too deep: refused for its depth, not named as a long URL
    assert asyncio.run(listed(middleware.process_spider_output_async(page, start([deep_and_long])))) == []
    assert lost == [("url_too_long", long_url)] and crawler.stats.get_value("depth/request_ignored_count") == 1
    assert link_depth(URLLENGTH_LIMIT=0)[0].url_length is None  # URLLENGTH_LIMIT = 0: no limit, as Scrapy's


def test_url_length_is_no_output_layer_of_its_own():
    settings = Settings()
    Blogarc().update_settings(settings)
    chain = build_component_list(settings.get_component_priority_dict_with_base("SPIDER_MIDDLEWARES"))
    assert "crawler.bounds.LinkDepth" in chain
    assert not any("UrlLength" in path for path in chain)
