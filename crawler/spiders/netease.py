"""NetEase (网易, 163.com): news and 网易号 (self-media) articles.

Facts and their evidence are in ../shared/docs/SITES.md §1; the tags below say how sure each is:
[PAGE] checked on a saved page, [CODE] seen in others' scrapers, [GUESS] inferred.

Every 163.com article has a 16-character docid ([0-9A-Z]{16}) that is the same on every host and
in every era, so the canonical URL is built from it: https://www.163.com/{channel}/article/{docid}.html.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from crawler.profile import EntryPoint, SiteProfile
from crawler.spiders.base import ProfileSpider
from pipelines.extraction import SiteRules

# The URL shapes of one article, all eras and hosts [PAGE+CODE, SITES.md §1.1]:
_ARTICLE = re.compile(
    r"""^https?://(?P<host>(?:[a-z0-9-]+\.)*)163\.com/(?:
        (?P<chan>[a-z]+)/article/(?P<id1>[0-9A-Z]{16})    # www|m|3g.163.com/{chan}/article/ID
      | (?:\w+/)?\d{2}/\d{4}/\d{2}/(?P<id2>[0-9A-Z]{16})  # news.163.com/19/0907/09/ID
      | \d{5}/\d/(?P<id3>[0-9A-Z]{16})                    # biz.163.com/41210/1/ID (2004)
      | v2/article/detail/(?P<id4>[0-9A-Z]{16})           # dy.163.com (2020)
      | news/a/(?P<id5>[0-9A-Z]{16})                      # c.m.163.com app share page
    )(?:_[A-Za-z0-9]+)?\.html""",
    re.X,
)
# Hosts that serve the same article under another URL: mobile, app and accessibility variants.
_MOBILE_HOSTS = ("m.", "3g.", "c.m.", "dy.")


def _channel(match: re.Match[str]) -> str:
    if match["chan"]:
        return match["chan"]
    if match["id4"]:
        return "dy"
    # Legacy hosts: news.163.com, tech.163.com, caozhi.news.163.com -> news, tech, news.
    labels = [
        label
        for label in match["host"].split(".")
        if label and label not in ("www", "m", "3g", "c")
    ]
    return labels[-1] if labels else "news"


def canonical_url(url: str) -> str | None:
    """``https://www.163.com/{channel}/article/{docid}.html`` for any URL of a 163 article.

    The legacy forms (news.163.com/YY/MMDD/HH/ID.html) map to the channel named by their host:
    the desktop site redirects them so [CODE: relakkes 2025 crawler; GUESS for old channels].
    """
    match = _ARTICLE.match(url)
    if match is None:
        parts = urlsplit(url)  # //3g.163.com/touch/article.html?docid=ID [PAGE dev/0181 pc2wap]
        docid = parse_qs(parts.query).get("docid", [""])[0]
        if (
            parts.hostname
            and parts.hostname.endswith("163.com")
            and re.fullmatch(r"[0-9A-Z]{16}", docid)
        ):
            return f"https://www.163.com/news/article/{docid}.html"
        return None
    docid = next(match[g] for g in ("id1", "id2", "id3", "id4", "id5") if match[g])
    return f"https://www.163.com/{_channel(match)}/article/{docid}.html"


def fetch_url(url: str) -> str | None:
    """Mobile and app variants are fetched as the desktop page (SITES.md §1.3 recommends it);
    legacy URLs as they are, since the desktop form of an old channel is a guess."""
    match = _ARTICLE.match(url)
    if match and (match["chan"] or match["id4"] or match["id5"]):
        return canonical_url(url)
    return None


PROFILE = SiteProfile(
    name="netease",
    title="网易新闻 NetEase News (163.com)",
    domains=("163.com",),
    entry_points=(
        # JSONP of the news front page's 要闻 list; pages _02 … _10 exist too [CODE, several repos].
        EntryPoint(
            "https://news.163.com/special/cm_yaowen20200213/?callback=data_callback", "jsonp"
        ),
        EntryPoint(
            "https://news.163.com/special/cm_yaowen20200213_02/?callback=data_callback", "jsonp"
        ),
        # The channel front page: li.newsdata_item links [CODE 2022].
        EntryPoint("https://news.163.com/", "listing"),
        # Old RSS; whether it is still served is unknown [CODE].
        EntryPoint("https://news.163.com/special/00011K6L/rss_newstop.xml", "feed"),
    ),
    article_patterns=(
        r"163\.com/(?:[a-z]+/article/|(?:\w+/)?\d{2}/\d{4}/\d{2}/|\d{5}/\d/|v2/article/detail/"
        r"|news/a/)[0-9A-Z]{16}(?:_[A-Za-z0-9]+)?\.html",
        r"3g\.163\.com/touch/article\.html\?(?:.*&)?docid=[0-9A-Z]{16}",
    ),
    listing_patterns=(
        r"^https?://(news|war|money|tech|ent|sports|auto|gov|media)\.163\.com/?(index\.html)?$",
        r"^https?://news\.163\.com/(domestic|world|air)/?$",
    ),
    ignore_patterns=(
        r"comment\.tie\.163\.com",  # comment threads, not articles [PAGE]
        # video, photo sets (JSON in a textarea), 网易号 account pages
        r"/v/video/|/photoview/|/dy/media/",
    ),
    canonicalize=canonical_url,
    fetch=fetch_url,
    rules=SiteRules(
        # Era D (2020-): h1.post_title; era C (2016-2020): the h1 of #epContentLeft [PAGE].
        # og:title is often cut at the first ASCII quote on era-C pages: the h1 is read instead.
        title_xpath='//h1[contains(@class, "post_title")] | //div[@id="epContentLeft"]/h1',
        # Era C's body is #endText, not .post_body (which holds the share bar too) [PAGE 0181-0188];
        # era B's (2005-2012) is div#text [PAGE dev/0255].
        body_xpath=(
            '//div[@id="endText"] | //div[contains(@class, "post_body")] | //div[@id="text"]'
        ),
        noise_xpaths=(
            '//div[contains(@class, "post_top")]',
            '//div[contains(@class, "post_statement")] | //div[contains(@class, "statement")]',
            '//div[contains(@class, "creative_statement")]',
            '//div[contains(@class, "ep-source")]',
            '//div[contains(@class, "gg200x300")] | //div[contains(@class, "at_item")]',
            '//div[contains(@class, "special_tag_wrap")] | //div[contains(@class, "video-list")]',
            # era B: "如果您喜欢网易新闻，请告诉您的朋友", 网友评论, 相关链接 [PAGE dev/0255]
            '//*[@id="remail"] | //*[@id="review"] | //*[starts-with(@class, "interfix")]',
        ),
        timezone="Asia/Shanghai",
    ),
    # The 要闻 list turns over within hours: every 30 minutes, adapting between 10m and 3h.
    schedule="every 30m",
    min_interval="10m",
    max_interval="3h",
    notes="Current pages are UTF-8, 2004-2006 pages GBK [PAGE]. No XML sitemap is known; "
    "robots.txt is read for Sitemap: lines at run time [GUESS].",
)


class NeteaseSpider(ProfileSpider):
    name = "netease"
    profile = PROFILE
