"""Duplicates across the archive: the same text, or nearly the same, under other URLs.

A new article (or a new version of one) is linked to the earliest archived article that has
the same content hash, or else that shares at least ``MIN_SHARED_BANDS`` of its near-duplicate
keys (``pipelines.dedup``: 16 LSH bands of a MinHash; 5 shared bands means a Jaccard similarity
of about 0.75 or more between the two texts' shingles). Links always point at the earliest
copy, so every group of copies is a star around its original.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleBand

MIN_SHARED_BANDS = 5


def _original(session: Session, article_id: int) -> int:
    """The root of ``article_id``'s group (links point at roots, but be safe)."""
    seen = set()
    while article_id not in seen:
        seen.add(article_id)
        parent = session.scalar(select(Article.duplicate_of_id).where(Article.id == article_id))
        if parent is None:
            return article_id
        article_id = parent
    return article_id


def find_original(
    session: Session, article_id: int, content_hash: str, keys: tuple[int, ...]
) -> int | None:
    """The earliest other article whose text equals or nearly equals this one's."""
    exact = session.scalar(
        select(Article.id)
        .where(Article.content_hash == content_hash, Article.id != article_id)
        .order_by(Article.first_seen, Article.id)
        .limit(1)
    )
    if exact is not None:
        return _original(session, exact)
    if not keys:
        return None
    pairs = [(band, key) for band, key in enumerate(keys)]
    shared = func.count().label("shared")
    rows = session.execute(
        select(ArticleBand.article_id, shared)
        .where(
            tuple_(ArticleBand.band, ArticleBand.key).in_(pairs),
            ArticleBand.article_id != article_id,
        )
        .group_by(ArticleBand.article_id)
        .having(func.count() >= MIN_SHARED_BANDS)
    ).all()
    if not rows:
        return None
    candidates = [row.article_id for row in rows]
    earliest = session.scalar(
        select(Article.id)
        .where(Article.id.in_(candidates))
        .order_by(Article.first_seen, Article.id)
        .limit(1)
    )
    return _original(session, earliest) if earliest is not None else None


def index_and_link(
    session: Session, article_id: int, content_hash: str, keys: tuple[int, ...]
) -> int | None:
    """Store the article's keys and link it to its original; returns the original's id."""
    session.execute(delete(ArticleBand).where(ArticleBand.article_id == article_id))
    if keys:
        session.execute(
            insert(ArticleBand),
            [{"article_id": article_id, "band": band, "key": key} for band, key in enumerate(keys)],
        )
    original = find_original(session, article_id, content_hash, keys)
    if original == article_id:
        original = None
    session.execute(
        update(Article).where(Article.id == article_id).values(duplicate_of_id=original)
    )
    return original


def copies(session: Session, article_id: int) -> list[Article]:
    """The other members of an article's group of copies, earliest first."""
    root = _original(session, article_id)
    group = session.scalars(
        select(Article)
        .where((Article.id == root) | (Article.duplicate_of_id == root), Article.id != article_id)
        .order_by(Article.first_seen, Article.id)
    ).all()
    return list(group)
