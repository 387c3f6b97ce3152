"""A static mirror of several real sites, served from one local port.

A mirror is a directory laid out as ``ROOT/<host>/<path>``: ``ROOT/www.163.com/dy/article/X.html``
answers ``http://127.0.0.1:PORT/www.163.com/dy/article/X.html``, the mirror of
``https://www.163.com/dy/article/X.html``. The rules:

- the query string is ignored when looking a file up (``?f=post2020_dy_recommends`` finds the page);
- a path ending in ``/`` serves that directory's ``index.html``; a directory asked for without the
  slash answers 301 to the slashed URL, as a static web server would;
- ``ROOT/_headers.json`` maps ``"<host>/<path>"`` (the file served, so ``…/index.html`` for a
  directory) to extra response headers, e.g. ``{"Content-Type": "text/html; charset=GBK",
  "Last-Modified": "Mon, 15 Jun 2009 00:40:00 GMT"}``; otherwise the Content-Type follows the
  file name (:data:`CONTENT_TYPES`);
- every file carries an ``ETag`` (a hash of its bytes) and a ``Last-Modified`` (the file's mtime
  unless ``_headers.json`` says otherwise), and ``If-None-Match`` / ``If-Modified-Since`` get 304;
- files directly in ``ROOT`` (``_headers.json``, ``ARTICLES.json``) and names starting with ``_``
  or ``.`` are never served; anything else missing is a 404.

``MirrorSite.replace`` changes what a path serves without touching the files (an overlay kept in
memory), so a test can edit an article and re-crawl. Pages keep the real sites' links; a crawler
maps them onto the mirror with :func:`to_mirror` and back with :func:`from_mirror`.

``python -m crawler.demo mirror tests/fixtures/mirrors/netease`` serves a mirror until interrupted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from crawler.demo.serving import SiteServer, serve_in_thread

logger = logging.getLogger(__name__)

HEADERS_FILE = "_headers.json"
# Longest suffix first: ".xml.gz" must win over ".gz".
CONTENT_TYPES: tuple[tuple[str, str], ...] = (
    (".xml.gz", "application/x-gzip"),
    (".html", "text/html; charset=utf-8"),
    (".htm", "text/html; charset=utf-8"),
    (".shtml", "text/html; charset=utf-8"),
    (".xml", "application/xml"),
    (".gz", "application/x-gzip"),
    (".js", "application/javascript; charset=utf-8"),
    (".json", "application/json"),
    (".txt", "text/plain; charset=utf-8"),
    (".css", "text/css; charset=utf-8"),
    (".svg", "image/svg+xml"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".gif", "image/gif"),
)
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_NOT_FOUND = (
    b'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>404 Not Found</title>'
    b"</head><body><h1>404 Not Found</h1></body></html>\n"
)


@dataclass(frozen=True)
class Response:
    """What the mirror answers to one request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass(frozen=True)
class _Entry:
    data: bytes
    last_modified: int  # seconds since the epoch


def content_type_for(name: str) -> str:
    """The Content-Type a mirror file gets from its name alone."""
    lowered = name.lower()
    for suffix, content_type in CONTENT_TYPES:
        if lowered.endswith(suffix):
            return content_type
    return DEFAULT_CONTENT_TYPE


