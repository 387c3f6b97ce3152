"""Finding articles: sitemaps, feeds, robots.txt and list-page links."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from crawler.discovery import (
    Entry,
    is_next_page_link,
    looks_like_article_url,
    looks_like_section_url,
    parse_feed,
    parse_json_feed,
    parse_sitemap,
    robots_sitemaps,
    sniff,
)

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <!-- generated 2026-01-07 -->
  <url>
    <loc>https://www.ql1d.com/general/20855836.html</loc>
    <lastmod>2026-01-07T09:30:00+08:00</lastmod>
    <changefreq>daily</changefreq>
  </url>
  <url><loc> https://www.ql1d.com/general/20855837.html </loc></url>
  <url><lastmod>2026-01-07</lastmod></url>
</urlset>
"""

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://sd.dzwww.com/sdnews/202302/t20230222_11445455.htm</loc>
    <news:news>
      <news:publication>
        <news:name>大众网</news:name>
        <news:language>zh-cn</news:language>
      </news:publication>
      <news:publication_date>2023-02-22T08:00:00+08:00</news:publication_date>
      <news:title>县域义务教育优质均衡发展</news:title>
    </news:news>
  </url>
</urlset>
""".encode()

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>
    <loc>https://www.example.com/sitemap-2026-01.xml</loc>
    <lastmod>2026-01-31</lastmod>
  </sitemap>
  <sitemap><loc>https://www.example.com/sitemap-news.xml.gz</loc></sitemap>
</sitemapindex>
"""

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>齐鲁壹点</title>
    <link>https://www.ql1d.com/</link>
    <atom:link href="https://www.ql1d.com/rss.xml" rel="self"/>
    <item>
      <title>县域义务教育优质均衡发展</title>
      <link>https://www.ql1d.com/general/20855836.html</link>
      <pubDate>Wed, 07 Jan 2026 09:30:00 +0800</pubDate>
    </item>
    <item>
      <title>Only a permalink guid</title>
      <guid isPermaLink="true">https://www.ql1d.com/general/20855837.html</guid>
    </item>
    <item><title>No link at all</title></item>
  </channel>
</rss>
""".encode()

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>County News</title>
  <link href="https://www.example.com/en/"/>
  <entry>
    <title>County schools win national recognition</title>
    <link rel="edit" href="https://www.example.com/api/posts/1"/>
    <link rel="enclosure" href="https://www.example.com/photo.jpg"/>
    <link rel="alternate" type="text/html"
          href="https://www.example.com/en/2026/01/county-schools-win-national-recognition.html"/>
    <published>2026-01-07T01:30:00Z</published>
    <updated>2026-01-08T00:00:00Z</updated>
  </entry>
  <entry>
    <title>Link without rel</title>
    <link href="https://www.example.com/en/2026/01/new-bus-routes-for-rural-pupils.html"/>
    <updated>2026-01-06T00:00:00Z</updated>
  </entry>
  <entry>
    <title>Only a self link</title>
    <link rel="self" href="https://www.example.com/api/posts/3"/>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.example.com/">
    <title>Example</title>
    <link>https://www.example.com/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://www.example.com/2026/01/07/a.html"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://www.example.com/2026/01/07/a.html">
    <title>First</title>
    <link>https://www.example.com/2026/01/07/a.html</link>
    <dc:date>2026-01-07T09:30:00+08:00</dc:date>
  </item>
</rdf:RDF>
"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "County News",
        "items": [
            {
                "id": "1",
                "url": "https://www.example.com/en/2026/01/county-schools-win-national-recognition.html",
                "title": "County schools win national recognition",
                "date_published": "2026-01-07T01:30:00Z",
                "date_modified": "2026-01-08T00:00:00Z",
            },
            {"id": "2", "url": "https://www.example.com/en/2026/01/b.html"},
            {"id": "3", "content_text": "no url"},
        ],
    }
).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (URLSET, "application/xml", "sitemap"),
        (SITEMAP_INDEX, "text/xml", "sitemap"),
        (NEWS_SITEMAP, None, "sitemap"),
        (RSS, "application/rss+xml", "feed"),
        (ATOM, "application/atom+xml", "feed"),
        (RDF, "application/rdf+xml", "feed"),
        (JSON_FEED, "application/feed+json", "jsonfeed"),
        (JSON_FEED, "text/plain", "jsonfeed"),
        (b'{"items": []}', "application/json; charset=utf-8", "jsonfeed"),
        (b'{"items": []}', "text/html", "html"),
        (b"<!DOCTYPE html><html><body>rss feed</body></html>", "text/html", "html"),
        (b"", None, "html"),
        (b"\xef\xbb\xbf" + URLSET, "text/xml", "sitemap"),
        (b"\xef\xbb\xbf" + JSON_FEED, "application/feed+json", "jsonfeed"),
    ],
    ids=[
        "urlset",
        "sitemapindex",
        "news-sitemap",
        "rss",
        "atom",
        "rdf",
        "jsonfeed",
        "jsonfeed-by-content",
        "json-by-type",
        "json-as-html",
        "html",
        "empty",
        "bom-sitemap",
        "bom-jsonfeed",
    ],
)
def test_sniff(body: bytes, content_type: str | None, kind: str) -> None:
    assert sniff(body, content_type) == kind


def test_parse_sitemap_urlset_with_lastmod() -> None:
    assert parse_sitemap(URLSET) == (
        "urlset",
        [
            Entry(
                url="https://www.ql1d.com/general/20855836.html",
                modified="2026-01-07T09:30:00+08:00",
            ),
            Entry(url="https://www.ql1d.com/general/20855837.html"),
        ],
    )


def test_parse_sitemap_google_news() -> None:
    assert parse_sitemap(NEWS_SITEMAP) == (
        "urlset",
        [
            Entry(
                url="https://sd.dzwww.com/sdnews/202302/t20230222_11445455.htm",
                title="县域义务教育优质均衡发展",
                published="2023-02-22T08:00:00+08:00",
            )
        ],
    )


def test_parse_sitemap_index() -> None:
    assert parse_sitemap(SITEMAP_INDEX) == (
        "sitemapindex",
        [
            Entry(url="https://www.example.com/sitemap-2026-01.xml", modified="2026-01-31"),
            Entry(url="https://www.example.com/sitemap-news.xml.gz"),
        ],
    )


def test_parse_sitemap_in_gbk() -> None:
    body = """<?xml version="1.0" encoding="GBK"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://www.example.com/2026/01/07/1.html</loc>
  <news:news><news:title>教育新闻</news:title></news:news></url>
