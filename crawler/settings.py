"""Scrapy settings for blogarc, grouped and commented; polite defaults.

Every setting can be overridden on the command line (``blogarc crawl -s NAME=VALUE`` or ``scrapy crawl blog -s
NAME=VALUE``). blogarc's own settings use one prefix per component: ``ARCHIVE_*`` (store, run), ``WARC_*`` (WARC
exporter), ``EXTRACT_*`` / ``TRAFILATURA_*`` (clean text), ``TEXT_*`` (clean-text feed), ``PROGRESS_*``. S3 stores
reuse Scrapy's ``AWS_*`` settings and boto3's own environment.
"""

from pipelines import __version__

BOT_NAME = "blogarc"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness ------------------------------------------------------------------------------------------------
# Who we are: site owners can read the contact URL and block or write to us. Change it to your own contact
# (``blogarc crawl --contact URL`` does), keeping the blogarc name and version.
BLOGARC_CONTACT_URL = "https://github.com/blogarc/blogarc"
USER_AGENT = f"blogarc/{__version__} (+{BLOGARC_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
# AutoThrottle adapts the delay to the server's latency; DOWNLOAD_DELAY is its floor.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
# A response is held in memory whole while it arrives: bodies above this (or that decode to more: a compression
# bomb) are dropped, named in the run manifest as lost (oversize, bomb), rather than filling memory. It is the limit
# of requisites (media: podcasts, videos can be large); pages have ARCHIVE_MAX_PAGE_SIZE.
DOWNLOAD_MAXSIZE = 256 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
COOKIES_ENABLED = False
# Error pages are archived too (the WARC exporter sees every response); let them reach the spider for stats.
HTTPERROR_ALLOW_ALL = True
# Breadth-first: hubs (home, archives) before deep pages, so a limited crawl covers the blog evenly.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Scrapy's duplicate filter, keeping 60 bits of each request's fingerprint instead of a 20-byte bytes object
DUPEFILTER_CLASS = "crawler.dupefilter.CompactDupeFilter"

# --- Store and run ---------------------------------------------------------------------------------------------
# Where the archive goes: a folder (default ./archive), a file:// URI or s3://bucket/prefix.
ARCHIVE_STORE = "archive"
# More stores by URI scheme, {scheme: dotted class path}, merged over pipelines.store.base.STORE_SCHEMES.
ARCHIVE_STORE_SCHEMES = {}
# Local folder for WARCs before they reach the store; empty = one folder per store under ~/.cache/blogarc/spool.
ARCHIVE_SPOOL_DIR = ""
# Mode of the files a folder store writes, in octal ("0640"); empty = what the umask leaves of 0666, as for any file.
ARCHIVE_FILE_MODE = ""
# Run id; empty = a new time-sortable id per run (the CLI shares one id across the sites of a job).
ARCHIVE_RUN_ID = ""
# Blogs crawled at once by one ``blogarc crawl --sites FILE`` (crawler/runner.py); the others wait in order. Memory
# grows with this number, not with the length of the sites file. Each blog keeps its own politeness, which holds it
# to ~1.6 requests/s, so a job's requests/s grow with this number until the crawling process's one thread is busy:
# on 2 cores (bench/many_sites.py --sweep, bench/README.md) 32 gave 49 requests/s, 64 gave 80 in 0.43 GB.
ARCHIVE_CONCURRENT_SITES = 64

# --- Uploads and the local spool (pipelines/warc/exporter.py, pipelines/store/spool.py) ------------------------
# Closed WARCs shipped to the store at once, while the crawl goes on.
ARCHIVE_UPLOAD_CONCURRENCY = 2
# First delay before a failed upload is tried again (doubles each time, up to 10 minutes).
ARCHIVE_UPLOAD_RETRY_DELAY = 30.0
# Bytes of WARC waiting for the store above which fetching pauses (store down or slow); 0 = no limit. Keep it
# above WARC_MAX_SIZE: one file being written plus the ones waiting.
ARCHIVE_SPOOL_MAX_SIZE = 4 * 1024**3
# Seconds paused with a full spool before the crawl gives up (reason store_unavailable); 0 = wait forever.
ARCHIVE_SPOOL_FULL_TIMEOUT = 3600.0

