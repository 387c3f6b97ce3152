"""Parse a page once and read its page-level facts: meta tags, JSON-LD, canonical URL, language.

Everything here reads the tree and never changes it, so it runs before clutter removal.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from lxml import etree, html
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# the same parser settings as trafilatura's own loader, so handing it our tree changes nothing
_PARSER = html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
# "<html ... />" (self-closed root) makes lxml drop the whole document; trafilatura repairs it too
_SELF_CLOSED_ROOT = re.compile(r"(<html[^>]*)/>", re.IGNORECASE)
# a character of the CJK ideograph blocks (and kana), as the corpus scorer counts them
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WS = re.compile(r"\s+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# XHTML-era pages wrap JSON-LD in "<![CDATA[ … ]]>" (or "//<![CDATA[" for old parsers)
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
# separators of a keywords list: "辟谣,外泄,账号", "教育、学校", "a; b"
_TAG_SPLIT = re.compile(r"[,，、;；|]")
_MAX_TAGS = 30
_MAX_TAG_CHARS = 40  # a longer "keyword" is a sentence of SEO text


def parse_html(markup: str) -> HtmlElement | None:
    """The page's <html> element, or None when there is nothing to parse."""
    head = markup[:4096]
    if "<html" in head.lower() and _SELF_CLOSED_ROOT.search(head):
        markup = _SELF_CLOSED_ROOT.sub(r"\1>", markup, count=1)
    try:
        return html.document_fromstring(markup, parser=_PARSER)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported": hand lxml UTF-8 bytes
        data = markup.encode("utf-8", "surrogatepass")
    except etree.ParserError:
        return None
    try:
        return html.document_fromstring(data, parser=_PARSER)
    except (ValueError, etree.ParserError):
        return None


def squash(text: str | None) -> str:
    """Collapse runs of whitespace (including U+3000 and nbsp) to one space."""
    return _WS.sub(" ", text or "").strip()


def node_text(node: HtmlElement) -> str:
    return squash(node.text_content())


def is_chinese(text: str) -> bool:
    """CJK-dominant: CJK characters outnumber the ASCII letters in a sample of the text."""
    sample = text[:3000]
    cjk = len(CJK_CHAR.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    return cjk > 20 and cjk * 2 > latin


class PageFacts:
    """A page's metadata (meta tags, JSON-LD, links), read before clutter removal edits the tree."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self.tree = tree
        self.url = url
        self.meta: dict[str, str] = {}
        for node in tree.iterfind(".//meta"):
            key = node.get("property") or node.get("name") or node.get("itemprop")
            value = node.get("content")
            if key and value and value.strip():
                self.meta.setdefault(key.strip().lower(), value.strip())
        self.json_ld = list(_json_ld_objects(tree))
        self.html_lang = self._html_lang()
        self.canonical_url = self._canonical_url()
        self.site_name = self._site_name()

    def first_meta(self, *keys: str) -> str | None:
        for key in keys:
            if value := self.meta.get(key):
                return squash(value)
        return None

    def ld_values(self, key: str) -> Iterator[Any]:
        """Values of `key` in JSON-LD objects, article-like types first."""
        ranked = sorted(self.json_ld, key=lambda obj: not _is_article(obj))
        for obj in ranked:
            if key in obj:
                yield obj[key]

    def tags(self) -> tuple[str, ...]:
        """Tags and keywords: article:tag metas, JSON-LD keywords, else meta keywords."""
        raw = [
            node.get("content", "")
            for node in self.tree.iterfind(".//meta[@property='article:tag']")
        ]
        for value in self.ld_values("keywords"):
            raw.extend(value if isinstance(value, list) else [value])
        if not raw and (keywords := self.first_meta("keywords", "news_keywords")):
            raw = [keywords]
        tags: list[str] = []
        for entry in raw:
            for tag in _TAG_SPLIT.split(entry if isinstance(entry, str) else ""):
                if (tag := squash(tag)) and tag not in tags and len(tag) <= _MAX_TAG_CHARS:
                    tags.append(tag)
        return tuple(tags[:_MAX_TAGS])

    def _html_lang(self) -> str | None:
        lang = self.tree.get("lang") or self.tree.get("xml:lang")
        if not lang:
            lang = self.first_meta("content-language", "og:locale", "language")
        return lang.strip() if lang and lang.strip() else None

    def _canonical_url(self) -> str | None:
        for node in self.tree.iterfind(".//link[@rel]"):
            if "canonical" in node.get("rel", "").lower().split() and node.get("href"):
                return self._absolute(node.get("href", ""))
        og_url = self.first_meta("og:url")
        return self._absolute(og_url) if og_url else None

    def _site_name(self) -> str | None:
        name = self.first_meta("og:site_name", "application-name", "twitter:site")
        if name is None:
            for publisher in self.ld_values("publisher"):
                if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                    name = squash(publisher["name"])
                    break
        return name or None

    def _absolute(self, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("javascript:", "#")):
            return None
        absolute = urljoin(self.url, href) if self.url else href
        return absolute if absolute.startswith(("http://", "https://")) else None


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's ld+json scripts, flattening lists and @graph."""
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in script.get("type", "").lower() or not script.text:
            continue
        try:
            data = json.loads(_CDATA.sub("", script.text))
        except ValueError:
            # pages often put raw newlines into strings; one lenient retry is enough
            try:
                data = json.loads(_CDATA.sub("", script.text).replace("\n", " "), strict=False)
            except ValueError:
                continue
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and ("Article" in k or "Posting" in k) for k in kinds)
