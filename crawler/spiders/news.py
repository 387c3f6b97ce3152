"""The generic spider: any news site, from its homepage, a sitemap or a feed.

    scrapy crawl news -a url=https://example.com/           # homepage: sections, pagination
    scrapy crawl news -a url=https://example.com/sitemap.xml
    scrapy crawl news -a url=https://example.com/rss.xml -a site=example

From a homepage it also reads robots.txt for sitemaps and follows feeds the page advertises
(``<link rel="alternate">``). Articles are recognised by their URLs; list pages are followed
through "next page" links up to ``NEWS_MAX_LIST_PAGES``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import discovery
from crawler.items import FetchFailure, Page
from pipelines.urls import clean_url

# A gzipped sitemap may not expand beyond this (a "zip bomb" stops here).
MAX_SITEMAP_SIZE = 50 * 1024 * 1024


def _headers(response: Response) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in response.headers.items()
        for value in values
    ]


def _gunzip(body: bytes) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_SITEMAP_SIZE)
    except zlib.error:
        return b""
    return data if not decompressor.unconsumed_tail else b""


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, url: str | None = None, site: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_arguments(url=url)
        assert url is not None
        self.start_url = url
        parts = urlsplit(url)
        self.site_name = site or parts.netloc.removeprefix("www.")
        self.allowed_host = (parts.hostname or "").removeprefix("www.")
        self.list_pages = 0

    @staticmethod
    def check_arguments(url: str | None = None, **_: Any) -> None:
        """Raise ``ValueError`` with a one-line reason if the ``-a`` arguments are unusable."""
        if not url:
            raise ValueError("the news spider needs a start URL: scrapy crawl news -a url=URL")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(self.start_url, callback=self.parse_start, errback=self.failed)
        robots = urljoin(self.start_url, "/robots.txt")
        yield scrapy.Request(robots, callback=self.parse_robots, errback=self.ignore)

    # Dispatch -----------------------------------------------------------------------------

    def parse_start(self, response: Response) -> Iterator[Any]:
        kind = discovery.sniff(response.body[:2048], self._content_type(response))
        if kind == "sitemap":
            yield from self.parse_sitemap(response)
        elif kind in ("feed", "jsonfeed"):
            yield from self.parse_feed(response)
        else:
            yield from self.parse_listing(response, depth=0)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        yield self._page(response, "robots")
        text = response.text if hasattr(response, "text") else ""
        for url in discovery.robots_sitemaps(text):
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.failed)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        yield self._page(response, "sitemap")
        kind, entries = discovery.parse_sitemap(_gunzip(response.body))
        if kind == "invalid":
            self._count("discovery/sitemap/invalid")
            self.logger.warning("malformed sitemap: %s", response.url)
        for entry in entries:
            if kind == "sitemapindex":
                yield response.follow(entry.url, callback=self.parse_sitemap, errback=self.failed)
            else:
                yield self._article_request(response, entry.url, entry)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield self._page(response, "feed")
        if discovery.sniff(response.body[:2048], self._content_type(response)) == "jsonfeed":
            entries = discovery.parse_json_feed(response.body)
        else:
            entries = discovery.parse_feed(response.body)
        for entry in entries:
            yield self._article_request(response, entry.url, entry)

    def parse_listing(self, response: Response, depth: int = 0) -> Iterator[Any]:
        yield self._page(response, "listing")
        if not hasattr(response, "css"):
            return  # not HTML
        settings = self.crawler.settings
        for href in response.css(
            'link[rel="alternate"][type*="rss"]::attr(href), '
            'link[rel="alternate"][type*="atom"]::attr(href), '
            'link[rel="alternate"][type*="feed+json"]::attr(href)'
        ).getall():
            yield response.follow(href, callback=self.parse_feed, errback=self.failed)
        for link in response.css("a[href]"):
            url = response.urljoin(link.attrib["href"])
            if not self._on_site(url):
                continue
            text = " ".join(link.css("::text").getall()).strip()
            if discovery.looks_like_article_url(url):
                yield self._article_request(response, url)
            elif discovery.is_next_page_link(text, link.attrib.get("rel"), url):
                if self.list_pages < settings.getint("NEWS_MAX_LIST_PAGES"):
                    self.list_pages += 1
                    yield response.follow(
                        url,
                        callback=self.parse_listing,
                        errback=self.failed,
                        cb_kwargs={"depth": depth},
                    )
            elif depth < settings.getint("NEWS_SECTION_DEPTH") and discovery.looks_like_section_url(
                url
            ):
                yield response.follow(
                    url,
                    callback=self.parse_listing,
                    errback=self.failed,
                    cb_kwargs={"depth": depth + 1},
                )

    def parse_article(
        self, response: Response, entry: discovery.Entry | None = None
    ) -> Iterator[Any]:
        page = self._page(response, "article")
        if entry is not None:
            page.hints = {k: v for k, v in vars(entry).items() if v is not None and k != "url"}
        yield page

    # Helpers --------------------------------------------------------------------------------

    def _article_request(
        self, response: Response, url: str, entry: discovery.Entry | None = None
    ) -> scrapy.Request:
        # Tracking parameters dropped before fetching: one request per article, not per link.
        return response.follow(
            clean_url(response.urljoin(url)),
            callback=self.parse_article,
            errback=self.failed,
            cb_kwargs={"entry": entry},
        )

    def _on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        return parts.scheme in ("http", "https") and (
            host == self.allowed_host or host.endswith("." + self.allowed_host)
        )

    @staticmethod
    def _content_type(response: Response) -> str | None:
        value = response.headers.get("Content-Type")
        return value.decode("latin-1") if value else None

    def _page(self, response: Response, kind: str) -> Page:
        redirects = response.request.meta.get("redirect_urls", []) if response.request else []
        return Page(
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
            fetched_at=datetime.now(UTC),
            site=self.site_name,
            kind=kind,
            seen_urls=tuple(redirects),
        )

    def failed(self, failure: Failure) -> Iterator[FetchFailure]:
        """Every failed fetch is recorded in the archive's capture log; the crawl goes on."""
        request = getattr(failure, "request", None)
        status = None
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
        else:
            reason = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"[:500]
        url = request.url if request is not None else "?"
        self._count("discovery/failure")
        self.logger.info("fetch failed (%s): %s", reason, url)
        yield FetchFailure(url=url, site=self.site_name, reason=reason, status=status)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def ignore(self, failure: Failure) -> None:
        """robots.txt is optional: a site without one is normal."""
        self.logger.debug("no robots.txt: %s", failure.getErrorMessage())
