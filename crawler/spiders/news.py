"""The generic spider: any news site, from its homepage, a sitemap or a feed.

    scrapy crawl news -a url=https://example.com/           # homepage: sections, pagination
    scrapy crawl news -a url=https://example.com/sitemap.xml
    scrapy crawl news -a url=https://example.com/rss.xml -a site=example

It is a site profile made on the spot from the start URL: the start URL's host is the site,
article URLs are recognised by their shape (crawler/discovery.py), and robots.txt sitemaps and
the feeds a page advertises are followed as for any profile.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crawler.profile import SiteProfile, generic_profile
from crawler.spiders.base import ProfileSpider


class NewsSpider(ProfileSpider):
    name = "news"

    def __init__(self, url: str | None = None, site: str | None = None, **kwargs: Any) -> None:
        self.check_arguments(url=url)
        assert url is not None
        self.start_url = url
        self.profile: SiteProfile = generic_profile(url, site)  # type: ignore[misc]
        super().__init__(**kwargs)

    @classmethod
    def check_arguments(
        cls, mirror: str | None = None, day: str | None = None, url: str | None = None, **_: Any
    ) -> None:
        """Raise ``ValueError`` with a one-line reason if the ``-a`` arguments are unusable."""
        if not url:
            raise ValueError("the news spider needs a start URL: scrapy crawl news -a url=URL")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        super().check_arguments(mirror=mirror, day=day)
