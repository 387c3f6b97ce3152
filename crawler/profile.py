"""Site profiles: a publisher's site as the crawler needs to know it, declared rather than coded.

A profile names the site's domains, where to start (sitemaps, feeds, list pages, JSON or JSONP
list endpoints), which URLs are articles and which are lists, how to turn any URL of an article
into its one canonical URL, and only those extraction rules that differ from the generic path.
``crawler/spiders/base.py`` does the generic work for every profile; each site is one file in
``crawler/spiders/`` (fundus's pattern).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from urllib.parse import urlsplit

from crawler import discovery
from pipelines.extraction import SiteRules
from pipelines.urls import clean_url


@dataclass(frozen=True)
class EntryPoint:
    """Where a crawl of the site starts."""

    url: str
    # auto (sniffed from the response), sitemap, feed, listing, jsonp
    kind: str = "auto"
    # why this entry point, and how sure we are that it still works
    note: str = ""


@dataclass(frozen=True)
class SiteProfile:
    name: str
    title: str
    domains: tuple[str, ...]
    entry_points: tuple[EntryPoint, ...]
    # Regular expressions searched in the full URL. No article patterns: the generic guess.
    article_patterns: tuple[str, ...] = ()
    listing_patterns: tuple[str, ...] = ()
    # Never fetched: comments, videos, photo sets, account pages.
    ignore_patterns: tuple[str, ...] = ()
    # The one URL of an article, from any URL it is found under; None: the URL, cleaned.
    canonicalize: Callable[[str], str | None] | None = None
    # The URL to fetch an article from, if not the URL it was found under (mobile -> desktop).
    fetch: Callable[[str], str | None] | None = None
    # A regular expression with groups y, m, d: the publish date in an article's URL, used
    # when the page states none (e-papers: …/content/20260107/…).
    url_date: str | None = None
    # Extraction rules that differ from the generic path (and the site's time zone).
    rules: SiteRules = field(default_factory=SiteRules)
    # When `newsarchive schedule` crawls the site: an interval ("every 30m") or a 5-field cron
    # expression ("*/30 * * * *"); crawler/schedule.py has the syntax.
    schedule: str | None = None
    # Bounds of an adaptive interval: a site that publishes often is visited more often, down
    # to min_interval; a quiet one less often, up to max_interval ("10m", "6h").
    min_interval: str | None = None
    max_interval: str | None = None
    notes: str = ""

    @cached_property
    def _article_res(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in self.article_patterns]

    @cached_property
    def _listing_res(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in self.listing_patterns]

    @cached_property
    def _ignore_res(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in self.ignore_patterns]

    def on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and any(
            host == domain or host.endswith("." + domain) for domain in self.domains
        )

    def ignored(self, url: str) -> bool:
        return any(p.search(url) for p in self._ignore_res)

    def is_article(self, url: str) -> bool:
        if not self.on_site(url) or self.ignored(url):
            return False
        if self._article_res:
            return any(p.search(url) for p in self._article_res)
        return discovery.looks_like_article_url(url)

    def is_listing(self, url: str) -> bool:
        if not self.on_site(url) or self.ignored(url) or self.is_article(url):
            return False
        if self._listing_res:
            return any(p.search(url) for p in self._listing_res)
        return discovery.looks_like_section_url(url)

    def canonical_url(self, url: str) -> str:
        """The URL an article is archived and fetched under."""
        if self.canonicalize is not None and (canonical := self.canonicalize(url)):
            return canonical
        return clean_url(url)

    def fetch_url(self, url: str) -> str:
        if self.fetch is not None and (target := self.fetch(url)):
            return target
        return clean_url(url)

    def date_in_url(self, url: str) -> str | None:
        """The date an article's URL carries (ISO ``YYYY-MM-DD``), if the profile knows where."""
        if self.url_date and (match := re.search(self.url_date, url)):
            return f"{match['y']}-{match['m']}-{match['d']}"
        return None

    def entry_urls(self, day: date) -> list[tuple[str, str]]:
        """``(url, kind)`` of every entry point; ``{date}`` in a URL becomes ``day`` as YYYYMMDD."""
        return [
            (e.url.replace("{date}", day.strftime("%Y%m%d")), e.kind) for e in self.entry_points
        ]

    @property
    def has_canonical_rules(self) -> bool:
        return self.canonicalize is not None


def generic_profile(start_url: str, name: str | None = None) -> SiteProfile:
    """A profile for any site, from one start URL: its host, generic URL rules."""
    host = (urlsplit(start_url).hostname or "").lower().removeprefix("www.")
    netloc = urlsplit(start_url).netloc.removeprefix("www.")
    return SiteProfile(
        name=name or netloc,
        title=netloc,
        domains=(host,),
        entry_points=(EntryPoint(start_url),),
    )
