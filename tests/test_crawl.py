"""End to end: a real `scrapy crawl news` of the bundled demo site into a real archive."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crawler.demo.content import ARTICLES, CLUTTER_PHRASES
from crawler.demo.server import DemoSite
from storage.database import Archive, open_archive
from storage.models import Article, ArticleVersion, Capture, CrawlRun
from storage.queries import article_record, search
from tests.conftest import run_crawl


@dataclasses.dataclass
class Crawled:
    site: DemoSite
    base_url: str
    db_url: str
    warc_dir: Path
    output: str

    def open(self) -> Archive:
        return open_archive(self.db_url, warc_dir=self.warc_dir)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """The demo site, crawled once from its homepage; shared by the read-only tests below."""
    tmp = tmp_path_factory.mktemp("crawl")
    site = DemoSite()
    with site.serve("127.0.0.1", 0) as base_url:
        db_url = f"sqlite:///{tmp / 'archive.db'}"
        result = run_crawl(base_url + "/", db_url, warc_dir=tmp / "warc")
        yield Crawled(site, base_url, db_url, tmp / "warc", result.stderr)


def records(crawled: Crawled) -> dict[str, dict[str, Any]]:
    archive = crawled.open()
    try:
        with archive.session() as session:
            articles = session.scalars(select(Article)).all()
            return {
                a.canonical_url.removeprefix(crawled.base_url): article_record(a) for a in articles
            }
    finally:
        archive.close()


def test_every_demo_article_is_archived_once(crawled: Crawled) -> None:
    found = records(crawled)
    assert sorted(found) == sorted(a.path for a in ARTICLES)


@pytest.mark.parametrize("demo", ARTICLES, ids=lambda a: a.path)
def test_archived_article_matches_the_page(crawled: Crawled, demo: Any) -> None:
    record = records(crawled)[demo.path]
    assert record["title"] == demo.title
    assert record["published"] == demo.published
    assert record["language"] == demo.language
    text = record["text"]
    for paragraph in demo.paragraphs:
        assert paragraph in text, f"missing paragraph: {paragraph[:40]}"
    for phrase in CLUTTER_PHRASES:
        assert phrase not in text, f"clutter {phrase!r} left in the text of {demo.path}"


def test_search_finds_the_chinese_education_articles(crawled: Crawled) -> None:
    archive = crawled.open()
    try:
        with archive.session() as session:
            hits = search(session, "教育", language="zh", limit=100)
            found = {h.article.canonical_url.removeprefix(crawled.base_url) for h in hits}
    finally:
        archive.close()
    expected = {
        a.path
        for a in ARTICLES
        if a.language.startswith("zh")
        and ("教育" in a.title or any("教育" in p for p in a.paragraphs))
    }
    assert expected and found == expected


def test_robots_txt_is_obeyed(crawled: Crawled) -> None:
    assert "/robots.txt" in crawled.site.requests
    assert not [path for path in crawled.site.requests if path.startswith("/private/")]


def test_the_crawl_is_recorded_with_its_raw_pages(crawled: Crawled) -> None:
    archive = crawled.open()
    try:
        with archive.session() as session:
            run = session.scalars(select(CrawlRun)).one()
            captures = session.scalar(select(func.count()).select_from(Capture))
    finally:
        archive.close()
    assert run.outcome == "finished"
    assert run.new_articles == len(ARTICLES)
    assert run.pages_fetched >= len(ARTICLES)
    assert captures and captures >= len(ARTICLES)
    files = sorted(map(str, crawled.warc_dir.glob("*.warc.gz")))
    check = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert files and check.returncode == 0, check.stdout + check.stderr
    assert re.search(rf"'archive/article/new': {len(ARTICLES)}\b", crawled.output)


def test_a_second_crawl_adds_nothing_and_a_changed_text_one_version(tmp_path: Path) -> None:
    site = DemoSite()
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    with site.serve("127.0.0.1", 0) as base_url:
        run_crawl(base_url + "/", db_url, warc_dir=tmp_path / "warc")
        run_crawl(base_url + "/", db_url, warc_dir=tmp_path / "warc")
        archive = open_archive(db_url, warc_dir=tmp_path / "warc")
        with archive.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == len(ARTICLES)
            assert session.scalar(select(func.count()).select_from(ArticleVersion)) == len(ARTICLES)
            runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            assert [(r.new_articles, r.new_versions) for r in runs] == [(len(ARTICLES), 0), (0, 0)]
        archive.close()

        target = ARTICLES[0]
        changed = (*target.paragraphs, "更正：本文第二段数据已更新。")
        site.articles[target.path] = dataclasses.replace(target, paragraphs=changed)
        # Revisit every archived article this time (the demo's articles are months old).
        revisit = ("-s", "ARCHIVE_REVISIT_DAYS=100000", "-s", "ARCHIVE_REVISIT_AFTER_HOURS=0")
        run_crawl(base_url + "/", db_url, *revisit, warc_dir=tmp_path / "warc")
    archive = open_archive(db_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.number > 1)).all()
        assert [v.article.canonical_url for v in versions] == [base_url + target.path]
        assert "更正：本文第二段数据已更新。" in versions[0].text
    archive.close()


@pytest.mark.postgres
def test_crawl_into_postgresql(
    postgres_url: str, demo_site: tuple[DemoSite, str], tmp_path: Path
) -> None:
    _, base_url = demo_site
    run_crawl(base_url + "/", postgres_url, warc_dir=tmp_path / "warc")
    archive = open_archive(postgres_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(ARTICLES)
        hits = search(session, "教育", language="zh")
        assert hits and all("教育" in (h.article.title or "") + h.article.text for h in hits)
    archive.close()


def test_a_stopped_crawl_resumes_without_losing_or_duplicating(tmp_path: Path) -> None:
    site = DemoSite()
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    job = ("-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=1")
    with site.serve("127.0.0.1", 0) as base_url:
        first = run_crawl(
            base_url + "/", db_url, *job, "-s", "CLOSESPIDER_PAGECOUNT=15", warc_dir=tmp_path / "w"
        )
        assert "closespider_pagecount" in first.stderr
        archive = open_archive(db_url, warc_dir=tmp_path / "w")
        with archive.session() as session:
            stored_first = session.scalar(select(func.count()).select_from(Article))
        archive.close()
        assert stored_first is not None and 0 < stored_first < len(ARTICLES)
        run_crawl(base_url + "/", db_url, *job, warc_dir=tmp_path / "w")
    archive = open_archive(db_url, warc_dir=tmp_path / "w")
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == len(ARTICLES)
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == len(ARTICLES)
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    archive.close()
    assert [r.outcome for r in runs] == ["closespider_pagecount", "finished"]
    article_fetches = [p for p in site.requests if p.split("?")[0] in {a.path for a in ARTICLES}]
    assert len(article_fetches) == len(set(article_fetches)) == len(ARTICLES)


def test_bad_arguments_and_settings_are_one_line_errors(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    cases = [
        (["news"], "needs a start URL"),
        (["news", "-a", "url=ftp://x"], "not an http(s) URL"),
        (["netease", "-a", "mirror=nowhere"], "mirror must be an http(s) URL"),
        (["qilu", "-a", "day=yesterday"], "day must be a date"),
        (
            ["news", "-a", "url=http://127.0.0.1:9/", "-s", "ARCHIVE_DATABASE_URL=nonsense://"],
            "unknown database type",
        ),
    ]
    for args, message in cases:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", *args],
            cwd=tmp_path, env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert result.returncode != 0, args
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]
        assert "Traceback" not in result.stderr


def test_a_site_full_of_bad_inputs_counts_each_failure_and_archives_every_good_article(
    tmp_path: Path,
) -> None:
    from tests.badsite import GOOD, MISDECLARED, PROBE, RETRIED, BadSite

    site = BadSite(slow_seconds=5)
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    limits = (
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        "DOWNLOAD_MAXSIZE=1000000",
        "-s",
        "RETRY_TIMES=1",
        "-s",
        "NEWS_MAX_PAGINATION=5",
    )
    with site.serve() as base_url:
        result = run_crawl(base_url + "/", db_url, *limits, site="bad", warc_dir=tmp_path / "warc")
    log = result.stderr
    for kind in (
        "http_404",
        "http_500",
        "timeout",
        "not_html",
        "truncated",
        "too_large",
        "redirect_loop",
    ):
        assert re.search(rf"'failure/{kind}': [1-9]", log), f"failure/{kind} not counted"
    assert re.search(r"'discovery/sitemap/invalid': [1-9]", log)
    assert re.search(r"'retry_after/503': 1", log) and re.search(r"'retry_after/429': 1", log)
    assert PROBE not in site.requests  # the XXE sitemap's external DTD was never fetched
    # Endless pagination: one chain stops at NEWS_MAX_PAGINATION, one at its first page with
    # nothing new.
    assert len([p for p in site.requests if p.startswith("/calendar/")]) == 6
    assert len([p for p in site.requests if p.startswith("/archive/")]) <= 2

    archive = open_archive(db_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        titles = {a.title: a for a in session.scalars(select(Article))}
        failures = session.scalars(select(Capture).where(Capture.error.is_not(None))).all()
        run = session.scalars(select(CrawlRun)).one()
    archive.close()
    for good in (*GOOD, *RETRIED, *MISDECLARED):
        assert good.title in titles, f"{good.path} not archived"
        assert good.paragraphs[0] in titles[good.title].text  # decoded right despite its label
    reasons = " | ".join(f"{c.url} {c.error}" for c in failures)
    for path in (
        "not-found.html",
        "server-error.html",
        "slow.html",
        "photo.html",
        "truncated.html",
        "oversized.html",
        "redirect-loop.html",
    ):
        assert path in reasons, f"{path} not in the capture log: {reasons}"
    assert run.failures == len(failures) and run.outcome == "finished"


def test_an_index_s_sitemaps_are_read_one_at_a_time_after_their_articles(tmp_path: Path) -> None:
    """The requests waiting in memory are one sitemap's worth, not the whole site's: the next
    sitemap of an index is fetched only once the last one's articles have all been requested."""
    from tests.bigsite import SITEMAP_SIZE, BigSite, article_path

    site = BigSite(articles=2 * SITEMAP_SIZE + 100)
    concurrency = 8
    with site.serve() as base:
        result = run_crawl(
            f"{base}/", f"sqlite:///{tmp_path / 'archive.db'}", "-s", "EXTRACT_WORKERS=1",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", site="big",
        )  # fmt: skip
    assert "'archive/article/new': 1100" in result.stderr
    served = [path for path, _ in site.log]
    at = [served.index(f"/sitemaps/{part}.xml") for part in (1, 2, 3)]
    assert at == sorted(at) and all(served.count(f"/sitemaps/{p}.xml") == 1 for p in (1, 2, 3))
    for part, when in zip((1, 2), at[1:], strict=True):
        listed = {
            article_path(n) for n in range((part - 1) * SITEMAP_SIZE + 1, part * SITEMAP_SIZE + 1)
        }
        # all but those still in flight were fetched before the next sitemap
        assert len(listed & set(served[:when])) >= len(listed) - 2 * concurrency