def to_mirror(url: str, base: str) -> str:
    """``https://www.163.com/a.html?x=1`` -> ``{base}/www.163.com/a.html?x=1`` (scheme dropped)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    mirrored = f"{base.rstrip('/')}/{parts.hostname}{parts.path or '/'}"
    if parts.query:
        mirrored += f"?{parts.query}"
    if parts.fragment:
        mirrored += f"#{parts.fragment}"
    return mirrored


def from_mirror(url: str, base: str, scheme: str = "https") -> str:
    """The inverse of :func:`to_mirror`; the mirror does not know the scheme, so it is given."""
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        raise ValueError(f"not a URL of the mirror at {base}: {url!r}")
    rest = url[len(prefix) :]
    host, slash, path = rest.partition("/")
    if not host:
        raise ValueError(f"no host in mirror URL: {url!r}")
    return f"{scheme}://{host}/{path}" if slash else f"{scheme}://{host}/"


class MirrorSite:
    """Serves the mirror directory ``root`` (see the module docstring for the rules).

    ``requests`` lists the request targets (path and query string, as sent) in the order they
    were served.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"not a directory: {root}")
        self.headers = _load_headers(self.root / HEADERS_FILE)
        self.requests: list[str] = []
        self._overlay: dict[str, _Entry | None] = {}
        self._lock = threading.Lock()

    @property
    def hosts(self) -> list[str]:
        """The hosts this mirror holds: the directories under ``root``."""
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(("_", "."))
        )

    def replace(self, host_path: str, data: bytes) -> None:
        """Serve ``data`` at ``host_path`` (``"www.163.com/dy/article/X.html"``) from now on.

        The files stay as they are. The ETag follows the new bytes and the Last-Modified moves
        forward by at least a second, so conditional requests see the change.
        """
        key = _normalize(host_path)
        with self._lock:
            previous = self._current(key)
            floor = previous.last_modified + 1 if previous is not None else 0
            self._overlay[key] = _Entry(bytes(data), max(int(time.time()), floor))

    def remove(self, host_path: str) -> None:
        """Answer 404 at ``host_path`` from now on (the file stays)."""
        key = _normalize(host_path)
        with self._lock:
            self._overlay[key] = None

    def restore(self) -> None:
        """Drop every :meth:`replace` and :meth:`remove`: serve the files again."""
        with self._lock:
            self._overlay.clear()

    def respond(
        self, target: str, request_headers: Mapping[str, str] | None = None, *, head: bool = False
    ) -> Response:
        """Answer a GET (or HEAD) of ``target``: a path with an optional query string."""
        headers = {name.lower(): value for name, value in (request_headers or {}).items()}
        with self._lock:
            self.requests.append(target)
        path = unquote(urlsplit(target).path) or "/"
        if path == "/":
            return self._host_list(head)
        if not path.endswith("/") and self._is_directory(path):
            return Response(HTTPStatus.MOVED_PERMANENTLY, (("Location", path + "/"),))
        try:
            key = _normalize(path)
        except ValueError:
            return _not_found(head)
        with self._lock:
            entry = self._current(key)
        if entry is None:
            return _not_found(head)
        return self._file_response(key, entry, headers, head)

    def _current(self, key: str) -> _Entry | None:
        """What ``key`` serves now: the overlay, else the file. Call with the lock held."""
        if key in self._overlay:
            return self._overlay[key]
        file = self.root / key
        if not file.is_file() or not file.resolve().is_relative_to(self.root):
            return None
        declared = self.headers.get(key, {}).get("Last-Modified")
        if declared is not None:
            last_modified = int(parsedate_to_datetime(declared).timestamp())
        else:
            last_modified = int(file.stat().st_mtime)
        return _Entry(file.read_bytes(), last_modified)

    def _is_directory(self, path: str) -> bool:
        try:
            key = _normalize(path + "/")
        except ValueError:
            return False
        directory = (self.root / key).parent
        return directory.is_dir() and directory.resolve().is_relative_to(self.root)

    def _host_list(self, head: bool) -> Response:
        """``/``: a page linking each mirrored host's front page, for people browsing the mirror."""
        items = "".join(f'<li><a href="/{host}/">{host}</a></li>' for host in self.hosts)
        page = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>mirror</title></head>'
            f"<body><h1>Mirrored hosts</h1><ul>{items}</ul></body></html>\n"
        ).encode()
        headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))))
        return Response(HTTPStatus.OK, headers, b"" if head else page)

    def _file_response(
        self, key: str, entry: _Entry, request_headers: Mapping[str, str], head: bool
    ) -> Response:
        etag = '"' + hashlib.sha256(entry.data).hexdigest()[:32] + '"'
        last_modified = formatdate(entry.last_modified, usegmt=True)
        validators = (("ETag", etag), ("Last-Modified", last_modified))
        if _not_modified(request_headers, etag, entry.last_modified):
            return Response(HTTPStatus.NOT_MODIFIED, validators)
        extra = {
            name: value
            for name, value in self.headers.get(key, {}).items()
            if name.lower() not in ("etag", "last-modified", "content-length")
        }
        if not any(name.lower() == "content-type" for name in extra):
            extra["Content-Type"] = content_type_for(key)
        headers = (
            *extra.items(),
            ("Content-Length", str(len(entry.data))),
            *validators,
        )
        return Response(HTTPStatus.OK, headers, b"" if head else entry.data)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve the mirror from a daemon thread; yields the base URL, without a trailing slash."""
        return serve_in_thread(SiteServer((host, port), self, _Handler), "mirror-site", host)


def _normalize(host_path: str) -> str:
    """``/www.163.com/news/`` -> ``www.163.com/news/index.html``; refuse anything outside a host."""
    path = host_path.lstrip("/")
    if path.endswith("/"):
        path += "index.html"
    segments = path.split("/")
    if len(segments) < 2 or any(
        segment in ("", ".", "..") or segment.startswith(("_", ".")) or "\\" in segment
        for segment in segments[:-1]
    ):
        raise ValueError(f"not a path inside a mirrored host: {host_path!r}")
    if segments[-1].startswith(".") or "\x00" in path or "\\" in segments[-1]:
        raise ValueError(f"not a path inside a mirrored host: {host_path!r}")
    return path


def _not_modified(request_headers: Mapping[str, str], etag: str, last_modified: int) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since.

    ``request_headers`` has lower-case names.
    """
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request_headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return last_modified <= since


def _not_found(head: bool) -> Response:
    headers = (
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(_NOT_FOUND))),
    )
    return Response(HTTPStatus.NOT_FOUND, headers, b"" if head else _NOT_FOUND)


def _load_headers(path: Path) -> dict[str, dict[str, str]]:
    """``_headers.json``, keys normalized like request paths; a broken file is a ValueError."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict) or not all(
        isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
        for headers in raw.values()
    ):
        raise ValueError(f'{path}: expected {{"<host>/<path>": {{"Header": "value"}}}}')
    loaded = {_normalize(key): dict(headers) for key, headers in raw.items()}
    for key, headers in loaded.items():
        declared = headers.get("Last-Modified")
        if declared is not None:
            try:
                parsedate_to_datetime(declared)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}: bad Last-Modified for {key}: {declared!r}") from exc
    return loaded


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsarchive-mirror/1.0"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read ``MirrorSite.requests`` instead."""

    def _answer(self, head: bool) -> None:
        site = cast(SiteServer, self.server).site
        try:
            response = site.respond(self.path, dict(self.headers.items()), head=head)
        except Exception:
            logger.exception("mirror failed to answer: %s", self.path)
            response = Response(500, (("Content-Type", "text/plain; charset=utf-8"),), b"error\n")
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != HTTPStatus.NOT_MODIFIED and not any(
            name == "Content-Length" for name, _ in response.headers
        ):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)
