"""Stage 2: the article out of the page (text, metadata, canonical URL, language, duplicate keys).

The work itself is ``pipelines.pool.work``: decoding (unless the decode stage already did),
``pipelines.process.process_html`` (the function ``newsarchive extract`` runs), the pages of a
multi-page article, the near-duplicate keys, and what the archive stage needs of the page (its
gzipped WARC record, the text's hash and search segmentation), all in one worker process per
page, so each page is decoded and parsed once and its raw body crosses to the worker once. Only
article pages go there; list pages, feeds and sitemaps pass through untouched.

``EXTRACT_WORKERS`` processes (default: one per core; 0 runs the work in a thread of the
crawler), at most ``EXTRACT_MAX_PENDING`` pages in the pool at once.
"""

from __future__ import annotations

import logging
import os
from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from pipelines.page import Page
from pipelines.pool import Fetch, Job, Part, WorkerCrashed, WorkerPool, work
from pipelines.process import EMPTY_RESPONSE
from pipelines.stage import Stage

logger = logging.getLogger(__name__)

WORKER_CRASHED = "extraction worker crashed"


def job_of(page: Page) -> Job:
    """The picklable part of a page that its extraction needs."""
    return Job(
        url=page.url,
        body=b"" if page.html is not None else page.body,
        content_type=page.header("content-type"),
        rules=page.rules,
        html=page.html,
        encoding=page.encoding,
        parts=tuple(Part(p.url, p.body, p.header("content-type")) for p in page.parts),
        fetch=Fetch(page.status, tuple(page.headers), page.fetched_at),
    )


class ExtractPipeline(Stage):
    """Sets ``page.extraction``, ``canonical_url``, ``language``, ``encoding``, ``band_keys``.

    A page with no main text gets ``page.problem`` instead.
    """

    def __init__(self, stats: StatsCollector, pool: WorkerPool) -> None:
        super().__init__(stats)
        self.pool = pool

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        workers = settings.getint("EXTRACT_WORKERS", os.cpu_count() or 1)
        pending = settings.getint("EXTRACT_MAX_PENDING", 0) or 2 * max(1, workers)
        return cls(crawler.stats, WorkerPool(max(0, workers), pending))

    async def open_spider(self) -> None:
        await self.pool.start()

    async def close_spider(self) -> None:
        self.pool.close()

    async def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending:
            return item
        try:
            done = await self.pool.run(work, job_of(item))
        except WorkerCrashed:
            logger.error("%s: %s", WORKER_CRASHED, item.url)
            self.stats.inc_value("extraction/crashed")
            item.problem = WORKER_CRASHED
            return item
        processed = done.processed
        item.warc_record = done.warc_record
        if item.html is None:  # decoded in the worker
            item.encoding = processed.encoding
            if processed.problem == EMPTY_RESPONSE:
                self.stats.inc_value("decode/empty")
                item.problem = EMPTY_RESPONSE
                return item
            self.stats.inc_value(f"decode/{processed.encoding}")
        if processed.extraction is None:
            logger.info("%s: %s", processed.problem, item.url)
            self.stats.inc_value("extraction/empty")
            item.problem = processed.problem
            return item
        self.stats.inc_value("extraction/ok")
        if done.stitched:
            self.stats.inc_value("extraction/multipage")
        item.extraction = processed.extraction
        # A site profile's canonical URL (set by the spider) wins over the page's own.
        item.canonical_url = item.canonical_url or processed.canonical_url
        item.language = processed.language
        item.band_keys = done.band_keys
        item.text_hash, item.segmented_text = done.text_hash, done.segmented_text
        return item
