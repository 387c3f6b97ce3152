"""The demo site's articles and the clutter that must never reach an archived text.

``ARTICLES`` is ordered by publish time, oldest first. What each field means, and which
lines of a page belong to ``paragraphs``, is documented on ``DemoArticle``.
"""

from __future__ import annotations

from crawler.demo.clutter import COUNTY_HEADLINES, ENGLISH_TEASERS, NETEASE_HOT, QILU_RELATED
from crawler.demo.content_en import EN_ARTICLES
from crawler.demo.content_zh import ZH_ARTICLES
from crawler.demo.model import DemoArticle

__all__ = ["ARTICLES", "CLUTTER_PHRASES", "PRIVATE_PATH", "DemoArticle"]

ARTICLES: tuple[DemoArticle, ...] = tuple(
    sorted(ZH_ARTICLES + EN_ARTICLES, key=lambda article: article.when)
)

# Linked from the homepage, disallowed by robots.txt: a polite crawler never fetches it.
PRIVATE_PATH = "/private/preview.html"

# Each phrase is printed on at least one page and occurs in no article's title or paragraphs.
CLUTTER_PHRASES: tuple[str, ...] = (
    # NetEase 网易号 chrome
    "网易首页",
    "申请入驻",
    "分享至",
    "用微信扫码二维码",
    "举报",
    "特别声明",
    "Notice: The content above",
    "NetEase Hao",
    "责任编辑",
    "相关推荐",
    "热点推荐",
    "网易跟贴",
    "网友评论仅供其表达个人看法",
    "头条要闻",
    "网易公司版权所有",
    # 齐鲁壹点: the tip-off promo sits inside the article body, after the last paragraph
    "新闻线索报料通道",
    "下载齐鲁壹点客户端",
    "山东齐鲁壹点传媒有限公司",
    "版权所有",
    # county portal
    "当前位置",
    "主办单位",
    "备案号",
    # English pages
    "- END -",
    "mins read",
    "Share this article",
    "Recent posts",
    # unrelated headlines that sit next to every article of their style
    NETEASE_HOT[0][0],
    QILU_RELATED[0],
    COUNTY_HEADLINES[0],
    ENGLISH_TEASERS[0][0],
)
