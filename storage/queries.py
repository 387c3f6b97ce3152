"""Reading the archive: search, one article, statistics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import (
    Select,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Article, ArticleUrl, Capture, CrawlRun, Site
from storage.search import (
    Term,
    date_cover,
    fts5_expression,
    highlight_terms,
    language_facets,
    parse_query,
    site_facet,
    snippet,
    tsquery_expression,
)
from storage.types import UTCDateTime

Sort = Literal["relevance", "newest"]
# The search index is created by the migrations (FTS5 or tsvector), so it is not a mapped model.
_SEARCH = table("article_search", column("rowid"), column("article_id"), column("document"))


@dataclass(frozen=True)
class SearchHit:
    article: Article
    # bm25 on SQLite (lower is better), ts_rank on PostgreSQL (higher is better); None when
    # sorted newest first, where no score is computed.
    score: float | None
    snippet: str


def local_time(value: datetime | None, offset: int | None) -> datetime | None:
    """``value`` (UTC) shown in the publisher's own offset, when it is known."""
    if value is None or offset is None:
        return value
    return value.astimezone(timezone(timedelta(minutes=offset)))


@dataclass(frozen=True)
class Filters:
    """Which articles a search or an export selects; ``None`` means any."""

    site: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    author: str | None = None
    source: str | None = None


def _has_author(session: Session, name: str) -> ColumnElement[bool]:
    """One of the article's authors is exactly ``name``."""
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(Article.authors).table_valued("value")
        return select(each.c.value).where(each.c.value == name).exists()
    return Article.authors.op("@>")(func.jsonb_build_array(name))


