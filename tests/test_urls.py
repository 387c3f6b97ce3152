"""Canonical URLs: one URL per article, whatever tracking or variant it was found under."""

from __future__ import annotations

import pytest

from pipelines.urls import canonical_url, clean_url

ARTICLE_163 = "https://www.163.com/dy/article/J22CN60P0514R9KQ.html"


@pytest.mark.parametrize(
    ("url", "cleaned"),
    [
        # 163.com recommendation and share links
        (f"{ARTICLE_163}?f=post2020_dy_recommends", ARTICLE_163),
        (f"{ARTICLE_163}?spss=adap_pc&clickfrom=w_yw", ARTICLE_163),
        (f"{ARTICLE_163}?clickfrom=index2018_news_newslist#", ARTICLE_163),
        # analytics tags, in any case
        (
            "https://www.example.com/en/a.html?utm_source=wechat&utm_medium=social&utm_campaign=x",
            "https://www.example.com/en/a.html",
        ),
        (
            "https://www.example.com/a.html?UTM_Source=x&fbclid=abc",
            "https://www.example.com/a.html",
        ),
        # fragments
        (f"{ARTICLE_163}#comments", ARTICLE_163),
        (
            "https://sd.dzwww.com/sdnews/202302/t20230222_11445455.htm#p2",
            "https://sd.dzwww.com/sdnews/202302/t20230222_11445455.htm",
        ),
        # a meaningful query is kept, in its order, tracking removed around it
        (
            "https://www.example.com/show.php?id=5&page=2",
            "https://www.example.com/show.php?id=5&page=2",
        ),
        (
            "https://www.example.com/show.php?utm_source=x&id=5&spss=y&page=2#top",
            "https://www.example.com/show.php?id=5&page=2",
        ),
        ("https://www.example.com/list.php?b=2&a=1", "https://www.example.com/list.php?b=2&a=1"),
        (
            "https://www.example.com/search?q=%E6%95%99%E8%82%B2",
            "https://www.example.com/search?q=%E6%95%99%E8%82%B2",
        ),
        ("https://www.example.com/a?x=a%2Fb&x=c", "https://www.example.com/a?x=a%2Fb&x=c"),
        # host and scheme lowercased, path case kept
        (
            "HTTPS://News.163.COM/19/0907/09/EOFBHDHQ0001899N.html",
            "https://news.163.com/19/0907/09/EOFBHDHQ0001899N.html",
        ),
        # default ports dropped, others kept
        (
            "https://news.163.com:443/19/0907/09/EOFBHDHQ0001899N.html",
            "https://news.163.com/19/0907/09/EOFBHDHQ0001899N.html",
        ),
        (
            "http://www.qlwb.com.cn:80/2016/0811/695724.shtml",
            "http://www.qlwb.com.cn/2016/0811/695724.shtml",
        ),
        (
            "http://www.qlwb.com.cn:8080/2016/0811/695724.shtml",
            "http://www.qlwb.com.cn:8080/2016/0811/695724.shtml",
        ),
        ("https://www.example.com:80/a.html", "https://www.example.com:80/a.html"),
        # an empty path is the root; surrounding whitespace goes
        ("https://www.ql1d.com", "https://www.ql1d.com/"),
        (
            "  https://www.ql1d.com/general/20855836.html\n",
            "https://www.ql1d.com/general/20855836.html",
        ),
        # a percent-encoded path is kept as it is
        (
            "https://www.example.com/%E6%95%99%E8%82%B2/1.html",
            "https://www.example.com/%E6%95%99%E8%82%B2/1.html",
        ),
    ],
)
def test_clean_url(url: str, cleaned: str) -> None:
    assert clean_url(url) == cleaned
    assert clean_url(cleaned) == cleaned


def test_clean_url_keeps_a_bare_query() -> None:
    # Old CMS pages are addressed as show.php?12345; the server reads the query string as it is.
    url = "http://www.example.com.cn/show.php?12345"
    assert clean_url(url) == url


def test_clean_url_keeps_ipv6_brackets() -> None:
    assert clean_url("http://[::1]:8080/2026/01/07/a.html") == "http://[::1]:8080/2026/01/07/a.html"


@pytest.mark.parametrize(
    ("page", "declared", "canonical"),
    [
        # same site, www. or not: the declaration wins (and is cleaned)
        (
            "https://163.com/dy/article/J22CN60P0514R9KQ.html?f=post2020_dy_recommends",
            ARTICLE_163,
            ARTICLE_163,
        ),
        (
            ARTICLE_163,
            "https://163.com/dy/article/J22CN60P0514R9KQ.html",
            "https://163.com/dy/article/J22CN60P0514R9KQ.html",
        ),
        (
            "https://www.example.com/a.html?id=1",
            "https://www.example.com/b.html?utm_source=x#top",
            "https://www.example.com/b.html",
        ),
        (
            "http://www.example.com/a.html",
            "https://www.example.com/a.html",
            "https://www.example.com/a.html",
        ),
        # another site, or another subdomain: the page URL
        (
            "https://www.example.com/syndicated.html",
            "https://www.163.com/dy/article/J22CN60P0514R9KQ.html",
            "https://www.example.com/syndicated.html",
        ),
        (
            "https://www.163.com/dy/article/J22CN60P0514R9KQ.html",
            "https://m.163.com/dy/article/J22CN60P0514R9KQ.html",
            ARTICLE_163,
        ),
        # relative or protocol-relative: ignored
        (f"{ARTICLE_163}?spss=x", "/dy/article/OTHER.html", ARTICLE_163),
        (f"{ARTICLE_163}?spss=x", "//www.163.com/dy/article/OTHER.html", ARTICLE_163),
        (f"{ARTICLE_163}?spss=x", "OTHER.html", ARTICLE_163),
        # no declaration
        (f"{ARTICLE_163}?spss=x#c", None, ARTICLE_163),
        (f"{ARTICLE_163}?spss=x#c", "", ARTICLE_163),
    ],
)
def test_canonical_url(page: str, declared: str | None, canonical: str) -> None:
    assert canonical_url(page, declared) == canonical
