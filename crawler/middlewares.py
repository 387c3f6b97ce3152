"""Downloader middlewares: local mirrors, and waiting when a site asks us to."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)


def mirror_url(mirror: str, url: str) -> str:
    """``https://www.163.com/a.html?x=1`` -> ``MIRROR/www.163.com/a.html?x=1``."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror}/{parts.netloc}{parts.path or '/'}{query}"


def unmirror_url(mirror: str, url: str, scheme: str = "https") -> str:
    """The inverse of :func:`mirror_url`."""
    rest = url[len(mirror) + 1 :]
    return f"{scheme}://{rest}"


class MirrorMiddleware:
    """``-a mirror=http://127.0.0.1:PORT``: fetch every URL from a local mirror of the site.

    The mirror serves ``https://HOST/PATH`` at ``MIRROR/HOST/PATH``. Requests are rewritten on
    the way out and responses (and redirects) back on the way in, so spiders, pipelines and the
    archive see only the real URLs: a mirror crawl archives exactly what a live crawl would.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _mirror(self) -> str | None:
        spider = self.crawler.spider
        mirror = getattr(spider, "mirror", None) if spider is not None else None
        return mirror.rstrip("/") if mirror else None

    def process_request(self, request: Request) -> Request | None:
        mirror = self._mirror()
        if mirror is None or request.url.startswith(mirror + "/"):
            return None
        # The real URL already passed robots.txt (the real site's, fetched from the mirror).
        meta = {**request.meta, "mirror_of": request.url, "dont_obey_robotstxt": True}
        return request.replace(url=mirror_url(mirror, request.url), meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        mirror = self._mirror()
        if mirror is None or not response.url.startswith(mirror + "/"):
            return response
        original = request.meta.get("mirror_of")
        scheme = urlsplit(original).scheme if original else "https"
        real = (
            original
            if response.url == request.url and original
            else unmirror_url(mirror, response.url, scheme)
        )
        location = response.headers.get("Location")
        if location is not None:
            target = urljoin(response.url, location.decode("latin-1"))
            if target.startswith(mirror + "/"):
                headers = response.headers.copy()
                headers["Location"] = unmirror_url(mirror, target, scheme)
                return response.replace(url=real, headers=headers)
        return response.replace(url=real)


class RedirectLoopMiddleware:
    """A redirect back to a URL already in the request's redirect chain is a failure.

    Scrapy's duplicate filter would drop the looping request silently; here it becomes an
    ``IgnoreRequest`` that the spider records as a ``redirect_loop`` failure of the URL.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or location is None:
            return response
        target = urljoin(response.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url, request.meta.get("mirror_of")]
        spider = self.crawler.spider
        mirror = getattr(spider, "mirror", None) if spider is not None else None
        seen = {urlsplit(u)._replace(scheme="", fragment="").geturl() for u in chain if u}
        if mirror:  # compare real URLs: the chain holds the mirror's
            seen |= {u.replace(mirror, "", 1).lstrip("/") for u in seen}
            seen |= {f"//{u}" for u in seen}
        if urlsplit(target)._replace(scheme="", fragment="").geturl() in seen:
            raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """On 429 and 503, wait as long as the site says (``Retry-After``), or back off, then retry.

    The wait is also applied to the site's download slot, so the other requests to that site
    slow down too. Waits are capped at ``RETRY_AFTER_MAX`` seconds; retries are counted by
    Scrapy's own ``RETRY_TIMES``, after which the response goes on and becomes a failure.
    """

    codes = (429, 503)

    def __init__(self, crawler: Crawler, maximum: float, backoff: float) -> None:
        self.crawler = crawler
        self.maximum = maximum
        self.backoff = backoff

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off")
        return cls(
            crawler, settings.getfloat("RETRY_AFTER_MAX"), settings.getfloat("RETRY_BACKOFF_BASE")
        )

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        spider: Spider | Any = self.crawler.spider
        attempt = request.meta.get("retry_times", 0) + 1
        header = response.headers.get("Retry-After")
        delay = retry_after_seconds(header.decode("latin-1") if header else None)
        if delay is None:
            delay = self.backoff * 2 ** (attempt - 1)
        delay = min(delay, self.maximum)
        retry = get_retry_request(request, spider=spider, reason=f"http_{response.status}")
        if retry is None:
            return response
        self._slow_down(request, delay)
        logger.info(
            "%s from %s: waiting %.1f s before retry %d",
            response.status,
            request.url,
            delay,
            attempt,
        )
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"retry_after/{response.status}")
        await sleep(delay)
        return retry

    def _slow_down(self, request: Request, delay: float) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = max(slot.delay, delay)


# A meta refresh that Scrapy would follow is in the first 4,096 characters of the page.
_REFRESH = re.compile(rb"http-equiv\s*=\s*[\"']?\s*refresh", re.I)
_REFRESH_HEAD = 4 * 4096  # bytes: 4,096 characters in any multi-byte encoding


class MetaRefreshMiddleware(ScrapyMetaRefresh):
    """Scrapy's, but a page is decoded to look for a meta refresh only when its first bytes hold
    one: decoding a 150 KB article costs about a millisecond of the crawler's one thread, and
    almost no article has one. Pages in UTF-16 or UTF-32 (bytes that a search cannot read) are
    always decoded."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        head = response.body[:_REFRESH_HEAD]
        wide = head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(b"\x00") > 20
        if not wide and (b"refresh" not in head.lower() or not _REFRESH.search(head)):
            return response  # (lower() and ``in`` are a few times faster than the search)
        return super().process_response(request, response)
