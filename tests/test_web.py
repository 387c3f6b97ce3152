"""The web reader through FastAPI's TestClient, over a real archive filled through the storage API.

``fill_archive`` is shared with the browser test (tests/test_web_browser.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from crawler.web.app import create_app
from storage.archive import (
    ArticleRecord,
    FetchedPage,
    ensure_site,
    record_capture,
    record_failure,
    store_article,
)
from storage.database import Archive, ArchiveError, open_archive
from storage.health import record_health
from storage.models import Article

CST = timezone(timedelta(hours=8))
MAIN_URL = "https://www.ql1d.com/general/900.html"
MAIN_V1 = (
    "济南槐荫区推进义务教育优质均衡发展。\n新增学位3.6万余个。\n教师交流轮岗比例达到百分之三十。"
)
MAIN_V2 = (
    "济南槐荫区推进义务教育优质均衡发展。\n新增学位4.1万余个。\n教师交流轮岗比例达到百分之三十。"
)
EVIL_TITLE = '<script>alert("title")</script>教育局通知'
EVIL_SITE = "evil</script><script>alert(1)</script>"
HTML = "<html><head><meta charset='utf-8'><title>槐荫</title></head><body><p>{}</p></body></html>"
FILLERS = 22


def record(url: str, body: str, **fields: Any) -> ArticleRecord:
    return ArticleRecord(canonical_url=url, text=body, extractor_version="test-1", **fields)


MAIN = {
    "title": "槐荫：深耕优质均衡",
    "original_title": "槐荫区义务教育优质均衡发展纪实",
    "published": datetime(2026, 1, 30, 9, 30, tzinfo=CST),
    "language": "zh-cn",
    "authors": ("王贝艺",),
    "correspondents": ("李明",),
    "editor": "张三",
    "source": "齐鲁晚报·齐鲁壹点",
    "tags": ("教育",),
    "images": ("https://img.ql1d.com/1.jpg",),
}
OTHERS: dict[str, tuple[str, str, str, dict[str, Any]]] = {  # name: site, URL, text, fields
    "copy": ("netease", "https://www.163.com/dy/article/COPY.html", MAIN_V2, {"title": "槐荫：深耕优质均衡（转载）", "published": datetime(2026, 1, 30, 11, 30, tzinfo=CST), "language": "zh-cn", "source": "齐鲁晚报"}),
    "english": ("county-news", "https://en.example.com/schools.html", "Compulsory education in Huaiyin reached balanced development.", {"title": "Huaiyin schools", "language": "en"}),
    "evil": (EVIL_SITE, "javascript:alert('url')", "<b>粗体</b> 教育 & <img src=x onerror=alert(1)>\n特别声明：以上内容不代表本站观点。", {"title": EVIL_TITLE, "published": datetime(2026, 1, 2, tzinfo=CST), "language": "zh-cn", "authors": ("<i>x</i>",), "images": ("javascript:alert('img')",)}),
}  # fmt: skip


def fill_archive(archive: Archive) -> dict[str, int]:
    """A main article with two versions, raw captures and a copy elsewhere; an English article
    with no date and no author; a hostile page; and enough others to need a second page."""
    ids: dict[str, int] = {}
    with archive.transaction() as session:
        qilu = ensure_site(session, "qilu")
        for n in range(FILLERS):
            body = f"第{n}篇：本地教育新闻，学校第{n}次开展活动。\n" + "内容" * (50 + 10 * n)
            fields = {"title": f"教育简讯{n}", "language": "zh-cn", "authors": ("记者甲",)}
            published = datetime(2026, 1, 1, 10, tzinfo=CST) + timedelta(days=n)
            url = f"https://www.ql1d.com/general/{n}.html"
            store_article(session, record(url, body, published=published, **fields), site_id=qilu)
        headers = [("Content-Type", "text/html; charset=utf-8")]
        pages = [
            FetchedPage(MAIN_URL, 200, headers, HTML.format(body).encode(), datetime.now(UTC))
            for body in (MAIN_V1, MAIN_V2, MAIN_V2)  # the third is a WARC revisit of the second
        ]
        captures = [record_capture(session, archive.warc, p, site_id=qilu).id for p in pages]
        ids["capture"], ids["revisit"] = captures[1], captures[2]
        for body, capture in zip((MAIN_V1, MAIN_V2), captures, strict=False):
            stored = store_article(
                session, record(MAIN_URL, body, **MAIN), site_id=qilu, capture_id=capture
            )
            ids["main"] = stored.article_id
        gone = record_failure(session, "https://www.ql1d.com/gone.html", "HTTP 404", status=404)
        ids["failure"] = gone.id
        for name, (site, url, body, fields) in OTHERS.items():
            site_id = ensure_site(session, site)
            ids[name] = store_article(
                session, record(url, body, **fields), site_id=site_id
            ).article_id
        # Undated articles count on the day they were first archived: make that a day in January.
        first_seen = datetime(2026, 1, 15, tzinfo=UTC)
        session.execute(
            update(Article).where(Article.id == ids["english"]).values(first_seen=first_seen)
        )
        # Written behind the archive's back: its derived health row is refreshed by hand.
        record_health(session, ids["english"], OTHERS["english"][2])
    return ids


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, int]]]:
    directory = tmp_path_factory.mktemp("web")
    url, warc = f"sqlite:///{directory / 'archive.db'}", directory / "warc"
    archive = open_archive(url, warc_dir=warc)
    ids = fill_archive(archive)
    archive.close()
    yield url, warc, ids


@pytest.fixture(scope="module")
def client(filled: tuple[str, Path, dict[str, int]]) -> Iterator[TestClient]:
    url, warc, _ = filled
    with TestClient(create_app(url, warc_dir=warc)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def ids(filled: tuple[str, Path, dict[str, int]]) -> dict[str, int]:
    return filled[2]


def result_links(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/articles/(\d+)', html)


def test_search_page_highlights_and_paginates(client: TestClient, ids: dict[str, int]) -> None:
    first = client.get("/", params={"q": "教育"})
    assert first.status_code == 200
    assert len(result_links(first.text)) == 20
    assert "<mark>教育</mark>" in first.text
    assert 'rel="next" href="/?q=%E6%95%99%E8%82%B2&amp;page=2"' in first.text
    assert 'rel="prev"' not in first.text
    second = client.get("/", params={"q": "教育", "page": 2})
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    everything = result_links(first.text) + result_links(second.text)
    assert len(everything) == len(set(everything)) == FILLERS + 3  # main, copy, evil
    assert client.get("/", params={"q": "教育", "page": 9}).text.count('class="result"') == 0


def test_search_filters(client: TestClient, ids: dict[str, int]) -> None:
    def found(**params: str) -> list[int]:
        response = client.get("/", params=params)
        assert response.status_code == 200, response.text
        return [int(i) for i in result_links(response.text)]

    assert found(q="教育", site="netease") == [ids["copy"]]
    assert found(q="education", lang="en") == [ids["english"]]
    assert found(q="education", lang="zh") == []
    assert set(found(q="优质均衡", lang="zh")) == {ids["main"], ids["copy"]}
    assert found(q="教育", since="2026-01-30", sort="newest") == [ids["copy"], ids["main"]]
    assert len(found(q="教育", since="2026-01-01", until="2026-01-03")) == 3  # 1st, 2nd + evil
    assert found(q="教育", sort="newest")[:2] == [ids["copy"], ids["main"]]
    assert found(q="教育", site="", lang="", since="", until="")  # empty fields: no filter
    form = client.get("/", params={"q": "教育", "site": "netease", "sort": "newest"}).text
    assert (
        '<option value="netease" selected>' in form and '<option value="newest" selected>' in form
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": '"教育'}, "bad query: unbalanced quote in the query"),
        ({"q": "!!! ???"}, "bad query: the query has no words to search for"),
        (
            {"q": "教育", "since": "2026-13-01"},
            "since: not a date (YYYY-MM-DD): &#39;2026-13-01&#39;",
        ),
        ({"q": "教育", "sort": "oldest"}, "sort: Input should be"),
        ({"q": "教育", "page": "0"}, "page: Input should be greater than or equal to 1"),
    ],
)
def test_bad_requests_are_400_pages(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


def test_a_bad_query_keeps_the_form_to_correct_it(client: TestClient) -> None:
    response = client.get("/", params={"q": '"教育', "site": "qilu"})
    assert response.status_code == 400
    assert (
        '<p class="error message" role="alert">bad query: unbalanced quote in the query</p>'
        in response.text
    )
    assert (
        'value="&#34;教育"' in response.text and '<option value="qilu" selected>' in response.text
    )


def test_bad_queries_are_400_in_the_api(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": '"unbalanced'})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "bad query: unbalanced quote in the query"},
    )
    assert client.get("/api/search").status_code == 400
    assert (
        client.get("/api/search", params={"q": "x", "since": "yesterday"})
        .json()["detail"]
        .startswith("since: not a date")
    )
    assert client.get("/api/search", params={"q": "x", "limit": 1000}).status_code == 422


def test_article_page_shows_text_metadata_versions_and_copies(
    client: TestClient, ids: dict[str, int]
) -> None:
    page = client.get(f"/articles/{ids['main']}", params={"q": "学位"})
    assert page.status_code == 200
    html = page.text
    assert '<h1 class="article-title">槐荫：深耕优质均衡</h1>' in html
    assert "原标题：槐荫区义务教育优质均衡发展纪实" in html
    assert "<p>新增<mark>学位</mark>4.1万余个。</p>" in html
    for shown in (
        "2026-01-30T09:30:00+08:00",
        "王贝艺",
        "李明",
        "张三",
        "齐鲁晚报·齐鲁壹点",
        "zh-cn",
        "test-1",
    ):
        assert shown in html
    assert f'<a href="{MAIN_URL}" rel="noreferrer noopener">' in html
    # Version 2 against version 1: the changed characters of the edited paragraph are marked.
    assert "Version 2" in html and "Version 1" in html and "The first text archived." in html
    assert "<del>3.6</del>" in html and "<ins>4.1</ins>" in html
    # The copy on NetEase, and the link back from it.
    assert f'<a href="/articles/{ids["copy"]}">槐荫：深耕优质均衡（转载）</a>' in html
    back = client.get(f"/articles/{ids['copy']}").text
    assert "this copies" in back and f'href="/articles/{ids["main"]}"' in back
    assert f'href="/captures/{ids["capture"]}/raw?view=text"' in html
    assert client.get("/articles/999999").status_code == 404


def test_raw_capture_is_served_from_its_warc_record(
    client: TestClient, ids: dict[str, int]
) -> None:
    raw = client.get(f"/captures/{ids['capture']}/raw")
    assert raw.status_code == 200
    assert raw.content == HTML.format(MAIN_V2).encode()
    assert raw.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        raw.headers["content-disposition"]
        == f'attachment; filename="capture-{ids["capture"]}.html"'
    )
    assert raw.headers["content-security-policy"] == "sandbox"
    text = client.get(f"/captures/{ids['capture']}/raw", params={"view": "text"})
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-disposition" not in text.headers
    assert text.text == HTML.format(MAIN_V2)
    # An identical later fetch is a WARC revisit record: its body comes from the original.
    assert client.get(f"/captures/{ids['revisit']}/raw").content == raw.content
    failure = client.get(f"/captures/{ids['failure']}/raw")
    assert failure.status_code == 404 and "HTTP 404" in failure.text
    assert client.get("/captures/999999/raw").status_code == 404


def test_scraped_content_is_escaped_everywhere(client: TestClient, ids: dict[str, int]) -> None:
    pages = [
        client.get("/", params={"q": "教育"}).text,
        client.get(f"/articles/{ids['evil']}", params={"q": "教育"}).text,
        client.get("/sites").text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<b>粗体" not in html and "<img src=x" not in html
        assert "<i>x</i>" not in html
    search, article, sites = pages
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;<mark>教育</mark>局通知" in search
    assert (
        "&lt;b&gt;粗体&lt;/b&gt; <mark>教育</mark> &amp; &lt;img src=x onerror=alert(1)&gt;"
        in article
    )
    assert "javascript:" not in re.sub(r">[^<]*<", "><", article)  # never in an attribute
    assert "&lt;i&gt;x&lt;/i&gt;" in article
    # The chart data is JSON inside a <script> element: "</script>" in a site name cannot end it.
    data = re.search(r'<script type="application/json" id="site-days">(.*?)</script>', sites, re.S)
    assert data is not None and EVIL_SITE in {row["site"] for row in json.loads(data.group(1))}


def test_sites_page_lists_sites_and_embeds_the_chart_data(client: TestClient) -> None:
    html = client.get("/sites").text
    for site in ("qilu", "netease", "county-news"):
        assert f">{site}</a>" in html
    data = re.search(r'id="site-days">(.*?)</script>', html, re.S)
    assert data is not None
    rows = json.loads(data.group(1))
    qilu = [r for r in rows if r["site"] == "qilu"]
    assert len(qilu) == FILLERS + 1 and {
        "median_length",
        "no_date_share",
        "no_author_share",
        "clutter",
    } <= set(qilu[0])
    assert '<script src="/static/charts.js"></script>' in html
    assert client.get("/static/charts.js").status_code == 200
    only = client.get("/sites", params={"site": "netease"}).text
    assert {
        r["site"]
        for r in json.loads(re.search(r'id="site-days">(.*?)</script>', only, re.S).group(1))
    } == {"netease"}  # type: ignore[union-attr]
    assert client.get("/sites", params={"since": "soon"}).status_code == 400


def test_api_search_article_versions_sites_stats(client: TestClient, ids: dict[str, int]) -> None:
    found = client.get("/api/search", params={"q": "学位", "limit": 1}).json()
    assert found["query"] == "学位" and found["limit"] == 1 and found["offset"] == 0
    hit = found["results"][0]
    assert hit["id"] in (ids["main"], ids["copy"])
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "学位"
    following = client.get(found["next"]).json()
    assert following["offset"] == 1 and following["next"] is None
    article = client.get(f"/api/articles/{ids['main']}").json()
    assert article["published"] == "2026-01-30T09:30:00+08:00" and article["text"] == MAIN_V2
    assert article["raw"].endswith(f"/captures/{ids['capture']}/raw")
    assert [(c["relation"], c["id"], c["site"]) for c in article["copies"]] == [
        ("copy", ids["copy"], "netease")
    ]
    versions = client.get(f"/api/articles/{ids['main']}/versions").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    changes = versions["results"][0]["changes"]
    removed = next(c for c in changes if c["kind"] == "removed")
    assert [removed["text"][a:b] for a, b in removed["changed"]] == ["3.6"]
    assert client.get("/api/articles/999999").status_code == 404
    sites = client.get("/api/sites", params={"limit": 2}).json()
    assert len(sites["results"]) == 2 and sites["next"]
    assert len(client.get(sites["next"]).json()["results"]) == 2
    days = client.get("/api/sites/days", params={"site": "qilu", "limit": 5}).json()
    assert len(days["results"]) == 5 and days["next"] and days["results"][0]["site"] == "qilu"
    stats = client.get("/api/stats").json()
    assert stats["articles"] == FILLERS + 4


def test_openapi_document_describes_the_api_only(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "newsarchive"
    assert set(document["paths"]) == {
        "/api/search", "/api/articles/{article_id}", "/api/articles/{article_id}/versions",
        "/api/sites", "/api/sites/days", "/api/stats",
    }  # fmt: skip
    search = document["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {
        "q",
        "site",
        "lang",
        "since",
        "until",
        "sort",
        "limit",
        "offset",
    }
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN


def test_the_reader_cannot_write(client: TestClient) -> None:
    archive = client.app.state.archive  # type: ignore[attr-defined]
    with (
        pytest.raises(Exception, match=r"readonly|read-only|read only"),
        archive.transaction() as session,
    ):
        ensure_site(session, "written")


def test_the_reader_never_creates_an_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive at"):
        create_app(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists() or (tmp_path / "missing.db").stat().st_size == 0


def test_pages_and_api_on_each_backend(archive: Archive, archive_url: str, tmp_path: Path) -> None:
    ids = fill_archive(archive)
    with TestClient(create_app(archive_url, warc_dir=tmp_path / "warc")) as each:
        assert len(result_links(each.get("/", params={"q": "教育"}).text)) == 20
        assert "<del>3.6</del>" in each.get(f"/articles/{ids['main']}").text
        assert each.get(f"/captures/{ids['revisit']}/raw").content == HTML.format(MAIN_V2).encode()
        assert each.get("/sites").status_code == 200
        assert (
            len([r for r in each.get("/api/sites/days").json()["results"] if r["site"] == "qilu"])
            == FILLERS + 1
        )
        assert each.get("/api/search", params={"q": '"x'}).status_code == 400


def test_serve_refuses_a_missing_archive_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("newsarchive")), "serve", "--db", f"sqlite:///{tmp_path / 'none.db'}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr.startswith("Error: no archive at sqlite:///")
        and result.stderr.count("\n") == 1
    )
