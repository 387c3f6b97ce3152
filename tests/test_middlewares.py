"""Downloader middlewares that decide without decoding what they can."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import MetaRefreshMiddleware
from crawler.pages import next_part_url

REFRESH = (
    '<html><head><meta http-equiv="refresh" content="0; url=/new.html"></head><body>x</body></html>'
)


@pytest.fixture
def middleware() -> MetaRefreshMiddleware:
    return MetaRefreshMiddleware.from_crawler(get_crawler())


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_a_meta_refresh_is_followed_in_any_encoding(
    middleware: MetaRefreshMiddleware, encoding: str
) -> None:
    body = ("\ufeff" if encoding == "utf-16" else "") + REFRESH.replace("x", "正文")
    request = Request("https://news.example/old.html")
    response = HtmlResponse(
        request.url, body=body.encode(encoding), encoding=encoding, request=request
    )
    redirected = middleware.process_response(request, response)
    assert isinstance(redirected, Request)
    # (Scrapy itself keeps a UTF-16 byte order mark in the URL: its behaviour, not ours.)
    assert redirected.url.startswith("https://news.example/new.html")


def test_a_page_without_one_is_passed_on_undecoded(middleware: MetaRefreshMiddleware) -> None:
    request = Request("https://news.example/a.html")
    body = ("<html><body>" + "新闻正文。" * 30000 + "</body></html>").encode("gbk")
    response = HtmlResponse(request.url, body=body, request=request)
    assert middleware.process_response(request, response) is response
    assert response._cached_ubody is None  # never decoded


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_the_next_part_of_an_article_is_found_in_any_encoding(encoding: str) -> None:
    url = "https://news.example/a/2026/0107/ABC123.html"
    html = '<html><body>正文<a href="ABC123_2.html">下一页</a></body></html>'
    body = html.encode(encoding)
    response = HtmlResponse(url, body=body, encoding=encoding)
    assert next_part_url(response) == "https://news.example/a/2026/0107/ABC123_2.html"
    plain = HtmlResponse(
        url, body="<html><body>正文</body></html>".encode(encoding), encoding=encoding
    )
    assert next_part_url(plain) is None