</urlset>""".encode("gbk")
    assert parse_sitemap(body) == (
        "urlset",
        [Entry(url="https://www.example.com/2026/01/07/1.html", title="教育新闻")],
    )


def test_parse_sitemap_reads_escaped_characters() -> None:
    body = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
        b"<loc>https://www.example.com/show.php?id=5&amp;page=2&#38;x=&#x4e2d;</loc>"
        b"</url></urlset>"
    )
    assert parse_sitemap(body)[1] == [
        Entry(url="https://www.example.com/show.php?id=5&page=2&x=中")
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not xml at all",
        b"{}",
        b"\x00\xff\xfe garbage",
        b"<",
        b"<?xml version='1.0'?>",
    ],
)
def test_parse_sitemap_garbage_is_invalid(body: bytes) -> None:
    assert parse_sitemap(body) == ("invalid", [])


def test_parse_sitemap_truncated_gives_what_it_has() -> None:
    cut = SITEMAP_INDEX[: SITEMAP_INDEX.index(b"sitemap-news")]
    kind, entries = parse_sitemap(cut)
    assert kind == "sitemapindex"
    assert entries[0] == Entry(
        url="https://www.example.com/sitemap-2026-01.xml", modified="2026-01-31"
    )


def test_parse_sitemap_of_an_html_page_has_no_entries() -> None:
    kind, entries = parse_sitemap(b"<html><body><p>Not found</p></body></html>")
    assert entries == []
    assert kind not in ("urlset", "sitemapindex")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


Parser = Callable[[bytes], list[Entry]]


def sitemap_entries(body: bytes) -> list[Entry]:
    return parse_sitemap(body)[1]


def _fields(entries: list[Entry]) -> str:
    return " ".join(f"{e.url} {e.title} {e.published} {e.modified}" for e in entries)


@pytest.mark.parametrize(
    ("parse", "document"),
    [
        (
            sitemap_entries,
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
            b"<loc>https://www.example.com/2026/01/07/a.html</loc>"
            b"<lastmod>&lol9;</lastmod><news:title xmlns:news='n'>&lol9;</news:title>"
            b"</url></urlset>",
        ),
        (
            parse_feed,
            b"<rss><channel><item><link>https://www.example.com/2026/01/07/a.html</link>"
            b"<title>&lol9;</title></item></channel></rss>",
        ),
    ],
    ids=["sitemap", "feed"],
)
def test_entity_bomb_is_not_expanded(parse: Parser, document: bytes) -> None:
    started = time.monotonic()
    entries = parse(BILLION_LAUGHS + document)
    assert time.monotonic() - started < 1
    # libxml2 stops at the bomb; what came before it is kept.
    assert [e.url for e in entries] == ["https://www.example.com/2026/01/07/a.html"]
    assert "lollol" not in _fields(entries)
    assert len(_fields(entries)) < 1000


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE doc [
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
"""