def filtered(session: Session, stmt: Select[Any], filters: Filters) -> Select[Any]:
    """``stmt`` (a select from ``Article``) narrowed to the articles ``filters`` selects."""
    if filters.site is not None:
        stmt = stmt.join(Site, Site.id == Article.site_id).where(Site.name == filters.site)
    if filters.language is not None:
        # "zh" matches zh-cn and zh-tw.
        language = filters.language
        stmt = stmt.where(or_(Article.language == language, Article.language.like(f"{language}-%")))
    if filters.since is not None:
        stmt = stmt.where(Article.published_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(Article.published_at < filters.until)
    if filters.author is not None:
        stmt = stmt.where(_has_author(session, filters.author))
    if filters.source is not None:
        # 新华社 matches 新华社 and 新华社客户端.
        stmt = stmt.where(Article.source.contains(filters.source, autoescape=True))
    return stmt


def matching(
    session: Session, query: str, stmt: Select[Any]
) -> tuple[Select[Any], ColumnElement[Any]]:
    """``stmt`` (a select from ``Article``) narrowed to the articles matching ``query``, and
    the score column, ordered best first by ``score.asc()`` on SQLite and ``desc()`` elsewhere.

    Raises ``storage.search.QueryError`` for a query that cannot be understood.
    """
    terms = parse_query(query)
    if session.get_bind().dialect.name == "sqlite":
        match = text("article_search MATCH :match").bindparams(match=fts5_expression(terms))
        # bm25 is lower for better matches; a title match counts five times a body match.
        score: ColumnElement[Any] = literal_column("bm25(article_search, 5.0, 1.0)")
        return stmt.join(_SEARCH, _SEARCH.c.rowid == Article.id).where(match), score
    tsquery = cast(literal(tsquery_expression(terms)), postgresql.TSQUERY)
    document = _SEARCH.c.document
    stmt = stmt.join(_SEARCH, _SEARCH.c.article_id == Article.id).where(document.op("@@")(tsquery))
    return stmt, func.ts_rank(document, tsquery)


# A search whose filtered matches number at most this many ranks or sorts every one of them.
# One that matches more ranks by relevance only the most recently archived RANK_LIMIT of them,
# and sorts newest first by walking the articles in publish order until the page is full: what
# a search costs then depends on the page asked for, not on how common its words are.
RANK_LIMIT = 5000
# PostgreSQL reads an article's whole tsvector to confirm a phrase or to score it, so its plans
# confirm and score at most about this many.
PG_RANK_LIMIT = 300


def _facet_groups(session: Session, filters: Filters) -> list[list[str]] | None:
    """The facet groups of ``filters`` (one facet of each must match), the date group last;
    None: nothing can match."""
    groups: list[list[str]] = []
    if filters.site is not None:
        site_id = session.scalar(select(Site.id).where(Site.name == filters.site))
        if site_id is None:
            return None
        groups.append([site_facet(site_id)])
    if filters.language is not None:
        found = language_facets(filters.language)
        if not found:
            return None
        groups.append([found[-1]])
    if filters.since is not None or filters.until is not None:
        cover = date_cover(filters.since, filters.until)
        if not cover:
            return None
        groups.append(cover)
    return groups


def _language_condition(language: str, params: dict[str, Any]) -> str:
    """The language filter as a condition on ``a`` (zh matches zh and zh-cn)."""
    params |= {"language": language.lower(), "language_prefix": language.lower() + "-%"}
    return "(lower(a.language) = :language OR lower(a.language) LIKE :language_prefix)"


def _language_on_articles(
    language: str, groups: list[list[str]], exact: list[str], params: dict[str, Any]
) -> tuple[list[list[str]], list[str]]:
    """The facet groups without the language's, and the conditions with it checked on ``a``."""
    facet = language_facets(language)[-1]
    return [g for g in groups if g[0] != facet], [*exact, _language_condition(language, params)]


def _exact(filters: Filters, params: dict[str, Any]) -> list[str]:
    """SQL conditions on ``a`` (articles) for what facets do not decide exactly."""
    conditions = []
    if filters.since is not None:
        params["since"] = filters.since
        conditions.append("a.published_at >= :since")
    if filters.until is not None:
        params["until"] = filters.until
        conditions.append("a.published_at < :until")
    if filters.author is not None:
        params["author"] = filters.author
        conditions.append(
            "EXISTS (SELECT 1 FROM json_each(a.authors) WHERE value = :author)"
            if "sqlite" in params["_dialect"]
            else "a.authors @> jsonb_build_array(CAST(:author AS text))"
        )
    if filters.source is not None:
        escaped = filters.source.replace("/", "//").replace("%", "/%").replace("_", "/_")
        params["source"] = f"%{escaped}%"
        conditions.append("a.source LIKE :source ESCAPE '/'")
    return conditions


def _bind(sql: str, params: dict[str, Any]) -> Any:
    """``sql`` with its parameters, dates bound through the archive's UTC type."""
    values = {k: v for k, v in params.items() if not k.startswith("_")}
    binds = [
        bindparam(k, v, type_=UTCDateTime()) if isinstance(v, datetime) else bindparam(k, v)
        for k, v in values.items()
        if f":{k}" in sql
    ]
    return text(sql).bindparams(*binds)


def _sqlite_page(
    session: Session,
    terms: list[Term],
    groups: list[list[str]],
    filters: Filters,
    exact: list[str],
    params: dict[str, Any],
    sort: Sort,
) -> list[tuple[int, float | None]]:
    params |= {"q": fts5_expression(terms, groups), "cap": RANK_LIMIT + 1}
    count = (
        session.scalar(
            _bind(
                "SELECT count(*) FROM (SELECT rowid FROM article_search "
                "WHERE article_search MATCH :q LIMIT :cap)",
                params,
            )
        )
        or 0
    )
    where = "".join(f" AND {c}" for c in exact)
    bm25 = "bm25(article_search, 5.0, 1.0, 0.0)"
    if sort == "relevance":
        if filters.language is not None and len(groups) > 1:
            # bm25 reads each phrase of its query through the whole index to weigh it, and a
            # language facet is in most entries: with a site or dates to narrow the matches, the
            # language is checked on the articles instead (see _facet_groups for the order).
            groups, exact = _language_on_articles(filters.language, groups, exact, params)
            params["q"] = fts5_expression(terms, groups)
            where = "".join(f" AND {c}" for c in exact)
        if count <= RANK_LIMIT or "author" in params or "source" in params:
            # CROSS JOIN keeps the index as the outer loop: every match is scored once.
            join = " CROSS JOIN articles a ON a.id = s.rowid" if exact else ""
            sql = (
                f"SELECT s.rowid, {bm25} AS score FROM article_search s{join} "
                f"WHERE article_search MATCH :q{where} "
                "ORDER BY score, s.rowid DESC LIMIT :limit OFFSET :offset"
            )
        else:
            params["window"] = RANK_LIMIT
            join = " CROSS JOIN articles a ON a.id = s.rowid" if exact else ""
            sql = (
                f"WITH recent AS MATERIALIZED (SELECT s.rowid AS id, {bm25} AS score "
                f"FROM article_search s{join} WHERE article_search MATCH :q{where} "
                "ORDER BY s.rowid DESC LIMIT :window) "
                "SELECT id, score FROM recent ORDER BY score, id DESC LIMIT :limit OFFSET :offset"
            )
        return [(row[0], float(row[1])) for row in session.execute(_bind(sql, params))]
    # Few matches: look each up and sort them; many: walk the publish-date index newest first,
    # keeping the articles among the matches, until the page is full.
    index = "NOT INDEXED" if count <= RANK_LIMIT else "INDEXED BY ix_articles_published"
    sql = (
        f"SELECT a.id FROM articles a {index} WHERE a.id IN "
        f"(SELECT rowid FROM article_search WHERE article_search MATCH :q){where} "
        "ORDER BY a.published_at DESC, a.id DESC LIMIT :limit OFFSET :offset"
    )
    return [(i, None) for i in session.scalars(_bind(sql, params))]


@contextmanager
def _bitmap_scans(session: Session) -> Iterator[None]:
    """The plans below are bitmap scans of the GIN index that stop after a few rows; the
    planner, not knowing that, may prefer reading the whole table."""
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    yield
    # After an error the transaction is rolled back, and settings made LOCAL end with it.
    session.execute(text("SET LOCAL enable_seqscan = on"))
    session.execute(text("SET LOCAL enable_indexscan = on"))


def _pg_count(session: Session, probe: str, params: dict[str, Any], cap: int) -> int:
    """Matches of ``probe`` (a query the GIN index answers alone), counted up to ``cap``."""
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM article_search s "
        "WHERE s.document @@ CAST(:probe AS tsquery) LIMIT :cap) t"
    )
    return session.scalar(_bind(sql, params | {"probe": probe, "cap": cap})) or 0


