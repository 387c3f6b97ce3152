"""Stage 1, bytes to text: GBK-aware, right when the page's own declaration is wrong."""

from __future__ import annotations

import codecs
import random
from datetime import UTC, datetime

import pytest
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from pipelines.decode import DecodePipeline, declared_charsets, decode_html, normalize_charset
from pipelines.page import Page

ZH = "近年来，我县推动义务教育优质均衡发展，新建学校十二所。"
# Outside GB2312 and GBK: 𠀀 (U+20000, extension B) and 䶮 (U+4DAE, extension A).
GB18030_ONLY = "𠀀䶮"


def page_html(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>教育</title></head><body><p>{text}</p></body></html>"


META_GB2312 = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


def test_utf8_with_meta() -> None:
    html = page_html(ZH, '<meta charset="utf-8">')
    assert decode_html(html.encode("utf-8"), "text/html") == (html, "utf-8")


def test_utf8_without_any_declaration() -> None:
    html = page_html(ZH)
    assert decode_html(html.encode("utf-8"), None) == (html, "utf-8")


def test_gbk_with_header_charset() -> None:
    html = page_html(ZH)
    assert decode_html(html.encode("gbk"), "text/html; charset=GBK") == (html, "gb18030")


def test_gbk_with_meta_gb2312_only() -> None:
    html = page_html(ZH, META_GB2312)
    assert decode_html(html.encode("gbk"), "text/html") == (html, "gb18030")


@pytest.mark.parametrize(
    ("head", "content_type"),
    [(META_GB2312, None), ("", "text/html; charset=gb2312"), ("", None)],
    ids=["meta", "header", "undeclared"],
)
def test_gb18030_only_characters_decode_right(head: str, content_type: str | None) -> None:
    html = page_html(f"{ZH}{GB18030_ONLY}", head)
    text, codec = decode_html(html.encode("gb18030"), content_type)
    assert codec == "gb18030"
    assert GB18030_ONLY in text
    assert "\ufffd" not in text


@pytest.mark.parametrize(
    ("head", "content_type"),
    [(META_GB2312, None), ("", "text/html; charset=gbk"), (META_GB2312, "text/html; charset=gbk")],
    ids=["meta", "header", "both"],
)
def test_utf8_page_declaring_gb_decodes_as_utf8(head: str, content_type: str | None) -> None:
    html = page_html(ZH, head)
    assert decode_html(html.encode("utf-8"), content_type) == (html, "utf-8")


@pytest.mark.parametrize(
    ("head", "content_type"),
    [('<meta charset="utf-8">', None), ("", "text/html; charset=UTF-8")],
    ids=["meta", "header"],
)
def test_gbk_page_declaring_utf8_decodes_as_gb18030(head: str, content_type: str | None) -> None:
    html = page_html(ZH, head)
    assert decode_html(html.encode("gbk"), content_type) == (html, "gb18030")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="utf-16">',
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-16">',
    ],
    ids=["charset", "http-equiv"],
)
def test_gbk_page_declaring_utf16_in_meta_decodes_as_gb18030(meta: str) -> None:
    # A <meta> that can be read as ASCII cannot be right about UTF-16; browsers take it as
    # UTF-8 (HTML standard, "prescan a byte stream to determine its encoding"), which here is
    # not valid, so GB18030. The body has an even length: an odd one fails to decode as UTF-16
    # and falls through to GB18030 by luck, as do long pages that happen to hit a surrogate.
    html = page_html("教育新闻", meta)
    body = html.encode("gbk")
    if len(body) % 2:
        body += b" "
    text, codec = decode_html(body, "text/html")
    assert codec == "gb18030"
    assert text.strip() == html


def test_gbk_without_any_declaration() -> None:
    html = page_html(ZH)
    assert decode_html(html.encode("gbk"), None) == (html, "gb18030")


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_byte_order_mark_decides_and_is_removed(bom: bytes, codec: str) -> None:
    html = page_html(ZH, META_GB2312)  # the BOM wins over a wrong declaration
    assert decode_html(bom + html.encode(codec), "text/html; charset=gbk") == (html, codec)


