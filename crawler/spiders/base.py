"""The generic work behind every site profile: discovery, incremental fetching, failures.

From the profile's entry points the spider reads sitemaps (indexes and gzipped ones too, with
Google News dates and titles), RSS, Atom and JSON feeds, JSONP list endpoints and list pages with
their pagination; it asks the archive which article URLs are new (``crawler.incremental``),
fetches those, stitches multi-page articles, and turns every failure into a record.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler import discovery
from crawler.incremental import Action, ArchiveIndex, Plan, parse_hint_time
from crawler.items import FetchFailure, Page
from crawler.middlewares import unmirror_url
from crawler.pages import is_html, next_part_url
from crawler.profile import SiteProfile

# A gzipped sitemap may not expand beyond this (a "zip bomb" stops here).
MAX_SITEMAP_SIZE = 50 * 1024 * 1024
# Pages of one multi-page article, at most.
MAX_ARTICLE_PARTS = 20
# Known articles are fetched before the next list page, feed or sitemap is read (Scrapy
# fetches higher priorities first), and an article's next page before other articles: the
# requests waiting in memory are one discovery page's worth, however large the site.
ARTICLE_PRIORITY = 10
PART_PRIORITY = 20


def _headers(response: Response) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in response.headers.items()
        for value in values
    ]


def _gunzip(body: bytes) -> bytes | None:
    if not body.startswith(b"\x1f\x8b"):
        return body
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_SITEMAP_SIZE)
    except zlib.error:
        return None
    return None if decompressor.unconsumed_tail else data


def failure_reason(failure: Failure) -> tuple[str, str, int | None]:
    """``(kind, reason, status)`` of a failed request, for stats and the capture log."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"http_{status}", f"HTTP {status}", status
    name = type(error).__name__
    # Twisted's and (Scrapy >= 2.17) Scrapy's own exceptions for the same two failures.
    if isinstance(error, TimeoutError | TCPTimedOutError) or "Timeout" in name:
        return "timeout", f"timed out ({error})"[:500], None
    if isinstance(error, DNSLookupError):
        return "dns", "DNS lookup failed", None
    if isinstance(error, ResponseFailed) or "DataLoss" in name:
        return "truncated", "connection lost before the response was complete", None
    if isinstance(error, IgnoreRequest) and "redirect" in str(error).lower():
        return "redirect_loop", f"too many redirects ({error})"[:500], None
    message = str(error) or type(error).__name__
    if "maxsize" in message.lower() or "max size" in message.lower():
        return "too_large", f"response larger than DOWNLOAD_MAXSIZE ({message})", None
    return type(error).__name__.lower(), f"{type(error).__name__}: {message}"[:500], None