def _postgres_page(
    session: Session,
    terms: list[Term],
    groups: list[list[str]],
    filters: Filters,
    exact: list[str],
    params: dict[str, Any],
    sort: Sort,
) -> list[tuple[int, float | None]]:
    """PostgreSQL keeps no positions in its GIN index: a phrase is confirmed, and every score
    computed, on the article's stored tsvector, and each match costs a visit to the table. So
    the plans confirm and score few: a search with more than twice ``PG_RANK_LIMIT`` matches
    looks only at a window of the newest publish dates sized to hold about ``PG_RANK_LIMIT``
    of them (relevance) or the page (newest first), widened when it falls short; the matches
    that size it are counted by the index alone (phrases as plain ANDs, dates as facets)."""
    if filters.language is not None:
        # A language is in most entries: its posting list costs the index more to read than
        # checking the language on the few articles a plan looks at.
        groups, exact = _language_on_articles(filters.language, groups, exact, params)
    first, last = session.execute(
        select(func.min(Article.published_at), func.max(Article.published_at))
    ).one()
    with _bitmap_scans(session):
        params["ranking"] = tsquery_expression(terms)
        rank = "ts_rank(s.document, CAST(:ranking AS tsquery))"
        order = (
            "score DESC, s.article_id DESC"
            if sort == "relevance"
            else "a.published_at DESC NULLS LAST, a.id DESC"
        )

        def page(groups: list[list[str]]) -> list[tuple[int, float | None]]:
            conditions = exact if exact or sort == "relevance" else ["true"]
            where = "".join(f" AND {c}" for c in conditions)
            join = " JOIN articles a ON a.id = s.article_id" if where else ""
            sql = (
                f"SELECT s.article_id, {rank} AS score FROM article_search s{join} "
                f"WHERE s.document @@ CAST(:q AS tsquery){where} ORDER BY {order} "
                "LIMIT :limit OFFSET :offset"
            )
            rows = session.execute(_bind(sql, params | {"q": tsquery_expression(terms, groups)}))
            return [(row[0], float(row[1]) if sort == "relevance" else None) for row in rows]

        limit = PG_RANK_LIMIT
        probe = tsquery_expression(terms, groups, phrases=False)
        total = _pg_count(session, probe, params, 8 * limit)
        if total <= 2 * limit or filters.author is not None or filters.source is not None:
            return page(groups)
        # Windows of publish dates back from the newest (or the filter's end): day-aligned, so the
        # facets select them exactly. Newest first, a window holding the page holds the page of
        # the whole range (everything outside it is older).
        end = filters.until or (last or datetime.now(UTC)) + timedelta(days=1)
        oldest = max(filter(None, [first, filters.since]), default=end)
        wanted = limit if sort == "relevance" else params["offset"] + params["limit"]
        # The date group, when there is one, is the last (see _facet_groups).
        others = groups[:-1] if filters.since is not None or filters.until is not None else groups

        def window(span: timedelta) -> list[list[str]]:
            start = (end - span).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            return [*others, date_cover(start, end)]

        span, narrowed = timedelta(days=30), False
        if total < 8 * limit:
            # Counted in full: a window as many days long as, at the mean rate, hold what is wanted.
            span, narrowed = max(timedelta(days=1), (end - oldest) * wanted / total), True
            rows = page(window(span))
            if len(rows) == params["limit"]:
                return rows
            span *= 4
        while end - span > oldest:
            probe = tsquery_expression(terms, window(span), phrases=False)
            found = _pg_count(session, probe, params, 8 * wanted)
            if found >= wanted:
                if found > 2 * wanted and not narrowed:  # once: to about what is wanted
                    span, narrowed = max(timedelta(days=1), span * wanted / found), True
                rows = page(window(span))
                if len(rows) == params["limit"]:  # else the page may go on past the window
                    return rows
            span *= 4
        return page(groups)


