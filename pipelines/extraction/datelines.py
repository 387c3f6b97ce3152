"""Publish times printed in the page's visible text, for pages whose markup states none.

Old portals, blogs and forums print the time as text: "发布时间：2022-02-13 04:22:18",
"2005年08月16日 来源：新华网", "发表于 2004年12月27日 12:40",
"本贴由大卫于2005年8月12日16:12:21在…发表", or a bare date between the headline and the story.
In order of trust:

1. a date after a publish label (发布时间, 发表于, Published, Posted on…), the first on the page;
2. a date right before 来源 (the portals' info line);
3. a date-time stamp shortly before the article starts (old pages);
4. a date in the URL path (/2019/11/19/, /20191119/);
5. a bare date right after the headline or right before the article starts.

Stamps elsewhere (sidebars, comment threads, the site banner's "today") are never read: a bare
date counts only where a headline or a label pins it to the article. Every pattern needs a
year, so relative times ("3小时前") are never read either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from .dates import ISO_LIKE, US_DATE, parse_datetime
from .document import squash

_ENGLISH_DATE = (
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]{2,8}\.?,?\s+(?:19|20)\d\d)"
)


def _ungrouped(pattern: str) -> str:
    """`pattern` without its named groups, so that several can go into one expression."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_ISO = _ungrouped(ISO_LIKE.pattern)
_DATE = rf"(?:{_ISO}|{_ungrouped(US_DATE.pattern)}|{_ENGLISH_DATE})"
# a publish label, then the date: "发布时间：", "发表于", "Posted on";
# a bare 时间/日期/Date needs a colon
_LABELLED = re.compile(
    r"(?:(?:发布|发表|发稿|刊发|出版|上传|录入|提交)(?:时间|日期)\s*[:：]?"
    r"|(?:发表|发布|发帖|写)于\s*[:：]?|(?<![\u4e00-\u9fff])(?:时间|日期)\s*[:：]"
    r"|\b(?:Published|Posted|Updated)(?:\s+on)?\s*:?|\bDate\s*:)"
    rf"\s*(?P<date>{_DATE})",
    re.IGNORECASE,
)
# the footer of a post: "发表于:2005-07-31 12:30", "本贴由大卫于2005年8月12日16:12:21在…发表";
# after the article only these count, as "发表时间：" there is a commenter's
_FOOTER = re.compile(
    rf"(?:(?:发表|发布|发帖|写)于\s*[:：]?\s*|\bPosted(?:\s+on)?\s*:?\s*)(?P<date>{_DATE})"
    rf"|于\s*(?P<posted>{_ISO})[^。！？\n]{{0,40}}?发表",
    re.IGNORECASE,
)
# the portals' info line: "2005年08月16日 来源：新华网", "2024-05-13 09:16:04　来源: 北青网"
_BEFORE_SOURCE = re.compile(rf"(?P<date>{_ISO})[\s|]*(?:来源|稿源|作者)\s*[:：]?", re.IGNORECASE)
# a date in the URL path: /2019/11/19/, /2019-11-19/, /20191119/ (year, month and day)
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)[/_-]?(?P<m>[01]\d)[/_-]?(?P<d>[0-3]\d)(?:[/_.-]|\d{2,}|$)"
)
_SPARED_LINES = 3
_PUNCTUATION = re.compile(r"[。，！？；,.!?;]")  # a line of prose has some
_OPENING_CHARS = 20  # of the article's first line, to find where it starts in the page text
_DATELINE_REACH = 1500  # characters before the article start searched for a date-time stamp
_FOOTER_LINES = 3  # last lines of the article text that may be its footer
_FOOTER_REACH = 300  # characters after the article's end where a "发表于" footer may sit
_ADJACENT = 80  # characters between a headline (or the article start) and a bare date
_MAX_OPENINGS = 3  # occurrences of the article's opening tried (breadcrumbs repeat headlines)


