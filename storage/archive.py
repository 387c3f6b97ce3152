"""Writing to the archive: sites, captures, articles and their versions, crawl runs.

Every function takes a ``Session`` and never commits: the caller owns the transaction. Writes
are idempotent (``INSERT … ON CONFLICT``), so storing the same page twice changes nothing but
``last_fetched``; a new version is stored only when the normalized text changes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.duplicates import index_and_link
from storage.models import Article, ArticleUrl, ArticleVersion, Capture, CrawlRun, Site
from storage.search import index_article
from storage.types import as_json, offset_minutes, utcnow
from storage.warc import (
    PreparedRecord,
    RawResponse,
    Revisit,
    WarcLocation,
    WarcStore,
    payload_digest,
)


@dataclass(frozen=True)
class FetchedPage:
    """A raw HTTP response as the crawler received it."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    kind: str = "article"  # article, listing, feed, sitemap
    # The response record, built and gzipped beforehand (by an extraction worker), if it was.
    warc_record: PreparedRecord | None = None
    # Why the page gave no article, kept with its capture.
    error: str | None = None

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value[:200]
        return None


@dataclass(frozen=True)
class ArticleRecord:
    """What the pipeline extracted from one page, ready to archive."""

    canonical_url: str
    text: str
    extractor_version: str
    title: str | None = None
    original_title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    editor: str | None = None
    source: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    images: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    seen_urls: tuple[str, ...] = field(default=())
    etag: str | None = None
    http_last_modified: str | None = None
    # Near-duplicate keys of the text (pipelines.dedup); empty: exact duplicates only.
    band_keys: tuple[int, ...] = ()
    # Worked out beforehand (by an extraction worker) from ``text``: its ``content_hash`` and
    # its search segmentation (``storage.search.segment``). None: worked out when stored.
    text_hash: str | None = None
    segmented_text: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The fields a version keeps besides its title and text."""
        return {
            "original_title": self.original_title,
            "description": self.description,
            "authors": as_json(self.authors),
            "correspondents": as_json(self.correspondents),
            "editor": self.editor,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "modified": self.modified.isoformat() if self.modified else None,
            "language": self.language,
            "images": as_json(self.images),
            "tags": as_json(self.tags),
        }


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Stored:
    article_id: int
    outcome: Outcome
    version: int


def normalize_text(value: str) -> str:
    """The text as compared between versions: NFKC, whitespace runs folded, trimmed."""
    # str.split() breaks on exactly what ``\s`` matches: a third faster than a substitution
    return " ".join(unicodedata.normalize("NFKC", value).split())


def content_hash(value: str) -> str:
    return hashlib.sha256(normalize_text(value).encode("utf-8")).hexdigest()


def _insert(session: Session, table: Any) -> Any:
    """``INSERT`` of the session's dialect, which knows ``ON CONFLICT``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the archive supports SQLite and PostgreSQL, not {dialect}")