# --- S3 stores (pipelines/store/s3.py) --------------------------------------------------------------------------
# Endpoint, region and credentials: Scrapy's AWS_* settings (AWS_ENDPOINT_URL, AWS_REGION_NAME, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_USE_SSL, AWS_VERIFY) or boto3's own environment and profiles.
# AWS_VERIFY = False turns TLS verification off (only when asked); a path names a CA bundle.
# "path" for MinIO, Ceph RGW and most S3-compatible servers; "virtual"; "" = boto3's choice.
ARCHIVE_S3_ADDRESSING_STYLE = ""
# "when_required" for servers that reject boto3's newer default checksums; "" = boto3's default.
ARCHIVE_S3_REQUEST_CHECKSUM = ""
# Checksum the server verifies on every part and keeps ("SHA256"); "" for servers without the checksum API.
ARCHIVE_S3_CHECKSUM_ALGORITHM = "SHA256"
# Multipart from this size on, in parts of this size (S3 needs at least 5 MiB), this many parts at once.
ARCHIVE_S3_PART_SIZE = 64 * 1024**2
ARCHIVE_S3_PART_CONCURRENCY = 4
# botocore retries with backoff on throttling, 5xx and connection errors ("standard" or "adaptive").
ARCHIVE_S3_RETRY_MODE = "standard"
ARCHIVE_S3_MAX_ATTEMPTS = 5
ARCHIVE_S3_CONNECT_TIMEOUT = 10.0
ARCHIVE_S3_READ_TIMEOUT = 60.0

# --- Incremental crawls (pipelines/runs/incremental.py, pipelines/runs/state.py, crawler/middlewares.py) ---------
# With crawl state from earlier runs (state/{site}/ in the store): conditional requests, revisit records for unchanged
# payloads, posts whose sitemap lastmod / REST modified_gmt is older than their last capture not fetched at all.
# False (blogarc crawl --full) captures every body again.
ARCHIVE_INCREMENTAL = True
# Every N runs, revalidate every known URL (conditionally) instead of trusting listed dates; 0 = never.
ARCHIVE_REVALIDATE_EVERY = 0
# Seconds between checkpoints of the crawl state (and renewals of the site's lock) during a run.
ARCHIVE_STATE_CHECKPOINT = 600.0
# A second run of a site while one holds its lock waits this many seconds, then stops (reason site_locked).
ARCHIVE_LOCK_WAIT = 30.0
# A lock not renewed for this many seconds belongs to a dead run and is taken over.
ARCHIVE_LOCK_TTL = 3600.0

# --- Discovery and scope (crawler/wordpress.py holds the rules) --------------------------------------------------
ARCHIVE_MAX_PAGES = 0  # stop admitting pages after this many (0 = no limit); requisites do not count
ARCHIVE_SINCE = ""  # ISO date: only posts published or modified since (sitemap lastmod, REST modified_after)
ARCHIVE_REQUISITES = True  # fetch stylesheets, scripts, images and fonts pages load, for replay
ARCHIVE_FOLLOW_LINKS = True  # follow links between pages (off: sitemaps and the REST API alone discover)
WORDPRESS_SITEMAPS = True  # robots.txt Sitemap: lines, /wp-sitemap.xml, /sitemap.xml
WORDPRESS_REST = True  # the REST API a page announces (/wp-json/ or ?rest_route=)
WORDPRESS_REST_PER_PAGE = 100
WORDPRESS_DENY_RULES: dict[str, str] = {}  # name -> regex, merged over crawler.wordpress.DENY_RULES ("" = off)
WORDPRESS_TRACKING_PARAMS = ""  # regex of query parameters to drop ("" = crawler.wordpress.TRACKING_PARAMS)
WORDPRESS_ASSET_HOSTS: list[str] = []  # regexes of requisite hosts ([] = crawler.wordpress.ASSET_HOSTS)

# --- Bounds: what an endless link trap hits first and a real blog never does (crawler/bounds.py) ---------------
# Links deep from the home page or a listing (Scrapy's setting; blogarc crawl --max-depth); requisites exempt.
DEPTH_LIMIT = 1000
# Pages found by links waiting for a request (listed pages do not count) when a link finds one more; reaching it
# stops link following.
ARCHIVE_MAX_FRONTIER = 100_000
# New pages a page's links may add, on average over the last ARCHIVE_NEW_URLS_WINDOW pages (what sitemaps and REST
# list does not count); going over stops link following for the blog. The bench blog (2,000 posts) peaks at 3.7
# by its links alone; the hostile fixture's trap at 50.
ARCHIVE_MAX_NEW_URLS_PER_PAGE = 20
ARCHIVE_NEW_URLS_WINDOW = 200
# Pages (HTML, feeds, sitemaps, REST listings) bigger than this, compressed or decoded, are dropped: lost/oversize,
# lost/bomb. A blog page is rarely over 1 MB.
ARCHIVE_MAX_PAGE_SIZE = 64 * 1024 * 1024
# Pages (and stylesheets) bigger than this are archived but not parsed: no links or text from them, a named loss
# (lost/unparsed). Parsing takes about ten times a page's size in memory.
ARCHIVE_MAX_PARSE_SIZE = 32 * 1024 * 1024