@pytest.mark.parametrize(
    ("parse", "document"),
    [
        (
            sitemap_entries,
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
            b"<loc>https://www.example.com/&xxe;</loc><lastmod>&xxe;</lastmod>"
            b"<news:title xmlns:news='n'>&xxe;</news:title></url></urlset>",
        ),
        (
            parse_feed,
            b"<rss><channel><item><title>&xxe;</title><pubDate>&xxe;</pubDate>"
            b"<link>https://www.example.com/2026/01/07/a.html&xxe;</link></item></channel></rss>",
        ),
        (
            parse_feed,
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title>'
            b'<link href="https://www.example.com/2026/01/07/b.html"/>'
            b"<updated>&xxe;</updated></entry></feed>",
        ),
    ],
    ids=["sitemap", "rss", "atom"],
)
def test_external_entity_is_not_read(parse: Parser, document: bytes) -> None:
    started = time.monotonic()
    entries = parse(XXE + document)
    assert time.monotonic() - started < 1
    assert entries, "the document's links are still found"
    assert "root:" not in _fields(entries)
    assert "/bin/" not in _fields(entries)


def test_parse_feed_rss2() -> None:
    assert parse_feed(RSS) == [
        Entry(
            url="https://www.ql1d.com/general/20855836.html",
            title="县域义务教育优质均衡发展",
            published="Wed, 07 Jan 2026 09:30:00 +0800",
        ),
        Entry(url="https://www.ql1d.com/general/20855837.html", title="Only a permalink guid"),
    ]


def test_parse_feed_atom_takes_the_alternate_link() -> None:
    assert parse_feed(ATOM) == [
        Entry(
            url="https://www.example.com/en/2026/01/county-schools-win-national-recognition.html",
            title="County schools win national recognition",
            published="2026-01-07T01:30:00Z",
        ),
        Entry(
            url="https://www.example.com/en/2026/01/new-bus-routes-for-rural-pupils.html",
            title="Link without rel",
            published="2026-01-06T00:00:00Z",
        ),
    ]


def test_parse_feed_rss1_rdf() -> None:
    assert parse_feed(RDF) == [
        Entry(
            url="https://www.example.com/2026/01/07/a.html",
            title="First",
            published="2026-01-07T09:30:00+08:00",
        )
    ]


@pytest.mark.parametrize("body", [b"", b"not a feed", b"<html><body>x</body></html>", URLSET])
def test_parse_feed_without_items(body: bytes) -> None:
    assert parse_feed(body) == []


def test_parse_feed_truncated_gives_what_it_has() -> None:
    cut = RSS[: RSS.index(b"<item><title>No link")]
    assert [e.url for e in parse_feed(cut)] == [
        "https://www.ql1d.com/general/20855836.html",
        "https://www.ql1d.com/general/20855837.html",
    ]


def test_parse_json_feed() -> None:
    assert parse_json_feed(JSON_FEED) == [
        Entry(
            url="https://www.example.com/en/2026/01/county-schools-win-national-recognition.html",
            title="County schools win national recognition",
            published="2026-01-07T01:30:00Z",
            modified="2026-01-08T00:00:00Z",
        ),
        Entry(url="https://www.example.com/en/2026/01/b.html"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"null",
        b"42",
        b'"https://www.example.com/a.html"',
        b'["https://www.example.com/a.html"]',
        b"{}",
        b'{"items": null}',
        b'{"items": {"url": "https://www.example.com/a.html"}}',
        b'{"items": "https://www.example.com/a.html"}',
        b'{"items": [1, null, "x", [], {"url": 5}, {"url": null}, {"id": "1"}]}',
    ],
)
def test_parse_json_feed_wrong_shapes(body: bytes) -> None:
    assert parse_json_feed(body) == []


def test_parse_json_feed_deeply_nested() -> None:
    body = b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert parse_json_feed(body) == []


def test_parse_json_feed_ignores_fields_of_the_wrong_type() -> None:
    body = json.dumps(
        {
            "items": [
                {
                    "url": "https://www.example.com/en/2026/01/b.html",
                    "title": {"en": "B"},
                    "date_published": 20260107,
                    "date_modified": ["2026-01-08"],
                }
            ]
        }
    ).encode()
    assert parse_json_feed(body) == [Entry(url="https://www.example.com/en/2026/01/b.html")]


