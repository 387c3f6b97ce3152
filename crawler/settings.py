"""Scrapy settings for newsarchive.

Polite by default: robots.txt obeyed, AutoThrottle on, a few requests per domain at a time, an
honest user agent with a contact address. Override any of these per crawl with ``-s NAME=value``.
Scrapy does not read environment variables, so the archive's are read here, once.
"""

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` with up-front checks of spider arguments and the archive (crawler/commands/).
COMMANDS_MODULE = "crawler.commands"

# Who we are: site operators should be able to reach whoever runs the crawl.
ARCHIVE_CONTACT = os.environ.get("ARCHIVE_CONTACT", "https://github.com/newsarchive/newsarchive")
USER_AGENT = f"newsarchive/0.1 (+{ARCHIVE_CONTACT})"

ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # a news page is ~150 KB; anything this large is not one
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_TIMES = 2
# 429 and 503: wait what Retry-After says (at most this long), else back off 2 s, 4 s, 8 s, …
RETRY_AFTER_MAX = 300.0
RETRY_BACKOFF_BASE = 2.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # a code-execution endpoint, like the telnet console: off

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("ARCHIVE_LOG_LEVEL", "INFO")

# Start-up's objects leave the garbage collector's generations once the spider opens.
EXTENSIONS = {"crawler.extensions.FreezeStartupObjects": 0}

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RetryAfterMiddleware": 560,  # before Scrapy's RetryMiddleware (550)
    "crawler.middlewares.RedirectLoopMiddleware": 610,  # before Scrapy's RedirectMiddleware (600)
    # Scrapy's meta refresh, decoding only the pages whose first bytes hold one.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshMiddleware": 580,
    "crawler.middlewares.MirrorMiddleware": 950,  # last before the download, first after it
}

# Decoding, extraction, language and near-duplicate keys of an article page all run in one
# worker process (pipelines/extract.py); pipelines.decode.DecodePipeline (100) would decode in
# the crawler's own process instead.
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.language.LanguagePipeline": 300,
    "pipelines.dedup.DedupPipeline": 400,
    "pipelines.archive.ArchivePipeline": 900,
}

# Extraction worker processes (0: a thread of the crawler), and how many pages may wait in the
# pool at once (0: twice the workers); beyond that, downloading pauses until extraction catches
# up (Scrapy stops once the responses it holds pass SCRAPER_SLOT_MAX_ACTIVE_SIZE).
EXTRACT_WORKERS = os.cpu_count() or 1
# Items of one response processed at once. Scrapy starts this many tasks for every response
# (100 by default: ~1 ms of the crawler's one thread per page); a page gives one item, a list
# page or sitemap requests that are only queued.
CONCURRENT_ITEMS = 4
EXTRACT_MAX_PENDING = 0
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 32_000_000

# The archive: any SQLAlchemy URL; a SQLite file in the working directory by default.
ARCHIVE_ENABLED = True
ARCHIVE_DATABASE_URL = os.environ.get("ARCHIVE_DATABASE_URL", "sqlite:///archive.db")
# Where WARC files go; by default beside the SQLite file (archive-warc/), or ./warc.
ARCHIVE_WARC_DIR = os.environ.get("ARCHIVE_WARC_DIR")
# Archive writes are committed in batches: this many pages, or after this many seconds. Each
# batch costs a dozen statements whatever its size; a second's pages share them.
ARCHIVE_BATCH_SIZE = 500
ARCHIVE_BATCH_SECONDS = 1.0

# Distributed crawling (crawler/distributed.py): with REDIS_URL set, every `scrapy crawl` of one
# spider and site, on any machine, shares one frontier and duplicate filter in Redis
# (scrapy-redis). A worker silent for DISTRIBUTED_WORKER_TIMEOUT seconds is dead and its
# requests go back to the queue; an idle worker waits at most DISTRIBUTED_IDLE_TIMEOUT seconds
# for the requests other workers still hold.
REDIS_URL = os.environ.get("REDIS_URL")
ADDONS = {"crawler.distributed.DistributedCrawl": 0}
DISTRIBUTED_KEY_PREFIX = "newsarchive"
DISTRIBUTED_WORKER_TIMEOUT = 60.0
DISTRIBUTED_IDLE_TIMEOUT = 600.0

# Incremental crawls: an archived article is fetched again only if discovery says it changed,
# or if it was published within ARCHIVE_REVISIT_DAYS and last fetched ARCHIVE_REVISIT_AFTER_HOURS
# ago or more (then with If-None-Match / If-Modified-Since). ARCHIVE_INCREMENTAL=False fetches all.
ARCHIVE_INCREMENTAL = True
ARCHIVE_REVISIT_DAYS = 2.0
ARCHIVE_REVISIT_AFTER_HOURS = 6.0

# List pages: how many a crawl follows in all, how many "next" pages in one chain (a chain also
# ends at a page with nothing new), and how many levels of section links below an entry point.
NEWS_MAX_LIST_PAGES = 200
NEWS_MAX_PAGINATION = 50
NEWS_SECTION_DEPTH = 1