def visible_published(
    page_text: str, article_text: str, title: str | None, url: str, tz: tzinfo
) -> datetime | None:
    """The publish time the page prints, by the rules of this module's docstring."""
    starts = _article_starts(page_text, article_text)
    # Labels count around the article only: a blog page shows other posts with their dates.
    if starts:
        begin, end = max(0, starts[0] - _DATELINE_REACH), _article_end(page_text, article_text)
        before = (begin, starts[0])
        # the footer may have stayed in the text: its last lines count as "after" too
        tail = sum(len(line) + 1 for line in article_text.split("\n")[-_FOOTER_LINES:])
        after = (max(starts[0], end - tail), end + _FOOTER_REACH) if end > starts[0] else (0, 0)
    else:
        before, after = (0, len(page_text)), (0, 0)
    finders: list[Callable[[], datetime | None]] = [
        lambda: _first(_LABELLED, page_text, *before, tz=tz),
        lambda: _first(_FOOTER, page_text, *after, tz=tz),
        lambda: _first(_BEFORE_SOURCE, page_text, before[0], after[1] or len(page_text), tz=tz),
        lambda: _stamp_before(page_text, article_text, starts, tz),
        lambda: url_date(url, tz),
        lambda: _adjacent_date(page_text, starts, title, tz),
        # a forum thread: the opening post's "发布时间" follows it, amid the replies
        lambda: _first(_LABELLED, page_text, before[1], after[1], tz=tz),
    ]
    for finder in finders:
        if (found := finder()) is not None:
            return found
    return None


def url_date(url: str, tz: tzinfo) -> datetime | None:
    """A year/month/day in the URL's path, at midnight in `tz`."""
    if not url or not (match := _URL_DATE.search(urlsplit(url).path)):
        return None
    return parse_datetime(f"{match['y']}-{match['m']}-{match['d']}", tz)


def _first(
    pattern: re.Pattern[str], text: str, begin: int, end: int, *, tz: tzinfo
) -> datetime | None:
    for match in pattern.finditer(text, begin, end):
        raw = match["date"] or match.groupdict().get("posted") or ""
        if (parsed := parse_datetime(raw, tz)) is not None:
            return parsed
    return None


def _article_end(page_text: str, article_text: str) -> int:
    """Where the article's last line of prose ends in the page text; -1 if not found."""
    for line in reversed(article_text.split("\n")):
        if len(line) >= _OPENING_CHARS and line[0] != "|" and _PUNCTUATION.search(line):
            closing = squash(line[-_OPENING_CHARS:])
            position = page_text.rfind(closing)
            return position + len(closing) if position >= 0 else -1
    return -1


def _article_starts(page_text: str, article_text: str) -> list[int]:
    """Where the article's first line of prose occurs in the page text (headlines repeat)."""
    opening = ""
    for line in article_text.split("\n"):
        if len(line) >= _OPENING_CHARS and line[0] != "|" and _PUNCTUATION.search(line):
            opening = squash(line[:_OPENING_CHARS])
            break
    starts: list[int] = []
    position = page_text.find(opening) if opening else -1
    while position >= 0 and len(starts) < _MAX_OPENINGS:
        starts.append(position)
        position = page_text.find(opening, position + 1)
    return starts


def _inside(stamp: str, article_text: str) -> bool:
    """The stamp is part of the story (a programme, a chronology), not its dateline.

    The first lines are spared: extraction often keeps the dateline above the story.
    """
    body = article_text.split("\n", _SPARED_LINES)[-1]
    return squash(stamp) in body


def _stamp_before(
    page_text: str, article_text: str, starts: list[int], tz: tzinfo
) -> datetime | None:
    """The date-time printed closest before the article starts.

    Sample: "… 2005年03月21日 11:21 《理财周刊》 人生如戏。…" (sina.net, 2005). Only stamps with
    a clock time count: a bare date up there is as likely today's date in the site banner.
    """
    for start in starts:
        window = ISO_LIKE.finditer(page_text, max(0, start - _DATELINE_REACH), start)
        for match in reversed([m for m in window if m["H"]]):
            if _inside(match.group(0), article_text):
                continue
            if (parsed := parse_datetime(match.group(0), tz)) is not None:
                return parsed
    return None


def _adjacent_date(
    page_text: str, starts: list[int], title: str | None, tz: tzinfo
) -> datetime | None:
    """A bare date right after the headline or right before the article's first line.

    Sample: "第四届中国经济学年会会议议程 2004-12-10 阅读10544次" (ccer.pku.edu.cn, 2004).
    """
    windows: list[tuple[int, int]] = []
    if title and (at := page_text.find(title)) >= 0:
        windows.append((at + len(title), at + len(title) + _ADJACENT))
    windows.extend((max(0, start - _ADJACENT), start) for start in starts)
    for begin, end in windows:
        for match in ISO_LIKE.finditer(page_text, begin, end):
            if (parsed := parse_datetime(match.group(0), tz)) is not None:
                return parsed
    return None
