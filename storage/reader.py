"""Reading the archive for people: per-day health of each site, version diffs, copies, captures.

Everything here only reads, and works alike on SQLite and PostgreSQL. A *day* is the UTC date an
article was published on, or, when the page stated no date, the date it was first archived.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, and_, case, event, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Article, ArticleHealth, ArticleVersion, Site
from storage.types import utcnow


def make_read_only(engine: Engine) -> None:
    """Make every new connection of ``engine`` refuse writes (``query_only``, read-only txns)."""

    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_connection.execute("PRAGMA query_only=ON")
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_connection.autocommit = autocommit

    event.listen(engine, "connect", _connect)
    engine.dispose()  # connections opened before this point are not reused


@dataclass(frozen=True)
class SiteDay:
    """One site's articles of one day, and how well their extraction went."""

    site: str
    day: date
    articles: int
    median_length: float
    no_date: int
    no_author: int
    clutter: int

    def as_dict(self) -> dict[str, Any]:
        n = self.articles or 1
        return {
            "site": self.site,
            "day": self.day.isoformat(),
            "articles": self.articles,
            "median_length": self.median_length,
            "no_date_share": round(self.no_date / n, 4),
            "no_author_share": round(self.no_author / n, 4),
            "clutter": self.clutter,
        }


def utc_day(session: Session, value: ColumnElement[Any]) -> ColumnElement[str]:
    """The UTC date of ``value`` as ``YYYY-MM-DD`` text, on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(value)  # stored as naive UTC text
    return func.to_char(func.timezone("UTC", value), "YYYY-MM-DD")


def _json_length(session: Session, value: QueryableAttribute[Any]) -> ColumnElement[int]:
    name = (
        "json_array_length" if session.get_bind().dialect.name == "sqlite" else "jsonb_array_length"
    )
    return func.coalesce(getattr(func, name)(value), 0)


def choices(session: Session) -> tuple[list[str], list[str]]:
    """The site names and the languages in the archive, for filters (both from indexes)."""
    sites = session.scalars(select(Site.name).order_by(Site.name))
    found = select(Article.language).where(Article.language.is_not(None)).distinct()
    return list(sites), sorted(str(lang) for lang in session.scalars(found))


def latest_day(session: Session) -> date | None:
    """The newest day any article belongs to (a publish date in the future does not count)."""
    tomorrow = utcnow() + timedelta(days=1)
    published = session.scalar(
        select(func.max(Article.published_at)).where(Article.published_at <= tomorrow)
    )
    undated = session.scalar(
        select(func.max(Article.first_seen)).where(Article.published_at.is_(None))
    )
    newest = max((d for d in (published, undated) if d is not None), default=None)
    return newest.date() if newest is not None else None


def site_days(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    days: int = 90,
    site: str | None = None,
) -> list[SiteDay]:
    """Per site and day from ``since`` to ``until`` (inclusive): articles, median text length,
    how many had no date, no author, or clutter left in the text. Without ``since``, the last
    ``days`` days up to ``until`` (default: the newest day in the archive)."""
    until = until or latest_day(session)
    if until is None:
        return []
    since = since or until - timedelta(days=days - 1)
    health = ArticleHealth
    stmt = (
        select(
            Site.name.label("site"),
            health.day.label("day"),
            health.text_length.label("length"),
            case((health.no_date, 1), else_=0).label("no_date"),
            case((health.no_author, 1), else_=0).label("no_author"),
            case((health.clutter, 1), else_=0).label("clutter"),
        )
        .join(Site, Site.id == health.site_id)
        .where(health.day >= since, health.day <= until)
    )
    if site is not None:
        stmt = stmt.where(Site.name == site)
    base = stmt.subquery()
    group = (base.c.site, base.c.day)
    totals = select(
        *group,
        func.count().label("articles"),
        func.sum(base.c.no_date).label("no_date"),
        func.sum(base.c.no_author).label("no_author"),
        func.sum(base.c.clutter).label("clutter"),
    ).group_by(*group)
    # The median without a median function: the middle one or two rows of each group.
    ranked = select(
        *group,
        base.c.length,
        func.row_number().over(partition_by=group, order_by=base.c.length).label("rank"),
        func.count().over(partition_by=group).label("n"),
    ).subquery()
    middle = and_(ranked.c.rank * 2 >= ranked.c.n, ranked.c.rank * 2 <= ranked.c.n + 2)
    medians = {
        (row.site, row.day): float(row.median)
        for row in session.execute(
            select(ranked.c.site, ranked.c.day, func.avg(ranked.c.length).label("median"))
            .where(middle)
            .group_by(ranked.c.site, ranked.c.day)
        )
    }
    rows = session.execute(totals.order_by(base.c.site, base.c.day))
    return [
        SiteDay(
            r.site,
            r.day,
            r.articles,
            medians.get((r.site, r.day), 0.0),
            int(r.no_date),
            int(r.no_author),
            int(r.clutter),
        )
        for r in rows
    ]


Relation = Literal["original", "copy", "sibling"]


def copies(
    session: Session, article: Article, *, limit: int = 50, offset: int = 0
) -> list[tuple[Relation, Article]]:
    """The same story elsewhere: the article this one copies, its copies, and fellow copies."""
    related = [Article.duplicate_of_id == article.id]
    if article.duplicate_of_id is not None:
        related += [
            Article.id == article.duplicate_of_id,
            Article.duplicate_of_id == article.duplicate_of_id,
        ]
    found = session.scalars(
        select(Article)
        .where(or_(*related), Article.id != article.id)
        .order_by(Article.published_at.asc().nulls_last(), Article.id)
        .limit(limit)
        .offset(offset)
    )
    out: list[tuple[Relation, Article]] = []
    for other in found:
        if other.id == article.duplicate_of_id:
            out.append(("original", other))
        elif other.duplicate_of_id == article.id:
            out.append(("copy", other))
        else:
            out.append(("sibling", other))
    return out


Piece = tuple[str, bool]  # a run of text, and whether it changed


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["same", "added", "removed", "gap"]
    pieces: tuple[Piece, ...]


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    out: list[Piece] = []
    for text, changed in pieces:
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + text, changed)
        else:
            out.append((text, changed))
    return tuple(out)


def _changed_pieces(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    if len(old) * len(new) > 4_000_000:  # too long to compare character by character
        return ((old, True),), ((new, True),)
    codes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    removed: list[Piece] = []
    added: list[Piece] = []
    for n, (op, i1, i2, j1, j2) in enumerate(codes):
        # A run of one or two unchanged characters inside a change (the "." of 3.6 -> 4.1)
        # reads better as part of it.
        inner = 0 < n < len(codes) - 1 and i2 - i1 < 3
        changed = op != "equal" or inner
        if i2 > i1:
            removed.append((old[i1:i2], changed))
        if j2 > j1:
            added.append((new[j1:j2], changed))
    return _merged(removed), _merged(added)


def diff_texts(old: str, new: str, *, context: int = 1) -> list[DiffLine]:
    """Paragraph by paragraph, with the changed characters of an edited paragraph marked and
    long unchanged stretches folded into ``gap`` lines (whose text is how many paragraphs)."""
    a, b = old.splitlines(), new.splitlines()
    out: list[DiffLine] = []
    last = 0
    for hunk in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if hunk[0][1] > last:
            out.append(DiffLine("gap", ((str(hunk[0][1] - last), False),)))
        for op, i1, i2, j1, j2 in hunk:
            if op == "equal":
                out.extend(DiffLine("same", ((line, False),)) for line in a[i1:i2])
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(paired):
                removed, added = _changed_pieces(a[i1 + k], b[j1 + k])
                out += [DiffLine("removed", removed), DiffLine("added", added)]
            out.extend(DiffLine("removed", ((line, False),)) for line in a[i1 + paired : i2])
            out.extend(DiffLine("added", ((line, False),)) for line in b[j1 + paired : j2])
        last = hunk[-1][2]
    if out and last < len(a):
        out.append(DiffLine("gap", ((str(len(a) - last), False),)))
    return out


@dataclass(frozen=True)
class VersionChange:
    """A version, and what changed since the one before it (nothing for the first)."""

    version: ArticleVersion
    previous: ArticleVersion | None
    diff: list[DiffLine]


def version_changes(
    session: Session, article_id: int, *, limit: int = 10, offset: int = 0
) -> list[VersionChange]:
    """An article's versions, newest first, each with its diff from the one before."""
    versions = list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number.desc())
            .limit(limit + 1)
            .offset(offset)
        )
    )
    out = []
    for i, version in enumerate(versions[:limit]):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        diff = diff_texts(previous.text, version.text) if previous else []
        out.append(VersionChange(version, previous, diff))
    return out
