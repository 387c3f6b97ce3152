"""What the pages and the API share: the session per request, filters, pages, highlighting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Query, Request
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from storage.database import Archive
from storage.queries import SearchHit, search
from storage.reader import Piece
from storage.search import highlight_terms, snippet

Sort = Literal["relevance", "newest"]
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in a snippet's own text


class BadRequest(Exception):
    """A request the reader cannot answer as asked: a 400 with this message."""


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request. The app's engine refuses writes, and nothing is committed."""
    with get_archive(request).session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def blank_is_none(value: str | None) -> str | None:
    """An empty form field means no filter."""
    return value.strip() or None if value is not None else None


def parse_day(value: str | None, name: str) -> date | None:
    value = blank_is_none(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def day_start(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day, tzinfo=UTC) if value else None


@dataclass(frozen=True)
class SearchForm:
    """A search as the form and the API state it; dates are UTC, ``until`` is exclusive."""

    q: str | None
    site: str | None
    lang: str | None
    since: date | None
    until: date | None
    sort: Sort

    def run(self, session: Session, *, limit: int, offset: int) -> list[SearchHit]:
        """The hits (raises ``storage.search.QueryError`` for a malformed query)."""
        if self.q is None:
            return []
        return search(
            session,
            self.q,
            site=self.site,
            language=self.lang,
            since=day_start(self.since),
            until=day_start(self.until),
            sort=self.sort,
            limit=limit,
            offset=offset,
        )

    def terms(self) -> list[str]:
        return highlight_terms(self.q) if self.q else []

    def query_string(self, **extra: Any) -> str:
        """The form's fields (and ``extra``) as a URL query, empty ones left out."""
        fields: dict[str, Any] = {
            "q": self.q,
            "site": self.site,
            "lang": self.lang,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sort": self.sort if self.sort != "relevance" else None,
            **extra,
        }
        return urlencode({k: v for k, v in fields.items() if v not in (None, "")})


def search_form(
    q: Annotated[str | None, Query(description='Words to find; `"…"` makes a phrase.')] = None,
    site: Annotated[str | None, Query(description="Only this site.")] = None,
    lang: Annotated[str | None, Query(description="Only this language (zh matches zh-cn).")] = None,
    since: Annotated[
        str | None, Query(description="Published on or after (YYYY-MM-DD, UTC).")
    ] = None,
    until: Annotated[str | None, Query(description="Published before (YYYY-MM-DD, UTC).")] = None,
    sort: Annotated[Sort, Query(description="Best matches or newest first.")] = "relevance",
) -> SearchForm:
    return SearchForm(
        q=blank_is_none(q),
        site=blank_is_none(site),
        lang=blank_is_none(lang),
        since=parse_day(since, "since"),
        until=parse_day(until, "until"),
        sort=sort,
    )


SearchDep = Annotated[SearchForm, Depends(search_form)]


@dataclass(frozen=True)
class Pager:
    """Page ``page`` (from 1) of ``size`` items; fetch ``size + 1`` to learn if there is more."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def fetch(self) -> int:
        return self.size + 1

    def links(self, found: int, make: Any) -> dict[str, str | None]:
        """``previous`` and ``next`` URLs, ``make(page)`` building each."""
        return {
            "previous": make(self.page - 1) if self.page > 1 else None,
            "next": make(self.page + 1) if found > self.size else None,
        }


def highlight(pieces: list[Piece] | tuple[Piece, ...]) -> Markup:
    """Text pieces as HTML: each escaped first, then the flagged ones wrapped in ``<mark>``."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(text) if flagged else escape(text)
        for text, flagged in pieces
    )


def safe_href(url: str | None) -> str | None:
    """``url`` when it is a web address one may link to (never ``javascript:`` and the like)."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def marked_snippet(text: str, terms: list[str], *, width: int = 160) -> tuple[str, list[Piece]]:
    """``storage.search.snippet`` as plain text, and as pieces with the matches flagged."""
    marked = snippet(
        text.replace(_OPEN, "").replace(_CLOSE, ""), terms, width=width, mark=(_OPEN, _CLOSE)
    )
    return marked.replace(_OPEN, "").replace(_CLOSE, ""), split_marked(marked)


def split_marked(marked: str) -> list[Piece]:
    pieces: list[Piece] = []
    for part in re.split(f"({_OPEN}.*?{_CLOSE})", marked):
        if part:
            is_match = part.startswith(_OPEN)
            pieces.append((part.strip(_OPEN + _CLOSE), is_match))
    return pieces


def match_pieces(text: str, terms: list[str]) -> list[Piece]:
    """All of ``text``, with every case-insensitive occurrence of a term flagged."""
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    pieces: list[Piece] = []
    last = 0
    for found in pattern.finditer(text):
        pieces += [(text[last : found.start()], False), (found.group(0), True)]
        last = found.end()
    pieces.append((text[last:], False))
    return [p for p in pieces if p[0]]
