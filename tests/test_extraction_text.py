"""Printed datelines, text trimming and bylines, on small pages written after real layouts.

Each page is the shape of a kind of page the dev corpus holds (2000s portals, blogs, forums,
CMS pages with JSON-LD), with our own text. Tests assert phrases that must and must not appear.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extraction import Extraction, extract_article
from pipelines.extraction.trimming import trim_text

BEIJING = timezone(timedelta(hours=8))

STORY = [
    "近日，县教育局召开全县中小学校长会议，部署新学期义务教育优质均衡发展的重点工作，要求各校对照标准查漏补缺。",
    "会议指出，过去一年全县新建改扩建学校六所，新增学位四千余个，城乡学校办学条件差距进一步缩小，群众满意度明显提高。",
    "会议要求，各校要在师资配备、课后服务和校园安全方面下功夫，确保每一所家门口的学校都办成让群众满意的好学校。",
]
ENGLISH = [
    "The county school board voted on Tuesday to extend the after-school program to every "
    "elementary school in the district, after a pilot year that parents called a success.",
    "Officials said the program would be paid for from the state grant approved in March, "
    "and that no new local taxes would be needed to keep it running next year.",
]


def _extract(html: str, url: str = "") -> Extraction:
    found = extract_article(html, url)
    assert found is not None
    return found


def _story(lines: list[str] = STORY) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _page(body: str, head: str = "<title>全县部署义务教育优质均衡发展工作</title>") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


# Datelines printed as text


def test_labelled_publish_time_above_the_story() -> None:
    page = _extract(
        _page(
            "<div>首页 &gt; 要闻 &gt; 正文</div><h2>全县部署义务教育优质均衡发展工作</h2>"
            "<div>发布时间：2022-02-13 04:22:18 来源：县融媒体中心</div>" + _story()
        )
    )
    assert page.published == datetime(2022, 2, 13, 4, 22, 18, tzinfo=BEIJING)


def test_post_footer_after_the_story_and_a_commenters_time_ignored() -> None:
    html = _page(
        "<div class='post'>" + _story() + "<div>作者:小李 阅读(1660) 发表于:2005-07-31 12:30</div>"
        "</div><div>网友留言：说得好！ 发表时间：2005-08-02 09:10:11</div>"
    )
    assert _extract(html).published == datetime(2005, 7, 31, 12, 30, tzinfo=BEIJING)


def test_month_first_date_with_pm() -> None:
    html = _page("<div>作者： 来源： 发布日期： 7/5/2005 9:23:57 PM</div>" + _story())
    assert _extract(html).published == datetime(2005, 7, 5, 21, 23, 57, tzinfo=BEIJING)


def test_date_before_source_in_the_info_line() -> None:
    html = _page("<table><tr><td>2005年08月16日 来源：新华网</td></tr></table>" + _story())
    assert _extract(html).published == datetime(2005, 8, 16, tzinfo=BEIJING)


def test_bare_date_right_after_the_headline_not_the_one_inside_the_story() -> None:
    agenda = [
        "12月11日上午 8:30 开幕式，主持人致辞，随后各位代表分组讨论，会议安排紧凑。",
        *STORY,
    ]
    html = _page(
        "<div>会议 双击自动滚屏</div><h3>全县部署义务教育优质均衡发展工作</h3>"
        "<div>2004-12-10 阅读10544次</div>" + _story(agenda)
    )
    assert _extract(html).published == datetime(2004, 12, 10, tzinfo=BEIJING)


def test_date_in_the_url_when_the_page_states_none() -> None:
    html = _page(_story(ENGLISH), "<title>After-school program for all</title>")
    page = _extract(html, "https://news.example.com/2019/11/19/after-school-program.html")
    assert page.published == datetime(2019, 11, 19, tzinfo=UTC)


def test_json_ld_in_cdata_is_read() -> None:
    head = (
        "<title>After-school program for all</title>"
        '<script type="application/ld+json">//<![CDATA[\n'
        '{"@type": "NewsArticle", "datePublished": "2015-10-15T02:19:15Z",'
        ' "author": {"@type": "Person", "name": "Jane Doe"}}\n//]]></script>'
        '<meta property="article:published_time" content="2015-12-11T14:28:34Z">'
    )
    page = _extract(_page(_story(ENGLISH), head))
    assert page.published == datetime(2015, 10, 15, 2, 19, 15, tzinfo=UTC)  # JSON-LD first
    assert page.authors == ("Jane Doe",)


def test_relative_and_yearless_stamps_are_never_dates() -> None:
    html = _page("<div>3小时前 来源：县融媒体中心 12-10 09:30</div>" + _story())
    assert _extract(html).published is None


# Trimming at the edges of the text


def test_closing_credit_ends_the_story() -> None:
    html = _page(
        _story()
        + "<p>原标题：全县部署新学期工作</p><p>责任编辑: 于文凯</p>"
        + "<div>小编最近文章</div><ul>"
        + "".join(
            f"<li><a href='/{n}'>另一条新闻标题第{n}条</a> 2019-09-0{n}</li>" for n in range(1, 4)
        )
        + "</ul><div>评论 327</div>"
    )
    page = _extract(html)
    assert page.text.endswith("办成让群众满意的好学校。")
    assert "小编最近文章" not in page.text and "另一条新闻" not in page.text
    assert page.editor == "于文凯"
    assert page.original_title == "全县部署新学期工作"


def test_spaced_notice_and_forum_reply_list_are_cut() -> None:
    lines, _ = trim_text(
        "\n".join(
            [
                STORY[0],
                "|  | 您是本文第 154 个阅览者 |  |",
                "| \\| 回复线索： |",
                "- 参与旅行社的一般都是弱势群体……【梅骏！】08-11 16:58 138字 [140/0]",
                "- 还是素质问题【柠檬沁心】08-11 17:20 124字 [137/0]",
            ]
        )
    )
    assert "回复线索" not in lines and "弱势群体" not in lines
    notice, _ = trim_text("\n".join([*STORY, "| 郑 重 声 明 |", "| 1. 任何言论纯属作者个人观点 |"]))
    assert notice == "\n".join(STORY)


def test_leading_menu_nav_row_and_info_bar_go_but_the_source_is_read() -> None:
    menu = ["登录", "注册", "搜索", "风格", "状态", "热帖", "新贴", "会员", "帮助"]
    text = "\n".join(
        [
            *menu,
            "| 全国版 | 安徽省 | 北京市 | 重庆市 | 福建省 |",
            "报纸网 |发布: 2021-1-29 13:18|点击: 313|来自: 互联网",
            *STORY,
        ]
    )
    trimmed, credits = trim_text(text)
    assert trimmed == "\n".join(STORY)
    assert credits == ["报纸网 发布: 2021-1-29 13:18 点击: 313 来自: 互联网"]


def test_a_data_table_at_the_end_stays() -> None:
    rows = [
        "| 050408舞蹈学 |  | 4 |  |  |",
        "| 01舞蹈文化人类学 |  |  | 1、英语 2、中国舞蹈史 |  |",
    ]
    trimmed, _ = trim_text("\n".join([*STORY, *rows]))
    assert trimmed.endswith(rows[-1])


def test_end_credits_stay_in_the_text() -> None:
    page = _extract(_page(_story() + "<p>文/栗思</p><p>编辑/倪家宁</p><p>来源：县融媒体中心</p>"))
    assert page.text.endswith("文/栗思\n编辑/倪家宁")
    assert page.source == "县融媒体中心"


# Who wrote it


@pytest.mark.parametrize(
    "meta_author", ["Discuz! Team and Comsenz UI Team", "Powered by WordPress", "网易"]
)
def test_software_and_platforms_are_not_authors(meta_author: str) -> None:
    head = f'<title>After-school program</title><meta name="author" content="{meta_author}">'
    assert _extract(_page(_story(ENGLISH), head)).authors == ()


def test_byline_markup_when_nothing_declares_an_author() -> None:
    html = _page(
        '<article><h1>After-school program for all</h1><p class="byline">By Jane Doe</p>'
        + _story(ENGLISH)
        + "</article><div class='comments'><span class='byline'>troll42</span>"
        "<p>First!</p></div>",
        "<title>After-school program for all</title>",
    )
    assert _extract(html).authors == ("Jane Doe",)


# Layout


def test_paragraphs_written_with_double_breaks_keep_inline_links_in_place() -> None:
    cell = "<br><br>".join(
        [
            f"　　{STORY[0]}",
            "　　市<a class='kw' href='/keyword/power.html'>电力</a>部门表示，随着空调用电增加，"
            "全市用电负荷已接近历史最高水平，供电公司已安排抢修队伍24小时值班。",
            f"　　{STORY[1]}",
            f"　　{STORY[2]}",
        ]
    )
    html = _page(
        "<div>网易首页 &gt; 新闻中心 &gt; 正文</div><h1>全县部署义务教育优质均衡发展工作</h1>"
        f"<div id='text'><table><tr><td class='f14'>{cell}<br><br></td></tr></table></div>"
    )
    lines = _extract(html).text.split("\n")
    assert (
        "市电力部门表示，随着空调用电增加，全市用电负荷已接近历史最高水平，供电公司已安排抢修队伍24小时值班。"
        in lines
    )
    assert lines[0] == STORY[0] and lines[-1] == STORY[2]
