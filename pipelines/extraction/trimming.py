"""Text-level trimming of what trafilatura returns: trailers, notices and headline lists.

Tree rules (clutter.py) cannot see furniture that carries no class and no label, such as teasers
after an "- END -" line or a bare bullet list of other headlines. These rules work on lines and
only ever cut at the *edges* of the text: a paragraph in the middle is never removed.

Border cases, decided:

- End credits stay in the text: "文/栗思", "编辑/倪家宁", "摄影/…", "（记者 王贝艺）". They are
  part of what the newsroom published, and bylines.py reads them as fields too.
- Portal metadata goes: "责任编辑：李曦_NN2587", "来源：新华网", "（原标题：…）" and the info bar
  ("2005-02-06 13:26更新 来源：转载文章") are the site's bookkeeping, not the story; they are
  returned as credits so that bylines.py still reads them.
- A closing credit (责任编辑, 责编, 编辑：, 来源：) after a paragraph of prose ends the story
  when no paragraph of prose follows it: what comes after is the portal's lists and promos.
- Photo captions stay (a short line among paragraphs is not at an edge).
- Layout rows that trafilatura turns into "| … |" lines stay inside the text (they may be a
  data table) but go at the edges when they are navigation, a footer, or the page's info bar.
"""

from __future__ import annotations

import re