@pytest.mark.parametrize("cut", [1, 2])
def test_utf8_page_truncated_mid_character(cut: int) -> None:
    body = page_html(ZH).encode("utf-8") + "教".encode()[:cut]
    text, codec = decode_html(body, "text/html; charset=gbk")
    assert codec == "utf-8"
    assert text == page_html(ZH)


@pytest.mark.parametrize(
    ("text", "label", "codec"),
    [
        ("<p>新聞報導</p>", "big5", "big5hkscs"),
        ("<p>Café société</p>", "iso-8859-1", "cp1252"),
        ("<p>Новости</p>", "windows-1251", "cp1251"),
    ],
)
def test_declared_single_and_double_byte_charsets(text: str, label: str, codec: str) -> None:
    body = text.encode(codec)
    assert decode_html(body, f"text/html; charset={label}") == (text, codec)


def _random_bytes() -> list[bytes]:
    rng = random.Random(20260107)
    return [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(30)]


GARBAGE = [
    b"",
    b" ",
    b"\n\t ",
    b"\x00",
    b"\xff",
    b"\xff\xfe",
    b"\xfe\xff\x00",
    b"\x81" * 1001,
    bytes(range(256)),
    bytes(range(255, -1, -1)) * 8,
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
    *_random_bytes(),
]


@pytest.mark.parametrize(
    "content_type",
    [None, "", "text/html; charset=gbk", "text/html; charset=bogus", "text/html; charset=utf-16"],
)
def test_empty_and_binary_garbage_never_raise(content_type: str | None) -> None:
    for body in GARBAGE:
        text, codec = decode_html(body, content_type)
        assert isinstance(text, str)
        assert codecs.lookup(codec), body[:20]