class ProfileSpider(scrapy.Spider):
    """A spider for one :class:`SiteProfile`; subclasses set ``name`` and ``profile``."""

    profile: ClassVar[SiteProfile]

    def __init__(self, mirror: str | None = None, day: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ProfileSpider.check_arguments(mirror=mirror, day=day)
        self.mirror = mirror.rstrip("/") if mirror else None
        # The day whose dated entry points (an e-paper's issue index) are read: today by default.
        self.day = date.fromisoformat(day) if day else datetime.now(UTC).date()
        self.index: ArchiveIndex | None = None
        self.list_pages = 0
        # Canonical URLs of the articles requested in this crawl: a list page offering only
        # these has nothing new.
        self.requested: set[str] = set()
        # Sitemaps requested in this crawl: an index that lists one twice, or itself, is read once.
        self.sitemaps: set[str] = set()

    @classmethod
    def check_arguments(cls, mirror: str | None = None, day: str | None = None, **_: Any) -> None:
        """Raise ``ValueError`` with a one-line reason if the ``-a`` arguments are unusable."""
        if day is not None:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"day must be a date such as 2026-01-07: {day!r}") from None
        if mirror is not None:
            parts = urlsplit(mirror)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"mirror must be an http(s) URL such as http://127.0.0.1:8765: {mirror!r}"
                )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if settings.getbool("ARCHIVE_ENABLED", True) and settings.getbool(
            "ARCHIVE_INCREMENTAL", True
        ):
            spider.index = ArchiveIndex(
                settings.get("ARCHIVE_DATABASE_URL"),
                revisit_days=settings.getfloat("ARCHIVE_REVISIT_DAYS"),
                revisit_after_hours=settings.getfloat("ARCHIVE_REVISIT_AFTER_HOURS"),
            )
        return spider

    @property
    def site_name(self) -> str:
        return self.profile.name

    def closed(self, reason: str) -> None:
        if self.index is not None:
            self.index.close()

    # Entry points -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        entries = self.profile.entry_urls(self.day)
        for url, kind in entries:
            yield scrapy.Request(
                url, callback=self.parse_entry, errback=self.failed, cb_kwargs={"kind": kind}
            )
        seen = set()
        for url, _ in entries:
            robots = urljoin(url, "/robots.txt")
            if robots not in seen:
                seen.add(robots)
                yield scrapy.Request(robots, callback=self.parse_robots, errback=self.ignore)

    def parse_entry(self, response: Response, kind: str = "auto") -> Iterator[Any]:
        if kind == "auto":
            kind = discovery.sniff(response.body[:2048], self._content_type(response))
        if kind == "sitemap":
            yield from self.parse_sitemap(response)
        elif kind in ("feed", "jsonfeed"):
            yield from self.parse_feed(response)
        elif kind == "jsonp":
            yield from self.parse_jsonp(response)
        else:
            yield from self.parse_listing(response)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        yield self._page(response, "robots")
        text = response.text if isinstance(response, TextResponse) else ""
        for url in discovery.robots_sitemaps(text):
            if self.profile.on_site(url) and url not in self.sitemaps:
                self.sitemaps.add(url)
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.failed)

    def parse_sitemap(self, response: Response, queue: tuple[str, ...] = ()) -> Iterator[Any]:
        """A sitemap's articles, or an index's sitemaps; then the next sitemap of ``queue``.

        An index's sitemaps are read one at a time, the next once the articles of the last are
        all requested (articles go first: ``ARTICLE_PRIORITY``), so that the requests waiting
        in memory are one sitemap's worth, not the whole site's.
        """
        self.sitemaps.add(response.url)
        body = _gunzip(response.body)
        kind, entries = discovery.parse_sitemap(body) if body is not None else ("invalid", [])
        page = self._page(response, "sitemap")
        problem = discovery.xml_problem(body) if body is not None else "not gzip"
        if kind not in ("urlset", "sitemapindex") or problem:
            page.problem = f"malformed sitemap: {problem or 'not a sitemap'}"
            self._count("discovery/sitemap/invalid")
            self.logger.warning("%s: %s", page.problem, response.url)
        yield page
        if kind == "sitemapindex":
            children = [response.urljoin(entry.url) for entry in entries]
            queue = (*[url for url in children if self.profile.on_site(url)], *queue)
        else:
            yield from self.article_requests(response, entries)
        yield from self._next_sitemap(queue)

    def _next_sitemap(self, queue: tuple[str, ...]) -> Iterator[scrapy.Request]:
        while queue and queue[0] in self.sitemaps:
            queue = queue[1:]
        if queue:
            self.sitemaps.add(queue[0])
            yield scrapy.Request(
                queue[0],
                callback=self.parse_sitemap,
                errback=self.sitemap_failed,
                cb_kwargs={"queue": queue[1:]},
                dont_filter=True,  # ``self.sitemaps`` filters: a dropped one would end the chain
            )

    def sitemap_failed(self, failure: Failure) -> Iterator[Any]:
        """A sitemap of an index failed: recorded, and on to the next."""
        yield from self.failed(failure)
        request = getattr(failure, "request", None)
        if request is not None:
            yield from self._next_sitemap(request.cb_kwargs.get("queue", ()))

    def parse_feed(self, response: Response) -> Iterator[Any]:
        page = self._page(response, "feed")
        if discovery.sniff(response.body[:2048], self._content_type(response)) == "jsonfeed":
            entries = discovery.parse_json_feed(response.body)
        else:
            entries = discovery.parse_feed(response.body)
            if problem := discovery.xml_problem(response.body):
                page.problem = f"malformed feed: {problem}"
                self._count("discovery/feed/invalid")
        if not entries and page.problem is None:
            page.problem = "feed with no entries"
            self._count("discovery/feed/empty")
        yield page
        yield from self.article_requests(response, entries)

    def parse_jsonp(self, response: Response) -> Iterator[Any]:
        entries = discovery.parse_jsonp(response.body, timezone=self.profile.rules.timezone)
        page = self._page(response, "feed")
        if not entries:
            page.problem = "JSONP list with no entries (malformed?)"
            self._count("discovery/jsonp/empty")
        yield page
        yield from self.article_requests(response, entries)

    def parse_listing(self, response: Response, depth: int = 0, chain: int = 0) -> Iterator[Any]:
        yield self._page(response, "listing")
        if not isinstance(response, TextResponse) or not is_html(response):
            return
        settings = self.crawler.settings
        for href in response.css(
            'link[rel="alternate"][type*="rss"]::attr(href), '
            'link[rel="alternate"][type*="atom"]::attr(href), '
            'link[rel="alternate"][type*="feed+json"]::attr(href)'
        ).getall():
            if self.profile.on_site(response.urljoin(href)):
                yield response.follow(href, callback=self.parse_feed, errback=self.failed)
        articles: list[discovery.Entry] = []
        next_pages, sections = [], []
        for link in response.css("a[href]"):
            href = link.attrib["href"].strip()
            if href.startswith(("javascript:", "mailto:", "#")):
                continue
            url = response.urljoin(href)
            if self.profile.is_article(url):
                articles.append(discovery.Entry(url=url))
            elif not self.profile.on_site(url):
                continue
            elif discovery.is_next_page_link(
                " ".join(link.css("::text").getall()), link.attrib.get("rel"), url
            ):
                next_pages.append(url)
            elif depth < settings.getint("NEWS_SECTION_DEPTH") and self.profile.is_listing(url):
                sections.append(url)
        requests = list(self.article_requests(response, articles))
        yield from requests
        # A list page that offers nothing new ends its chain of "next" pages: news lists are
        # newest first, and endless or calendar-like pagination stops here too.
        fresh = any(isinstance(r, scrapy.Request) for r in requests)
        limit = settings.getint("NEWS_MAX_LIST_PAGES")
        for url in next_pages[:1]:
            if fresh and chain < settings.getint("NEWS_MAX_PAGINATION") and self.list_pages < limit:
                self.list_pages += 1
                yield response.follow(
                    url, callback=self.parse_listing, errback=self.failed,
                    cb_kwargs={"depth": depth, "chain": chain + 1},
                )  # fmt: skip
            else:
                self._count("discovery/pagination/stopped")
        for url in sections:
            if self.list_pages < limit:
                self.list_pages += 1
                yield response.follow(
                    url, callback=self.parse_listing, errback=self.failed,
                    cb_kwargs={"depth": depth + 1},
                )  # fmt: skip

    # Articles ---------------------------------------------------------------------------------

    def article_requests(
        self, response: Response, entries: Iterable[discovery.Entry]
    ) -> Iterator[Any]:
        """Requests for the entries worth fetching, after asking the archive what it has."""
        candidates: dict[str, discovery.Entry] = {}
        fetch: dict[str, str] = {}
        for entry in entries:
            url = response.urljoin(entry.url)
            if not self.profile.is_article(url):
                continue
            canonical = self.profile.canonical_url(url)
            if canonical in self.requested:
                continue
            candidates.setdefault(canonical, entry)
            fetch.setdefault(canonical, self.profile.fetch_url(url))
        if not candidates:
            return
        changed = {url: parse_hint_time(e.modified or e.published) for url, e in candidates.items()}
        plans = (
            self.index.plan(changed)
            if self.index is not None
            else {u: Plan(Action.NEW) for u in changed}
        )
        for url, entry in candidates.items():
            plan = plans[url]
            self._count(f"incremental/{plan.action}")
            if plan.action is Action.SKIP:
                continue
            self.requested.add(url)
            meta = {"handle_httpstatus_list": [304]} if plan.action is Action.REVISIT else {}
            yield scrapy.Request(
                fetch[url],
                priority=ARTICLE_PRIORITY,
                callback=self.parse_article,
                errback=self.failed,
                headers=plan.conditional_headers(),
                meta=meta,
                cb_kwargs={"entry": entry},
            )

    def parse_article(
        self, response: Response, entry: discovery.Entry | None = None
    ) -> Iterator[Any]:
        if response.status == 304:
            self._count("incremental/not_modified")
            page = self._page(response, "not_modified")
            page.canonical_url = self.profile.canonical_url(response.url)
            yield page
            return
        page = self._page(response, "article")
        if self.profile.has_canonical_rules:
            page.canonical_url = self.profile.canonical_url(response.url)
        if entry is not None:
            page.hints = {k: v for k, v in vars(entry).items() if v is not None and k != "url"}
        if "published" not in page.hints and (day := self.profile.date_in_url(response.url)):
            page.hints["published"] = day
        if not isinstance(response, TextResponse) or not is_html(response):
            page.problem = f"not HTML ({self._content_type(response) or 'no content type'})"
            self._count("failure/not_html")
            yield page
            return
        yield from self._continue(response, page)

    def parse_part(self, response: Response, page: Page) -> Iterator[Any]:
        """The next page of a multi-page article: appended, then on to the one after."""
        page.parts.append(self._page(response, "article"))
        if isinstance(response, TextResponse) and is_html(response):
            yield from self._continue(response, page)
        else:
            yield page

    def _continue(self, response: TextResponse, page: Page) -> Iterator[Any]:
        following = next_part_url(response)
        seen = {page.url, *(part.url for part in page.parts)}
        if following and following not in seen and len(page.parts) + 1 < MAX_ARTICLE_PARTS:
            self._count("article/multipage/part")
            yield scrapy.Request(
                following,
                priority=PART_PRIORITY,
                callback=self.parse_part,
                errback=self.part_failed,
                cb_kwargs={"page": page},
                dont_filter=True,
            )
        else:
            yield page

    def part_failed(self, failure: Failure) -> Iterator[Any]:
        """A later page of an article failed: keep what was fetched, and record the failure."""
        yield from self.failed(failure)
        request = getattr(failure, "request", None)
        page = request.cb_kwargs.get("page") if request is not None else None
        if page is not None:
            yield page

    # Helpers ----------------------------------------------------------------------------------

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
            seen_urls=tuple(
                u for u in redirects if not (self.mirror and u.startswith(self.mirror))
            ),
            rules=self.profile.rules,
        )

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def failed(self, failure: Failure) -> Iterator[FetchFailure]:
        """Every failed fetch is counted and recorded in the archive's capture log."""
        request = getattr(failure, "request", None)
        url = "?"
        if request is not None:
            # The URL that was asked for: the first of a redirect chain, the real one of a mirror's.
            url = (request.meta.get("redirect_urls") or [request.url])[0]
            if self.mirror and url.startswith(self.mirror + "/"):
                url = unmirror_url(self.mirror, url)
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            return  # not a failure: we were asked not to fetch it, and did not
        kind, reason, status = failure_reason(failure)
        self._count(f"failure/{kind}")
        self.logger.info("fetch failed (%s): %s", reason, url)
        yield FetchFailure(url=url, site=self.site_name, reason=reason, status=status)

    def ignore(self, failure: Failure) -> None:
        """robots.txt is optional: a site without one is normal."""
        self.logger.debug("no robots.txt: %s", failure.getErrorMessage())
