"""Page templates (``string.Template`` files in ``templates/``) and the helpers pages share."""

from __future__ import annotations

import html
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import TypeVar

from crawler.demo.model import DemoArticle

T = TypeVar("T")

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class SiteView:
    """What one request sees: the base URL from its Host header and the articles, newest first."""

    base: str
    articles: tuple[DemoArticle, ...]

    def url(self, path: str) -> str:
        """The absolute URL of a site path."""
        return self.base + path

    def of_style(self, *styles: str) -> list[DemoArticle]:
        """The articles of the given styles, newest first."""
        return [article for article in self.articles if article.style in styles]

    def neighbours(self, article: DemoArticle, *styles: str, count: int) -> list[DemoArticle]:
        """Up to ``count`` other articles of the given styles, the closest in time first."""
        others = [other for other in self.of_style(*styles) if other.path != article.path]
        others.sort(key=lambda other: abs((other.when - article.when).total_seconds()))
        return others[:count]


@cache
def _template(name: str) -> Template:
    source = resources.files("crawler.demo") / "templates" / name
    return Template(source.read_text(encoding="utf-8"))


def fill(name: str, **values: str) -> str:
    """Fill the template ``templates/<name>``; every placeholder must be given."""
    return _template(name).substitute(values)


def esc(text: str) -> str:
    """Escape text for HTML content and double-quoted attribute values."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def token(text: str, length: int = 8) -> str:
    """A stable id of ``[0-9A-Z]`` characters derived from text (NetEase paragraph ids)."""
    number = zlib.crc32(text.encode("utf-8")) * 2654435761 + len(text)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_DIGITS))
        chars.append(_DIGITS[digit])
    return "".join(chars)


def rotate(pool: Sequence[T], key: str, count: int) -> list[T]:
    """``count`` items of ``pool``: always the first, then a stable rotation chosen by ``key``."""
    start = zlib.crc32(key.encode("utf-8")) % len(pool)
    rest = [item for item in (*pool[start:], *pool[:start]) if item != pool[0]]
    return [pool[0], *rest][:count]


def image_path(article: DemoArticle) -> str:
    """The path of the article's (placeholder) photo."""
    return f"/img/{token(article.path).lower()}.svg"


def describe(article: DemoArticle, limit: int = 60) -> str:
    """A one-line description: the summary, else the start of the first paragraph."""
    if article.summary:
        return article.summary
    first = article.paragraphs[0] if article.paragraphs else article.title
    return first if len(first) <= limit else first[:limit] + "…"


def photo_svg() -> str:
    """A neutral placeholder picture."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">'
        '<rect width="640" height="400" fill="#d8dde3"/>'
        '<circle cx="470" cy="120" r="48" fill="#f2f4f6"/>'
        '<path d="M0 400 L220 190 L380 330 L470 250 L640 400 Z" fill="#9aa6b2"/></svg>'
    )
