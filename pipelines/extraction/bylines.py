"""Who wrote, filed and edited a story: Chinese bylines plus the structured author fields.

Chinese pages state provenance in running text, not in markup:

- 齐鲁晚报·齐鲁壹点记者 王贝艺 通讯员 徐华, also without 记者:
  齐鲁晚报·齐鲁壹点 王贝艺 通讯员 徐华
- 新京报讯（记者 陆一夫）… / 本报记者罗科苏盈发自北京 / （姚峰 上海报道）
- 文/栗思, 编辑/倪家宁 (end credits, kept in the text and read here too)
- 2024-05-13 09:16:04　来源: 北青网-北京青年报, 本文来源：新京报, 责任编辑：李曦_NN2587
- （原标题：…）

Names are runs of 2-4 Han characters separated by spaces or 、. meta author on Chinese portals is
the platform ("网易"), never a person, so structured authors are filtered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from .document import squash

# class/id of the small blocks that carry dates, sources and bylines near the headline
_INFO_NODE = re.compile(
    r"info|source|author|byline|time|date|editor|laiyuan|zuozhe|pubtime|publish|writer"
    r"|reporter|origin|statement|ep-source|meta",
    re.IGNORECASE,
)
# ...but never inside a comment thread or a list of other stories
_OTHER_STORIES = re.compile(r"comment|pinglun|reply|recommend|related|hot|rank|side", re.IGNORECASE)
_MAX_INFO_CHARS = 300
_MAX_INFO_NODES = 12
_NEAR_TITLE_CHARS = 600

_EDITOR = re.compile(r"责任编辑\s*[:：]?\s*(?P<name>[^\s_\]】)）|，,:：]{2,20})")
_PLAIN_EDITOR = re.compile(r"(?<!责任)编辑\s*[:：/／|｜]\s*(?P<name>[\u4e00-\u9fff·]{2,4})")
_EDITOR_CODE = re.compile(r"_?[A-Z]{1,4}\d{2,6}$")  # 163 internal codes: _NN2587, NB12556
_SOURCE = re.compile(
    r"(?:^|[\s\u3000|【\[（(])(?:本文来源|文章来源|稿件来源|稿源|来源)\s*[:：]\s*(?P<src>[^\s\u3000|，,。）)\]】]{2,30})"
)
_ORIGINAL_TITLE = re.compile(r"原标题\s*[:：]\s*(?P<title>.+?)\s*[）)]?\s*$")
_ROLES = {
    "记者": "author",
    "本报记者": "author",
    "特约记者": "author",
    "实习记者": "author",
    "见习记者": "author",
    "首席记者": "author",
    "摄影记者": "author",
    "实习生": "author",
    "文": "author",
    "作者": "author",
    "撰文": "author",
    "通讯员": "correspondent",
}
_ROLE_SPLIT = re.compile(
    r"(本报记者|特约记者|实习记者|见习记者|首席记者|摄影记者|记者|实习生|通讯员|发自|报道)"
)
_LABEL = "\x00"
_LABEL_COLON = re.compile(r"(?<=[\u4e00-\u9fff])\s*[:：]")
_TOKEN_SPLIT = re.compile(r"[\s\u3000、，,／/｜|:：（）()【】\[\]]+")
_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,4}·[\u4e00-\u9fff]{1,6}$")
# bylines that open with the outlet ("齐鲁晚报·齐鲁壹点", "新京报讯"), not a person
_OUTLET = re.compile(r"·|(?:报|网|社|台|点|讯|刊|新闻|传媒|日报|晚报)$")
_NOT_NAMES = frozenset(
    {
        "报道",
        "发自",
        "摄影",
        "编辑",
        "校对",
        "综合",
        "整理",
        "整合",
        "编译",
        "出自",
        "报料",
        "图片",
        "来源",
        "视频",
        "通讯",
        "实习",
    }
)
# structured "authors" that name a platform or a notice, not a person
_NOT_AUTHOR = re.compile(
    r"网易|新浪|腾讯|搜狐|凤凰|版权|编辑|该作者|copyright|e-?mail|©|admin|https?://|www\.|@|[■□▲●◆★]"
    r"|^(?:name|author|\d+)$"
    # software credits in meta author: "Discuz! Team and Comsenz UI Team", "Powered by …"
    r"|discuz|comsenz|phpwind|wordpress|dedecms|powered by|\bteam\b",
    re.IGNORECASE,
)
# credits that trail the editor's name: "责任编辑：李跃群校对"
_EDITOR_TAIL = re.compile(r"(?:校对|审核|审校|监制|编审|值班)$")
# "（姚峰 上海报道）": reporter names before a place and 报道
_PLACE_REPORT = re.compile(
    r"[（(]\s*(?P<names>[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*)"
    r"\s+[\u4e00-\u9fff]{2,3}报道\s*[）)]"
)
_CREDIT = re.compile(r"(?:^|\s)(?:文|作者|撰文)\s*[:：/／|｜]")
# markup that names the author, most explicit first
_AUTHOR_XPATHS = (
    "//body//*[@itemprop='author']",
    "//body//a[@rel='author']",
    "//body//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author-name ')]",
)
_MAX_AUTHOR_CHARS = 80  # a longer "author" block is a biography, not a name
_LEAD_BYLINE = re.compile(r"^[^（(。]{0,20}[（(][^）)]{0,40}[）)]")
_MAX_BYLINE_LINE = 120  # longer lines are paragraphs; only their opening "（记者 X）" counts


@dataclass
class Provenance:
    authors: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)
    editor: str | None = None
    source: str | None = None
    original_title: str | None = None


def header_texts(tree: HtmlElement, title_node: HtmlElement | None) -> list[str]:
    """Short texts that carry datelines and bylines: next to the headline and in info blocks."""
    texts: list[str] = []
    if title_node is not None:
        near: list[str] = []
        for sibling in title_node.itersiblings():
            near.append(squash(sibling.text_content()))
            if sum(map(len, near)) > _NEAR_TITLE_CHARS:
                break
        texts.append(" ".join(near)[:_NEAR_TITLE_CHARS])
    for node in tree.xpath("//body//*[@class or @id]"):
        if len(texts) > _MAX_INFO_NODES:
            break
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if not _INFO_NODE.search(names) or _OTHER_STORIES.search(names):
            continue
        text = squash(node.text_content())
        if not text or len(text) > _MAX_INFO_CHARS or _inside_other_stories(node):
            continue
        texts.append(text)
    return [text for text in texts if text]


def read_provenance(header: Sequence[str], lines: Sequence[str]) -> Provenance:
    """Bylines from header texts and the first and last lines of the article text."""
    found = Provenance()
    edges = list(lines[:3]) + list(lines[-6:])
    for text in [*header, *edges]:
        _read_line(text, found)
    for line in [*lines[:5], *header]:
        if found.original_title is None and (match := _ORIGINAL_TITLE.search(line)):
            found.original_title = match.group("title").strip("（()） ")
    if found.editor is None:
        for text in [*header, *edges]:
            if match := _PLAIN_EDITOR.search(text):
                found.editor = match.group("name")
                break
    found.authors = _unique(found.authors)
    found.correspondents = [n for n in _unique(found.correspondents) if n not in found.authors]
    return found


def structured_authors(candidates: Iterable[str | None], site_name: str | None) -> list[str]:
    """Authors from JSON-LD/meta/trafilatura, without platforms, sites and copyright lines."""
    names: list[str] = []
    for candidate in candidates:
        for name in re.split(r"\s*(?:;|,|\band\b|、)\s*", candidate or ""):
            name = re.sub(r"^(?:by|von|par|por|作者)\s*[:：]?\s*", "", name.strip(), flags=re.I)
            if not name or len(name) > 60 or _NOT_AUTHOR.search(name) or name == site_name:
                continue
            names.append(name)
        if names:
            break
    return _unique(names)


def markup_authors(tree: HtmlElement) -> list[str]:
    """Author names the markup labels: itemprop=author, rel=author, a byline class.

    The last resort after JSON-LD and meta tags; read before clutter removal, and never inside
    comment threads or lists of other stories, whose "authors" are commenters.
    """
    for xpath in _AUTHOR_XPATHS:
        names: list[str] = []
        for node in tree.xpath(xpath):
            named = node.xpath(".//*[@itemprop='name']")
            text = squash((named[0] if named else node).text_content())
            if 0 < len(text) <= _MAX_AUTHOR_CHARS and not _inside_other_stories(node):
                names.append(text)
        if names:
            return ["; ".join(_unique(names))]
    return []


def _read_line(text: str, found: Provenance) -> None:
    if found.editor is None and (match := _EDITOR.search(text)):
        found.editor = _EDITOR_TAIL.sub("", _EDITOR_CODE.sub("", match.group("name"))) or None
    if found.source is None and (match := _SOURCE.search(text)):
        found.source = re.sub(r"举报$", "", match.group("src")) or None
    # a lead paragraph opening with "新京报讯（记者 陆一夫）": only that part is a byline
    if (opening := _LEAD_BYLINE.match(text)) and ("记者" in opening[0] or "通讯员" in opening[0]):
        text = opening.group(0)
    elif len(text) > _MAX_BYLINE_LINE or "。" in text:
        return  # a sentence ("记者了解到，…。"), not a byline
    if match := _PLACE_REPORT.search(text):
        found.authors.extend(match.group("names").split())
    elif "记者" in text or "通讯员" in text or _CREDIT.search(text):
        _read_roles(text, found)


def _read_roles(text: str, found: Provenance) -> None:
    """Walk the tokens of a byline, assigning names to the role word before them."""
    # A word before a colon is a field label ("作者：赵文博　字号：[大 中 小]"): it ends the
    # names of the role before it and is not a name itself.
    text = _LABEL_COLON.sub(f" {_LABEL} ", text)
    tokens = [t for part in _TOKEN_SPLIT.split(text) for t in _ROLE_SPLIT.split(part) if t]
    role: str | None = None
    previous = ""
    for token in tokens:
        if token == _LABEL:
            if previous not in _ROLES:
                for names in (found.authors, found.correspondents):
                    if names and names[-1] == previous:
                        names.pop()
                role = None
            continue
        if token in _ROLES:
            role = _ROLES[token]
            if role == "author" and found.source is None and _OUTLET.search(previous):
                found.source = previous if not previous.endswith("讯") else None
        elif _NAME.match(token) and token not in _NOT_NAMES and token not in _ROLES:
            if role is None and _OUTLET.search(previous) and "通讯员" in text:
                role = "author"  # "齐鲁晚报·齐鲁壹点 王贝艺 通讯员 徐华"
            if role == "author":
                found.authors.append(token)
            elif role == "correspondent":
                found.correspondents.append(token)
        else:
            if token == "报道" and role and _NAME.match(previous):
                # "记者 彭冲 山东冠县报道": the last "name" was the place
                names = found.authors if role == "author" else found.correspondents
                if names and names[-1] == previous:
                    names.pop()
            role = None
        previous = token


def _inside_other_stories(node: HtmlElement) -> bool:
    for ancestor in node.iterancestors():
        if _OTHER_STORIES.search(f"{ancestor.get('class', '')} {ancestor.get('id', '')}"):
            return True
    return False


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
