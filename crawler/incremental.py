"""Incremental crawling: fetch what is new, revisit what is recent, skip the rest.

Before an article URL is requested, the archive is asked what it knows (one query per batch of
candidates). A URL never archived is fetched. One the archive holds is fetched again only when
discovery says it changed since (a sitemap's ``lastmod``, a feed's date), or when it was
published within ``ARCHIVE_REVISIT_DAYS`` and last fetched more than
``ARCHIVE_REVISIT_AFTER_HOURS`` ago; such a revisit is a conditional request (ETag,
Last-Modified), so an unchanged article costs a 304.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from storage.database import Archive, open_archive
from storage.queries import Known, known_articles

logger = logging.getLogger(__name__)


class Action(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    REVISIT = "revisit"
    SKIP = "skip"


@dataclass(frozen=True)
class Plan:
    action: Action
    known: Known | None = None

    def conditional_headers(self) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a revisit."""
        headers = {}
        if self.action is Action.REVISIT and self.known is not None:
            if self.known.etag:
                headers["If-None-Match"] = self.known.etag
            if self.known.http_last_modified:
                headers["If-Modified-Since"] = self.known.http_last_modified
        return headers


def parse_hint_time(value: str | None) -> datetime | None:
    """A sitemap or feed date (W3C datetime, RFC 822), aware; None if unreadable or naive."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo is not None else None


class ArchiveIndex:
    """The archive, as the spider asks it before fetching."""

    def __init__(self, database_url: str, revisit_days: float, revisit_after_hours: float) -> None:
        self.database_url = database_url
        self.revisit_window = timedelta(days=revisit_days)
        self.revisit_after = timedelta(hours=revisit_after_hours)
        self._archive: Archive | None = None

    def _open(self) -> Archive:
        if self._archive is None:
            self._archive = open_archive(self.database_url)
        return self._archive

    def plan(self, candidates: dict[str, datetime | None]) -> dict[str, Plan]:
        """What to do with each URL; ``candidates`` maps URL -> when discovery says it changed."""
        with self._open().session() as session:
            known = known_articles(session, list(candidates))
        now = datetime.now(UTC)
        plans = {}
        for url, changed in candidates.items():
            state = known.get(url)
            if state is None:
                plans[url] = Plan(Action.NEW)
            elif changed is not None and changed > state.last_fetched:
                plans[url] = Plan(Action.CHANGED, state)
            elif (
                state.published_at is not None
                and now - state.published_at <= self.revisit_window
                and now - state.last_fetched >= self.revisit_after
            ):
                plans[url] = Plan(Action.REVISIT, state)
            else:
                plans[url] = Plan(Action.SKIP, state)
        return plans

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None
