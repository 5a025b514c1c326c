"""Scrapy components blogarc replaces with cheaper ones, or leaves unimported while they are switched off.

Replaced with the same results: crawler.stats.DownloaderStats, crawler.losses.MetaRefresh (pages that never say
"refresh" go on unscanned). Unimported: crawler.addon.SWITCHED_OFF_UNLOADED.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.stats import DownloaderStats as ScrapyDownloaderStats
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.addon import Blogarc
from crawler.losses import MetaRefresh
from crawler.stats import DownloaderStats, Stats
from tests.util import ROOT, blogarc_env

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


# Pages that do refresh, in the spellings and places w3lib reads (and some it does not), next to every HTML page of
# the test fixtures: blogarc's MetaRefresh must answer as Scrapy's MetaRefreshMiddleware on each.
REFRESH_PAGES = [
    '<html><head><meta http-equiv="refresh" content="0; url=/new/"></head></html>',
    '<HTML><HEAD><META HTTP-EQUIV="REFRESH" CONTENT="5;URL=http://blog.example/later/"></HEAD></HTML>',
    "<meta content='1; url=/x/' http-equiv='Refresh'>",
    '<head><base href="http://other.example/b/"><meta http-equiv="refresh" content="0;url=rel/"></head>',
    '<noscript><meta http-equiv="refresh" content="0; url=/noscript/"></noscript>',
    '<script>var x = \'<meta http-equiv="refresh" content="0; url=/in-script/">\';</script>',
    '<meta http-equiv="refresh" content="999; url=/too-slow/">',
    "<p>" + "x" * 5000 + '</p><meta http-equiv="refresh" content="0; url=/too-far/">',
    '<meta http-equiv="&#114;efresh" content="0; url=/entity/">',
    '<p>Refresh your browser</p><meta name="x" content="no">',
]


def refresh_pages() -> list[tuple[str, bytes, str]]:
    fixtures = sorted((ROOT / "tests" / "fixtures").rglob("*.html"))
    pages = [(str(path.relative_to(ROOT)), path.read_bytes(), "utf-8") for path in fixtures]
    pages += [(f"page {i}", page.encode("utf-8"), "utf-8") for i, page in enumerate(REFRESH_PAGES)]
    pages.append(("utf-16", REFRESH_PAGES[0].encode("utf-16"), "utf-16"))
    return pages


def refresh_answer(middleware, body: bytes, encoding: str) -> str:
    request = Request("http://blog.example/page/")
    response = HtmlResponse(request.url, body=body, encoding=encoding, request=request)
    answer = middleware.process_response(request, response)
    return "as is" if answer is response else f"{type(answer).__name__} {answer.url}"


def test_meta_refresh_answers_as_scrapys():
    crawler = get_crawler()
    ours, scrapys = MetaRefresh.from_crawler(crawler), MetaRefreshMiddleware.from_crawler(crawler)
    answers = {name: refresh_answer(ours, body, enc) for name, body, enc in refresh_pages()}
    assert answers == {name: refresh_answer(scrapys, body, enc) for name, body, enc in refresh_pages()}
    assert len(answers) > 150
    redirected = {name for name, answer in answers.items() if answer != "as is"}
    assert {"page 0", "page 1", "page 2", "page 3", "utf-16"} <= redirected  # the test has pages that refresh


# a crawler as `blogarc crawl` builds it (blogarc's settings, the add-on), its extensions and downloader
# middlewares built; run in a process of its own, so that what it imports is its own doing
BUILT_COMPONENTS = """
import json, sys
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.extension import ExtensionManager
from scrapy.utils.reactor import install_reactor
from scrapy.utils.test import get_crawler
from crawler import settings
from crawler.spiders.blog import BlogSpider
install_reactor(settings.TWISTED_REACTOR)
project = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
crawler = get_crawler(BlogSpider, {**project, **json.loads(sys.argv[1])})
managers = (ExtensionManager, DownloaderMiddlewareManager)
built = [type(component).__name__ for manager in managers for component in manager.from_crawler(crawler).middlewares]
print(json.dumps({"built": built, "imported": [name for name in sys.argv[2:] if name in sys.modules]}))
"""
SWITCHED = {"REMOTE_CONTROL_ENABLED": "RemoteControl", "TELNETCONSOLE_ENABLED": "TelnetConsole",
            "COOKIES_ENABLED": "CookiesMiddleware"}  # fmt: skip
THEIR_IMPORTS = ("aiohttp", "twisted.conch", "tldextract", "requests")


def built_components(settings: dict) -> dict:
    argv = [sys.executable, "-c", BUILT_COMPONENTS, json.dumps(settings), *THEIR_IMPORTS]
    done = subprocess.run(argv, env=blogarc_env(), capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_components_switched_off_are_not_imported():
    """Off (blogarc's defaults), remote control, telnet and cookies cost no import: aiohttp, tldextract..."""
    off = built_components({})
    assert off["imported"] == []
    assert not set(SWITCHED.values()) & set(off["built"])
    assert {"CoreStats", "WarcExporter", "RetryMiddleware", "Redirects"} <= set(off["built"])


def test_components_switched_on_are_built_as_ever():
    on = built_components(dict.fromkeys(SWITCHED, True))
    assert set(SWITCHED.values()) <= set(on["built"])
    assert set(on["built"]) - set(SWITCHED.values()) == set(built_components({})["built"])
    assert {"aiohttp", "twisted.conch", "tldextract"} <= set(on["imported"])
