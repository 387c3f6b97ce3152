"""Finding articles: sitemaps, feeds, robots.txt and list-page links. Pure functions.

XML comes from strangers: it is parsed with entities left unresolved, no network access and no
huge-tree mode, so an entity bomb or an external entity cannot do anything.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

_XML_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "recover": True,
    "remove_comments": True,
}


@dataclass(frozen=True)
class Entry:
    """A link to an article with what the sitemap or feed says about it."""

    url: str
    title: str | None = None
    published: str | None = None  # as written: W3C datetime, RFC 822, …
    modified: str | None = None


def sniff(body: bytes, content_type: str | None) -> str:
    """What a start URL returned: ``sitemap``, ``feed``, ``jsonfeed`` or ``html``."""
    head = body[:2048].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    kind = (content_type or "").lower()
    if head.startswith(b"{") and (b"jsonfeed.org" in head or "json" in kind):
        return "jsonfeed"
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    return "html"


def _root(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(**_XML_PARSER_OPTIONS)
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return str(child.text).strip()
    return None


def xml_problem(body: bytes) -> str | None:
    """Why an XML document (a sitemap, a feed) is not one to trust, or None if it is fine.

    The parsers here recover what they can from broken XML; this says that it was broken, so
    the crawl can count and record it. Entity declarations are never expanded, but a sitemap
    that declares any (an "XXE" or an entity bomb) is reported as well.
    """
    if re.search(rb"<!ENTITY", body[:65536], re.I):
        return "declares XML entities (not expanded)"
    strict = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False
    )
    try:
        etree.fromstring(body, parser=strict)
    except etree.XMLSyntaxError as exc:
        return f"malformed XML ({str(exc)[:120]})"
    return None


def parse_sitemap(body: bytes) -> tuple[str, list[Entry]]:
    """``("sitemapindex" | "urlset", entries)``; Google News tags are read where present."""
    root = _root(body)
    if root is None:
        return "invalid", []
    kind = _local(root.tag)
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        entries.append(
            Entry(
                url=loc,
                title=_child_text(node, "title"),  # news:title
                published=_child_text(node, "publication_date"),  # news:publication_date
                modified=_child_text(node, "lastmod"),
            )
        )
    return kind, entries


def parse_feed(body: bytes) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed."""
    root = _root(body)
    if root is None:
        return []
    entries = []
    for node in root.iter():
        name = _local(node.tag)
        if name == "item":
            link = _child_text(node, "link") or _child_text(node, "guid")
            date = _child_text(node, "pubdate", "date")
        elif name == "entry":
            link = _atom_link(node)
            date = _child_text(node, "published", "updated")
        else:
            continue
        if link:
            entries.append(Entry(url=link, title=_child_text(node, "title"), published=date))
    return entries


def _atom_link(entry: etree._Element) -> str | None:
    for child in entry:
        if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
            href = child.get("href")
            if href:
                return str(href)
    return None