def ensure_site(session: Session, name: str) -> int:
    """The id of the site called ``name``, created if it is new."""
    stmt = _insert(session, Site).values(name=name, created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    site_id = session.scalar(select(Site.id).where(Site.name == name))
    assert site_id is not None
    return site_id


def write_record(warc: WarcStore, page: FetchedPage, revisit: Revisit | None) -> WarcLocation:
    """The page's WARC record: its prepared record if it has one, a ``revisit`` if given."""
    if page.warc_record is not None and revisit is None:
        return warc.append(page.warc_record)
    return warc.write_response(
        page.url, page.status, page.headers, page.body, page.fetched_at, revisit_of=revisit
    )


def record_capture(
    session: Session,
    warc: WarcStore,
    page: FetchedPage,
    *,
    site_id: int | None = None,
    run_id: int | None = None,
) -> Capture:
    """Write the raw response to WARC, then the ``captures`` row that says where it is.

    The WARC record is written first: if the transaction then fails, the file holds a record no
    row points to, which is harmless; the reverse would lose data.
    """
    last = session.execute(
        select(Capture.payload_digest, Capture.url, Capture.fetched_at)
        .where(Capture.url == page.url, Capture.warc_record_type == "response")
        .order_by(Capture.fetched_at.desc())
        .limit(1)
    ).first()
    revisit = None
    digest = page.warc_record.payload_digest if page.warc_record else payload_digest(page.body)
    if last is not None and last.payload_digest == digest:
        revisit = Revisit(url=last.url, fetched_at=last.fetched_at)
    where = write_record(warc, page, revisit)
    capture = Capture(
        url=page.url,
        site_id=site_id,
        crawl_run_id=run_id,
        fetched_at=page.fetched_at,
        kind=page.kind,
        status=page.status,
        content_type=page.content_type,
        payload_length=len(page.body),
        payload_digest=where.payload_digest,
        warc_file=where.filename,
        warc_offset=where.offset,
        warc_length=where.length,
        warc_record_type=where.record_type,
        error=page.error[:2000] if page.error else None,
    )
    session.add(capture)
    session.flush()
    return capture


def record_failure(
    session: Session,
    url: str,
    error: str,
    *,
    status: int | None = None,
    site_id: int | None = None,
    run_id: int | None = None,
) -> Capture:
    """A fetch or processing failure, kept in the capture log with its reason."""
    capture = Capture(
        url=url,
        site_id=site_id,
        crawl_run_id=run_id,
        fetched_at=utcnow(),
        kind="failure",
        status=status,
        error=error[:2000],
    )
    session.add(capture)
    session.flush()
    return capture


def _article_values(record: ArticleRecord) -> dict[str, Any]:
    return {
        "title": record.title,
        "original_title": record.original_title,
        "description": record.description,
        "authors": as_json(record.authors),
        "correspondents": as_json(record.correspondents),
        "editor": record.editor,
        "source": record.source,
        "published_at": record.published,
        "published_offset": offset_minutes(record.published),
        "modified_at": record.modified,
        "modified_offset": offset_minutes(record.modified),
        "language": record.language,
        "text": record.text,
        "images": as_json(record.images),
        "tags": as_json(record.tags),
        "extractor_version": record.extractor_version,
        "etag": record.etag,
        "http_last_modified": record.http_last_modified,
    }


def _add_version(
    session: Session,
    article_id: int,
    number: int,
    record: ArticleRecord,
    digest: str,
    capture_id: int | None,
) -> None:
    session.add(
        ArticleVersion(
            article_id=article_id,
            number=number,
            content_hash=digest,
            title=record.title,
            text=record.text,
            metadata_=record.metadata(),
            extractor_version=record.extractor_version,
            capture_id=capture_id,
            created_at=utcnow(),
        )
    )


def _add_urls(session: Session, article_id: int, urls: set[str]) -> None:
    rows = [{"article_id": article_id, "url": url, "first_seen": utcnow()} for url in sorted(urls)]
    stmt = _insert(session, ArticleUrl).values(rows)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["url"]))


def store_article(
    session: Session, record: ArticleRecord, *, site_id: int, capture_id: int | None = None
) -> Stored:
    """Insert a new article, or add a version when its text changed, or just note the fetch."""
    now = utcnow()
    digest = record.text_hash or content_hash(record.text)
    values = _article_values(record)
    stmt = _insert(session, Article).values(
        site_id=site_id,
        canonical_url=record.canonical_url,
        content_hash=digest,
        first_seen=now,
        last_fetched=now,
        last_changed=now,
        version_count=1,
        capture_id=capture_id,
        **values,
    )
    new_id = session.scalar(
        stmt.on_conflict_do_nothing(index_elements=["canonical_url"]).returning(Article.id)
    )
    urls = {record.canonical_url, *record.seen_urls}
    if new_id is not None:
        _add_version(session, new_id, 1, record, digest, capture_id)
        _add_urls(session, new_id, urls)
        index_article(session, new_id, record.title, record.text)
        index_and_link(session, new_id, digest, record.band_keys)
        return Stored(new_id, Outcome.NEW, 1)

    # Lock the row (PostgreSQL) so two crawler processes cannot both add version N+1.
    current = session.execute(
        select(Article.id, Article.content_hash, Article.version_count)
        .where(Article.canonical_url == record.canonical_url)
        .with_for_update()
    ).one()
    _add_urls(session, current.id, urls)
    if current.content_hash == digest:
        fetch: dict[str, Any] = {
            "last_fetched": now,
            "etag": record.etag,
            "http_last_modified": record.http_last_modified,
        }
        if record.modified is not None:  # the publisher says it changed something: keep that
            fetch |= {
                "modified_at": record.modified,
                "modified_offset": offset_minutes(record.modified),
            }
        session.execute(update(Article).where(Article.id == current.id).values(**fetch))
        return Stored(current.id, Outcome.UNCHANGED, current.version_count)
    number = current.version_count + 1
    session.execute(
        update(Article)
        .where(Article.id == current.id)
        .values(
            content_hash=digest,
            last_fetched=now,
            last_changed=now,
            version_count=number,
            capture_id=capture_id,
            **values,
        )
    )
    _add_version(session, current.id, number, record, digest, capture_id)
    index_article(session, current.id, record.title, record.text)
    index_and_link(session, current.id, digest, record.band_keys)
    return Stored(current.id, Outcome.CHANGED, number)


