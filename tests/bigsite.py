"""A big local news site for distributed crawl tests (a helper, not a test module).

    site = BigSite(articles=2100)
    with site.serve() as base:            # http://127.0.0.1:PORT, no trailing slash
        ...crawl f"{base}/"...
    site.fetches                          # Counter: path -> times served
    site.log                              # (path, User-Agent) in the order served

=======================================  ==========================================================
path                                     what it is
=======================================  ==========================================================
``/``                                    the newest ``PER_PAGE`` articles and a "下一页" link
``/archive/N.html``                      list page N (2 … ``LIST_PAGES``), with "下一页" to N+1
``/robots.txt``                          names ``/sitemap.xml``
``/sitemap.xml``                         a sitemap index of ``/sitemaps/N.xml``
``/sitemaps/N.xml``                      ``SITEMAP_SIZE`` article URLs each, with ``lastmod``
``/news/2026/01/DD/story-NNNNN.html``    article NNNNN: a title and four paragraphs of its own
=======================================  ==========================================================

The list pages reach only the newest ``PER_PAGE * LIST_PAGES`` articles, the sitemaps all of them,
so a crawl finds the newest ones twice over and must still fetch each once. Article texts are
word salad from a seeded generator: distinct enough that no two are near-duplicates.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import urlsplit

from crawler.demo.serving import SiteServer, serve_in_thread

PER_PAGE = 20
LIST_PAGES = 10
SITEMAP_SIZE = 500
VOCABULARY = (
    "council county river bridge school farmers market harvest winter heating library "
    "volunteers hospital doctors clinic road railway station festival museum tea village "
    "town mayor budget water power grid solar wind factory workers wages housing rent "
    "students teachers exam museum opera theatre garden park lake mountain forest fire "
    "police court judge lawyer trade port ship container export import price rice wheat "
    "pork fish vegetables fruit apples pears weather snow rain flood drought storm bus "
    "subway airport flight tourists hotel restaurant noodles dumplings history temple "
    "archive newspaper reporter editor photograph survey census elderly children nursery "
    "pension insurance tax bank loan credit startup software robot chip battery vehicle"
)
WORDS = VOCABULARY.split()


def article_path(number: int) -> str:
    return f"/news/2026/01/{1 + number % 28:02d}/story-{number:05d}.html"


def article_title(number: int) -> str:
    words = random.Random(number).sample(WORDS, 5)
    return f"Story {number}: " + " ".join(words).capitalize()


def article_paragraphs(number: int) -> list[str]:
    rng = random.Random(-1 - number)
    return [
        " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + f" (report {number}-{i})."
        for i in range(4)
    ]


class BigSite:
    """``articles`` news articles, numbered 1 (oldest) to ``articles`` (newest)."""

    def __init__(self, articles: int = 2100) -> None:
        self.count = articles
        self.log: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._by_path = {article_path(n): n for n in range(1, articles + 1)}

    @property
    def fetches(self) -> Counter[str]:
        with self._lock:
            return Counter(path for path, _ in self.log)

    @property
    def article_paths(self) -> set[str]:
        return set(self._by_path)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        return _serve(self, host, port)

    def respond(self, path: str, user_agent: str, base: str) -> tuple[int, str, str]:
        """``(status, content type, body)`` for ``path``; every request is logged."""
        with self._lock:
            self.log.append((path, user_agent))
        if path in ("/", "/index.html"):
            return 200, "text/html", self._list_page(1)
        if path.startswith("/archive/") and path.endswith(".html"):
            page = path.removeprefix("/archive/").removesuffix(".html")
            if page.isdigit() and 2 <= int(page) <= LIST_PAGES:
                return 200, "text/html", self._list_page(int(page))
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
        if path == "/sitemap.xml":
            return 200, "application/xml", self._sitemap_index(base)
        if path.startswith("/sitemaps/") and path.endswith(".xml"):
            part = path.removeprefix("/sitemaps/").removesuffix(".xml")
            if part.isdigit():
                return 200, "application/xml", self._sitemap(int(part), base)
        if (number := self._by_path.get(path)) is not None:
            return 200, "text/html", self._article(number)
        return 404, "text/html", "<html><body><h1>Not found</h1></body></html>"

    def _list_page(self, page: int) -> str:
        newest = self.count - (page - 1) * PER_PAGE
        items = "".join(
            f'<li><a href="{article_path(n)}">{article_title(n)}</a></li>'
            for n in range(newest, max(newest - PER_PAGE, 0), -1)
        )
        following = f'<a href="/archive/{page + 1}.html">下一页</a>' if page < LIST_PAGES else ""
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Big News - page {page}</title></head><body><h1>Latest news</h1>"
            f"<ul>{items}</ul><p>{following}</p></body></html>"
        )

    def _sitemap_index(self, base: str) -> str:
        parts = -(-self.count // SITEMAP_SIZE)
        entries = "".join(
            f"<sitemap><loc>{base}/sitemaps/{i}.xml</loc></sitemap>" for i in range(1, parts + 1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
            "</sitemapindex>"
        )

    def _sitemap(self, part: int, base: str) -> str:
        first = (part - 1) * SITEMAP_SIZE + 1
        numbers = range(first, min(first + SITEMAP_SIZE, self.count + 1))
        entries = "".join(
            f"<url><loc>{base}{article_path(n)}</loc><lastmod>2026-01-07T08:00:00+08:00</lastmod></url>"
            for n in numbers
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        )

    def _article(self, number: int) -> str:
        title = article_title(number)
        paragraphs = "".join(f"<p>{p}</p>" for p in article_paragraphs(number))
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            '<meta property="article:published_time" content="2026-01-07T08:00:00+08:00">'
            f'</head><body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>'
            f'<p class="byline">By Big News staff</p>{paragraphs}</article>'
            "<footer>Big News, a test site</footer></body></html>"
        )


class _Server(SiteServer):
    request_queue_size = 256  # many crawler processes connect at once


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = cast(SiteServer, self.server)
        host, port = server.server_address[:2]
        status, content_type, text = server.site.respond(
            urlsplit(self.path).path, self.headers.get("User-Agent", ""), f"http://{host!s}:{port}"
        )
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``BigSite.log``."""


@contextmanager
def _serve(site: BigSite, host: str, port: int) -> Iterator[str]:
    with serve_in_thread(_Server((host, port), site, _Handler), "big-site", host) as base:
        yield base
