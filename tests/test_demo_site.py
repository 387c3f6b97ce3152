"""The bundled demo news site: its data, its pages, its feeds, and the demo server itself."""

from __future__ import annotations

import dataclasses
import html
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter, deque
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from crawler.demo import ARTICLES, CLUTTER_PHRASES, PRIVATE_PATH, DemoArticle, DemoSite

PROJECT = Path(__file__).resolve().parents[1]
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fetch(url: str, headers: dict[str, str] | None = None):
    """(status, headers, body bytes) without raising on 4xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def decode(headers, body: bytes) -> str:
    charset = headers.get_content_charset() or "utf-8"
    return body.decode(charset)


def page_text(url: str) -> str:
    status, headers, body = fetch(url)
    assert status == 200, url
    return html.unescape(decode(headers, body))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def links(html_text: str) -> list[str]:
    parser = _Links()
    parser.feed(html_text)
    return parser.hrefs


@pytest.fixture(scope="module")
def served():
    site = DemoSite()
    with site.serve() as base:
        yield site, base


@pytest.fixture(scope="module")
def base(served):
    return served[1]


# --- the data ---------------------------------------------------------------------------------


def test_article_set_has_the_promised_shape():
    assert 24 <= len(ARTICLES) <= 32
    styles = Counter(article.style for article in ARTICLES)
    assert 8 <= styles["netease"] <= 10
    assert 6 <= styles["qilu"] <= 8
    assert 5 <= styles["county"] <= 6
    assert 5 <= styles["english"] <= 8
    assert len({a.path for a in ARTICLES}) == len(ARTICLES)
    assert len({a.title for a in ARTICLES}) == len(ARTICLES)
    assert [a.when for a in ARTICLES] == sorted(a.when for a in ARTICLES)
    for article in ARTICLES:
        assert re.fullmatch(r"2026-01-\d\dT\d\d:\d\d:\d\d\+08:00", article.published)
        assert 3 <= len(article.paragraphs) <= 8, article.path
        assert article.language == ("en" if article.style == "english" else "zh-cn")


def test_every_article_has_a_sentence_of_its_own():
    for article in ARTICLES:
        others = "\n".join(o.text for o in ARTICLES if o.path != article.path)
        sentences = [s for s in re.split(r"(?<=[。！？.!?])\s*", article.text) if len(s) > 12]
        assert any(s not in others for s in sentences), article.path


def test_topic_mix_lets_a_search_for_education_tell_clutter_from_text():
    chinese = [a for a in ARTICLES if a.language == "zh-cn"]
    english = [a for a in ARTICLES if a.language == "en"]
    with_topic = [a for a in chinese if "教育" in a.title + a.text]
    without_topic = [a for a in chinese if "教育" not in a.title + a.text]
    assert len(with_topic) >= 5 and len(without_topic) >= 5
    assert {a.style for a in without_topic} >= {"netease", "qilu", "county"}
    assert any("education" in (a.title + a.text).lower() for a in english)
    assert any("education" not in (a.title + a.text).lower() for a in english)


def test_clutter_phrases_never_occur_in_article_text():
    for article in ARTICLES:
        for phrase in CLUTTER_PHRASES:
            assert phrase not in article.title + "\n" + article.text, (phrase, article.path)


def test_gbk_articles_only_use_characters_gbk_can_encode():
    gbk = [a for a in ARTICLES if a.encoding == "gbk"]
    assert gbk and all(a.style == "county" for a in gbk)
    for article in gbk:
        (article.title + article.text + "".join(article.authors)).encode("gbk")


def test_a_path_that_does_not_fit_its_style_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        dataclasses.replace(ARTICLES[0], path="/somewhere/else.html")


# --- pages ------------------------------------------------------------------------------------


def test_every_article_is_reachable_from_the_homepage(served):
    site, base = served
    seen, queue, found = {"/"}, deque(["/"]), set()
    while queue:
        path = queue.popleft()
        status, headers, body = fetch(base + path)
        assert status == 200, f"broken link: {path}"
        if headers.get_content_type() != "text/html":
            continue
        if path in site.articles:
            found.add(path)
        for href in links(decode(headers, body)):
            url = urlsplit(urljoin(base + path, href))
            if url.scheme != "http" or url.netloc != urlsplit(base).netloc:
                continue
            if url.path.startswith("/private/") or url.path in seen:
                continue
            seen.add(url.path)
            queue.append(url.path)
    assert found == {a.path for a in ARTICLES}
    assert PRIVATE_PATH not in seen


def test_homepage_links_the_feed_the_sections_and_the_private_page(base):
    text = page_text(base + "/")
    assert '<link rel="alternate" type="application/rss+xml"' in text
    hrefs = links(text)
    assert {"/news/", "/xwzx/", "/en/", PRIVATE_PATH} <= set(hrefs)
    assert 8 <= sum(href in {a.path for a in ARTICLES} for href in hrefs) <= 12


def test_section_lists_paginate(base):
    first = page_text(base + "/news/")
    assert 'rel="next" href="/news/index_2.html"' in first and "下一页" in first
    second = page_text(base + "/news/index_2.html")
    assert "上一页" in second and 'rel="next" href="/news/index_3.html"' in second
    english = page_text(base + "/en/")
    assert "Next »" in english and 'rel="next" href="/en/page/2/"' in english
    for text in (first, second, english):
        count = sum(href in {a.path for a in ARTICLES} for href in links(text))
        assert 6 <= count <= 8


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.path)
def test_article_page_shows_text_and_metadata(base, article: DemoArticle):
    status, headers, body = fetch(base + article.path)
    assert status == 200
    text = html.unescape(decode(headers, body))
    assert article.title in text
    for paragraph in article.paragraphs:
        assert paragraph in text
    for author in article.authors:
        assert author in text
    if article.style in ("netease", "english"):
        assert f'<link rel="canonical" href="{base}{article.path}">' in text
        assert f'property="article:published_time" content="{article.published}"' in text
    if article.style == "english":
        assert '<html lang="en">' in text and "- END -" in text and "mins read" in text
    if article.style == "netease":
        assert f'data-ptime="{article.stamp}"' in text and "相关推荐" in text
    if article.style == "qilu":
        assert "application/ld+json" not in text and article.stamp_minutes in text
    if article.style == "county":
        assert f'<meta name="PubDate" content="{article.stamp_minutes}"' in text
        assert text.count("<li>• ") >= 40


def test_clutter_phrases_are_on_the_pages(base):
    pages = "".join(page_text(base + a.path) for a in ARTICLES)
    for phrase in CLUTTER_PHRASES:
        assert phrase in pages, phrase


def test_gbk_page_is_gbk_on_the_wire(base):
    for article in (a for a in ARTICLES if a.encoding == "gbk"):
        status, headers, body = fetch(base + article.path)
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=GBK"
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        text = body.decode("gbk")
        assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />' in text
        assert article.paragraphs[0] in text
    # 李堃 is GBK but not GB2312: a decoder that trusts the gb2312 label loses it
    _, _, body = fetch(base + "/xwzx/202601/t20260107_4220115.html")
    assert "李堃" in body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")


def test_rss_lists_the_latest_articles(base):
    status, headers, body = fetch(base + "/rss.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    items = ET.fromstring(body).findall("./channel/item")
    latest = sorted(ARTICLES, key=lambda a: a.when, reverse=True)[:15]
    assert [item.findtext("link") for item in items] == [base + a.path for a in latest]
    for item, article in zip(items, latest, strict=True):
        assert item.findtext("title") == article.title
        assert parsedate_to_datetime(item.findtext("pubDate")) == article.when
        assert item.findtext("pubDate").endswith("+0800")


def test_sitemap_index_leads_to_every_article(base):
    status, headers, body = fetch(base + "/sitemap.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/xml; charset=utf-8"
    locs = [loc.text for loc in ET.fromstring(body).iter(f"{SITEMAP}loc")]
    assert locs == [base + "/sitemap-articles.xml"]
    urlset = ET.fromstring(fetch(locs[0])[2])
    entries = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in urlset.findall(f"{SITEMAP}url")
    }
    assert entries == {base + a.path: a.published for a in ARTICLES}


def test_robots_txt(base):
    status, headers, body = fetch(base + "/robots.txt")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = body.decode().splitlines()
    assert "User-agent: *" in lines and "Disallow: /private/" in lines
    assert f"Sitemap: {base}/sitemap.xml" in lines
    assert fetch(base + PRIVATE_PATH)[0] == 200


@pytest.mark.parametrize(
    "path", ["/nope", "/dy/article/AAAAAAAAAAAAAAAA.html", "/news/index_9.html"]
)
def test_unknown_paths_are_404(base, path):
    status, headers, _ = fetch(base + path)
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"


def test_links_follow_the_host_header(base):
    article = next(a for a in ARTICLES if a.style == "netease")
    status, _, body = fetch(base + article.path, {"Host": "news.example.test:8080"})
    assert status == 200
    assert 'href="http://news.example.test:8080' + article.path + '"' in body.decode()


def test_tracking_query_and_accessible_variant_serve_the_article(base):
    article = next(a for a in ARTICLES if a.style == "netease")
    for path in (article.path + "?f=post2020_dy_recommends", article.path[:-5] + "_pdya11y.html"):
        assert article.title in page_text(base + path)


# --- the server -------------------------------------------------------------------------------


def test_replaced_article_is_served_at_once_and_requests_are_logged():
    site = DemoSite()
    article = next(a for a in ARTICLES if a.style == "qilu")
    with site.serve() as base:
        site.articles[article.path] = dataclasses.replace(article, paragraphs=("改写后的第一段。",))
        text = page_text(base + article.path + "?from=test")
        assert "改写后的第一段。" in text and article.paragraphs[0] not in text
    assert site.requests == [article.path + "?from=test"]


def test_module_serves_until_sigterm():
    command = [sys.executable, "-m", "crawler.demo", "serve", "--port", "0"]
    with subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True) as process:
        line = process.stdout.readline()
        match = re.fullmatch(r"demo news site on (http://127\.0\.0\.1:\d+)/\n", line)
        assert match, line
        assert fetch(match.group(1) + "/robots.txt")[0] == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""