def reextracted(session: Session, article_id: int, record: ArticleRecord) -> Outcome:
    """Apply a re-extraction of an archived article's own capture.

    A changed text is a new version (and re-linked as a duplicate); the same text with other
    metadata (a better title, a date the old extractor missed) updates the article in place.
    Either way the article records the extractor version that produced it now. Nothing about
    fetching changes: this was not a fetch.
    """
    current = session.execute(
        select(Article.content_hash, Article.version_count, Article.capture_id)
        .where(Article.id == article_id)
        .with_for_update()
    ).one()
    digest = content_hash(record.text)
    values = _article_values(record)
    values.pop("etag"), values.pop("http_last_modified")
    if digest == current.content_hash:
        session.execute(update(Article).where(Article.id == article_id).values(**values))
        # The title, the language or the publish date (search facets) may be new.
        index_article(session, article_id, record.title, record.text)
        return Outcome.UNCHANGED
    number = current.version_count + 1
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(content_hash=digest, version_count=number, last_changed=utcnow(), **values)
    )
    _add_version(session, article_id, number, record, digest, current.capture_id)
    index_article(session, article_id, record.title, record.text)
    index_and_link(session, article_id, digest, record.band_keys)
    return Outcome.CHANGED


def raw_capture(session: Session, warc: WarcStore, capture_id: int) -> RawResponse:
    """The archived response of a capture; a ``revisit`` record is followed to its payload."""
    capture = session.get(Capture, capture_id)
    if capture is None or capture.warc_file is None or capture.warc_offset is None:
        raise LookupError(f"capture {capture_id} has no WARC record")
    if capture.warc_record_type == "revisit":
        original = session.scalars(
            select(Capture)
            .where(
                Capture.url == capture.url,
                Capture.payload_digest == capture.payload_digest,
                Capture.warc_record_type == "response",
            )
            .order_by(Capture.fetched_at.desc())
            .limit(1)
        ).first()
        if original is not None:
            capture = original
    assert capture.warc_file is not None and capture.warc_offset is not None
    return warc.read(capture.warc_file, capture.warc_offset)


def touch_article(
    session: Session, url: str, *, etag: str | None = None, http_last_modified: str | None = None
) -> int | None:
    """Note a fetch that found the article unchanged (a 304): returns its id, if archived."""
    article_id = session.scalar(select(ArticleUrl.article_id).where(ArticleUrl.url == url))
    if article_id is not None:
        values: dict[str, Any] = {"last_fetched": utcnow()}
        if etag:
            values["etag"] = etag
        if http_last_modified:
            values["http_last_modified"] = http_last_modified
        session.execute(update(Article).where(Article.id == article_id).values(**values))
    return article_id


def start_run(session: Session, spider: str, *, site_id: int | None = None) -> int:
    run = CrawlRun(spider=spider, site_id=site_id, started_at=utcnow(), outcome="running")
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session, run_id: int, outcome: str, stats: dict[str, Any] | None = None
) -> None:
    """Close a crawl run with its outcome, its counts from the archive, and Scrapy's stats."""
    stats = stats or {}
    failures = session.scalar(
        select(func.count()).where(
            Capture.crawl_run_id == run_id,
            or_(Capture.kind == "failure", Capture.error.is_not(None)),
        )
    )
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(
            finished_at=utcnow(),
            outcome=outcome,
            pages_fetched=int(stats.get("response_received_count", 0)),
            new_articles=int(stats.get("archive/article/new", 0)),
            new_versions=int(stats.get("archive/article/changed", 0)),
            failures=int(failures or 0),
            stats={k: v if isinstance(v, int | float | str) else str(v) for k, v in stats.items()},
        )
    )