def search(
    session: Session,
    query: str,
    *,
    site: str | None = None,
    language: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: Sort = "relevance",
    limit: int = 20,
    offset: int = 0,
    author: str | None = None,
    source: str | None = None,
    mark: tuple[str, str] = ("[", "]"),
) -> list[SearchHit]:
    """Articles matching every term of ``query``, best or newest first; the snippet's matches
    are wrapped in ``mark``.

    Relevance ranks every match when there are at most ``RANK_LIMIT`` (after the filters), and
    the ``RANK_LIMIT`` most recently archived ones otherwise.

    Raises ``storage.search.QueryError`` for a query that cannot be understood.
    """
    filters = Filters(site, language, since, until, author, source)
    terms = parse_query(query)
    groups = _facet_groups(session, filters)
    if groups is None or limit <= 0:
        return []
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"_dialect": dialect, "limit": limit, "offset": offset}
    exact = _exact(filters, params)
    if dialect == "sqlite":
        page = _sqlite_page(session, terms, groups, filters, exact, params, sort)
    else:
        page = _postgres_page(session, terms, groups, filters, exact, params, sort)
    if not page:
        return []
    found = {
        a.id: a
        for a in session.scalars(select(Article).where(Article.id.in_([i for i, _ in page])))
    }
    words = highlight_terms(query)
    return [
        SearchHit(found[i], score, snippet(found[i].text, words, mark=mark))
        for i, score in page
        if i in found
    ]


