"""The demo news site as a local HTTP server, rendered from ``DemoSite.articles`` per request."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import urlsplit

from crawler.demo.articles import render_article
from crawler.demo.content import ARTICLES, PRIVATE_PATH, DemoArticle
from crawler.demo.feeds import (
    ARTICLE_SITEMAP,
    render_article_sitemap,
    render_robots,
    render_rss,
    render_sitemap_index,
)
from crawler.demo.listing import SECTIONS, render_home, render_section
from crawler.demo.serving import SiteServer, serve_in_thread
from crawler.demo.templates import SiteView, fill, image_path, photo_svg

logger = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_STATIC_IMAGES = ("/img/ipLocation.svg", "/img/qrcode.svg")
_NOT_FOUND = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>404 Not Found</title>'
    "</head><body><h1>404 Not Found</h1><p>您访问的页面不存在。</p>"
    '<p><a href="/">返回首页</a></p></body></html>\n'
)


@dataclass(frozen=True)
class Response:
    """What the site answers to one request."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None


class DemoSite:
    """The demo news site.

    ``articles`` maps path to article and is read on every request: replace an entry and the
    next request serves the new text. ``requests`` lists the request targets (path and query
    string, as sent) in the order they were served.
    """

    def __init__(self, articles: Sequence[DemoArticle] = ARTICLES) -> None:
        self.articles: dict[str, DemoArticle] = {article.path: article for article in articles}
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def view(self, base: str) -> SiteView:
        """A snapshot of the site as seen from ``base``, newest article first."""
        articles = sorted(self.articles.values(), key=lambda article: article.when, reverse=True)
        return SiteView(base=base, articles=tuple(articles))

    def respond(self, target: str, base: str) -> Response:
        """Answer a request for ``target`` (path and optional query) made to ``base``."""
        with self._lock:
            self.requests.append(target)
        path = urlsplit(target).path or "/"
        view = self.view(base)
        article = self._article(path)
        if article is not None:
            page = render_article(article, view)
            if article.encoding == "gbk":
                body = page.encode("gbk", "xmlcharrefreplace")
                return Response(200, "text/html; charset=GBK", body)
            return Response(200, HTML, page.encode("utf-8"))
        return self._respond_site_page(path, view)

    def _article(self, path: str) -> DemoArticle | None:
        """The article at ``path``; NetEase also answers to its ``_pdya11y`` accessible variant."""
        article = self.articles.get(path)
        if article is None and path.endswith("_pdya11y.html"):
            article = self.articles.get(path.removesuffix("_pdya11y.html") + ".html")
            if article is not None and article.style != "netease":
                return None
        return article

    def _respond_site_page(self, path: str, view: SiteView) -> Response:
        if path in ("/", "/index.html"):
            return Response(200, HTML, render_home(view).encode("utf-8"))
        for section in SECTIONS:
            if path == section.root.rstrip("/"):
                return Response(HTTPStatus.MOVED_PERMANENTLY, HTML, b"", location=section.root)
            page = section.page_of(path, view)
            if page is not None:
                return Response(200, HTML, render_section(section, page, view).encode("utf-8"))
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", render_robots(view).encode("utf-8"))
        if path == "/rss.xml":
            return Response(200, "application/rss+xml; charset=utf-8", render_rss(view))
        if path == "/sitemap.xml":
            return Response(200, XML, render_sitemap_index(view))
        if path == ARTICLE_SITEMAP:
            return Response(200, XML, render_article_sitemap(view))
        if path == PRIVATE_PATH:
            return Response(200, HTML, fill("private.html").encode("utf-8"))
        if path in _STATIC_IMAGES or any(path == image_path(a) for a in view.articles):
            return Response(200, "image/svg+xml", photo_svg().encode("utf-8"))
        return Response(HTTPStatus.NOT_FOUND, HTML, _NOT_FOUND.encode("utf-8"))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve the site from a daemon thread; yields the base URL, without a trailing slash."""
        return serve_in_thread(SiteServer((host, port), self, _Handler), "demo-site", host)


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsarchive-demo/1.0"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests and ``make demo`` read ``DemoSite.requests`` instead."""

    def _answer(self, with_body: bool) -> None:
        server = cast(SiteServer, self.server)
        base = self._base(server)
        try:
            response = server.site.respond(self.path, base)
        except Exception:
            logger.exception("demo page failed to render: %s", self.path)
            response = Response(500, "text/plain; charset=utf-8", b"internal error\n")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if response.location is not None:
            self.send_header("Location", base + response.location)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def _base(self, server: SiteServer) -> str:
        """``http://`` plus the Host header, so links and canonicals work on any port."""
        host = self.headers.get("Host", "")
        if _HOST.fullmatch(host):
            return f"http://{host}"
        host, port = str(server.server_address[0]), int(server.server_address[1])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
