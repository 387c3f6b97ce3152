"""Stage 2: the article out of the page (text, metadata, canonical URL).

The work itself is ``pipelines.extraction.extract_article``, a pure function of the HTML and
the URL: it runs off the reactor thread here, and can move to a process pool unchanged.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import run_in_thread

from pipelines.extraction import extract_article
from pipelines.page import Page
from pipelines.urls import canonical_url

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Sets ``page.extraction`` and ``page.canonical_url``; marks pages with no main text."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    async def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending or item.html is None:
            return item
        extraction = await run_in_thread(extract_article, item.html, item.url, rules=item.rules)
        if extraction is None:
            logger.info("no main text extracted: %s", item.url)
            self.stats.inc_value("extraction/empty")
            item.problem = "no main text"
            return item
        self.stats.inc_value("extraction/ok")
        item.extraction = extraction
        item.canonical_url = canonical_url(item.url, extraction.canonical_url)
        return item