def get_article(session: Session, ref: str | int) -> Article | None:
    """An article by id, canonical URL, or any URL it was seen under."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return session.get(Article, int(ref))
    article = session.scalar(select(Article).where(Article.canonical_url == ref))
    if article is None:
        article = session.scalar(
            select(Article)
            .join(ArticleUrl, ArticleUrl.article_id == Article.id)
            .where(ArticleUrl.url == ref)
        )
    return article


@dataclass(frozen=True)
class Known:
    """What the archive knows of an article URL, for deciding whether to fetch it again."""

    article_id: int
    canonical_url: str
    published_at: datetime | None
    last_fetched: datetime
    etag: str | None
    http_last_modified: str | None


def known_articles(session: Session, urls: list[str]) -> dict[str, Known]:
    """The archived articles among ``urls`` (canonical or any URL they were seen under)."""
    found: dict[str, Known] = {}
    for start in range(0, len(urls), 500):  # bounded IN lists
        batch = urls[start : start + 500]
        rows = session.execute(
            select(
                ArticleUrl.url,
                Article.id,
                Article.canonical_url,
                Article.published_at,
                Article.last_fetched,
                Article.etag,
                Article.http_last_modified,
            )
            .join(Article, Article.id == ArticleUrl.article_id)
            .where(ArticleUrl.url.in_(batch))
        )
        for row in rows:
            found[row.url] = Known(
                row.id, row.canonical_url, row.published_at, row.last_fetched, row.etag,
                row.http_last_modified,
            )  # fmt: skip
    return found


def article_summary(article: Article) -> dict[str, Any]:
    """The fields a search result shows."""
    published = local_time(article.published_at, article.published_offset)
    return {
        "id": article.id,
        "site": article.site.name,
        "url": article.canonical_url,
        "title": article.title,
        "published": published.isoformat() if published else None,
        "language": article.language,
        "authors": article.authors,
        "source": article.source,
    }


def article_record(article: Article) -> dict[str, Any]:
    """Everything the archive knows about one article, as JSON-ready values."""
    modified = local_time(article.modified_at, article.modified_offset)
    return {
        **article_summary(article),
        "original_title": article.original_title,
        "description": article.description,
        "correspondents": article.correspondents,
        "editor": article.editor,
        "modified": modified.isoformat() if modified else None,
        "text": article.text,
        "images": article.images,
        "tags": article.tags,
        "urls": [u.url for u in article.urls],
        "first_seen": article.first_seen.isoformat(),
        "last_fetched": article.last_fetched.isoformat(),
        "last_changed": article.last_changed.isoformat(),
        "versions": article.version_count,
        "extractor_version": article.extractor_version,
        "capture_id": article.capture_id,
        "duplicate_of": article.duplicate_of_id,
    }


def stats(session: Session) -> dict[str, Any]:
    """Counts per site and per language, and the size of the capture log."""
    per_site = session.execute(
        select(
            Site.name,
            func.count(Article.id),
            func.min(Article.published_at),
            func.max(Article.published_at),
        )
        .join(Article, Article.site_id == Site.id)
        .group_by(Site.name)
        .order_by(Site.name)
    ).all()
    per_language = session.execute(
        select(Article.language, func.count())
        .group_by(Article.language)
        .order_by(func.count().desc())
    ).all()
    return {
        "articles": session.scalar(select(func.count()).select_from(Article)) or 0,
        "versions": session.scalar(select(func.coalesce(func.sum(Article.version_count), 0))) or 0,
        "captures": session.scalar(select(func.count()).select_from(Capture)) or 0,
        "failures": session.scalar(select(func.count()).where(Capture.kind == "failure")) or 0,
        "crawl_runs": session.scalar(select(func.count()).select_from(CrawlRun)) or 0,
        "sites": [
            {
                "site": name,
                "articles": count,
                "first_published": first.isoformat() if first else None,
                "last_published": last.isoformat() if last else None,
            }
            for name, count, first, last in per_site
        ],
        "languages": [{"language": lang, "articles": count} for lang, count in per_language],
    }
