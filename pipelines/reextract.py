"""Re-extraction: run the current extractor over archived raw captures.

``newsarchive reextract`` calls :func:`reextract`. Each selected article's capture is read back
from its WARC record and goes through exactly what a crawl would do (``process_page``, then the
near-duplicate keys); the archive stores a new version only where the text changed, and
updates metadata in place where only that changed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from pipelines.archive import record_of
from pipelines.dedup import band_keys
from pipelines.extraction import EXTRACTOR_VERSION, SiteRules
from pipelines.process import process_page
from storage.archive import raw_capture, reextracted
from storage.database import Archive
from storage.models import Article, Site
from storage.queries import local_time

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    site: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Only articles whose extractor version differs from the current one.
    outdated_only: bool = False
    limit: int | None = None


def _selected_ids(archive: Archive, selection: Selection) -> list[int]:
    stmt = select(Article.id).where(Article.capture_id.is_not(None)).order_by(Article.id)
    if selection.site is not None:
        stmt = stmt.join(Site, Site.id == Article.site_id).where(Site.name == selection.site)
    if selection.since is not None:
        stmt = stmt.where(Article.published_at >= selection.since)
    if selection.until is not None:
        stmt = stmt.where(Article.published_at < selection.until)
    if selection.outdated_only:
        stmt = stmt.where(Article.extractor_version != EXTRACTOR_VERSION)
    if selection.limit is not None:
        stmt = stmt.limit(selection.limit)
    with archive.session() as session:
        return list(session.scalars(stmt))


def reextract(
    archive: Archive,
    selection: Selection,
    rules_for: Callable[[str], SiteRules | None] = lambda site: None,
    progress: Callable[[int], None] = lambda done: None,
) -> Counter[str]:
    """Re-extract the selected articles; returns counts of outcomes (changed, unchanged, …)."""
    outcomes: Counter[str] = Counter()
    for done, article_id in enumerate(_selected_ids(archive, selection), 1):
        with archive.transaction() as session:
            article = session.get(Article, article_id)
            assert article is not None and article.capture_id is not None
            try:
                raw = raw_capture(session, archive.warc, article.capture_id)
            except (LookupError, FileNotFoundError, ValueError) as exc:
                logger.warning("raw capture unreadable for article %s: %s", article_id, exc)
                outcomes["unreadable"] += 1
                continue
            content_type = next((v for k, v in raw.headers if k.lower() == "content-type"), None)
            processed = process_page(
                raw.body, raw.url, content_type=content_type, rules=rules_for(article.site.name)
            )
            if processed.extraction is None:
                # Keep what the archive has: a worse extractor must not erase an article.
                logger.warning("no text re-extracted for article %s: %s", article_id, raw.url)
                outcomes["empty"] += 1
                continue
            extraction = processed.extraction
            record = record_of(
                extraction,
                article.canonical_url,
                title=extraction.title or article.title,
                published=extraction.published
                or local_time(article.published_at, article.published_offset),
                language=processed.language,
                band_keys=band_keys(extraction.text),
            )
            outcomes[reextracted(session, article_id, record)] += 1
        progress(done)
    return outcomes
