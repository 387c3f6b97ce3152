"""Remove page furniture from the tree before trafilatura sees it.

Trafilatura's own boilerplate vocabulary is English. Chinese news pages name their furniture in
English words, pinyin or pinyin initials (`post_recommends`, `pinglun`, `xgtj`) and label it with a
short heading ("相关推荐", "分享至", "当前位置："). Two kinds of rule live here:

- class/id words: a node whose class or id names furniture is dropped;
- block-start markers: a short or link-dense block whose text *starts* with a furniture label is
  dropped, with the link lists that follow such a label.

Both spare "substantial" nodes (most of the page's text, the h1, an <article>), so a page that
wraps its whole article in `<div id="app" class="comment-enabled">` keeps its article; and a
paragraph that merely mentions 分享 or 评论 is never matched, because markers only count at the
start of a block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from .document import squash

# containers that may hold furniture; inline tags are only removed via their container
_CONTAINERS = frozenset(
    {
        "div",
        "section",
        "aside",
        "nav",
        "footer",
        "header",
        "ul",
        "ol",
        "dl",
        "table",
        "tbody",
        "tr",
        "td",
        "form",
        "span",
        "iframe",
        "p",
    }
)
# comment threads are prose too, so they go whatever their length: 163 `post_comment_area`,
# sina `pinglun`
_COMMENT_WORDS = frozenset({"comment", "comments", "cmt", "pinglun", "reply", "replies"})
# whole words of a class/id (split on -, _, camelCase, digits) that name other furniture
_NOISE_WORDS = frozenset(
    {
        # related/recommended/hot lists: 163 `post_recommends`, `xgtj` = 相关推荐, `rdtj` = 热点推荐
        "recommend",
        "recommends",
        "recommended",
        "recommendation",
        "related",
        "relate",
        "relevant",
        "tuijian",
        "xgtj",
        "xgwz",
        "xgxw",
        "xgyd",
        "rdtj",
        "rmtj",
        "xiangguan",
        "hot",
        "hotnews",
        "rank",
        "ranking",
        "paihang",
        "popular",
        "trending",
        "discuss",
        # share bars "分享至": baidu `bdshare`, `fenxiang`
        "share",
        "sharing",
        "sharebar",
        "fenxiang",
        "social",
        # breadcrumbs "网易首页 > 网易号 > 正文": `mbx` = 面包屑
        "crumb",
        "crumbs",
        "breadcrumb",
        "breadcrumbs",
        "mbx",
        # navigation, sidebars, footers
        "nav",
        "navbar",
        "navigation",
        "menu",
        "sidebar",
        "side",
        "sidebox",
        "footer",
        "foot",
        # notices: 163 `post_statement` "特别声明 … Notice: The content above …"
        "statement",
        "disclaimer",
        "declare",
        "shengming",
        "mianze",
        "copyright",
        "banquan",
        # ads: `gg` = 广告 (163 `gg200x300`)
        "ad",
        "ads",
        "advert",
        "advertisement",
        "adv",
        "gg",
        "guanggao",
        "sponsor",
        "sponsored",
        # app banners "下载…客户端", QR codes, login prompts, pop-ups
        "download",
        "qrcode",
        "erweima",
        "ewm",
        "login",
        "signin",
        "register",
        "subscribe",
        "newsletter",
        "popup",
        "modal",
        # "next article" teasers: 163 `post_next`
        "next",
        "prev",
        "previous",
        "toolbar",
    }
)
# furniture words that also occur glued into one token (`bdsharebuttonbox`, `hotnewslist`)
_NOISE_SUBSTRINGS = re.compile(
    r"share|comment(?!ary)|recommend|related|breadcrumb|copyright|disclaimer|download|sidebar"
    r"|hotnews|hotlist|adsbygoogle",
    re.IGNORECASE,
)
_COMMENT_SUBSTRING = re.compile(r"comment(?!ary)", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")
# furniture labels, matched only at the start of a block's text
_MARKERS = re.compile(
    r"^(?:相关推荐|热点推荐|为您推荐|猜你喜欢|延伸阅读|相关阅读|推荐阅读|相关新闻|相关文章|相关报道"
    r"|相关链接|热门推荐|热门文章|热门新闻|热点新闻|精彩推荐|更多精彩|大家都在看|编辑推荐|往期回顾"
    r"|网友评论|发表评论|我要评论|最新评论|热门评论|全部评论|评论列表|网易跟贴|跟贴"
    r"|分享到|分享至|特别声明|免责声明|版权声明|当前位置|您的位置|你的位置|您当前的位置|所在位置"
    r"|下载.{0,10}客户端|扫码下载|扫一扫|网易首页\s*>|首页\s*[>›»]"
    r"|Notice: The content above|Related (?:articles|stories|posts)|Recommended for you"
    r"|Share (?:this|on)\b|Read more:?$)",
    re.IGNORECASE,
)
# footers state copyright and the ICP licence; a block naming two of these is a footer
_FOOTER_MARKERS = re.compile(
    r"版权所有|ICP备|ICP证|公网安备|违法和不良信息举报|Copyright|©|All rights reserved"
)
# never text: script, style and friends inflate every text_content() measure
_NEVER_TEXT = ("script", "style", "noscript", "template", "svg")
# blocks whose own text counts towards the main-block vote
_TEXT_BLOCKS = ("p", "div", "td", "pre", "blockquote", "section", "article")
_MIN_BLOCK_CHARS = 25
_PROSE_CHARS = 1000  # a furniture-named node this long with few links is kept
_PROSE_LINKS = 0.25
_LABEL_CHARS = 40  # a <p> longer than this that starts with a label word is prose
_SHORT_BLOCK = 400  # characters: furniture labelled by a marker is short...
_LINK_DENSE = 0.5  # ...or mostly link text


def remove_clutter(tree: HtmlElement, noise_xpaths: Iterable[str] = ()) -> HtmlElement | None:
    """Drop furniture nodes from `tree` in place (site noise XPaths first, then generic rules).

    Returns the block that holds most of the article's paragraphs, if any.
    """
    for xpath in noise_xpaths:
        for node in tree.xpath(xpath):
            _drop(node)
    drop_never_text(tree)
    body = tree.find("body")
    root = body if body is not None else tree
    main = main_block(root)
    guard = _Guard(main)
    # labels first: the class pass may drop a label (<div class=hot>相关推荐</div>) and orphan
    # the list that follows it
    for node in list(_marker_blocks(root)):
        if not guard.keeps(node):
            _drop_with_following_lists(node, guard)
    for node in tree.xpath(".//*[@class or @id]"):
        if node.tag not in _CONTAINERS or not (kind := _furniture_kind(node)):
            continue
        if not guard.keeps(node) and (kind == "comments" or not _is_prose(node)):
            _drop(node)
    return main


def drop_never_text(tree: HtmlElement) -> None:
    """Remove scripts, styles and the like, whose text no reader sees."""
    for node in list(tree.iter(*_NEVER_TEXT)):
        _drop(node)


def main_block(root: HtmlElement) -> HtmlElement | None:
    """The element holding the most paragraph text (readability's idea, without its scoring).

    Each text block credits its parent fully and its grandparent by half, so the winner is the
    container whose own children carry the article's paragraphs.
    """
    credit: dict[HtmlElement, float] = {}
    for node in root.iter(*_TEXT_BLOCKS):
        chars = len((node.text or "").strip()) + sum(len((c.tail or "").strip()) for c in node)
        if node.tag == "p":
            chars = len(squash(node.text_content()))
        if chars < _MIN_BLOCK_CHARS:
            continue
        parent = node.getparent()
        if parent is None:
            continue
        credit[parent] = credit.get(parent, 0.0) + chars
        grandparent = parent.getparent()
        if grandparent is not None:
            credit[grandparent] = credit.get(grandparent, 0.0) + chars / 2
    return max(credit, key=credit.__getitem__) if credit else None


class _Guard:
    """Decides which nodes are too important to drop whatever their name says."""

    def __init__(self, main: HtmlElement | None) -> None:
        self.main = main
        self.ancestry = set(main.iterancestors()) | {main} if main is not None else set()
        self.limit = 0.3 * len(squash(main.text_content())) if main is not None else 0.0

    def keeps(self, node: HtmlElement) -> bool:
        if node.getparent() is None or node.tag in ("body", "html", "article", "main"):
            return True
        if node in self.ancestry or node.find(".//h1") is not None:
            return True
        if self.main is None or not any(a is self.main for a in node.iterancestors()):
            return False
        # inside the article: drop a share bar, not a third of the story
        return len(squash(node.text_content())) >= self.limit


def _is_prose(node: HtmlElement) -> bool:
    """Long text with few links: an article body, whatever its wrapper is called.

    Sample: `<div class="l-sidebar-fixed l-article-body-segment">` holds a whole article
    (https://www.dawgsbynature.com/2019/11/18/20970600/browns-defensive-snap-counts-stats-and-notes-week-11).
    """
    text_chars = len(squash(node.text_content()))
    return text_chars >= _PROSE_CHARS and link_density(node, text_chars) < _PROSE_LINKS


def _furniture_kind(node: HtmlElement) -> str | None:
    """ "comments", "furniture", or None when the class/id names no furniture."""
    tokens = node.get("class", "").split()
    node_id = node.get("id", "")
    # an id of four or more words is a heading's slug ("sharing-with-a-single-developer")
    if node_id and len(_WORD_SPLIT.split(node_id)) < 4:
        tokens.append(node_id)
    kind = None
    for token in tokens:
        words = [word.lower() for word in _WORD_SPLIT.split(token) if word]
        if any(word in _COMMENT_WORDS for word in words) or _COMMENT_SUBSTRING.search(token):
            return "comments"
        if _NOISE_SUBSTRINGS.search(token) or any(word in _NOISE_WORDS for word in words):
            kind = "furniture"
    return kind


def _marker_blocks(root: HtmlElement) -> Iterable[HtmlElement]:
    """The largest short/link-dense block whose text starts with a furniture label."""
    seen: set[HtmlElement] = set()
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.text or not node.text.strip():
            continue
        lead = node.text.strip()
        # a footer states a marker in its own first words ("© 2026 …", "版权所有 …")
        if not _MARKERS.match(lead) and not (_FOOTER_MARKERS.search(lead) and _is_footer(node)):
            continue
        block = node
        while (parent := block.getparent()) is not None and parent.tag in _CONTAINERS:
            if _lead_text(parent) != lead or not _is_furniture(parent):
                break
            block = parent
        if block in seen or not _is_furniture(block) or _is_sentence(block):
            continue
        seen.add(block)
        yield block


def _is_footer(node: HtmlElement) -> bool:
    if node.tag not in ("div", "footer", "td", "section", "p", "span", "center"):
        return False
    text = squash(node.text_content())
    return len(text) < _SHORT_BLOCK and len(set(_FOOTER_MARKERS.findall(text))) >= 2


def _lead_text(node: HtmlElement) -> str:
    """The first non-blank text of `node`, in reading order."""
    for text in node.itertext():
        if stripped := str(text).strip():
            return stripped
    return ""


def _is_sentence(node: HtmlElement) -> bool:
    """A paragraph that opens with a label word: "分享到朋友圈后，这段视频迅速走红……"."""
    if node.tag != "p":
        return False
    text = squash(node.text_content())
    return len(text) > _LABEL_CHARS and link_density(node, len(text)) < _LINK_DENSE


def _is_furniture(node: HtmlElement) -> bool:
    text = squash(node.text_content())
    return len(text) <= _SHORT_BLOCK or link_density(node, len(text)) >= _LINK_DENSE


def link_density(node: HtmlElement, text_chars: int | None = None) -> float:
    """Share of the node's text that sits inside links."""
    total = text_chars if text_chars is not None else len(squash(node.text_content()))
    if not total:
        return 0.0
    linked = sum(len(squash(link.text_content())) for link in node.iter("a"))
    return min(1.0, linked / total)


def _drop_with_following_lists(node: HtmlElement, guard: _Guard) -> None:
    """Drop a label and the link lists that follow it ("相关阅读" + <ul> of headlines)."""
    sibling = node.getnext()
    _drop(node)
    while sibling is not None and isinstance(sibling.tag, str):
        following = sibling.getnext()
        text = squash(sibling.text_content())
        if not text:
            sibling = following
            continue
        if (
            sibling.tag in ("ul", "ol", "dl", "div", "table")
            and link_density(sibling) >= _LINK_DENSE
            and not guard.keeps(sibling)
        ):
            _drop(sibling)
            sibling = following
            continue
        break


def _drop(node: HtmlElement) -> None:
    """Remove `node` but keep its tail text, which belongs to the parent."""
    parent = node.getparent()
    if parent is None:
        return
    node.drop_tree()
