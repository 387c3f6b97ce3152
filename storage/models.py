"""The archive's tables: sites, articles and their versions, raw captures, crawl runs.

The full-text index is not a mapped table: it is an FTS5 virtual table on SQLite and a
``tsvector`` table on PostgreSQL, both created by the migrations and kept by ``storage.search``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import JSONValue, UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
    }


class Site(Base):
    """A publisher: a site profile (``netease``) or, for the generic spider, a host name."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Site(id={self.id!r}, name={self.name!r})"


class CrawlRun(Base):
    """One ``scrapy crawl``: when, what it fetched, what it added, how it ended."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(50), default="running")
    pages_fetched: Mapped[int] = mapped_column(default=0)
    new_articles: Mapped[int] = mapped_column(default=0)
    new_versions: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    stats: Mapped[dict[str, Any] | None]

    def __repr__(self) -> str:
        return f"CrawlRun(id={self.id!r}, spider={self.spider!r}, outcome={self.outcome!r})"


class Capture(Base):
    """One raw response (or a failed fetch), and where its WARC record is."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_fetched", "url", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # article, listing, feed, sitemap, robots; failure for a fetch that got no response
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    payload_length: Mapped[int | None] = mapped_column(BigInteger)
    payload_digest: Mapped[str | None] = mapped_column(String(100))
    warc_file: Mapped[str | None] = mapped_column(String(300))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_type: Mapped[str | None] = mapped_column(String(20))  # response or revisit
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Capture(id={self.id!r}, url={self.url!r}, status={self.status!r})"


class Article(Base):
    """The current state of one article, under its canonical URL."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_site_published", "site_id", "published_at"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_content_hash", "content_hash"),
        Index("ix_articles_duplicate_of_id", "duplicate_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    original_title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    correspondents: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    editor: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(300))
    # Stored as UTC; the publisher's own offset in minutes (480 = +08:00) alongside.
    published_at: Mapped[datetime | None]
    published_offset: Mapped[int | None] = mapped_column(Integer)
    modified_at: Mapped[datetime | None]
    modified_offset: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    images: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed: Mapped[datetime] = mapped_column(default=utcnow)
    version_count: Mapped[int] = mapped_column(default=1)
    extractor_version: Mapped[str] = mapped_column(String(50))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    # Validators of the last fetch, sent back on a revisit (If-None-Match, If-Modified-Since).
    etag: Mapped[str | None] = mapped_column(String(300))
    http_last_modified: Mapped[str | None] = mapped_column(String(100))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))

    site: Mapped[Site] = relationship(lazy="joined")
    urls: Mapped[list[ArticleUrl]] = relationship(
        back_populates="article", order_by="ArticleUrl.id"
    )
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number"
    )

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, canonical_url={self.canonical_url!r})"


class ArticleUrl(Base):
    """Every URL an article was seen under (mobile variants, tracking parameters, redirects)."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="urls")

    def __repr__(self) -> str:
        return f"ArticleUrl(article_id={self.article_id!r}, url={self.url!r})"


class ArticleBand(Base):
    """One near-duplicate key (an LSH band of the text's MinHash) of an article.

    Articles that share enough keys are copies of one another (``storage.duplicates``).
    """

    __tablename__ = "article_bands"
    __table_args__ = (Index("ix_article_bands_key", "band", "key"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"ArticleBand(article_id={self.article_id!r}, band={self.band!r})"


class ArticleVersion(Base):
    """One distinct extracted text of an article; a new row only when the text changes."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONValue, default=dict)
    extractor_version: Mapped[str] = mapped_column(String(50))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"ArticleVersion(article_id={self.article_id!r}, number={self.number!r})"


class ArticleHealth(Base):
    """What the sites page charts about one article, in a narrow row of its own, so that a
    year of a site's extraction health is read without reading its articles' text."""

    __tablename__ = "article_health"
    __table_args__ = (Index("ix_article_health_day_site", "day", "site_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    # The UTC date it was published on, or first archived when the page stated no date.
    day: Mapped[date]
    text_length: Mapped[int]
    no_date: Mapped[bool]
    no_author: Mapped[bool]
    # Text that extraction should have thrown away (storage.health.CLUTTER_MARKERS) is in it.
    clutter: Mapped[bool]

    def __repr__(self) -> str:
        return f"ArticleHealth(article_id={self.article_id!r}, day={self.day!r})"
