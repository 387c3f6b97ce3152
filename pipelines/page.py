"""What flows through the pipelines: one fetched page, filled in stage by stage.

The crawler creates a :class:`Page` for every response it wants archived (``crawler/items.py``
exports it as the Scrapy item); each stage fills in its part: ``decode`` the text, ``extract``
the article, ``language`` the language, and ``archive`` writes it. A :class:`FetchFailure`
records a URL that could not be fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipelines.extraction import Extraction, SiteRules
from storage.warc import PreparedRecord


@dataclass
class Page:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    site: str
    # article, listing, feed, sitemap or robots: only articles are decoded and extracted.
    kind: str = "article"
    # Everything the page was requested under (redirects, tracking parameters).
    seen_urls: tuple[str, ...] = ()
    # What discovery knew before fetching: sitemap lastmod, feed title and date, …
    hints: dict[str, Any] = field(default_factory=dict)
    # The site profile's extraction rules, if it has any.
    rules: SiteRules | None = None
    # The following pages of a multi-page article (page 2, 3, …), fetched by the spider.
    parts: list[Page] = field(default_factory=list)

    # Filled by the stages.
    html: str | None = None
    encoding: str | None = None
    extraction: Extraction | None = None
    canonical_url: str | None = None
    language: str | None = None
    # The near-duplicate keys of the text (pipelines.dedup); empty if it is too short.
    band_keys: tuple[int, ...] = ()
    # Worked out in the extraction worker for the archive stage (storage.bulk): the response's
    # gzipped WARC record, the text's hash and its search segmentation.
    warc_record: PreparedRecord | None = None
    text_hash: str | None = None
    segmented_text: str | None = None
    # Why no article came out of this page (empty, not an article, …). Stages pass such pages
    # on untouched, so the archive stage still keeps the raw capture, then drops the item.
    problem: str | None = None

    @property
    def pending(self) -> bool:
        """True while this page is an article that the stages should still work on."""
        return self.kind == "article" and self.problem is None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def __repr__(self) -> str:  # the body is large; keep logs readable
        return f"Page(url={self.url!r}, status={self.status}, kind={self.kind!r})"


@dataclass
class FetchFailure:
    url: str
    site: str
    reason: str
    status: int | None = None
