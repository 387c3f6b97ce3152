"""What a fetched page is: HTML or not, and where the next page of a multi-page article is."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import TextResponse

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# "下一页" / "下页" / "Next page" / "›": the link text of an article's next page
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|next\s*page|next)\s*[›»>]*\s*$", re.I)
# ID_2.html, ID_3.shtml, ID-2.htm: the URL of page N of the article at ID.html
_PART_SUFFIX = re.compile(r"^(?P<stem>.+?)[_-](?P<n>\d{1,2})(?P<ext>\.s?html?)$")


def is_html(response: TextResponse) -> bool:
    """True for an HTML response, by its Content-Type or, without one, by its first bytes."""
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
    if content_type:
        return content_type.split(";")[0].strip() in _HTML_TYPES
    head = response.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def _stem(path: str) -> tuple[str, str]:
    """``/a/ID_2.html`` -> (``/a/ID``, ``.html``); ``/a/ID.html`` -> (``/a/ID``, ``.html``)."""
    if match := _PART_SUFFIX.match(path):
        return match["stem"], match["ext"]
    stem, dot, ext = path.rpartition(".")
    return (stem, dot + ext) if dot else (path, "")


def next_part_url(response: TextResponse) -> str | None:
    """The URL of this article's next page, if it continues on one.

    Only a "next" link to the same article counts: the same path with a page number appended
    (``ID_2.html`` after ``ID.html``), so a link to the next *article* is never followed here.
    """
    here = urlsplit(response.url)
    stem, ext = _stem(here.path)
    if not _may_link_a_part(response.body, stem, ext):
        return None  # the page never names a part of itself: no need to parse it here
    for link in response.css("a[href]"):
        text = " ".join(link.css("::text").getall())
        rel = link.attrib.get("rel", "")
        if not (_NEXT_TEXT.match(text) or "next" in rel.lower().split()):
            continue
        url = response.urljoin(link.attrib["href"])
        there = urlsplit(url)
        if there.netloc != here.netloc:
            continue
        match = _PART_SUFFIX.match(there.path)
        if match and match["stem"] == stem and match["ext"] == ext:
            return url
    return None


_PLAIN_NAME = re.compile(r"[\w.~-]+", re.ASCII)


def _may_link_a_part(body: bytes, stem: str, ext: str) -> bool:
    """False when no link on the page can be to another part: ``NAME_N.ext`` is nowhere in it.

    A search of the raw bytes costs a fraction of a millisecond; decoding the page costs about
    one, and parsing it and reading every link several, on the crawler's one thread, for every
    article. The name is plain ASCII, spelt alike in UTF-8, GBK and every other encoding a page
    is served in but UTF-16 and UTF-32, which get decoded.
    """
    if not ext:
        return False  # a part's URL always ends in .html, .htm or .shtml: so must this one
    name = stem.rsplit("/", 1)[-1]
    if not _PLAIN_NAME.fullmatch(name):
        return True  # a name that a link could spell differently (escaped): parse to be sure
    if body.startswith(_WIDE_BOMS) or body[:200].count(b"\x00") > 20:
        return True  # a wide encoding: parse to be sure
    # ``NAME_N.ext`` or ``NAME-N.ext``, by a plain search for NAME: a pattern of its own per
    # page would be compiled per page, which costs more than the search.
    needle, suffix = name.encode(), ext.encode()
    start = body.find(needle)
    while start >= 0:
        digits = start + len(needle) + 1
        if body[digits - 1 : digits] in (b"_", b"-"):
            end = digits
            while end < len(body) and end - digits < 2 and 48 <= body[end] <= 57:  # 0-9
                end += 1
            if end > digits and body.startswith(suffix, end):
                return True
        start = body.find(needle, start + 1)
    return False


_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")
