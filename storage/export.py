"""Exporting a selection of articles: JSON Lines, CSV, or their captures as a WARC file.

Everything streams: rows come from the database in batches (``yield_per``: a server-side
cursor on PostgreSQL, SQLite's own lazy cursor) and are written as they come; the session holds
its objects weakly, so each batch is freed once written: a million articles take the memory
of one batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session, selectinload
from warcio.warcwriter import WARCWriter

from storage.archive import raw_capture
from storage.models import Article, ArticleUrl, ArticleVersion, Capture
from storage.queries import Filters, article_record, filtered, matching
from storage.warc import WarcStore, write_copy

Format = Literal["jsonl", "csv", "warc"]
BATCH = 500
# The columns of a CSV export: every field of an article record; lists as JSON arrays.
CSV_COLUMNS = (
    "id", "site", "url", "title", "published", "language", "authors", "source",
    "original_title", "description", "correspondents", "editor", "modified", "text", "images",
    "tags", "urls", "first_seen", "last_fetched", "last_changed", "versions",
    "extractor_version", "capture_id", "duplicate_of",
)  # fmt: skip
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Selection:
    """The articles to export: filters, and optionally a search query they must match."""

    filters: Filters = field(default_factory=Filters)
    query: str | None = None


def _article_ids(session: Session, selection: Selection) -> Select[Any]:
    stmt = select(Article.id)
    if selection.query:
        stmt, _ = matching(session, selection.query, stmt)
    return filtered(session, stmt, selection.filters)


def _captures(session: Session, selection: Selection) -> Select[Any]:
    """The captures of the selected articles: every fetch of any URL they were seen under,
    and the captures their current text and each version came from."""
    ids = _article_ids(session, selection).scalar_subquery()
    urls = select(ArticleUrl.url).where(ArticleUrl.article_id.in_(ids))
    used = union(
        select(Article.capture_id.label("id")).where(Article.id.in_(ids)),
        select(ArticleVersion.capture_id.label("id")).where(ArticleVersion.article_id.in_(ids)),
        select(Capture.id.label("id")).where(Capture.url.in_(urls)),
    ).subquery()
    return select(Capture).where(Capture.id.in_(select(used.c.id)), Capture.warc_file.is_not(None))


def count(session: Session, selection: Selection, fmt: Format) -> int:
    """How many items an export writes: articles, or captures for a WARC file.

    Raises ``storage.search.QueryError`` for a query that cannot be understood.
    """
    stmt = _captures(session, selection) if fmt == "warc" else _article_ids(session, selection)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def records(session: Session, selection: Selection) -> Iterator[dict[str, Any]]:
    """Each selected article's record (as ``newsarchive show`` gives it), in id order."""
    ids = _article_ids(session, selection).scalar_subquery()
    stmt = (
        select(Article)
        .where(Article.id.in_(ids))
        .options(selectinload(Article.urls))
        .order_by(Article.id)
        .execution_options(yield_per=BATCH)
    )
    for batch in session.scalars(stmt).partitions():
        for article in batch:
            yield article_record(article)


def _csv_value(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], progress: Progress) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
        progress(1)
    return n


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str], progress: Progress) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in rows:
        writer.writerow([_csv_value(row[column]) for column in CSV_COLUMNS])
        n += 1
        progress(1)
    return n


def write_warc(
    session: Session, warc: WarcStore, selection: Selection, out: IO[bytes], progress: Progress
) -> int:
    """The selected articles' captures as one gzipped WARC file (revisits resolved to their
    payload, so the file stands alone). Returns how many response records it holds."""
    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warcinfo_record(
            "newsarchive-export.warc.gz",
            {"software": "newsarchive export", "format": "WARC File Format 1.1"},
        )
    )
    stmt = _captures(session, selection).order_by(Capture.id).execution_options(yield_per=BATCH)
    n = 0
    for batch in session.scalars(stmt).partitions():
        for capture in batch:
            write_copy(writer, raw_capture(session, warc, capture.id), capture.fetched_at)
            n += 1
            progress(1)
    return n
