"""Qilu Evening News (齐鲁晚报) and 齐鲁壹点 (ql1d.com), with the e-paper and the old qlwb.com.cn.

The evidence here is thinner than for 163.com (../shared/docs/SITES.md §2): no page of these
sites was available when this profile was written, so every rule is marked with its source
([CODE] others' scrapers, [GUESS] inference). When a live page disagrees, correct the pattern
or selector here; each one is independent of the others.
"""

from __future__ import annotations

import re

from crawler.profile import EntryPoint, SiteProfile
from crawler.spiders.base import ProfileSpider
from pipelines.extraction import SiteRules

# https://www.ql1d.com/general/27176506.html, also without www and on m. [CODE, 2023-2025]
_GENERAL = re.compile(r"^https?://(?:www\.|m\.)?ql1d\.com/general/(?P<id>\d+)\.html")


def canonical_url(url: str) -> str | None:
    """One URL per 齐鲁壹点 article: ``https://www.ql1d.com/general/{id}.html``.

    The numeric id is global and rises with time [CODE]. The old ``/news/show/id/N.html`` form
    is kept as it is: that it redirects to ``/general/N.html`` is unverified [GUESS].
    """
    if match := _GENERAL.match(url):
        return f"https://www.ql1d.com/general/{match['id']}.html"
    return None


PROFILE = SiteProfile(
    name="qilu",
    title="齐鲁晚报·齐鲁壹点 Qilu Evening News (ql1d.com, qlwb.com.cn)",
    domains=("ql1d.com", "qlwb.com.cn"),
    entry_points=(
        # The homepage and the 山东 channel list [CODE: 2018 homepage snapshot; GUESS that the
        # channel URL still works].
        EntryPoint("https://www.ql1d.com/", "listing"),
        EntryPoint("https://www.ql1d.com/index/index/channel_id/563.html", "listing"),
        # The e-paper's issue index: every page and article of one day's paper [CODE + stored
        # pages, 2025]. {date} is the crawl's day (-a day=YYYY-MM-DD, default today).
        EntryPoint(
            "https://epaper.qlwb.com.cn/qlwb/content/{date}/PageArticleIndexLB.htm",
            "listing",
            note="the most stable discovery source for the printed paper",
        ),
        # 齐鲁晚报网's news list, items in ul.list.list-point [CODE, RSSHub 2020; may be gone].
        EntryPoint("http://news.qlwb.com.cn/news/", "listing"),
    ),
    article_patterns=(
        _GENERAL.pattern.lstrip("^"),
        r"ql1d\.com/news/show/id/\d+\.html",  # ≤ 2021 [CODE]
        r"qlwb\.com\.cn/\d{4}/\d{4}/\d+\.s?html?",  # qlwb.com.cn/2016/0811/695724.shtml [CODE]
        r"epaper\.qlwb\.com\.cn/qlwb/content/\d{8}/Articel\w+\.htm",  # sic "Articel" [CODE]
    ),
    listing_patterns=(
        r"ql1d\.com/index/index/(channel|city)_id/\d+",
        r"epaper\.qlwb\.com\.cn/qlwb/content/\d{8}/Page\w+\.htm",
    ),
    ignore_patterns=(r"ql1d\.com/news/video/", r"ql1d\.com/index/search", r"\.pdf$"),
    canonicalize=canonical_url,
    # E-paper articles carry their date only in the URL: …/content/20260107/ArticelA02002FM.htm
    url_date=r"/content/(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})/",
    rules=SiteRules(
        # The e-paper article's title and text [CODE id 34164970630]; the rest goes the generic
        # way, with the 齐鲁晚报·齐鲁壹点记者 X 通讯员 Y byline read by the generic byline rules.
        title_xpath='//div[@class="zb"] | //h1 | //*[contains(@class, "article-title")]',
        # The e-paper's text is span#contenttext; elsewhere nothing matches and the generic
        # body detection runs.
        body_xpath='//span[@id="contenttext"]',
        noise_xpaths=(
            # 上一篇/下一篇 links under an e-paper article [GUESS: the fixture's markup]
            '//*[contains(@class, "prenext")]',
            '//*[contains(@class, "share")]',
            '//*[contains(@class, "download") or contains(@class, "app-banner")]',
        ),
        timezone="Asia/Shanghai",
    ),
    # Hourly, adapting between 20m and 6h; the e-paper changes once a day.
    schedule="every 1h",
    min_interval="20m",
    max_interval="6h",
    notes="ql1d.com and the e-paper are UTF-8 [CODE]; the current article template was never "
    "seen: check h1, og: tags and JSON-LD on a live page and correct the rules here.",
)


class QiluSpider(ProfileSpider):
    name = "qilu"
    profile = PROFILE
