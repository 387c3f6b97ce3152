"""Article pages in the four styles: NetEase 网易号, 齐鲁壹点, county portal, English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from crawler.demo.clutter import (
    COUNTY_HEADLINES,
    ENGLISH_TEASERS,
    NETEASE_HOT,
    NETEASE_SIDE,
    QILU_RELATED,
)
from crawler.demo.model import DemoArticle
from crawler.demo.templates import SiteView, describe, esc, fill, image_path, rotate, token

TIP_OFF = (
    "新闻线索报料通道：应用市场下载“齐鲁壹点”APP，或搜索微信小程序“齐鲁壹点”，"
    "全省800位记者在线等你来报料！"
)


def render_article(article: DemoArticle, view: SiteView) -> str:
    """The full HTML page of one article, in its style."""
    renderers: dict[str, Callable[[DemoArticle, SiteView], str]] = {
        "netease": _netease,
        "qilu": _qilu,
        "county": _county,
        "english": _english,
    }
    return renderers[article.style](article, view)


def _paragraphs(article: DemoArticle, plain: str, image: str, caption: str) -> list[str]:
    """Body paragraphs; the photo goes right above the caption paragraph."""
    lines = []
    for text in article.paragraphs:
        if text == article.caption:
            lines.append(image.format(src=image_path(article)))
            lines.append(caption.format(text=esc(text), id=token(text)))
        else:
            lines.append(plain.format(text=esc(text), id=token(text)))
    return lines


def _carries_tip_off(article: DemoArticle) -> bool:
    return article.source is not None and "齐鲁壹点" in article.source


def _netease(article: DemoArticle, view: SiteView) -> str:
    docid = article.path.rsplit("/", 1)[1].removesuffix(".html")
    plain = '        <p id="{id}">{text}</p>'
    body = []
    if article.byline:
        body.append(plain.format(id=token(article.byline), text=esc(article.byline)))
    body += _paragraphs(
        article,
        plain,
        '        <p class="f_center"><img src="{src}" alt="" style="max-width:100%;"><br></p>',
        '        <p class="f_center" id="{id}">{text}</p>',
    )
    if _carries_tip_off(article):
        body.append(plain.format(id=token(TIP_OFF + docid), text=TIP_OFF))
    editor = (
        f'      <div class="creative_statement">责任编辑：{esc(article.editor)}</div>'
        if article.editor
        else ""
    )
    others = view.neighbours(article, "netease", count=4)
    older = [other for other in view.of_style("netease") if other.when < article.when]
    keywords = "|".join(article.keywords)
    return fill(
        "netease.html",
        title=esc(article.title),
        title_tag=esc(f"{article.title}|{keywords}_网易订阅" if keywords else article.title),
        keywords=esc(",".join(article.keywords)),
        description=esc(describe(article)),
        canonical=esc(view.url(article.path)),
        a11y_url=esc(view.url(article.path.replace(".html", "_pdya11y.html"))),
        published=article.published,
        ptime=article.stamp,
        docid=docid,
        wemediaid="W" + str(int(token(article.source or "网易号", 12), 36))[:19],
        source=esc(article.source or "网易号"),
        province="山东",
        body="\n".join(body),
        editor=editor,
        next=_netease_next(older[0] if older else None),
        related="\n".join(
            [_netease_item(o.path, o.title, o.source or "网易号", o.stamp) for o in others]
            + [_netease_hot(n, item) for n, item in enumerate(rotate(NETEASE_HOT, docid, 6))]
        ),
        hot="\n".join(
            _netease_hot(n + 10, item)
            for n, item in enumerate(rotate(NETEASE_HOT, docid[::-1], 10))
        ),
        side="\n".join(
            _netease_side(n, title, items) for n, (title, items) in enumerate(NETEASE_SIDE)
        ),
    )


def _netease_item(href: str, title: str, source: str, when: str) -> str:
    return (
        '          <li class="post_recommend">'
        f'<div class="post_recommend_info"><h3 class="post_recommend_title">'
        f'<a href="{esc(href)}?f=post2020_dy_recommends">{esc(title)}</a></h3>'
        f'<p class="post_recommend_time">{esc(source)} {esc(when)}</p></div></li>'
    )


def _netease_hot(number: int, item: tuple[str, str, str]) -> str:
    title, source, when = item
    return (
        '          <li class="post_recommend">'
        f'<div class="post_recommend_info"><h3 class="post_recommend_title">'
        f'<a href="/news/#hot-{number}">{esc(title)}</a></h3>'
        f'<p class="post_recommend_time">{esc(source)} {esc(when)}</p></div></li>'
    )


def _netease_next(article: DemoArticle | None) -> str:
    link = (
        f'<a class="post_next_title" href="{esc(article.path)}?f=post2020_dy_next">'
        f"{esc(article.title)}</a>"
        if article
        else ""
    )
    return (
        f'      <div class="post_next_post">/阅读下一篇/ {link}</div>\n'
        '      <div class="post_next_btns"><a href="/">返回网易首页</a>'
        " <span>下载网易新闻客户端</span></div>"
    )


def _netease_side(number: int, title: str, items: tuple[str, ...]) -> str:
    links = "".join(
        f'<li><a href="/news/#side-{number}-{n}">{esc(item)}</a></li>'
        for n, item in enumerate(items)
    )
    return (
        '    <div class="post_side_mod">'
        f'<div class="post_side_mod_title"><h4>{esc(title)}</h4></div>'
        f'<ul class="post_side_mod_list">{links}</ul></div>'
    )


def _qilu(article: DemoArticle, view: SiteView) -> str:
    plain = "        <p>{text}</p>"
    body = [plain.format(text=esc(article.byline))] if article.byline else []
    body += _paragraphs(
        article,
        plain,
        '        <p class="img"><img src="{src}" alt=""></p>',
        '        <p class="img-desc">{text}</p>',
    )
    if _carries_tip_off(article):
        body.append(plain.format(text=TIP_OFF))
    key = article.path
    related = [
        f'        <li><a href="{esc(o.path)}">{esc(o.title)}</a>'
        f'<span class="time">{o.stamp_minutes}</span></li>'
        for o in view.neighbours(article, "qilu", count=3)
    ] + [
        f'        <li><a href="/news/#related-{n}">{esc(title)}</a>'
        f'<span class="time">{n + 1}小时前</span></li>'
        for n, title in enumerate(rotate(QILU_RELATED, key, 5))
    ]
    hot = [
        f'        <li><em>{n + 1}</em><a href="/news/#hot-{n}">{esc(title)}</a></li>'
        for n, title in enumerate(rotate(QILU_RELATED, key[::-1], 8))
    ]
    return fill(
        "qilu.html",
        title=esc(article.title),
        description=esc(describe(article)),
        stamp=article.stamp_minutes,
        source=esc(article.source or "齐鲁壹点"),
        reads=f"{1 + int(token(key, 3), 36) % 9}.{int(token(key, 2), 36) % 10}万",
        body="\n".join(body),
        related="\n".join(related),
        hot="\n".join(hot),
    )


def _county(article: DemoArticle, view: SiteView) -> str:
    body = _paragraphs(
        article,
        "        <p>{text}</p>",
        '        <p style="text-align: center;"><img src="{src}" alt="" /></p>',
        '        <p style="text-align: center;">{text}</p>',
    )
    links = [
        f'      <li>• <a href="{esc(o.path)}" target="_blank">{esc(o.title)}</a>'
        f'<span class="date">{o.when:%Y-%m-%d}</span></li>'
        for o in view.of_style("county")
        if o.path != article.path
    ]
    day = article.when.date()
    links += [
        f'      <li>• <a href="/xwzx/#n{n}" target="_blank">{esc(title)}</a>'
        f'<span class="date">{day - timedelta(days=1 + n // 3):%Y-%m-%d}</span></li>'
        for n, title in enumerate(rotate(COUNTY_HEADLINES, article.path, 56))
    ]
    return fill(
        "county.html",
        charset="gb2312" if article.encoding == "gbk" else "utf-8",
        title=esc(article.title),
        stamp=article.stamp_minutes,
        source=esc(article.source or "平原县融媒体中心"),
        author=esc(" ".join(article.authors)),
        editor=esc(article.editor or "张倩"),
        body="\n".join(body),
        headlines="\n".join(links),
    )


def _english(article: DemoArticle, view: SiteView) -> str:
    body = [f'        <p class="byline">{esc(article.byline)}</p>'] if article.byline else []
    body += _paragraphs(
        article,
        "        <p>{text}</p>",
        '        <figure><img src="{src}" alt="">',
        "        <figcaption>{text}</figcaption></figure>",
    )
    body.append("        <p>- END -</p>")
    teasers = [(o.path, o.title, describe(o)) for o in view.neighbours(article, "english", count=2)]
    unrelated = rotate(ENGLISH_TEASERS, article.path, 3)
    teasers += [(f"/en/#more-{n}", title, teaser) for n, (title, teaser) in enumerate(unrelated)]
    for href, title, teaser in teasers:
        body.append(f'        <p><strong><a href="{esc(href)}">{esc(title)}</a></strong></p>')
        body.append(f"        <p>{esc(teaser)}</p>")
    words = sum(len(text.split()) for text in article.paragraphs)
    english = view.of_style("english")
    index = next((n for n, o in enumerate(english) if o.path == article.path), 0)
    navigation = []
    if index + 1 < len(english):
        previous = english[index + 1]
        navigation.append(
            f'      <a rel="prev" href="{esc(previous.path)}">« {esc(previous.title)}</a>'
        )
    if index > 0:
        following = english[index - 1]
        navigation.append(
            f'      <a rel="next" href="{esc(following.path)}">{esc(following.title)} »</a>'
        )
    return fill(
        "english.html",
        title=esc(article.title),
        description=esc(describe(article)),
        author=esc(", ".join(article.authors) or (article.source or "")),
        canonical=esc(view.url(article.path)),
        published=article.published,
        minutes=str(max(2, round(words / 40))),
        date_text=f"{article.when:%B} {_ordinal(article.when.day)}",
        body="\n".join(body),
        navigation="\n".join(navigation),
        recent="\n".join(
            f'        <li><a href="{esc(o.path)}">{esc(o.title)}</a></li>' for o in english[:5]
        ),
    )


def _ordinal(day: int) -> str:
    """1 -> 1st, 12 -> 12th, 22 -> 22nd: the seeds print "May 8th" and no year."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
