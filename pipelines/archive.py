"""Stage 4: write everything to the archive.

Every page's raw response becomes a capture (a WARC record and a row); an article page becomes
an article, a new version, or just a new fetch of an unchanged article. The crawl itself is a
row in ``crawl_runs``, opened when the spider opens and closed with its outcome and stats.

Database writes run in one dedicated thread, in order, never in the reactor thread, and in
batches (``storage.writer``): one transaction per ``ARCHIVE_BATCH_SIZE`` pages or per
``ARCHIVE_BATCH_SECONDS``, whichever comes first, and at close. The pages of a batch are written
together (``storage.bulk``: a statement per table, not per page), with the WARC records the
extraction workers built. A page counts as stored (in the stats, the log, the item passed on)
only once its batch has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import run_in_thread
from sqlalchemy.orm import Session

from pipelines.extraction import EXTRACTOR_VERSION, Extraction
from pipelines.page import FetchFailure, Page
from storage.archive import (
    ArticleRecord,
    FetchedPage,
    Stored,
    ensure_site,
    finish_run,
    record_failure,
    start_run,
    touch_article,
)
from storage.bulk import record_captures, store_articles
from storage.database import Archive, ArchiveError, open_archive
from storage.warc import WarcStore
from storage.writer import DEFAULT_BATCH_SIZE, DEFAULT_INTERVAL, BatchWriter

logger = logging.getLogger(__name__)


def _hint_time(value: object, timezone: str | None) -> datetime | None:
    """A date that discovery gave (a Google News sitemap's publication_date, a date in the URL).

    A date or time without an offset is local time of the site (its rules' time zone); without
    one known either, it is not used.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not timezone:
            return None
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed


def record_of(extraction: Extraction, canonical_url: str, **fields: Any) -> ArticleRecord:
    """An extraction as the archive stores it; ``fields`` add to or override it."""
    values: dict[str, Any] = {
        "canonical_url": canonical_url,
        "text": extraction.text,
        "extractor_version": EXTRACTOR_VERSION,
        "title": extraction.title,
        "original_title": extraction.original_title,
        "description": extraction.description,
        "authors": extraction.authors,
        "correspondents": extraction.correspondents,
        "editor": extraction.editor,
        "source": extraction.source,
        "published": extraction.published,
        "modified": extraction.modified,
        "images": extraction.images,
        "tags": extraction.tags,
    }
    return ArticleRecord(**(values | fields))


def article_record(page: Page) -> ArticleRecord:
    """The storage-side record of an extracted page.

    Where the page itself gives no publish time or title, what discovery read beforehand (a
    Google News sitemap's ``news:publication_date`` and ``news:title``) fills in.
    """
    extraction = page.extraction
    assert extraction is not None and page.canonical_url is not None
    timezone = page.rules.timezone if page.rules else None
    return record_of(
        extraction,
        page.canonical_url,
        title=extraction.title or page.hints.get("title"),
        published=extraction.published or _hint_time(page.hints.get("published"), timezone),
        language=page.language,
        seen_urls=tuple(dict.fromkeys((page.url, *page.seen_urls))),
        band_keys=page.band_keys,
        etag=page.header("ETag"),
        http_last_modified=page.header("Last-Modified"),
        text_hash=page.text_hash,
        segmented_text=page.segmented_text,
    )


def store_pages(
    session: Session,
    warc: WarcStore,
    pages: list[Page],
    *,
    site_id: Callable[[str], int],
    run_id: int | None = None,
) -> list[tuple[str, Stored | None]]:
    """Archive pages together: every response a capture (pages 2, 3, … of a multi-page
    article too), every article page an article. Per page: its WARC record type and, for an
    article, how it was stored."""
    fetched: list[FetchedPage] = []
    owners: list[int] = []
    first: list[int] = []  # each page's own capture among ``fetched``
    for page in pages:
        owner = site_id(page.site)
        first.append(len(fetched))
        fetched.append(
            FetchedPage(
                page.url,
                page.status,
                page.headers,
                page.body,
                page.fetched_at,
                page.kind,
                warc_record=page.warc_record,
                error=page.problem,
            )
        )
        owners.append(owner)
        for part in page.parts:
            fetched.append(
                FetchedPage(part.url, part.status, part.headers, part.body, part.fetched_at)
            )
            owners.append(owner)
    captures = record_captures(session, warc, fetched, site_ids=owners, run_id=run_id)
    articles = [
        k for k, page in enumerate(pages) if page.extraction is not None and page.problem is None
    ]
    stored = store_articles(
        session,
        [article_record(pages[k]) for k in articles],
        site_ids=[owners[first[k]] for k in articles],
        capture_ids=[captures[first[k]].id for k in articles],
    )
    outcomes: dict[int, Stored] = dict(zip(articles, stored, strict=True))
    return [(captures[first[k]].record_type, outcomes.get(k)) for k in range(len(pages))]


class ArchivePipeline:
    """Writes pages and failures to the archive named by ``ARCHIVE_DATABASE_URL``."""

    def __init__(
        self,
        crawler: Crawler,
        database_url: str,
        warc_dir: Path | None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_seconds: float = DEFAULT_INTERVAL,
    ) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.database_url = database_url
        self.warc_dir = warc_dir
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self._sites: dict[str, int] = {}
        self._writer: BatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED", True):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        url = settings.get("ARCHIVE_DATABASE_URL")
        if not url:
            raise NotConfigured("ARCHIVE_DATABASE_URL is not set")
        warc_dir = settings.get("ARCHIVE_WARC_DIR")
        pipeline = cls(
            crawler,
            url,
            Path(warc_dir) if warc_dir else None,
            batch_size=settings.getint("ARCHIVE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            batch_seconds=settings.getfloat("ARCHIVE_BATCH_SECONDS", DEFAULT_INTERVAL),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def _write(self, function: Any, item: Page | FetchFailure) -> Any:
        """``function(session, item)`` in the writer thread, once its batch has committed."""
        assert self._writer is not None
        return await asyncio.wrap_future(self._writer.submit(partial(function, item=item)))

    def _open(self, spider_name: str, site: str | None) -> None:
        try:
            self.archive = open_archive(self.database_url, warc_dir=self.warc_dir)
        except ArchiveError as exc:
            # One clear line, not a traceback: the crawl cannot archive anything.
            logger.error("%s", exc)
            raise
        with self.archive.transaction() as session:
            site_id = ensure_site(session, site) if site else None
            self.run_id = start_run(session, spider_name, site_id=site_id)
        self._writer = BatchWriter(
            self.archive,
            batch_size=self.batch_size,
            interval=self.batch_seconds,
            on_rollback=self._sites.clear,  # a site created in a rolled-back batch is gone
            write_items=self._store,
        )
        logger.info("archiving to %s (crawl run %s)", self.archive.url, self.run_id)

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        assert spider is not None
        await run_in_thread(self._open, spider.name, getattr(spider, "site_name", None))

    def _site_id(self, session: Session, name: str) -> int:
        if name not in self._sites:
            self._sites[name] = ensure_site(session, name)
        return self._sites[name]

    def _store(self, session: Session, items: list[Page]) -> list[tuple[str, Stored | None]]:
        assert self.archive is not None
        return store_pages(
            session,
            self.archive.warc,
            items,
            site_id=partial(self._site_id, session),
            run_id=self.run_id,
        )

    def _fail(self, session: Session, item: FetchFailure) -> None:
        record_failure(
            session,
            item.url,
            item.reason,
            status=item.status,
            site_id=self._site_id(session, item.site),
            run_id=self.run_id,
        )

    def _touch(self, session: Session, item: Page) -> int | None:
        return touch_article(
            session,
            item.canonical_url or item.url,
            etag=item.header("ETag"),
            http_last_modified=item.header("Last-Modified"),
        )

    async def process_item(self, item: object) -> object:
        if isinstance(item, Page) and item.kind == "not_modified":
            await self._write(self._touch, item)
            raise DropItem(f"not modified: {item.url}", log_level="DEBUG")
        if isinstance(item, FetchFailure):
            await self._write(self._fail, item)
            self.stats.inc_value("archive/failure")
            raise DropItem(f"recorded failure ({item.reason}): {item.url}", log_level="DEBUG")
        if not isinstance(item, Page):
            return item
        assert self._writer is not None
        written = await asyncio.wrap_future(self._writer.submit_item(item))
        record_type, stored = written
        self.stats.inc_value(f"archive/capture/{record_type}")
        if item.problem is not None:
            raise DropItem(f"{item.problem}: {item.url}", log_level="INFO")
        if stored is None:
            raise DropItem(f"kept as a capture ({item.kind}): {item.url}", log_level="DEBUG")
        self.stats.inc_value(f"archive/article/{stored.outcome}")
        logger.debug("article %s %s: %s", stored.article_id, stored.outcome, item.canonical_url)
        return item

    async def close_spider(self) -> None:
        # Commit what is queued; the run is closed in spider_closed, which knows the reason.
        if self._writer is not None:
            await run_in_thread(self._writer.close)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None:
            return
        try:
            if self._writer is not None:
                self._writer.close()  # already closed, unless close_spider never ran
            if self.run_id is not None:
                with self.archive.transaction() as session:
                    finish_run(session, self.run_id, reason, self.stats.get_stats())
        finally:
            self.archive.close()
            self.archive = None
