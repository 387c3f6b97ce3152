"""Site profiles and the crawler's helpers, without crawling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse

from crawler.incremental import Action, ArchiveIndex, parse_hint_time
from crawler.middlewares import mirror_url, retry_after_seconds, unmirror_url
from crawler.pages import next_part_url
from crawler.profile import generic_profile
from crawler.sites_command import profiles
from crawler.spiders.netease import PROFILE as NETEASE
from crawler.spiders.qilu import PROFILE as QILU
from storage.archive import ArticleRecord, ensure_site, store_article
from storage.database import open_archive

DOCID = "J22CN60P0514R9KQ"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            f"https://www.163.com/dy/article/{DOCID}.html",
            f"https://www.163.com/dy/article/{DOCID}.html",
        ),
        (
            f"https://www.163.com/dy/article/{DOCID}.html?f=post2020_dy_recommends#sns",
            f"https://www.163.com/dy/article/{DOCID}.html",
        ),
        (
            f"https://www.163.com/dy/article/{DOCID}_pdya11y.html",
            f"https://www.163.com/dy/article/{DOCID}.html",
        ),
        (
            f"https://m.163.com/dy/article/{DOCID}.html",
            f"https://www.163.com/dy/article/{DOCID}.html",
        ),
        (
            f"https://3g.163.com/news/article/{DOCID}.html",
            f"https://www.163.com/news/article/{DOCID}.html",
        ),
        (
            f"http://dy.163.com/v2/article/detail/{DOCID}.html",
            f"https://www.163.com/dy/article/{DOCID}.html",
        ),
        (
            f"https://c.m.163.com/news/a/{DOCID}.html",
            f"https://www.163.com/news/article/{DOCID}.html",
        ),
        (
            f"https://3g.163.com/touch/article.html?docid={DOCID}",
            f"https://www.163.com/news/article/{DOCID}.html",
        ),
        (
            "https://news.163.com/19/0907/09/EOFBHDHQ0001899N.html",
            "https://www.163.com/news/article/EOFBHDHQ0001899N.html",
        ),
        (
            "https://tech.163.com/19/1125/11/EUQSGLA300097U7R.html",
            "https://www.163.com/tech/article/EUQSGLA300097U7R.html",
        ),
        (
            "http://biz.163.com/41210/1/17867KR700020QBK.html",
            "https://www.163.com/biz/article/17867KR700020QBK.html",
        ),
    ],
)
def test_netease_urls_canonicalize_to_one_per_docid(url: str, canonical: str) -> None:
    assert NETEASE.is_article(url)
    assert NETEASE.canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "https://comment.tie.163.com/J22CN60P0514R9KQ.html",
        "https://www.163.com/v/video/VABCDEFGH.html",
        "https://www.163.com/dy/media/T1512041896308.html",
        "https://news.163.com/",
        "https://www.sina.com.cn/dy/article/J22CN60P0514R9KQ.html",
    ],
)
def test_netease_non_articles(url: str) -> None:
    assert not NETEASE.is_article(url)


def test_netease_fetches_the_desktop_page_of_a_mobile_url() -> None:
    assert (
        NETEASE.fetch_url(f"https://m.163.com/dy/article/{DOCID}.html")
        == f"https://www.163.com/dy/article/{DOCID}.html"
    )
    legacy = "https://news.163.com/19/0907/09/EOFBHDHQ0001899N.html"
    assert NETEASE.fetch_url(legacy) == legacy


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.ql1d.com/general/27176506.html",
            "https://www.ql1d.com/general/27176506.html",
        ),
        (
            "https://ql1d.com/general/27176506.html?from=timeline",
            "https://www.ql1d.com/general/27176506.html",
        ),
        ("https://m.ql1d.com/general/27176506.html", "https://www.ql1d.com/general/27176506.html"),
        (
            "http://www.ql1d.com/news/show/id/7495068.html",
            "http://www.ql1d.com/news/show/id/7495068.html",
        ),
        (
            "http://www.qlwb.com.cn/2016/0811/695724.shtml",
            "http://www.qlwb.com.cn/2016/0811/695724.shtml",
        ),
        (
            "https://epaper.qlwb.com.cn/qlwb/content/20260107/ArticelA02002FM.htm",
            "https://epaper.qlwb.com.cn/qlwb/content/20260107/ArticelA02002FM.htm",
        ),
    ],
)
def test_qilu_urls(url: str, canonical: str) -> None:
    assert QILU.is_article(url)
    assert QILU.canonical_url(url) == canonical


def test_qilu_dated_entry_point_and_url_dates() -> None:
    urls = [url for url, _ in QILU.entry_urls(date(2026, 1, 7))]
    assert "https://epaper.qlwb.com.cn/qlwb/content/20260107/PageArticleIndexLB.htm" in urls
    assert (
        QILU.date_in_url("https://epaper.qlwb.com.cn/qlwb/content/20260107/ArticelA02002FM.htm")
        == "2026-01-07"
    )
    assert QILU.is_listing("https://epaper.qlwb.com.cn/qlwb/content/20260107/PageA01TB.htm")


def test_every_profile_is_listed_and_complete() -> None:
    found = {p.name: p for p in profiles()}
    assert {"netease", "qilu"} <= set(found)
    for profile in found.values():
        assert profile.domains and profile.entry_points and profile.title
        for entry in profile.entry_points:
            assert profile.on_site(entry.url.replace("{date}", "20260107")), entry.url


def test_generic_profile_from_a_start_url() -> None:
    profile = generic_profile("https://www.example.com/news/", None)
    assert profile.name == "example.com"
    assert profile.is_article("https://example.com/2026/01/07/county-schools-win-recognition.html")
    assert not profile.is_article(
        "https://other.org/2026/01/07/county-schools-win-recognition.html"
    )


def test_mirror_urls_round_trip() -> None:
    mirror = "http://127.0.0.1:8765"
    url = "https://www.163.com/dy/article/ID.html?x=1"
    assert mirror_url(mirror, url) == "http://127.0.0.1:8765/www.163.com/dy/article/ID.html?x=1"
    assert unmirror_url(mirror, mirror_url(mirror, url)) == url


def test_retry_after_values() -> None:
    now = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 07 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Wed, 07 Jan 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_hint_times() -> None:
    assert parse_hint_time("2026-01-07T15:34:12+08:00") == datetime(
        2026, 1, 7, 7, 34, 12, tzinfo=UTC
    )
    assert parse_hint_time("Wed, 07 Jan 2026 07:34:12 GMT") == datetime(
        2026, 1, 7, 7, 34, 12, tzinfo=UTC
    )
    assert parse_hint_time("2026-01-07") is None  # no zone: not comparable
    assert parse_hint_time("yesterday") is None


def page(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")


def test_next_part_of_a_multi_page_article() -> None:
    url = "https://www.163.com/news/article/ABCDEFGHIJKLMNOP.html"
    pager = '<div class="post_page"><a href="ABCDEFGHIJKLMNOP_2.html">下一页</a></div>'
    assert (
        next_part_url(page(url, pager))
        == "https://www.163.com/news/article/ABCDEFGHIJKLMNOP_2.html"
    )
    second = page(url.replace(".html", "_2.html"), '<a href="ABCDEFGHIJKLMNOP_3.html">下一页</a>')
    assert next_part_url(second) == "https://www.163.com/news/article/ABCDEFGHIJKLMNOP_3.html"
    # a "next" link to another article is not a continuation
    assert next_part_url(page(url, '<a href="ZYXWVUTSRQPONMLK.html">下一页</a>')) is None
    assert next_part_url(page(url, '<a href="ABCDEFGHIJKLMNOP_2.html">相关新闻</a>')) is None


def test_incremental_plans(tmp_path) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    archive = open_archive(db_url, warc_dir=tmp_path / "w")
    recent = datetime.now(UTC) - timedelta(hours=12)
    old = datetime.now(UTC) - timedelta(days=30)
    with archive.transaction() as session:
        site = ensure_site(session, "t")
        for url, published in (("https://a/recent", recent), ("https://a/old", old)):
            store_article(
                session,
                ArticleRecord(
                    url,
                    "正文",
                    "t",
                    published=published,
                    etag='"v1"',
                    http_last_modified="Wed, 07 Jan 2026 07:34:12 GMT",
                ),
                site_id=site,
            )
    archive.close()
    soon = ArchiveIndex(db_url, revisit_days=2, revisit_after_hours=0)
    plans = soon.plan({"https://a/new": None, "https://a/recent": None, "https://a/old": None})
    assert {u: p.action for u, p in plans.items()} == {
        "https://a/new": Action.NEW, "https://a/recent": Action.REVISIT, "https://a/old": Action.SKIP,
    }  # fmt: skip
    assert plans["https://a/recent"].conditional_headers() == {
        "If-None-Match": '"v1"', "If-Modified-Since": "Wed, 07 Jan 2026 07:34:12 GMT",
    }  # fmt: skip
    changed = soon.plan({"https://a/old": datetime.now(UTC) + timedelta(minutes=1)})
    assert changed["https://a/old"].action is Action.CHANGED
    soon.close()
    later = ArchiveIndex(db_url, revisit_days=2, revisit_after_hours=6)
    assert later.plan({"https://a/recent": None})["https://a/recent"].action is Action.SKIP
    later.close()


def test_gzipped_sitemaps_are_read_and_bombs_refused() -> None:
    import gzip

    from crawler.discovery import parse_sitemap
    from crawler.spiders.base import MAX_SITEMAP_SIZE, _gunzip

    xml = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://a/1.html</loc>'
        b"<news:news><news:publication_date>2026-01-07T15:34:12+08:00</news:publication_date>"
    ) + "<news:title>标题</news:title></news:news></url></urlset>".encode()
    body = _gunzip(gzip.compress(xml))
    assert body is not None
    kind, entries = parse_sitemap(body)
    assert (kind, entries[0].url, entries[0].title, entries[0].published) == (
        "urlset", "https://a/1.html", "标题", "2026-01-07T15:34:12+08:00",
    )  # fmt: skip
    assert _gunzip(gzip.compress(b"\0" * (MAX_SITEMAP_SIZE + 1))) is None  # expands too far
    assert _gunzip(b"\x1f\x8bnot gzip") is None
    assert _gunzip(xml) == xml  # not compressed: as it is
