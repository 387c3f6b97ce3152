"""Per-article extraction health, kept beside the article for the sites page's charts.

Each article has one ``article_health`` row: its site and day (the UTC publish date, or the date
it was first archived when the page stated none), the length of its text, and whether it has no
date, no author, or clutter that extraction should have removed. Written whenever an article's
text or metadata is (``storage.search.index_article`` calls ``record_health``), read by
``storage.reader.site_days``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import ArticleHealth

# Text that extraction should have thrown away; finding it in archived text means a rule broke.
CLUTTER_MARKERS = ("特别声明", "相关推荐", "热点推荐", "Notice: The content above", "- END -")


def has_clutter(value: str) -> bool:
    return any(marker in value for marker in CLUTTER_MARKERS)


def health_day(published: datetime | None, first_seen: datetime) -> date:
    moment = published if published is not None else first_seen
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def health_values(
    article_id: int,
    site_id: int,
    published: datetime | None,
    first_seen: datetime,
    authors: list[str] | None,
    body: str,
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "site_id": site_id,
        "day": health_day(published, first_seen),
        "text_length": len(body),
        "no_date": published is None,
        "no_author": not authors,
        "clutter": has_clutter(body),
    }


_TABLE = cast(Table, ArticleHealth.__table__)


def upsert_health(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or replace health rows (one executemany of a Core statement: the ORM's bulk
    machinery costs more than the rows themselves)."""
    if not rows:
        return
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    stmt = insert(_TABLE)
    columns = {c: stmt.excluded[c] for c in rows[0] if c != "article_id"}
    session.connection().execute(
        stmt.on_conflict_do_update(index_elements=["article_id"], set_=columns), rows
    )


def record_health(session: Session, article_id: int, body: str) -> None:
    """The health row of an article whose row (and ``body``, its text) was just written."""
    row = session.execute(
        text("SELECT site_id, published_at, first_seen, authors FROM articles WHERE id = :id"),
        {"id": article_id},
    ).one()
    published, first_seen, authors = row.published_at, row.first_seen, row.authors
    if isinstance(published, str):  # SQLite through a plain text() query
        published = datetime.fromisoformat(published)
    if isinstance(first_seen, str):
        first_seen = datetime.fromisoformat(first_seen)
    if isinstance(authors, str):
        authors = json.loads(authors)
    upsert_health(
        session, [health_values(article_id, row.site_id, published, first_seen, authors, body)]
    )
