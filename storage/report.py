"""What the archive holds, counted: articles per site, per day and per language; crawl runs.

A *day* is the UTC date an article was published on or, when the page stated none, the date it
was first archived (as in ``storage.reader``). Everything here only reads.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Site
from storage.queries import stats
from storage.reader import latest_day, utc_day

Breakdown = Literal["site", "day", "language"]


class UnknownSite(LookupError):
    """A site name the archive does not have (the message lists the ones it has)."""


def check_site(session: Session, name: str | None) -> None:
    """Raise :class:`UnknownSite` unless ``name`` is None or a site in the archive."""
    if name is None or session.scalar(select(Site.id).where(Site.name == name)) is not None:
        return
    known = list(session.scalars(select(Site.name).order_by(Site.name).limit(20)))
    listed = ", ".join(known) if known else "none yet"
    raise UnknownSite(f"unknown site {name!r} (the archive has: {listed})")


def day_window(
    session: Session, since: date | None, until: date | None, days: int
) -> tuple[date, date] | None:
    """``since``..``until`` inclusive; by default the last ``days`` days up to the newest."""
    until = until or latest_day(session)
    if until is None:
        return None
    return since or until - timedelta(days=days - 1), until


def articles_per_day(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    days: int = 30,
    site: str | None = None,
) -> list[dict[str, Any]]:
    """Articles per day, site and language (one row each), oldest day first."""
    window = day_window(session, since, until, days)
    if window is None:
        return []
    day = utc_day(session, func.coalesce(Article.published_at, Article.first_seen)).label("day")
    stmt = (
        select(day, Site.name, Article.language, func.count())
        .join(Site, Site.id == Article.site_id)
        .where(day >= window[0].isoformat(), day <= window[1].isoformat())
        .group_by(day, Site.name, Article.language)
        .order_by(day, Site.name, Article.language)
    )
    if site is not None:
        stmt = stmt.where(Site.name == site)
    return [
        {"day": d, "site": name, "language": language, "articles": count}
        for d, name, language, count in session.execute(stmt)
    ]


def report(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    days: int = 30,
    site: str | None = None,
) -> dict[str, Any]:
    """``storage.queries.stats`` and, under ``days``, the articles per day, site and language."""
    check_site(session, site)
    out = stats(session)
    window = day_window(session, since, until, days)
    out["window"] = (
        {"since": window[0].isoformat(), "until": window[1].isoformat()} if window else None
    )
    out["days"] = articles_per_day(session, since=since, until=until, days=days, site=site)
    return out


def breakdown(rows: list[dict[str, Any]], by: Breakdown) -> list[dict[str, Any]]:
    """Per-day rows summed into one row per ``by`` (site, day or language)."""
    totals: dict[Any, int] = {}
    for row in rows:
        totals[row[by]] = totals.get(row[by], 0) + row["articles"]
    return [
        {by: key, "articles": n} for key, n in sorted(totals.items(), key=lambda kv: str(kv[0]))
    ]


def crawl_runs(
    session: Session, *, site: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The latest crawl runs, newest first: what each fetched and added, and how it ended."""
    check_site(session, site)
    stmt = (
        select(CrawlRun, Site.name)
        .outerjoin(Site, Site.id == CrawlRun.site_id)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    if site is not None:
        stmt = stmt.where(Site.name == site)
    return [
        {
            "id": run.id,
            "site": name,
            "spider": run.spider,
            "started": run.started_at.isoformat(timespec="seconds"),
            "finished": (
                run.finished_at.isoformat(timespec="seconds") if run.finished_at else None
            ),
            "outcome": run.outcome,
            "pages": run.pages_fetched,
            "new_articles": run.new_articles,
            "new_versions": run.new_versions,
            "failures": run.failures,
        }
        for run, name in session.execute(stmt)
    ]


def recent_runs(
    session: Session, site: str, *, limit: int = 20, since: datetime | None = None
) -> list[CrawlRun]:
    """The site's latest crawl runs (started at or after ``since``), newest first."""
    stmt = (
        select(CrawlRun)
        .join(Site, Site.id == CrawlRun.site_id)
        .where(Site.name == site)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(CrawlRun.started_at >= since)
    return list(session.scalars(stmt))
