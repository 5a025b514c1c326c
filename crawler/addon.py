"""The blogarc Scrapy add-on: archive any Scrapy project's crawl the way ``blogarc crawl`` does.

``ADDONS = {"crawler.addon.Blogarc": 0}`` in a project's settings (or ``-s 'ADDONS={"crawler.addon.Blogarc": 0}'``)
installs blogarc's components: the crawl state (incremental runs), WARC capture, uploads to the store, the text
pipeline (it writes the spider's ``TextRecord`` items; other items pass through), the run manifest, the
conditional-request and page-settling middlewares, and the defences against hostile servers (``crawler.bounds``,
``crawler.safety``, ``crawler.losses``, ``crawler.robots``: some replace Scrapy's own middleware of the same job,
which is switched off; Scrapy's remote control, telnet console and cookies middleware, while their settings leave
them off, are taken out of Scrapy's base lists, so never imported: ``SWITCHED_OFF_UNLOADED``), with blogarc's
defaults for every ``ARCHIVE_*``, ``WARC_*``, ``EXTRACT_*``, ``TEXT_*`` and ``TRAFILATURA_*`` setting the project
does not set itself. The run's site is the spider's ``site`` attribute or, failing that, its name; the run manifest
needs the spider's ``run_id``.
blogarc's own settings (``crawler/settings.py``) install the same components through this add-on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.settings import SETTINGS_PRIORITIES

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# Component -> (setting, order); the order matters: the exporter closes its last WARC before Uploads drains,
# and the manifest is written last. Order None switches a Scrapy component off (blogarc's subclass replaces it).
COMPONENTS: dict[str, tuple[str, int | None]] = {
    "pipelines.runs.incremental.Incremental": ("EXTENSIONS", 90),
    "pipelines.warc.exporter.WarcExporter": ("EXTENSIONS", 100),
    "pipelines.store.uploads.Uploads": ("EXTENSIONS", 105),
    "pipelines.runs.manifest.RunManifest": ("EXTENSIONS", 110),
    "pipelines.text.pipeline.TextPipeline": ("ITEM_PIPELINES", 300),
    "crawler.middlewares.ConditionalRequests": ("DOWNLOADER_MIDDLEWARES", 560),
    "pipelines.runs.settle.PageSettled": ("SPIDER_MIDDLEWARES", 10),  # checkpoints hold handled pages only
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": ("SPIDER_MIDDLEWARES", None),
    "crawler.middlewares.StartRequests": ("SPIDER_MIDDLEWARES", 25),  # the same, out of the callbacks' output chain
    # hostile servers: bounds, internal targets, named losses, RFC 9309 robots.txt (before Scrapy's robots.txt
    # middleware, at 100, so that a refused host is never asked for its robots.txt)
    "crawler.safety.TargetGuard": ("DOWNLOADER_MIDDLEWARES", 60),
    "crawler.losses.Losses": ("DOWNLOADER_MIDDLEWARES", 70),  # exceptions: after RetryMiddleware (550) gave up
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": ("DOWNLOADER_MIDDLEWARES", None),
    "crawler.robots.RobotsTxt": ("DOWNLOADER_MIDDLEWARES", 100),
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": ("DOWNLOADER_MIDDLEWARES", None),
    "crawler.losses.MetaRefresh": ("DOWNLOADER_MIDDLEWARES", 580),
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": ("DOWNLOADER_MIDDLEWARES", None),
    "crawler.losses.Decompression": ("DOWNLOADER_MIDDLEWARES", 590),
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": ("DOWNLOADER_MIDDLEWARES", None),
    "crawler.losses.Redirects": ("DOWNLOADER_MIDDLEWARES", 600),
    "scrapy.spidermiddlewares.depth.DepthMiddleware": ("SPIDER_MIDDLEWARES", None),
    "crawler.bounds.LinkDepth": ("SPIDER_MIDDLEWARES", 900),  # a page's depth is its link depth
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": ("SPIDER_MIDDLEWARES", None),
    "crawler.losses.UrlLength": ("SPIDER_MIDDLEWARES", 800),
    "scrapy.downloadermiddlewares.stats.DownloaderStats": ("DOWNLOADER_MIDDLEWARES", None),
    "crawler.stats.DownloaderStats": ("DOWNLOADER_MIDDLEWARES", 850),  # the same stats, counted (crawler/stats.py)
}
PREFIXES = ("ARCHIVE_", "WARC_", "EXTRACT_", "TEXT_", "TRAFILATURA_")
# Scrapy settings whose blogarc default the add-on sets too when the project leaves them at Scrapy's default:
# the bounds a hostile server must not get past (crawler/settings.py says why each).
HOSTILE_DEFAULTS = ("DEPTH_LIMIT", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE")
HTTP_HANDLER = "crawler.download.Http11Handler"  # Scrapy's, with a close that fires once (crawler/download.py)
# Scrapy components that do nothing while their setting is off (they raise NotConfigured when built) but cost start-up
# CPU to import: remote_control imports aiohttp (an SSL context with the default certificates loaded),
# cookies tldextract and requests, telnet twisted.conch. Left out of Scrapy's base component dicts while switched off,
# so they are never imported; switched on (``-s REMOTE_CONTROL_ENABLED=True``), Scrapy builds them as ever.
SWITCHED_OFF_UNLOADED: dict[str, tuple[str, str]] = {
    "scrapy.extensions.remote_control.RemoteControl": ("EXTENSIONS", "REMOTE_CONTROL_ENABLED"),
    "scrapy.extensions.telnet.TelnetConsole": ("EXTENSIONS", "TELNETCONSOLE_ENABLED"),
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": ("DOWNLOADER_MIDDLEWARES", "COOKIES_ENABLED"),
}


class Blogarc:
    """Install blogarc's components and defaults into a crawler's settings."""

    def update_settings(self, settings: BaseSettings) -> None:
        from crawler import settings as defaults  # only when the add-on is used

        for name in dir(defaults):
            if name.startswith(PREFIXES):
                settings.set(name, getattr(defaults, name), priority="addon")
        for name in HOSTILE_DEFAULTS:
            settings.set(name, getattr(defaults, name), priority="addon")  # "addon" is below "project"
        for path, (setting, order) in COMPONENTS.items():
            settings.set_in_component_priority_dict(setting, path, order)
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        if not all(scheme in handlers for scheme in ("http", "https")):  # a project's own handler stays
            handlers = {"http": HTTP_HANDLER, "https": HTTP_HANDLER, **handlers}
            priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"])
            settings.set("DOWNLOAD_HANDLERS", handlers, priority=priority)
        leave_out_switched_off(settings)


def leave_out_switched_off(settings: BaseSettings) -> None:
    """Take the ``SWITCHED_OFF_UNLOADED`` components whose setting is off out of Scrapy's base component dicts.

    Out of ``EXTENSIONS_BASE`` (``DOWNLOADER_MIDDLEWARES_BASE``), not ``None`` in ``EXTENSIONS``: Scrapy imports
    every component named in ``EXTENSIONS`` to match it with the base one, a ``None`` one too. A component the
    project names in ``EXTENSIONS`` itself is still built, as Scrapy builds it.
    """
    for path, (setting, switch) in SWITCHED_OFF_UNLOADED.items():
        base = settings.getdict(f"{setting}_BASE")
        if not settings.getbool(switch) and path in base:
            del base[path]
            settings.set(f"{setting}_BASE", base, priority=settings.getpriority(f"{setting}_BASE") or 0)
