"""``create_app(database_url)``: the web reader as a FastAPI application.

The archive is opened once, read-only (SQLite ``query_only``, PostgreSQL read-only
transactions), and each request reads it in a session of its own. Pages are Jinja2 templates
with autoescaping on, so anything that came from a scraped page is shown as text. Errors are
pages for people and JSON for the API: a malformed query or date is a 400 with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.engine import make_url
from starlette.exceptions import HTTPException

from crawler.web import api, pages
from crawler.web.params import BadRequest, highlight, safe_href
from storage.database import ArchiveError, display_url, open_archive
from storage.database import database_url as database_url_or_default
from storage.reader import make_read_only
from storage.search import QueryError

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _version() -> str:
    try:
        return version("newsarchive")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def templates() -> Jinja2Templates:
    """Templates that escape every value unless it is ``Markup`` we built ourselves."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["highlight"] = highlight
    env.filters["safe_href"] = safe_href
    return Jinja2Templates(env=env)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    view: Jinja2Templates = request.app.state.templates
    return view.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def add_error_handlers(app: FastAPI) -> None:
    async def bad_query(request: Request, exc: Exception) -> Response:
        return error_response(request, 400, f"bad query: {exc}")

    async def bad_request(request: Request, exc: Exception) -> Response:
        return error_response(request, 400, str(exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        status = 422 if _wants_json(request) else 400
        return error_response(request, status, _validation_message(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(request, exc.status_code, str(exc.detail))

    app.add_exception_handler(QueryError, bad_query)
    app.add_exception_handler(BadRequest, bad_request)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)


def create_app(database_url: str | None = None, *, warc_dir: Path | None = None) -> FastAPI:
    """The reader over the archive at ``database_url`` (default: ``$ARCHIVE_DATABASE_URL``).

    Raises ``storage.database.ArchiveError`` when there is no archive there: the reader never
    creates one.
    """
    url = database_url_or_default(database_url)
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not file.startswith("file:") and not Path(file).is_file():
        raise ArchiveError(f"no archive at {display_url(url)}")  # connecting would create one
    archive = open_archive(url, warc_dir=warc_dir, create=False)
    make_read_only(archive.engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        archive.close()

    app = FastAPI(
        title="newsarchive",
        summary="Read-only access to a news archive: search, articles, sites, statistics.",
        version=_version(),
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the reader loads none
        redoc_url=None,
    )
    app.state.archive = archive
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    add_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        return response

    return app
