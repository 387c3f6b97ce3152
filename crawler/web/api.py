"""The JSON API: the same queries as the pages, described at ``/openapi.json``.

Lists take ``limit`` and ``offset`` and answer with ``next`` (the URL of the following page,
or null). Snippets are plain text; ``highlights`` are ``[start, end)`` character ranges of the
matches in them, so no client has to parse markup out of archived text.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from crawler.web.params import SearchDep, SessionDep, marked_snippet, parse_day
from storage.models import Article
from storage.queries import article_record, article_summary, stats
from storage.reader import DiffLine, copies, site_days, version_changes

router = APIRouter(prefix="/api", tags=["api"])
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, description="Items to skip.")]


class Page(BaseModel):
    limit: int
    offset: int
    next: str | None = Field(description="The next page, or null on the last one.")


class SearchResult(BaseModel):
    id: int
    site: str
    url: str
    title: str | None
    published: str | None = Field(description="ISO 8601, in the publisher's UTC offset.")
    language: str | None
    authors: list[str]
    source: str | None
    score: float | None = Field(
        None,
        description="Relevance: bm25 on SQLite (lower is better), ts_rank on PostgreSQL (higher "
        "is better); null when sorted newest first.",
    )
    snippet: str
    highlights: list[tuple[int, int]]


class SearchPage(Page):
    query: str
    results: list[SearchResult]


class Related(BaseModel):
    relation: str = Field(description="original (this copies it), copy (of this), sibling.")
    id: int
    site: str
    url: str
    title: str | None
    published: str | None


class ArticleOut(BaseModel):
    id: int
    site: str
    url: str
    title: str | None
    original_title: str | None
    description: str | None
    published: str | None
    modified: str | None
    language: str | None
    authors: list[str]
    correspondents: list[str]
    editor: str | None
    source: str | None
    text: str
    images: list[str]
    tags: list[str]
    urls: list[str]
    first_seen: str
    last_fetched: str
    last_changed: str
    versions: int
    extractor_version: str
    capture_id: int | None
    duplicate_of: int | None
    raw: str | None = Field(description="The raw capture this text came from, from its WARC.")
    copies: list[Related] = Field(description="The first 50 copies of the story elsewhere.")


class Change(BaseModel):
    kind: str = Field(description="same, added, removed, or gap (unchanged paragraphs folded).")
    text: str
    changed: list[tuple[int, int]] = Field(description="Changed character ranges in text.")


class VersionOut(BaseModel):
    number: int
    title: str | None
    created_at: str
    extractor_version: str
    capture_id: int | None
    changes: list[Change] = Field(description="The diff from the previous version.")


class VersionPage(Page):
    results: list[VersionOut]


class SiteDayOut(BaseModel):
    site: str
    day: str
    articles: int
    median_length: float
    no_date_share: float
    no_author_share: float
    clutter: int = Field(description="Articles whose text still holds clutter markers.")


class SiteDayPage(Page):
    results: list[SiteDayOut]


def _next(request: Request, found: int, limit: int, offset: int) -> str | None:
    if found <= limit:
        return None
    return str(request.url.include_query_params(offset=offset + limit, limit=limit))


def _ranges(pieces: tuple[tuple[str, bool], ...] | list[tuple[str, bool]]) -> list[tuple[int, int]]:
    out, at = [], 0
    for text, flagged in pieces:
        if flagged:
            out.append((at, at + len(text)))
        at += len(text)
    return out


def _change(line: DiffLine) -> Change:
    return Change(
        kind=line.kind, text="".join(t for t, _ in line.pieces), changed=_ranges(line.pieces)
    )


def _related(relation: str, article: Article) -> Related:
    return Related(
        relation=relation,
        **{k: article_summary(article)[k] for k in ("id", "site", "url", "title", "published")},
    )


@router.get("/search", summary="Full-text search, Chinese and English")
def api_search(
    request: Request, session: SessionDep, form: SearchDep, limit: Limit = 20, offset: Offset = 0
) -> SearchPage:
    """Articles matching every word of ``q``. A malformed query is a 400 with the reason."""
    if form.q is None:
        raise HTTPException(400, "q: the query is empty")
    hits = form.run(session, limit=limit + 1, offset=offset)
    results = []
    for hit in hits[:limit]:
        text, pieces = marked_snippet(hit.article.text, form.terms())
        summary = article_summary(hit.article)
        results.append(
            SearchResult(**summary, score=hit.score, snippet=text, highlights=_ranges(pieces))
        )
    return SearchPage(
        query=form.q,
        results=results,
        limit=limit,
        offset=offset,
        next=_next(request, len(hits), limit, offset),
    )


@router.get("/articles/{article_id}", summary="One article, everything the archive knows")
def api_article(request: Request, session: SessionDep, article_id: int) -> ArticleOut:
    article = session.get(Article, article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id}")
    raw = (
        str(request.url_for("raw_capture", capture_id=article.capture_id))
        if article.capture_id
        else None
    )
    related = [_related(relation, other) for relation, other in copies(session, article)]
    return ArticleOut(**article_record(article), raw=raw, copies=related)


@router.get("/articles/{article_id}/versions", summary="An article's versions and their diffs")
def api_versions(
    request: Request, session: SessionDep, article_id: int, limit: Limit = 10, offset: Offset = 0
) -> VersionPage:
    """Newest first; each with the changes from the version before it."""
    if session.get(Article, article_id) is None:
        raise HTTPException(404, f"no article {article_id}")
    found = version_changes(session, article_id, limit=limit + 1, offset=offset)
    results = [
        VersionOut(
            number=c.version.number,
            title=c.version.title,
            created_at=c.version.created_at.isoformat(),
            extractor_version=c.version.extractor_version,
            capture_id=c.version.capture_id,
            changes=[_change(line) for line in c.diff],
        )
        for c in found[:limit]
    ]
    return VersionPage(
        results=results, limit=limit, offset=offset, next=_next(request, len(found), limit, offset)
    )


@router.get("/sites", summary="Articles per site, with the first and last publish dates")
def api_sites(
    request: Request, session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    sites = stats(session)["sites"]
    page = sites[offset : offset + limit + 1]
    return {
        "results": page[:limit],
        "limit": limit,
        "offset": offset,
        "next": _next(request, len(page), limit, offset),
    }


@router.get("/sites/days", summary="Per site and day: articles and extraction health")
def api_site_days(
    request: Request,
    session: SessionDep,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> SiteDayPage:
    """Days are UTC publish dates (the first-archived date for undated articles); ``until``
    defaults to the newest day in the archive, ``since`` to ``days`` before it."""
    rows = site_days(
        session,
        site=site,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
        days=days,
    )
    page = rows[offset : offset + limit + 1]
    results = [SiteDayOut(**row.as_dict()) for row in page[:limit]]
    return SiteDayPage(
        results=results, limit=limit, offset=offset, next=_next(request, len(page), limit, offset)
    )


@router.get("/stats", summary="What the archive holds")
def api_stats(session: SessionDep) -> dict[str, Any]:
    return stats(session)
