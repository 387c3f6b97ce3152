"""Text-level trimming of what trafilatura returns: trailers, notices and headline lists.

Tree rules (clutter.py) cannot see furniture that carries no class and no label, such as teasers
after an "- END -" line or a bare bullet list of other headlines. These rules work on lines and
only ever cut at the *edges* of the text: a paragraph in the middle is never removed.
"""

from __future__ import annotations

import re

# a line that closes the story; what follows is teasers ("- END -", "—END—", "（完）")
_END_LINE = re.compile(
    r"^[\s\-—–_=*·•]*(?:THE\s+)?END[\s\-—–_=*·•]*$|^[（(【\[]\s*完\s*[）)】\]]$", re.IGNORECASE
)
# a line that opens a notice, a promo or a block of other stories: cut from it to the end.
# "新闻线索报料通道：应用市场下载“齐鲁壹点”APP…" is the Qilu tip-line promo under every story
_TAIL_OPENERS = re.compile(
    r"^.{0,12}?(?:特别声明|免责声明|版权声明|反侵权公告|版权所有|转载声明)"
    r"|^(?:Notice: The content above|凡本网注明|本网注明)"
    r"|^(?:相关推荐|热点推荐|为您推荐|猜你喜欢|延伸阅读|相关阅读|推荐阅读|相关新闻|相关文章|相关报道"
    r"|热门推荐|热门文章|精彩推荐|大家都在看|往期回顾|网友评论|热门评论|最新评论)\s*[:：]?\s*$"
    r"|^新闻线索报料通道"
)
# furniture lines that trafilatura keeps at the edges of the text (share bars, counters, tools)
_EDGE_LINES = re.compile(
    r"^(?:\d{1,6}|分享至|分享到[:：]?|举报|打印|关闭|关闭窗口|返回顶部|收藏|字号[:：]?.{0,12}"
    r"|【打印】.*|\[打印\].*|.{0,6}申请入驻|网易首页\s*>.*|当前位置[:：].*|您的位置[:：].*)$"
)
# provenance lines that belong in metadata (and are read from there), not in the text
_PROVENANCE_LINE = re.compile(r"^[\[【(（]?\s*(?:本文来源|文章来源|来源|责任编辑)\s*[:：].{1,40}$")
# one item of a headline list: a bullet or a time stamp, no closing sentence punctuation
_BULLET = re.compile(r"^(?:[-•·*]\s*)+")
_STAMP = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BREADCRUMB = re.compile(r"\S\s*[>›»]\s*\S.*[>›»]")  # "首页 > 产经资讯 > 商贸"
_SENTENCE_END = ("。", "；", ";", "：", ":")
_CLOSING = ("。", "！", "？", ".", "；", ";")
_MAX_TAIL_FURNITURE = 20  # characters of headings that may trail a closing provenance line
_MIN_HEADLINES = 5  # a shorter run of bullets may be the article's own list


def trim_text(text: str) -> str:
    """The article text without trailers, tail notices, headline lists and edge furniture."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    lines = _cut_at_end_marker(lines)
    lines = _cut_tail_openers(lines)
    lines = _drop_headline_tail(lines)
    lines = _strip_edges(lines)
    return "\n".join(lines)


def _cut_at_end_marker(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _END_LINE.match(line):
            before, after = lines[:index], lines[index + 1 :]
            # only a trailer if the story before it is the bulk of the text
            if _chars(before) > _chars(after):
                return before
    return lines


def _cut_tail_openers(lines: list[str]) -> list[str]:
    total = _chars(lines)
    seen = 0
    for index, line in enumerate(lines):
        if index and seen > total / 2 and _TAIL_OPENERS.match(line):
            return lines[:index]
        seen += len(line)
    return lines


def _drop_headline_tail(lines: list[str]) -> list[str]:
    """Drop a trailing run of at least five headline-like list items (Chinese lines only)."""
    start = len(lines)
    while start > 0 and _is_headline_item(lines[start - 1]):
        start -= 1
    if len(lines) - start >= _MIN_HEADLINES and start > 0:
        return lines[:start]
    return lines


def _is_headline_item(line: str) -> bool:
    bulleted = bool(_BULLET.match(line))
    stamped = bool(_STAMP.search(line))
    if not (bulleted or stamped) or not _CJK.search(line):
        return False
    core = _BULLET.sub("", line)
    return 6 <= len(core) <= 80 and not core.endswith(_SENTENCE_END)


def _strip_edges(lines: list[str]) -> list[str]:
    while lines and (
        _EDGE_LINES.match(lines[0]) or _END_LINE.match(lines[0]) or _is_navigation_row(lines[0])
    ):
        lines = lines[1:]
    tail_rules = (_EDGE_LINES, _PROVENANCE_LINE, _END_LINE)
    while lines and any(rule.match(lines[-1]) for rule in tail_rules):
        lines = lines[:-1]
    # After a closing provenance line ("（责任编辑：张倩）") only furniture follows, such as the
    # heading of a list whose items were removed ("本地新闻"): a few short, unpunctuated lines.
    for index in range(max(0, len(lines) - 3), len(lines)):
        after = lines[index + 1 :]
        if (
            _PROVENANCE_LINE.match(lines[index])
            and after
            and _chars(after) <= _MAX_TAIL_FURNITURE
            and not any(line.endswith(_CLOSING) for line in after)
        ):
            return lines[:index]
    return lines


def _is_navigation_row(line: str) -> bool:
    """A table row above the story that is a breadcrumb or mostly empty layout cells.

    Sample: "|  | 企业服务首页 > 产经资讯 > 商贸 > |" (sina.net, 2005).
    """
    if not line.startswith("|"):
        return False
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    empty = sum(1 for cell in cells if not cell or cell == "\\")
    return empty * 2 >= len(cells) or any(_BREADCRUMB.search(cell) for cell in cells)


def _chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines)