@pytest.mark.parametrize("body", [b"", b"   "])
def test_empty_body_decodes_to_itself(body: bytes) -> None:
    assert decode_html(body, None) == (body.decode(), "utf-8")


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("cp936", "gb18030"),
        ("gb18030", "gb18030"),
        ("big5", "big5hkscs"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        (" 'utf-8' ", "utf-8"),
        ("us-ascii", "utf-8"),
        ("latin-1", "cp1252"),
        ("x-user-defined", None),
        ("bogus", None),
        ("", None),
    ],
)
def test_normalize_charset(label: str, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_declared_charsets_header_first_deduplicated() -> None:
    body = page_html(ZH, META_GB2312).encode("gbk")
    assert declared_charsets(body, "text/html; charset=GBK") == ["gb18030"]
    assert declared_charsets(body, "text/html; charset=utf-8") == ["utf-8", "gb18030"]
    assert declared_charsets(body, "text/html") == ["gb18030"]
    assert declared_charsets(b"<p>no meta</p>", None) == []
    assert declared_charsets(b'<meta charset="nonsense">', "text/html; charset=bogus") == []


def test_meta_charset_forms() -> None:
    assert declared_charsets(b'<meta charset="gbk">', None) == ["gb18030"]
    assert declared_charsets(b"<META CHARSET=GB2312>", None) == ["gb18030"]
    assert declared_charsets(b"<meta charset='big5' />", None) == ["big5hkscs"]
    # A declaration after the first 4 KiB is not looked at.
    assert declared_charsets(b" " * 5000 + b'<meta charset="gbk">', None) == []


# The pipeline, built the way Scrapy builds it.


@pytest.fixture
def crawler() -> Crawler:
    return get_crawler(settings_dict={"BOT_NAME": "newsarchive-test"})


@pytest.fixture
def stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None
    return crawler.stats


@pytest.fixture
def pipeline(crawler: Crawler) -> DecodePipeline:
    return DecodePipeline.from_crawler(crawler)


def make_page(body: bytes, *, content_type: str | None = None, kind: str = "article") -> Page:
    headers = [("Content-Type", content_type)] if content_type else []
    return Page(
        url="https://www.example.com/2026/01/07/schools.html",
        status=200,
        headers=headers,
        body=body,
        fetched_at=datetime(2026, 1, 7, 1, 30, tzinfo=UTC),
        site="example",
        kind=kind,
    )


def test_pipeline_decodes_an_article_page(pipeline: DecodePipeline, stats: StatsCollector) -> None:
    html = page_html(ZH, META_GB2312)
    page = make_page(html.encode("gbk"), content_type="text/html; charset=GBK")
    assert pipeline.process_item(page) is page
    assert page.html == html
    assert page.encoding == "gb18030"
    assert page.problem is None
    assert stats.get_stats() == {"decode/gb18030": 1}


def test_pipeline_reads_the_content_type_header_in_any_case(pipeline: DecodePipeline) -> None:
    html = "<p>新聞報導</p>"
    page = make_page(html.encode("big5"))
    page.headers = [("content-TYPE", "text/html; charset=big5")]
    pipeline.process_item(page)
    assert (page.html, page.encoding) == (html, "big5hkscs")


@pytest.mark.parametrize("kind", ["listing", "feed", "sitemap"])
def test_pipeline_passes_non_article_pages_untouched(
    pipeline: DecodePipeline, stats: StatsCollector, kind: str
) -> None:
    page = make_page(page_html(ZH).encode("gbk"), kind=kind)
    assert pipeline.process_item(page) is page
    assert (page.html, page.encoding, page.problem) == (None, None, None)
    assert stats.get_stats() == {}


def test_pipeline_passes_a_page_with_a_problem_untouched(
    pipeline: DecodePipeline, stats: StatsCollector
) -> None:
    page = make_page(page_html(ZH).encode())
    page.problem = "not an article"
    assert pipeline.process_item(page) is page
    assert (page.html, page.problem) == (None, "not an article")
    assert stats.get_stats() == {}


def test_pipeline_passes_other_items_through(pipeline: DecodePipeline) -> None:
    item = {"url": "https://www.example.com/"}
    assert pipeline.process_item(item) is item


@pytest.mark.parametrize("body", [b"", b" \r\n\t "])
def test_pipeline_empty_body_sets_problem(
    pipeline: DecodePipeline, stats: StatsCollector, body: bytes
) -> None:
    page = make_page(body, content_type="text/html; charset=utf-8")
    assert pipeline.process_item(page) is page
    assert page.problem == "empty response"
    assert page.html is None
    assert stats.get_stats() == {"decode/empty": 1}


# Real pages are rarely clean: old CMSs cut characters in half, and many pages declare nothing.

LONG_ZH = ZH * 40


@pytest.mark.parametrize(
    ("head", "content_type"),
    [(META_GB2312, None), ("", "text/html; charset=gbk"), ("", None)],
    ids=["meta", "header", "undeclared"],
)
def test_gbk_page_with_a_few_broken_characters_still_decodes_as_gbk(
    head: str, content_type: str | None
) -> None:
    body = page_html(LONG_ZH, head).encode("gbk")
    cut = body.index(ZH.encode("gbk")) + 4  # between two characters
    broken = body[:cut] + b"\xa1" + b" " + body[cut:]  # half a character, then ASCII
    text, codec = decode_html(broken, content_type)
    assert codec == "gb18030"
    assert text.count("\ufffd") == 1
    assert ZH in text


def test_undeclared_latin1_page_is_not_taken_for_gbk() -> None:
    html = "<p>Café société, résumé à la carte: déjà vu à Genève.</p>" * 20
    text, codec = decode_html(html.encode("cp1252"), None)
    assert codec != "gb18030"
    assert "société" in text


def test_mostly_broken_declared_charset_is_not_trusted() -> None:
    # A page that declares GBK but is neither GBK nor UTF-8 is handed to detection.
    body = ("<p>Новости дня: школы и больницы.</p>" * 30).encode("cp1251")
    text, codec = decode_html(body, "text/html; charset=gbk")
    assert "Новости" in text and codec == "cp1251"
