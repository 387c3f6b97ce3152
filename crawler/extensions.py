"""Scrapy extensions of the crawler process."""

from __future__ import annotations

import gc
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

# The collector's thresholds while the spider runs (Python's: 700, 10, 10). A page's work
# allocates thousands of objects that reference counting frees anyway; collecting after every
# 700 took a tenth of the crawler process's CPU (0.94 s of ~10 s at N=3000 in make bench-crawl).
# With these it runs a fourteenth as often in half the time, and a full collection still comes
# every few million allocations.
CRAWL_GC_THRESHOLDS = (10_000, 50, 20)


class FreezeStartupObjects:
    """Moves what is alive once the spider opens out of the garbage collector's generations,
    and makes it collect less often while the spider runs (``CRAWL_GC_THRESHOLDS``).

    That is mostly what start-up imported (the modules, classes and functions of Scrapy,
    Twisted, SQLAlchemy and ours) and lives as long as the process. Left in, every full
    collection walks all of it again: in ``make bench-crawl`` the collector took a fifth of the
    crawler process's CPU (2.4 s of 12 s at N=4000), and half as much once they were frozen.
    """

    def __init__(self) -> None:
        self.thresholds = gc.get_threshold()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        gc.collect()  # garbage frozen now would never be freed
        gc.freeze()
        self.thresholds = gc.get_threshold()
        gc.set_threshold(*CRAWL_GC_THRESHOLDS)

    def spider_closed(self, spider: Spider) -> None:
        gc.set_threshold(*self.thresholds)