# a line that closes the story; what follows is teasers ("- END -", "—END—", "（完）")
_END_LINE = re.compile(
    r"^[\s\-—–_=*·•]*(?:THE\s+)?END[\s\-—–_=*·•]*$|^[（(【\[]\s*完\s*[）)】\]]$", re.IGNORECASE
)
# a line that opens a notice, a promo or a block of other stories: cut from it to the end.
# "新闻线索报料通道：应用市场下载“齐鲁壹点”APP…" is the Qilu tip-line promo under every story;
# "回复线索" heads a forum's list of replies. Matched on the line with spaces between Chinese
# characters and table bars removed ("| 郑 重 声 明 |").
_TAIL_OPENERS = re.compile(
    r"^.{0,12}?(?:特别声明|免责声明|版权声明|郑重声明|反侵权公告|版权所有|转载声明)"
    r"|^(?:Notice: The content above|凡本网注明|本网注明)"
    r"|^(?:相关推荐|热点推荐|为您推荐|猜你喜欢|延伸阅读|相关阅读|推荐阅读|相关新闻|相关文章|相关报道"
    r"|热门推荐|热门文章|精彩推荐|大家都在看|往期回顾|网友评论|热门评论|最新评论|回复线索|相关帖子"
    r"|相关主题)\s*[:：]?\s*$"
    r"|^新闻线索报料通道"
)
# a promo row above the story, labelled like a list of other stories
_LEADING_PROMO = re.compile(r"^(?:今日|热点|相关|精彩|编辑|热门|为您)?推荐\s")
# furniture lines that trafilatura keeps at the edges of the text (share bars, counters, tools)
_EDGE_LINES = re.compile(
    r"^(?:\d{1,6}|分享至|分享到[:：]?|举报|打印|关闭|关闭窗口|返回顶部|收藏|字号[:：]?.{0,12}"
    r"|【打印】.*|\[打印\].*|.{0,6}申请入驻|网易首页\s*>.*|当前位置[:：].*|您的位置[:：].*)$"
)
# provenance lines that belong in metadata (and are read from there), not in the text:
# "来源：新华网", "（责任编辑：张倩）", "- 原标题：…", "【编辑:刘欢】 返回搜狐，查看更多" (sohu)
_PROVENANCE_LINE = re.compile(
    r"^(?:-\s*)?[\[【(（]?\s*(?:本文来源|文章来源|稿件来源|来源|责任编辑|责编|原标题)\s*[:：].{1,80}$"
    r"|^【编辑\s*[:：][^】]{1,12}】.{0,20}$"
)
# a closing credit that may end the story: provenance, or an editor named with a colon
_CLOSING_CREDIT = re.compile(r"^[\[【(（]?\s*(?:责任编辑|责编|编辑|来源|本文来源|文章来源)\s*[:：]")
# the info bar above a story: a time stamp with labels such as 来源, 点击, 发布
_INFO_LABEL = re.compile(r"来源|作者|点击|阅读|浏览|发布|更新|来自|编辑|字号")
_MAX_INFO_LINE = 100
_MAX_CREDIT_LINE = 60
# one item of a headline list: a bullet or a time stamp, no closing sentence punctuation
_BULLET = re.compile(r"^(?:[-•·*]\s*)+")
_STAMP = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_ANY_STAMP = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_SPACED_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_TABLE_BARS = re.compile(r"\s*(?:\\?\|)+\s*")
_PROSE_END = ("。", "！", "？", "!", "?", ".", "”", '"')
_TRAILING_OFF = ("..", "…")
_MIN_PROSE = 50  # characters: a line this long ending a sentence is a paragraph of prose
_MENU_ITEM = 6  # characters: a menu entry ("登录", "天气预报") is no longer
_MIN_MENU = 8  # a run of this many menu entries at the top is a menu, not a poem
_NAV_CELL = 8  # characters: a navigation row's cells are this short
_PROSE = re.compile(r"[。，！？；,.!?;]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BREADCRUMB = re.compile(r"\S\s*[>›»]\s*\S.*[>›»]")  # "首页 > 产经资讯 > 商贸"
_SENTENCE_END = ("。", "；", ";", "：", ":")
_MIN_HEADLINES = 5  # a shorter run of bullets may be the article's own list


def trim_text(text: str) -> tuple[str, list[str]]:
    """The article text without trailers, tail notices, headline lists and edge furniture.

    Also returns the credit lines taken off the edges (来源, 责任编辑, the info bar), for
    bylines.py to read.
    """
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    credits: list[str] = []
    lines = _cut_at_end_marker(lines)
    lines = _cut_tail_openers(lines)
    lines = _cut_after_closing_credit(lines)
    lines = _drop_headline_tail(lines)
    lines = _strip_edges(lines, credits)
    return "\n".join(lines), credits


def normal_line(line: str) -> str:
    """A line without table bars and without spaces between Chinese characters."""
    return _SPACED_HAN.sub("", _unbarred(line))


def _unbarred(line: str) -> str:
    """A table row's cells as one line: "| 2005-02-06 更新 | 来源：新华网 |" -> "2005-… 来源：…"."""
    return _TABLE_BARS.sub(" ", line).strip()


def _cut_at_end_marker(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _END_LINE.match(line):
            before, after = lines[:index], lines[index + 1 :]
            # only a trailer if the story before it is the bulk of the text
            if _chars(before) > _chars(after):
                return before
    return lines


def _cut_tail_openers(lines: list[str]) -> list[str]:
    """Cut from a notice or list label on: past half of the text, or with no prose after it."""
    total = _chars(lines)
    seen = 0
    prose_before = False
    for index, line in enumerate(lines):
        opens = index > 0 and bool(_TAIL_OPENERS.match(normal_line(line)))
        if opens and (seen > total / 2 or (prose_before and not _any_prose(lines[index + 1 :]))):
            return lines[:index]
        seen += len(line)
        prose_before = prose_before or _is_prose(line)
    return lines


def _cut_after_closing_credit(lines: list[str]) -> list[str]:
    """Cut what follows a closing credit that has prose before it and none after it.

    Sample: "责任编辑: 于文凯 / 小编最近文章 / 华为发布业界首款5G SoC芯片…2019-09-06 / …"
    (guancha.cn); "责任编辑：霍琦 / 新浪财经公众号 / 24小时滚动播报…" (sina).
    """
    prose_before = False
    for index, line in enumerate(lines):
        if (
            prose_before
            and len(line) <= _MAX_CREDIT_LINE
            and _CLOSING_CREDIT.match(normal_line(line).lstrip("- "))
        ):
            after = lines[index + 1 :]
            if after and not _any_prose(after):
                return lines[: index + 1]
        prose_before = prose_before or _is_prose(line)
    return lines


def _any_prose(lines: list[str]) -> bool:
    return any(_is_prose(line) for line in lines)


def _is_prose(line: str) -> bool:
    """A paragraph: long, ending a sentence; a teaser trailing off ("……", "......") is not,
    nor is a table row of several cells (links side by side)."""
    if line.startswith("|") and sum(1 for c in line.strip("|").split("|") if c.strip()) > 1:
        return False
    text = _unbarred(line)
    return (
        len(text) >= _MIN_PROSE and text.endswith(_PROSE_END) and not text.endswith(_TRAILING_OFF)
    )


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


def _strip_edges(lines: list[str], credits: list[str]) -> list[str]:
    lines = _drop_leading_menu(lines)
    while lines and _is_leading_furniture(lines[0], credits):
        lines = lines[1:]
    while lines and _is_trailing_furniture(lines[-1], credits):
        lines = lines[:-1]
    return lines


def _is_leading_furniture(line: str, credits: list[str]) -> bool:
    if _EDGE_LINES.match(line) or _END_LINE.match(line) or _is_navigation_row(line):
        return True
    normal = normal_line(line)
    if _LEADING_PROMO.match(normal):  # "| 今 日 推 荐 | | 79年每月挣六千 … |"
        return True
    # a leading "原标题：…" stays: the portal published it as the story's first paragraph
    if (_PROVENANCE_LINE.match(normal) and "原标题" not in normal[:8]) or _is_info_bar(normal):
        credits.append(_unbarred(line))
        return True
    return False


def _is_trailing_furniture(line: str, credits: list[str]) -> bool:
    if _EDGE_LINES.match(line) or _END_LINE.match(line):
        return True
    normal = normal_line(line)
    if _PROVENANCE_LINE.match(normal):
        credits.append(_unbarred(line))
        return True
    # a footer row: "| CopyRight 2012-2021 查报纸网 版权所有 关于我们 | 网站公告 | … |"
    return line.startswith("|") and bool(re.search(r"版权所有|copyright|ICP", line, re.I))


def _is_info_bar(line: str) -> bool:
    """The line above a story with its time and counters: "发布: 2021-1-29 13:18|点击: 313"."""
    return (
        len(line) <= _MAX_INFO_LINE
        and bool(_ANY_STAMP.search(line))
        and bool(_INFO_LABEL.search(line))
        and not line.endswith(_PROSE_END)
    )


def _drop_leading_menu(lines: list[str]) -> list[str]:
    """A run of many one-word lines at the top is a site menu ("登录 / 注册 / 搜索 / …")."""
    run = 0
    while run < len(lines) and len(lines[run]) <= _MENU_ITEM and not _PROSE.search(lines[run]):
        run += 1
    return lines[run:] if run >= _MIN_MENU and run < len(lines) else lines


def _is_navigation_row(line: str) -> bool:
    """A table row above the story that is a breadcrumb or mostly empty layout cells.

    Samples: "|  | 企业服务首页 > 产经资讯 > 商贸 > |" (sina.net, 2005); "| 全国版 | 安徽省 | … |".
    """
    if not line.startswith("|"):
        return False
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    empty = sum(1 for cell in cells if not cell or cell == "\\")
    if empty * 2 >= len(cells) or any(_BREADCRUMB.search(cell) for cell in cells):
        return True
    # a row of short labels: "| 全国版 | 安徽省 | 北京市 | … |" (a menu, not data: no digits)
    labels = [cell for cell in cells if cell and cell != "\\"]
    return len(labels) >= 4 and all(
        len(cell) <= _NAV_CELL and not re.search(r"[\d.,，。]", cell) for cell in labels
    )


def _chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines)