def test_robots_sitemaps() -> None:
    robots = (
        "User-agent: *\n"
        "Disallow: /admin/\n"
        "Sitemap: https://www.example.com/sitemap.xml\n"
        "sitemap:https://www.example.com/sitemap-news.xml\r\n"
        "  SITEMAP :  https://www.example.com/sitemap.xml  \n"
        "# Sitemap: https://www.example.com/commented-out.xml\n"
        "Disallow: /sitemap: not-a-sitemap\n"
    )
    assert robots_sitemaps(robots) == [
        "https://www.example.com/sitemap.xml",
        "https://www.example.com/sitemap-news.xml",
    ]


@pytest.mark.parametrize("robots", ["", "User-agent: *\nDisallow: /\n", "Sitemap:\n"])
def test_robots_without_sitemaps(robots: str) -> None:
    assert robots_sitemaps(robots) == []


ARTICLE_URLS = [
    "https://www.163.com/dy/article/J22CN60P0514R9KQ.html",
    "https://news.163.com/19/0907/09/EOFBHDHQ0001899N.html",
    "https://www.ql1d.com/general/20855836.html",
    "http://www.qlwb.com.cn/2016/0811/695724.shtml",
    "https://sd.dzwww.com/sdnews/202302/t20230222_11445455.htm",
    "https://www.example.com/en/2026/01/county-schools-win-national-recognition.html",
    "https://www.example.com/2026/01/07/schools.html",
    "https://www.example.com/news/county-schools-win-national-recognition/",
]
NOT_ARTICLE_URLS = [
    "https://www.163.com/",
    "https://www.163.com",
    "https://www.example.com/news/",
    "https://www.example.com/news/index_2.html",
    "https://sd.dzwww.com/sdnews/index.shtml",
    "https://www.example.com/tag/education/",
    "https://www.example.com/category/2026/01/07/schools/",
    "https://www.example.com/2026/01/07/20260107123456.jpg",
    "https://www.example.com/uploads/20260107123456.JPG",
    "https://www.example.com/2026/01/07/report-20260107.pdf",
    "https://www.example.com/sitemap-20260107.xml",
    "https://www.example.com/about.html",
    "https://www.example.com/page/2/",
]


@pytest.mark.parametrize("url", ARTICLE_URLS)
def test_looks_like_article_url(url: str) -> None:
    assert looks_like_article_url(url)


@pytest.mark.parametrize("url", NOT_ARTICLE_URLS)
def test_does_not_look_like_article_url(url: str) -> None:
    assert not looks_like_article_url(url)


@pytest.mark.parametrize(
    ("text", "rel"),
    [
        ("下一页", None),
        (" 下一页 ", ""),
        ("下一页>>", None),
        ("下页", None),
        ("Next »", None),
        ("next page", None),
        ("Next Page ›", None),
        ("Older posts", None),
        ("»", None),
        ("3", "next"),
        ("", "nofollow next"),
        ("更多", "NEXT"),
    ],
)
def test_is_next_page_link(text: str, rel: str | None) -> None:
    assert is_next_page_link(text, rel, "https://www.example.com/news/index_2.html")


@pytest.mark.parametrize(
    ("text", "rel"),
    [
        ("县域义务教育优质均衡发展", None),
        ("Next steps for county schools", None),
        ("上一页", None),
        ("« Previous", "prev"),
        ("2", None),
        ("", None),
        ("nextpage", None),
        ("教育", "nofollow"),
    ],
)
def test_is_not_next_page_link(text: str, rel: str | None) -> None:
    assert not is_next_page_link(text, rel, "https://www.example.com/news/")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/",
        "https://www.example.com/news/",
        "https://www.example.com/en/",
        "https://www.example.com/en/news/",
        "https://www.example.com/en/index.html",
        "https://sd.dzwww.com/sdnews/index.shtml",
    ],
)
def test_looks_like_section_url(url: str) -> None:
    assert looks_like_section_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/a/b/c/",
        "https://www.example.com/about.html",
        "https://www.example.com/news/index_2.html",
        "https://www.example.com/news/list_3.shtml",
        "https://www.example.com/news/page/3/",
        "https://www.example.com/news/?page=2",
        "https://www.example.com/news/?p=4",
        "https://www.163.com/dy/article/J22CN60P0514R9KQ.html",
        "https://www.example.com/2026/01/07/",
    ],
)
def test_does_not_look_like_section_url(url: str) -> None:
    assert not looks_like_section_url(url)
