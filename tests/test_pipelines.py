"""The pipeline stages as Scrapy builds them (``build_from_crawler`` + ``process_item``)."""

from __future__ import annotations

import asyncio
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.demo.content import ARTICLES
from pipelines.archive import ArchivePipeline
from pipelines.decode import DecodePipeline
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractPipeline
from pipelines.language import LanguagePipeline
from pipelines.page import FetchFailure, Page
from storage.database import open_archive
from storage.models import Article, Capture, CrawlRun

# crawler/settings.py: decoding happens in the extraction stage's worker processes
STAGES = (ExtractPipeline, LanguagePipeline, DedupPipeline, ArchivePipeline)
# with the decode stage in front, the crawler decodes and the workers get the text
WITH_DECODE = (DecodePipeline, *STAGES)


def fetch(base_url: str, path: str) -> Page:
    with urllib.request.urlopen(base_url + path) as response:  # the local demo site
        headers = list(response.headers.items())
        return Page(
            url=base_url + path,
            status=response.status,
            headers=headers,
            body=response.read(),
            fetched_at=datetime.now(UTC),
            site="demo",
        )


class Chain:
    """The stages of crawler/settings.py, opened and closed as a crawl would."""

    def __init__(
        self, db_url: str, warc_dir: Path, stages: tuple[type, ...] = STAGES, **settings: Any
    ) -> None:
        self.crawler = get_crawler(
            settings_dict={
                "ARCHIVE_DATABASE_URL": db_url,
                "ARCHIVE_WARC_DIR": str(warc_dir),
                "ARCHIVE_BATCH_SECONDS": 0.01,
                **settings,
            }
        )
        self.crawler.spider = scrapy.Spider(name="unit")
        self.stages = [build_from_crawler(stage, self.crawler) for stage in stages]

    async def run(self, *items: Any) -> list[Any]:
        for stage in self.stages:
            if hasattr(stage, "open_spider"):
                await stage.open_spider()
        results = []
        for item in items:
            try:
                for stage in self.stages:
                    item = stage.process_item(item)
                    if asyncio.iscoroutine(item):
                        item = await item
                results.append(item)
            except DropItem as exc:
                results.append(exc)
        for stage in self.stages:
            if hasattr(stage, "close_spider"):
                await stage.close_spider()
        self.stages[-1].spider_closed(self.crawler.spider, "finished")
        return results

    def stat(self, key: str) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_value(key)


@pytest.mark.parametrize(
    ("stages", "workers"), [(STAGES, 1), (WITH_DECODE, 0)], ids=["process", "thread-decoded"]
)
def test_pages_pass_through_every_stage_into_the_archive(
    demo_site: tuple[Any, str],
    sqlite_url: str,
    tmp_path: Path,
    stages: tuple[type, ...],
    workers: int,
) -> None:
    _, base_url = demo_site
    gbk = next(a for a in ARTICLES if a.encoding == "gbk")
    netease = next(a for a in ARTICLES if a.style == "netease")
    empty = Page(base_url + "/empty.html", 200, [], b"", datetime.now(UTC), site="demo")
    failure = FetchFailure(base_url + "/gone.html", site="demo", reason="HTTP 404", status=404)
    listing = fetch(base_url, "/news/")
    listing.kind = "listing"

    chain = Chain(sqlite_url, tmp_path / "warc", stages, EXTRACT_WORKERS=workers)
    pages = [fetch(base_url, gbk.path), fetch(base_url, netease.path)]
    results = asyncio.run(chain.run(*pages, empty, failure, listing))

    assert [type(r).__name__ for r in results] == [
        "Page",
        "Page",
        "DropItem",
        "DropItem",
        "DropItem",
    ]
    assert results[0].encoding == "gb18030" and results[0].language == "zh-cn"
    assert gbk.paragraphs[0] in results[0].extraction.text
    assert chain.stat("archive/article/new") == 2
    assert chain.stat("decode/empty") == 1
    assert chain.stat("archive/failure") == 1

    archive = open_archive(sqlite_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        titles = set(session.scalars(select(Article.title)))
        assert titles == {gbk.title, netease.title}
        kinds = sorted((c.kind, c.error or "") for c in session.scalars(select(Capture)))
        assert kinds == [
            ("article", ""), ("article", ""), ("article", "empty response"),
            ("failure", "HTTP 404"), ("listing", ""),
        ]  # fmt: skip
        run = session.scalars(select(CrawlRun)).one()
        # the empty page and the 404 are both failures of the run
        assert (run.spider, run.outcome, run.new_articles, run.failures) == (
            "unit",
            "finished",
            2,
            2,
        )
    archive.close()


def test_the_same_page_twice_is_stored_once(
    demo_site: tuple[Any, str], sqlite_url: str, tmp_path: Path
) -> None:
    _, base_url = demo_site
    path = ARTICLES[0].path
    for expected in ("new", "unchanged"):
        chain = Chain(sqlite_url, tmp_path / "warc", EXTRACT_WORKERS=0)
        asyncio.run(chain.run(fetch(base_url, path)))
        assert chain.stat(f"archive/article/{expected}") == 1


def test_an_unusable_archive_setting_stops_the_pipeline(tmp_path: Path) -> None:
    from storage.database import ArchiveError

    chain = Chain(f"sqlite:///{tmp_path}/missing/archive.db", tmp_path / "warc")
    with pytest.raises(ArchiveError, match="no such directory"):
        asyncio.run(chain.stages[-1].open_spider())
