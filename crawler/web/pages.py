"""The HTML pages: search, one article, the sites and their health, a raw capture."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from crawler.web.params import (
    Pager,
    SearchDep,
    SessionDep,
    get_archive,
    marked_snippet,
    match_pieces,
    parse_day,
)
from storage.archive import raw_capture
from storage.health import CLUTTER_MARKERS
from storage.models import Article, Capture
from storage.queries import article_record, stats
from storage.reader import (
    choices,
    copies,
    site_days,
    version_changes,
)
from storage.search import QueryError

router = APIRouter(include_in_schema=False)
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
SEARCH_PAGE = 20
VERSIONS_PAGE = 5
COPIES_PAGE = 20
SITES_PAGE = 50


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    view: Jinja2Templates = request.app.state.templates
    return view.TemplateResponse(request, name, context, status_code=status)


def _choices(session: SessionDep) -> dict[str, list[str]]:
    """The sites and languages the filters offer (``zh`` before ``zh-cn`` and ``zh-tw``)."""
    sites, languages = choices(session)
    prefixes = sorted({lang.split("-")[0] for lang in languages} - set(languages))
    return {"sites": sites, "languages": prefixes + languages}


@router.get("/", name="search_page")
def search_page(
    request: Request, session: SessionDep, form: SearchDep, page: PageNumber = 1
) -> Response:
    pager = Pager(page, SEARCH_PAGE)
    error: str | None = None
    try:
        hits = form.run(session, limit=pager.fetch, offset=pager.offset)
    except QueryError as exc:  # the form stays, with the query, to correct it
        hits, error = [], f"bad query: {exc}"
    terms = form.terms()
    results = [
        {
            "title": match_pieces(hit.article.title or hit.article.canonical_url, terms),
            "snippet": marked_snippet(hit.article.text, terms)[1],
            "record": article_record(hit.article),
        }
        for hit in hits[: pager.size]
    ]
    links = pager.links(len(hits), lambda n: "/?" + form.query_string(page=n))
    return render(
        request,
        "search.html",
        400 if error else 200,
        error=error,
        form=form,
        results=results,
        pager=pager,
        links=links,
        choices=_choices(session),
        totals=None if form.q else stats(session),
    )


@router.get("/articles/{article_id}", name="article_page")
def article_page(
    request: Request,
    session: SessionDep,
    article_id: int,
    q: str | None = None,
    versions: PageNumber = 1,
    copies_page: Annotated[int, Query(alias="copies", ge=1, le=100_000)] = 1,
) -> Response:
    article = session.get(Article, article_id)
    if article is None:
        raise HTTPException(404, f"no article with id {article_id}")
    terms = (q or "").replace('"', " ").split()
    paragraphs = [match_pieces(line, terms) for line in article.text.splitlines() if line.strip()]
    version_pager = Pager(versions, VERSIONS_PAGE)
    changes = version_changes(
        session, article.id, limit=version_pager.fetch, offset=version_pager.offset
    )
    copy_pager = Pager(copies_page, COPIES_PAGE)
    related = copies(session, article, limit=copy_pager.fetch, offset=copy_pager.offset)
    base = f"/articles/{article.id}"
    return render(
        request,
        "article.html",
        article=article,
        record=article_record(article),
        paragraphs=paragraphs,
        q=q or "",
        changes=changes[: version_pager.size],
        version_links=version_pager.links(len(changes), lambda n: f"{base}?versions={n}#versions"),
        related=related[: copy_pager.size],
        copy_links=copy_pager.links(len(related), lambda n: f"{base}?copies={n}#copies"),
    )


@router.get("/sites", name="sites_page")
def sites_page(
    request: Request,
    session: SessionDep,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
    page: PageNumber = 1,
) -> Response:
    chosen = site or None
    rows = site_days(
        session,
        site=chosen,
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
        days=days,
    )
    pager = Pager(page, SITES_PAGE)
    every_site = stats(session)["sites"]
    listed = every_site[pager.offset : pager.offset + pager.fetch]
    health: dict[str, dict[str, float]] = {}
    for row in rows:
        total = health.setdefault(
            row.site, {"articles": 0, "no_date": 0, "no_author": 0, "clutter": 0}
        )
        total["articles"] += row.articles
        total["no_date"] += row.no_date
        total["no_author"] += row.no_author
        total["clutter"] += row.clutter
    return render(
        request,
        "sites.html",
        rows=[r.as_dict() for r in rows],
        sites=listed[: pager.size],
        health=health,
        links=pager.links(len(listed), lambda n: f"/sites?page={n}"),
        site=chosen or "",
        since=since or "",
        until=until or "",
        days=days,
        site_names=[s["site"] for s in every_site],
        markers=CLUTTER_MARKERS,
    )


_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_CONTENT_TYPE = re.compile(rf'{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=("?){_TOKEN}\2)*')


def _content_type(value: str | None) -> str:
    """The captured content type, if it is a well-formed one to send back as it is."""
    value = (value or "").strip()
    return value if _CONTENT_TYPE.fullmatch(value) else "application/octet-stream"


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value.strip('"'):
            return value.strip('"')
    return "utf-8"


@router.get("/captures/{capture_id}/raw", name="raw_capture")
def raw_capture_page(
    request: Request, session: SessionDep, capture_id: int, view: str | None = None
) -> Response:
    """The archived response body, read back from its WARC record: a download in its own
    content type, or with ``?view=text`` the same bytes as ``text/plain`` to read here."""
    capture = session.get(Capture, capture_id)
    if capture is None:
        raise HTTPException(404, f"no capture with id {capture_id}")
    try:
        record = raw_capture(session, get_archive(request).warc, capture_id)
    except LookupError as exc:  # a failed fetch: nothing was stored
        raise HTTPException(404, f"{exc} ({capture.error or 'no response'})") from exc
    except FileNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(
            500, f"cannot read the WARC record of capture {capture_id}: {exc}"
        ) from exc
    content_type = _content_type(capture.content_type)
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
    if view == "text":
        return Response(
            record.body, media_type=f"text/plain; charset={_charset(content_type)}", headers=headers
        )
    headers["Content-Disposition"] = (
        f'attachment; filename="capture-{capture_id}{_extension(content_type)}"'
    )
    return Response(record.body, media_type=content_type, headers=headers)


def _extension(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    known = {
        "text/html": ".html",
        "application/xhtml+xml": ".html",
        "application/xml": ".xml",
        "text/xml": ".xml",
    }
    return known.get(kind, ".json" if kind.endswith("json") else ".bin")
