"""What every pipeline stage shares: Scrapy builds it from the crawler and it counts in stats."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector


class Stage:
    """A pipeline stage; subclasses implement ``process_item(item)``."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)
