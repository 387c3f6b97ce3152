"""Publish and modification times, always returned timezone-aware.

Where a time comes from, in order of trust: the site's `date_xpath`, JSON-LD, meta tags, data
attributes of the article wrapper, <time datetime>, then a visible dateline near the title or
the 来源 line. Relative times ("3小时前", "前天 18:22") are never read: every pattern needs a year.

Timezones: a stated offset is kept as stated. A naive time gets the site's `timezone`; failing
that +08:00 when the page is Chinese (CJK-dominant text or lang zh), since Chinese sites publish
Beijing time; failing that UTC. A date without a time is midnight in that zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml.html import HtmlElement

from .document import PageFacts, squash

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish_date",
    "publish-date",
    "pubdate",
    "pubtime",
    "publishtime",
    "publishedtime",
    "firstpublishedtime",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "weibo: article:create_at",
    "og:release_date",
    "release_date",
    "date",
    "created",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "lastmod",
    "last-modified",
    "article.updated",
    "weibo: article:update_at",
)
# data attributes holding the publish time: 163 `#contain@data-ptime`, `html@data-publishtime`
_DATA_ATTRIBUTES = ("data-ptime", "data-publishtime", "data-publish-time", "data-pubtime")
ISO_LIKE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T\s]*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?"
    r"(?:\s*(?P<ampm>[AP]\.?M\.?)(?![A-Za-z]))?\s*(?P<tz>Z|[+-]\d\d:?\d\d)?)?",
    re.IGNORECASE,
)
# month first, as ASP/IIS pages print it: "9/17/2004 5:54:13 AM" (day first when month > 12)
US_DATE = re.compile(
    r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"(?:\s*(?P<ampm>[AP]\.?M\.?)(?![A-Za-z]))?)?",
    re.IGNORECASE,
)
_COMPACT = re.compile(
    r"^(?P<y>(?:19|20)\d\d)(?P<m>\d\d)(?P<d>\d\d)(?:(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)?)?$"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for name in names.split()
}
# "November 19, 2019", "19 Nov 2019"
_ENGLISH = re.compile(
    r"\b(?:(?P<mon1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon2>[A-Za-z]{3,9})\.?,?\s+(?P<y2>(?:19|20)\d\d))\b"
)
# a visible dateline right before 来源: "2024-05-13 09:16:04　来源: 北青网" (163 post_info)
_DATELINE_BEFORE_SOURCE = re.compile(rf"({ISO_LIKE.pattern})[\s\u3000|]*(?:来源|稿源|作者)")
_EARLIEST_YEAR = 1990


def page_timezone(rules_timezone: str | None, chinese: bool) -> tzinfo:
    if rules_timezone:
        try:
            return ZoneInfo(rules_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return BEIJING if chinese else UTC


def published_candidates(
    tree: HtmlElement, facts: PageFacts, header_texts: Sequence[str], date_xpath: str | None = None
) -> list[str]:
    """Raw publish-time strings the page states, most trusted first; read before clutter removal."""
    return [raw.strip() for raw in _published_candidates(tree, facts, header_texts, date_xpath)]


def first_datetime(candidates: Iterable[str], tz: tzinfo) -> datetime | None:
    """The first candidate that parses as an absolute date-time."""
    for raw in candidates:
        if (parsed := parse_datetime(raw, tz)) is not None:
            return parsed
    return None


def find_modified(facts: PageFacts, tz: tzinfo) -> datetime | None:
    """The modification time, only when JSON-LD or a meta tag states one."""
    candidates = [v for v in facts.ld_values("dateModified") if isinstance(v, str)]
    candidates += [v for key in _MODIFIED_META if (v := facts.meta.get(key))]
    return first_datetime(candidates, tz)


def _published_candidates(
    tree: HtmlElement, facts: PageFacts, header_texts: Sequence[str], date_xpath: str | None
) -> Iterator[str]:
    if date_xpath:
        for found in tree.xpath(date_xpath):
            yield found if isinstance(found, str) else squash(found.text_content())
    yield from (v for v in facts.ld_values("datePublished") if isinstance(v, str))
    yield from (v for key in _PUBLISHED_META if (v := facts.meta.get(key)))
    for attribute in _DATA_ATTRIBUTES:
        for node in tree.xpath(f"//*[@{attribute}]")[:1]:
            yield node.get(attribute, "")
    for node in tree.xpath("//*[@itemprop='datePublished']")[:1]:
        yield node.get("datetime") or node.get("content") or squash(node.text_content())
    for text in header_texts:
        if match := _DATELINE_BEFORE_SOURCE.search(text):
            yield match.group(1)
    for node in tree.xpath("//time[@datetime]")[:1]:
        yield node.get("datetime", "")
    # a dateline near the title: the first absolute date in the header texts
    for text in header_texts:
        if match := ISO_LIKE.search(text) or _ENGLISH.search(text):
            yield match.group(0)


def parse_datetime(raw: str, tz: tzinfo) -> datetime | None:
    """Parse an absolute date or date-time; naive values are placed in `tz`."""
    raw = raw.strip()
    if not raw:
        return None
    parsed = _parse_naive_or_aware(raw)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    now = datetime.now(UTC) + timedelta(days=2)
    if parsed.year < _EARLIEST_YEAR or parsed > now:
        return None
    return parsed


def _parse_naive_or_aware(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
    except ValueError:
        pass
    if match := _COMPACT.match(raw):
        return _from_parts(match.groupdict())
    if match := ISO_LIKE.search(raw):
        return _from_parts(match.groupdict())
    if match := US_DATE.search(raw):
        parts = match.groupdict()
        if int(parts["m"] or 0) > 12:  # "17/9/2004": the day came first
            parts["m"], parts["d"] = parts["d"], parts["m"]
        return _from_parts(parts)
    if match := _ENGLISH.search(raw):
        parts = match.groupdict()
        month = _MONTHS.get((parts["mon1"] or parts["mon2"] or "").lower())
        if month:
            day, year = parts["d1"] or parts["d2"], parts["y1"] or parts["y2"]
            return _from_parts({"y": year, "m": str(month), "d": day})
    try:
        return parsedate_to_datetime(raw)  # RFC 2822: "Tue, 19 Nov 2019 06:56:00 -0500"
    except (TypeError, ValueError, IndexError):
        return None


def _from_parts(parts: dict[str, str | None]) -> datetime | None:
    hour = int(parts.get("H") or 0)
    half = (parts.get("ampm") or "").upper()[:1]
    if half == "P" and hour < 12:
        hour += 12
    elif half == "A" and hour == 12:
        hour = 0
    try:
        value = datetime(
            int(parts["y"] or 0),
            int(parts["m"] or 0),
            int(parts["d"] or 0),
            hour,
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
        )
    except ValueError:
        return None
    offset = parts.get("tz")
    if offset:
        if offset == "Z":
            return value.replace(tzinfo=UTC)
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return value.replace(tzinfo=timezone(sign * delta))
    return value
