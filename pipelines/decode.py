"""Stage 1: bytes to text, GBK-aware, and right when the page's own declaration is wrong.

Order of evidence: a byte-order mark; then valid UTF-8 (GBK text is almost never valid UTF-8,
so a page that *declares* gb2312 but is UTF-8 decodes right); then the HTTP header and the
``<meta>`` charset; then detection. GB2312 and GBK are decoded as GB18030, their superset:
pages labelled gb2312 routinely use characters outside it.

Real pages are rarely clean: a GBK page saved by an old CMS carries a dozen broken byte pairs
(a character cut in half at a buffer edge), so a declared charset is accepted when it decodes
all but a few bytes, with U+FFFD for those. Undeclared pages that are not UTF-8 are tried as
GB18030 when their high bytes pair up the way GB2312 text does, before generic detection, which
takes short GBK pages for Cyrillic or Thai code pages.
"""

from __future__ import annotations

import codecs
import logging
import re

from charset_normalizer import from_bytes

from pipelines.page import Page
from pipelines.stage import Stage

logger = logging.getLogger(__name__)

_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# <meta charset="gbk"> and <meta http-equiv="Content-Type" content="text/html; charset=gbk">
_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# a GB2312 character: lead byte 0xA1-0xF7 (symbols and hanzi), trail byte 0xA1-0xFE
_GB2312_PAIR = re.compile(rb"[\xa1-\xf7][\xa1-\xfe]")
_GB_PAIRED_SHARE = 0.8  # of high bytes inside GB2312 pairs: GBK pages score 0.95 and up
# a declared charset may leave this many bytes undecodable (one per 2 KB, at least 16)
_MAX_BAD_BYTES = 16
_ASCII_BYTES = bytes(range(0x80))
_BYTES_PER_BAD_BYTE = 2048
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz-gb-2312": "gb18030",
    "big5": "big5hkscs",
    "ascii": "utf-8",
    "iso8859-1": "cp1252",  # what browsers do with latin-1 labels
}


def normalize_charset(label: str) -> str | None:
    """The Python codec for a charset label, widened to its superset; None if unknown."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    """Charsets the page declares, header first, as Python codec names."""
    labels = []
    if content_type and (match := _HEADER_CHARSET_RE.search(content_type)):
        labels.append(match.group(1))
    if meta := _META_CHARSET_RE.search(body[:4096]):
        labels.append(meta.group(1).decode("ascii", "replace"))
    names = [normalize_charset(label) for label in labels]
    # A page that can declare anything in ASCII is not UTF-16/32, whatever it says (the HTML
    # standard's prescan reads such a label as UTF-8); a real UTF-16 page starts with a BOM.
    names = ["utf-8" if name and name.startswith(("utf-16", "utf-32")) else name for name in names]
    return list(dict.fromkeys(name for name in names if name))


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A page cut off mid-character is still UTF-8.
        return exc.start >= len(body) - 3 and exc.reason == "unexpected end of data"
    return True


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page; returns ``(text, codec name)``. Never raises on bad bytes."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace"), name
    if _is_utf8(body):
        return body.decode("utf-8", "ignore"), "utf-8"
    for name in declared_charsets(body, content_type):
        if name == "utf-8":
            continue  # not valid UTF-8, as checked above: the declaration is wrong
        if (text := _decode_mostly(body, name)) is not None:
            return text, name
        logger.debug("declared charset %s does not decode", name)
    if _looks_like_gb(body) and (text := _decode_mostly(body, "gb18030")) is not None:
        return text, "gb18030"
    best = from_bytes(body[:200_000]).best()
    detected = normalize_charset(best.encoding) if best is not None else None
    if detected is None:
        try:
            return body.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            detected = "utf-8"
    return body.decode(detected, "replace"), detected


def _decode_mostly(body: bytes, name: str) -> str | None:
    """``body`` in ``name`` if at most a few bytes fail (each becomes U+FFFD), else None."""
    try:
        return body.decode(name)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = body.decode(name, "replace")
    errors = text.count("\ufffd")
    return text if errors <= _MAX_BAD_BYTES + len(body) // _BYTES_PER_BAD_BYTE else None


def _looks_like_gb(body: bytes) -> bool:
    """Most high bytes form GB2312 pairs (both bytes 0xA1-0xF7/0xFE), as Chinese text does.

    Latin-1 or cp1252 text puts one accented byte among ASCII letters, which never pairs.
    """
    high = len(body.translate(None, _ASCII_BYTES))
    if not high:
        return False
    pairs = len(_GB2312_PAIR.findall(body))
    return 2 * pairs >= _GB_PAIRED_SHARE * high


class DecodePipeline(Stage):
    """Sets ``page.html`` and ``page.encoding`` on article pages."""

    def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending:
            return item
        if not item.body.strip():
            self.stats.inc_value("decode/empty")
            item.problem = "empty response"
            return item
        item.html, item.encoding = decode_html(item.body, item.header("content-type"))
        self.stats.inc_value(f"decode/{item.encoding}")
        return item