def parse_json_feed(body: bytes) -> list[Entry]:
    """Entries of a JSON Feed (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    items = data.get("items") if isinstance(data, dict) else None
    entries = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            entries.append(
                Entry(
                    url=item["url"],
                    title=_str(item.get("title")),
                    published=_str(item.get("date_published")),
                    modified=_str(item.get("date_modified")),
                )
            )
    return entries


# 163.com's list endpoints: data_callback([ {...}, {...}, ]) — JSON inside a callback, sometimes
# with a trailing comma before "]" (SITES.md §1.2), so it is parsed leniently.
_JSONP_RE = re.compile(rb"^[\s;]*[\w.$]+\s*\((?P<body>.*)\)\s*;?\s*$", re.S)
_TRAILING_COMMA_RE = re.compile(rb",\s*([\]}])")
# The "time" of those entries: 01/07/2026 15:34:12, local time without a zone.
_US_TIME_RE = re.compile(r"^(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?$")


def parse_jsonp(body: bytes, timezone: str | None = None) -> list[Entry]:
    """Entries of a JSONP (or JSON) list: objects with ``docurl``/``url``, ``title``, ``time``.

    Naive times are taken as local time in ``timezone`` (Asia/Shanghai if None).
    """
    match = _JSONP_RE.match(body.strip().removeprefix(codecs.BOM_UTF8))
    payload = _TRAILING_COMMA_RE.sub(rb"\1", match["body"] if match else body)
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    if isinstance(data, dict):  # {"BBM54PGAwangning": [...]} and {"data": {"list": [...]}}
        lists = [v for v in data.values() if isinstance(v, list)]
        nested = data.get("data")
        if isinstance(nested, dict):
            lists += [v for v in nested.values() if isinstance(v, list)]
        data = lists[0] if lists else []
    entries = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        url = _str(item.get("docurl")) or _str(item.get("url")) or _str(item.get("link"))
        if url:
            when = _str(item.get("time")) or _str(item.get("ptime"))
            entries.append(
                Entry(url=url, title=_str(item.get("title")), published=_local_time(when, timezone))
            )
    return entries


def _local_time(value: str | None, timezone: str | None) -> str | None:
    """``01/07/2026 15:34:12`` or ``2026-01-07 15:34:12`` as ISO 8601 with the site's offset."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not value:
        return None
    value = value.strip()
    if match := _US_TIME_RE.match(value):
        month, day, year, hour, minute, second = match.groups()
        value = f"{year}-{month}-{day} {hour}:{minute}:{second or '00'}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone or "Asia/Shanghai"))
    return parsed.isoformat()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def robots_sitemaps(text: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt."""
    found = re.findall(r"(?im)^\s*sitemap\s*:\s*(\S+)", text)
    return list(dict.fromkeys(found))


# Date archives such as /2026/01/ or /2026/01/07/ list articles; they are not articles.
_ARCHIVE_INDEX = re.compile(r"^(/[a-z]+)*(/\d{2,4}){1,3}/?$", re.I)
# Article URLs: a date in the path (/2026/01/07/, /202601/, /26/0107/), a long numeric id
# (/general/20855836.html, t20260107_123456.html), a 163.com docid (/article/KJ7A…9KQ.html), or
# a long hyphenated slug (/en/2026/01/county-schools-recognised.html).
_ARTICLE_PATTERNS = [
    re.compile(r"/(19|20)\d{2}[/-]?(0[1-9]|1[0-2])([/-]?[0-3]\d)?/"),
    re.compile(r"/\d{2}/\d{4}/"),
    re.compile(r"\d{5,}[^/]*\.s?html?$"),
    re.compile(r"/[0-9A-Z]{16}(_\w+)?\.html$"),
    re.compile(r"/article/"),
    re.compile(r"/[a-z0-9]+(-[a-z0-9]+){3,}(\.s?html?)?/?$"),
]
# List, tag and navigation pages: never articles, whatever else their URL looks like.
_NOT_ARTICLE = re.compile(
    r"/(index|list|default)(_\d+)?\.s?html?$|/(tag|tags|category|author|page|search|topic)/|"
    r"\.(jpg|jpeg|png|gif|webp|svg|pdf|mp4|mp3|zip|xml|js|css)$",
    re.I,
)


def looks_like_article_url(url: str) -> bool:
    path = urlsplit(url).path
    if _NOT_ARTICLE.search(path) or _ARCHIVE_INDEX.search(path):
        return False
    return any(pattern.search(path) for pattern in _ARTICLE_PATTERNS)


# Link texts of "next page" links, in Chinese and English.
_NEXT_TEXTS = re.compile(
    r"^\s*(下一页|下页|后页|next( page)?|older( posts)?)\s*[›»>]*\s*$|^\s*[›»>]\s*$", re.I
)
# Paginated list URLs: index_2.html, list_3.shtml, ?page=4, /page/5/
_PAGE_URL = re.compile(r"(index|list)_\d+\.s?html?$|[?&](page|p|pn)=\d+|/page/\d+/?$", re.I)


def is_next_page_link(text: str, rel: str | None, url: str) -> bool:
    if rel and "next" in rel.lower().split():
        return True
    return bool(_NEXT_TEXTS.match(text))


def looks_like_section_url(url: str) -> bool:
    """A shallow section index such as /news/ or /en/index.html."""
    parts = urlsplit(url)
    path = parts.path
    if _PAGE_URL.search(f"{path}?{parts.query}") or looks_like_article_url(url):
        return False
    depth = len([part for part in path.split("/") if part])
    return (path.endswith("/") and depth <= 2) or re.search(r"/index\.s?html?$", path) is not None