# --- Hostile servers (crawler/targets.py, crawler/safety.py, crawler/robots.py, crawler/losses.py) --------------
# Fetch loopback, private and link-local addresses other than the seed's own (blogarc crawl --allow-private).
ARCHIVE_ALLOW_PRIVATE = False
# robots.txt (RFC 9309): seconds a look-up may take (one retry), and bytes of it read; 5xx or no answer = disallow.
ARCHIVE_ROBOTS_TIMEOUT = 10.0
ARCHIVE_ROBOTS_MAX_SIZE = 500 * 1024
# URLs of each loss kind named in the run manifest's "lost" (the counts are always complete).
ARCHIVE_MANIFEST_MAX_LOST = 10_000

# --- WARC capture ----------------------------------------------------------------------------------------------
WARC_ENABLED = True
WARC_PREFIX = "blogarc"
WARC_MAX_SIZE = 1024**3  # rotate files at 1 GB
WARC_GZIP = True
# libdeflate level (1-12) of each record's gzip member: 6 costs a third of the CPU of warcio's fixed zlib 9, for
# files about as small (1% smaller than zlib's 6).
WARC_GZIP_LEVEL = 6

# --- Clean text ------------------------------------------------------------------------------------------------
EXTRACT_ENABLED = True
TRAFILATURA_FAVOR_PRECISION = False
# Worker processes for extraction (-1 = one per core; 0 = in the crawling process, reusing Scrapy's parsed tree).
EXTRACT_WORKERS = -1
# Address-space cap of each worker, in bytes (0 = none): a page needing more fails alone, with MemoryError, instead
# of drawing the kernel's OOM killer onto the crawl.
EXTRACT_WORKER_MAX_MEMORY = 4 * 1024**3
# Records per text batch file (text/{site}/{run_id}/part-NNNNN.jsonl.gz).
TEXT_BATCH_ITEMS = 1000
# Each batch also as Parquet (part-NNNNN.parquet: the same records, typed columns; pipelines/text/parquet.py).
TEXT_PARQUET = True

# --- Components ------------------------------------------------------------------------------------------------
# blogarc's archiving components (crawl state, WARC capture, uploads, text batches, run manifest, conditional
# requests) come through its Scrapy add-on, which any Scrapy project can use the same way (crawler/addon.py).
ADDONS = {"crawler.addon.Blogarc": 0}
EXTENSIONS = {"crawler.progress.Progress": 120}
# Scrapy's stats collector with plain attribute look-ups (crawler/stats.py: the same stats, 3% less CPU).
STATS_CLASS = "crawler.stats.Stats"
# Scrapy components that do nothing in a blogarc crawl but cost time on every request: HTTP auth (BlogSpider has no
# http_user) and the check that a spider does not copy Scrapy's internal meta keys (BlogSpider copies none).
DOWNLOADER_MIDDLEWARES = {"scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None}
SPIDER_MIDDLEWARES = {"scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None}
PROGRESS_INTERVAL = 10.0  # seconds between progress lines when not on a terminal (0 = off)
# On a terminal, one live progress line below the log lines instead (blogarc crawl; crawler/logs.py).
PROGRESS_LIVE = True
# Each blog's own progress lines; a job of many blogs turns them off (crawler/runner.py): its one job line reports,
# where 64 blogs at once would log 6 lines a second. Each blog's "Finished" line stays.
PROGRESS_PER_SITE = True
LOGSTATS_INTERVAL = 0  # crawler.progress reports instead

# --- Engine ----------------------------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# No listening ports on an archiving machine unless asked for (telnet console, remote control server). Off, the
# add-on leaves them (and the cookies middleware) unimported: aiohttp and twisted.conch cost start-up CPU.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Logging (blogarc crawl: -L, -v, --log-file, --log-format; crawler/logs.py) -----------------------------------
LOG_LEVEL = "INFO"
# Scrapy's own INFO lines (versions, enabled components, overridden settings, the stats dump) in blogarc crawl's log:
# off, so blogarc's lines and the progress line show; -v, or -L INFO / -L DEBUG given explicitly, turn them on.
# (scrapy crawl blog logs through Scrapy's own handler, which ignores this.)
LOG_SCRAPY_INFO = False
# One JSON object a line (time in ISO 8601 UTC, level, logger, message, exception) instead of LOG_FORMAT's text:
# blogarc crawl --log-format json. LOG_FILE (--log-file) sends the lines to a file instead of standard error.
LOG_JSON = False
