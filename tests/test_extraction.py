"""Extraction on small pages written after the real layouts in docs/SITES.md and the seed dumps.

Each test asserts phrases that must and must not appear in the text, plus the metadata fields.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extraction import EXTRACTOR_VERSION, Extraction, SiteRules, extract_article

BEIJING = timezone(timedelta(hours=8))

PARAGRAPHS_ZH = [
    "新年伊始，教育部公布2025年第一批“义务教育优质均衡发展县（市、区）”名单，槐荫区成功入选。"
    "这是继2025年年初摘得“国家学前教育普及普惠县”后，槐荫区又一次获得“国字号”荣誉。",
    "槐荫区以顶层设计破题，将义务教育优质均衡发展作为区域核心战略，开展“三查三看”全域调研，"
    "锁定资源配置不均、部分学校设施老化等痛点，建立“一校一档”动态跟踪化解机制。",
    "面对区域教育资源分布不均的困局，槐荫区打出资源优化组合拳。2021年以来新建改扩建20所中小学，"
    "新增学位3.6万余个，推动13个教育集团全覆盖，形成“名校带新校、强校扶弱校”格局。",
    "在全区校长论坛上，多位校长分享了集团化办学的经验，并就课后服务、劳动教育和心理健康教育"
    "进行了交流，与会代表认为，优质均衡的关键在于每一所家门口的学校都办好。",
    "分享到家长群里的课堂视频引发热议，不少家长留言说，孩子在新校区上课的状态明显更好了，"
    "学校也计划把这样的开放课堂常态化。",
]


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f"<p>{line}</p>" for line in lines)


NETEASE_DY = f"""<!DOCTYPE html>
<html>
<head>
<title>济南槐荫：以“教育兴”为战略支点，深耕优质均衡发展|槐荫区|教育_网易订阅</title>
<meta name="author" content="网易">
<meta property="og:title" content="济南槐荫：以“教育兴”为战略支点，深耕优质均衡发展">
<meta property="og:url" content="https://www.163.com/dy/article/KJ1B2C3D0514R9KQ.html">
<meta property="og:site_name" content="网易">
</head>
<body>
<div class="ntes_nav_wrap" id="js_N_NTES_wrap"><a href="/">网易首页</a><a href="/news">新闻</a></div>
<div id="contain" class="wrapper" data-docid="KJ1B2C3D0514R9KQ" data-ptime="2026-01-20 20:07:00">
 <div class="post_main">
  <div class="post_crumb"><a href="/">网易首页</a> &gt; <a href="/dy">网易号</a> &gt; 正文 申请入驻</div>
  <h1 class="post_title">济南槐荫：以“教育兴”为战略支点，深耕优质均衡发展</h1>
  <div class="post_info">2026-01-20 20:07:00　来源: <a href="/dy/media/T1.html">齐鲁壹点</a>
   <img src="/ipLocation.svg">山东 <a class="post_jubao">举报</a></div>
  <div class="post_top"><div class="post_top_tie">0</div>
   <div class="post_top_share">分享至 用微信扫码二维码 分享至好友和朋友圈</div></div>
  <div class="post_content" id="content">
   <div class="post_body">
    <p>齐鲁晚报·齐鲁壹点 王贝艺 通讯员 徐华</p>
    {_paragraphs(PARAGRAPHS_ZH)}
    <p class="f_center"><img src="https://nimg.ws.126.net/?url=http%3A%2F%2Fdingyue.ws.126.net%2Fa.jpg&amp;thumbnail=660x2147483647"></p>
    <p>图为槐荫区新建的实验学校教学楼</p>
    <p>文/栗思</p>
    <p>编辑/倪家宁</p>
   </div>
   <div class="post_statement">特别声明：以上内容(如有图片或视频亦包括在内)为自媒体平台“网易号”用户上传并发布，本平台仅提供信息存储服务。
    Notice: The content above (including the pictures and videos if any) is uploaded and posted by a user of NetEase Hao.</div>
   <div class="creative_statement">责任编辑：李曦_NN2587</div>
  </div>
  <div class="tie-areas post_comment" id="post_comment_area">
   <div class="tie-titlebar">网易跟贴 跟贴0 参与0</div>
   <div class="single-tie">网友甲：学校建得真漂亮，希望老师也越来越好！ 3小时前</div>
   <p>网友评论仅供其表达个人看法，并不表明网易立场。</p>
  </div>
  <div class="post_recommends js-tab-mod">
   <div class="post_recommends_titles"><span>相关推荐</span><span>热点推荐</span></div>
   <ul>
    <li><a href="/dy/article/A.html?f=post2020_dy_recommends">叙利亚领导人宣布：达成协议</a> 参考消息 2026-01-19 18:50:10</li>
    <li><a href="/dy/article/B.html?f=post2020_dy_recommends">汽车圈“大地震”！比亚迪大将投奔行业巨头</a> 梁讯 2026-01-20 15:36:33</li>
   </ul>
  </div>
 </div>
 <div class="post_side"><div class="post_side_mod"><h3>头条要闻</h3>
  <a href="/x">12岁女孩被3名男子多次性侵 当地警方不予立案</a></div></div>
</div>
<div class="N-nav-bottom">© 1997-2026 网易公司版权所有 About NetEase</div>
</body>
</html>"""


QILU = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>乐陵上榜！教育部公布义务教育优质均衡发展县（市、区）认定名单 - 齐鲁壹点</title>
<link rel="canonical" href="/general/27786956.html">
</head>
<body>
<div class="top-bar">当前位置：<a href="/">首页</a> &gt; <a href="/news">新闻</a> &gt; 正文</div>
<div class="app-banner">下载齐鲁壹点客户端，阅读更多精彩内容</div>
<div class="article">
 <h1>乐陵上榜！教育部公布义务教育优质均衡发展县（市、区）认定名单</h1>
 <div class="article-info"><span>2026-01-07 15:34</span> <span>来源：齐鲁晚报·齐鲁壹点</span>
  <span class="hot-count">3小时前</span></div>
 <div class="article-content">
  <p>齐鲁晚报·齐鲁壹点记者 王贝艺 通讯员 徐华 李明</p>
  {_paragraphs(PARAGRAPHS_ZH)}
 </div>
 <div class="share-bar">分享到：微信 微博 QQ空间</div>
</div>
<div class="footer">关于我们 | 联系我们 | 山东齐鲁壹点传媒有限公司 版权所有 | 鲁ICP备00000000号</div>
</body>
</html>"""


HEADLINES = [
    "安源二小新校区启用“海绵校园”，雨水循环系统年节水万吨",
    "武功山脚下泉水豆腐坊爆火，游客蜂拥体验石磨豆浆，日接待超千人",
    "残疾儿童送教上门服务标准化，累计服务超5000课时，点亮希望之光",
    "萍乡与以色列共建沙漠农业研究中心，共谋破解旱作栽培难题新篇章",
    "莲花县携手央企共建“零碳工业园”，引领新能源装备制造集群发展新篇章",
    "羊狮慕峡谷秋千开放，80米高空荡越云海，极限爱好者挑战极限新境界",
    "上栗手撕狗肉日销500斤，百年卤料配方助力全村走上致富路",
    "荷塘乡千亩太空莲绽放，汉服游船+莲子采摘套餐邀您共赏盛夏之美",
]

COUNTY = f"""<html><head><title>安源区荣膺“全国义务教育优质均衡先行区”</title></head>
<body>
<div>
<h1>安源区荣膺“全国义务教育优质均衡先行区”，新增学位5000个助力2万家庭共享优质教育</h1>
<p>近日，喜讯传来，江西省萍乡市安源区成功入选“全国义务教育优质均衡先行区”，这不仅是对安源区教育事业的极大肯定，更是对当地政府和社会各界共同努力的最好回报。</p>
<p>据了解，安源区此次新增的5000个学位，将主要分布在城区的公办中小学。为了满足学位需求，安源区已启动了多所学校的新建、改扩建工程。</p>
<p>在师资力量方面，安源区也做了大量工作。通过引进优秀人才、开展教师培训等方式，不断提升教师队伍的整体素质，同时与多所知名高校建立了合作关系。</p>
<p>总之，安源区入选“全国义务教育优质均衡先行区”是当地教育事业发展史上的一件大事，新增的5000个学位将为2万家庭带来福音。</p>
<ul>{"".join(f"<li>• {headline}</li>" for headline in HEADLINES)}</ul>
</div>
</body></html>"""


ENGLISH_TRAILER = """<html lang="en"><head>
<title>Three-year Tackling Action | Han Ting District: Break the Golden Card</title>
</head><body>
<article>
<h1>Three-year Tackling Action | Han Ting District: Break the Golden Card</h1>
<div class="meta">Author:Hanting Rong Media Time:2022.08.15</div>
<p>In 2022, the Government Work Report of Weifang City proposed the in-depth implementation of
the three-year tackling operation for primary and secondary schools and kindergartens, adding
public kindergartens and compulsory education schools within three years.</p>
<p>The Hansing District Party Committee and the District Government regard the construction of
primary and secondary schools and kindergartens as the first-leading project and attach great
importance to education, implementing the strategy of priority development of education.</p>
<p>Faced with the new opportunities of education development, Han Ting District will further
accelerate the construction of kindergartens in primary and secondary schools in accordance with
the requirements of the three-year tackling operation.</p>
<p>Supply: School Construction Office, Han Ting District Education Sports Bureau</p>
<p>- END -</p>
<p>Changzhou University hosted the construction and development forum of Modern Industrial College.</p>
<p>In order to fully implement the spirit of the National Education Conference and re...</p>
<p>Nine majors of Jiangke University are selected as the third batch of national first-class</p>
</article>
</body></html>"""


def _extract(
    html: str, url: str = "https://example.com/a.html", rules: SiteRules | None = None
) -> Extraction:
    extraction = extract_article(html, url, rules=rules)
    assert extraction is not None
    return extraction


def _assert_phrases(text: str, present: list[str], absent: list[str]) -> None:
    for phrase in present:
        assert phrase in text, f"missing from text: {phrase!r}"
    for phrase in absent:
        assert phrase not in text, f"clutter left in text: {phrase!r}"


def test_version_is_a_string() -> None:
    assert EXTRACTOR_VERSION and isinstance(EXTRACTOR_VERSION, str)


def test_netease_dy_page_keeps_article_and_drops_furniture() -> None:
    page = _extract(NETEASE_DY, "https://www.163.com/dy/article/KJ1B2C3D0514R9KQ.html")
    _assert_phrases(
        page.text,
        present=[
            "教育部公布2025年第一批",
            "多位校长分享了集团化办学的经验",  # a paragraph that merely mentions 分享 stays
            "分享到家长群里的课堂视频",  # ...even when it opens with a share-bar label
            "图为槐荫区新建的实验学校教学楼",  # photo caption
            "文/栗思",
            "编辑/倪家宁",
        ],
        absent=[
            "特别声明",
            "Notice: The content above",
            "相关推荐",
            "叙利亚领导人",
            "网友评论",
            "网友甲",
            "分享至",
            "网易首页",
            "责任编辑",
            "头条要闻",
            "版权所有",
        ],
    )
    assert page.title == "济南槐荫：以“教育兴”为战略支点，深耕优质均衡发展"
    assert page.authors == ("王贝艺", "栗思")  # the lead byline and the 文/ credit
    assert page.correspondents == ("徐华",)
    assert page.editor == "李曦"  # 责任编辑 wins over the 编辑/ credit; _NN2587 dropped
    assert page.source == "齐鲁壹点"
    assert page.published == datetime(2026, 1, 20, 20, 7, tzinfo=BEIJING)
    assert page.published.utcoffset() == timedelta(hours=8)
    assert page.modified is None
    assert page.canonical_url == "https://www.163.com/dy/article/KJ1B2C3D0514R9KQ.html"
    assert "http://dingyue.ws.126.net/a.jpg" in page.images  # 163's image proxy unwrapped


def test_qilu_byline_with_reporter_and_correspondents() -> None:
    page = _extract(QILU, "https://www.ql1d.com/general/27786956.html")
    _assert_phrases(
        page.text,
        present=["槐荫区以顶层设计破题", "与会代表认为"],
        absent=["当前位置", "下载齐鲁壹点客户端", "分享到：微信", "鲁ICP备", "版权所有"],
    )
    assert page.authors == ("王贝艺",)
    assert page.correspondents == ("徐华", "李明")
    assert page.source == "齐鲁晚报·齐鲁壹点"
    assert page.published == datetime(2026, 1, 7, 15, 34, tzinfo=BEIJING)  # naive -> +08:00
    assert page.html_lang == "zh-CN"
    assert page.canonical_url == "https://www.ql1d.com/general/27786956.html"
    assert page.title == "乐陵上榜！教育部公布义务教育优质均衡发展县（市、区）认定名单"


def test_county_page_drops_trailing_headline_list() -> None:
    page = _extract(COUNTY)
    _assert_phrases(
        page.text,
        present=["喜讯传来", "新增的5000个学位将为2万家庭带来福音"],
        absent=[headline[:12] for headline in HEADLINES],
    )
    assert page.text.endswith("带来福音。")


def test_english_page_cut_at_end_marker() -> None:
    page = _extract(ENGLISH_TRAILER)
    _assert_phrases(
        page.text,
        present=["Government Work Report", "Supply: School Construction Office"],
        absent=["- END -", "Changzhou University", "Jiangke University"],
    )
    # a naive non-Chinese date is read as UTC
    assert page.published == datetime(2022, 8, 15, tzinfo=UTC)
    assert page.html_lang == "en"


def test_bylines_in_running_text() -> None:
    lead = "新京报讯（记者 陆一夫）11月25日，新京报记者登录拼多多全球购页面发现，亚马逊海外购与拼多多达成合作。"
    html = f"""<html><head><title>亚马逊海外购登陆拼多多</title>
    <meta property="article:published_time" content="2019-11-25T11:01:53+08:00"></head>
    <body><h1>亚马逊海外购“限时快闪店”登陆拼多多</h1>
    <div id="endText"><p class="otitle">（原标题：“黑五”战役打响 亚马逊海外购登陆拼多多）</p>
    <p>{lead}</p>{_paragraphs(PARAGRAPHS_ZH)}
    <div class="ep-source">本文来源：新京报 责任编辑：姚立伟_NT6056</div></div></body></html>"""
    page = _extract(html)
    assert page.authors == ("陆一夫",)
    assert page.original_title == "“黑五”战役打响 亚马逊海外购登陆拼多多"
    assert page.editor == "姚立伟"
    assert page.source == "新京报"
    assert page.published == datetime(2019, 11, 25, 11, 1, 53, tzinfo=BEIJING)
    assert "新京报讯（记者 陆一夫）" in page.text


def test_relative_times_are_never_dates() -> None:
    html = f"""<html><body><h1>槐荫区入选优质均衡发展县</h1><div class="time">3小时前</div>
    <div class="content">{_paragraphs(PARAGRAPHS_ZH)}</div></body></html>"""
    assert _extract(html).published is None


def test_furniture_named_wrapper_around_the_article_is_kept() -> None:
    html = f"""<html><body><div id="app" class="has-sidebar comment-enabled">
    <h1>槐荫区入选优质均衡发展县</h1><div class="content">{_paragraphs(PARAGRAPHS_ZH)}</div>
    </div></body></html>"""
    assert "槐荫区以顶层设计破题" in _extract(html).text


def test_site_rules_override_the_generic_path() -> None:
    html = f"""<html><body><h1>槐荫区入选优质均衡发展县</h1>
    <div class="story">{_paragraphs(PARAGRAPHS_ZH)}<p class="promo">扫码关注官方公众号</p></div>
    <div class="pub">发布：2026/01/07 15:34</div>
    <div class="other">{_paragraphs([p[::-1] for p in PARAGRAPHS_ZH])}</div></body></html>"""
    rules = SiteRules(
        body_xpath="//div[@class='story']",
        noise_xpaths=("//p[@class='promo']",),
        date_xpath="//div[@class='pub']",
        timezone="Asia/Tokyo",
    )
    page = _extract(html, rules=rules)
    assert "槐荫区以顶层设计破题" in page.text
    assert "扫码关注" not in page.text
    assert PARAGRAPHS_ZH[0][::-1][:10] not in page.text
    assert page.published is not None
    assert page.published.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body><ul><li><a href='/a'>首页</a></li><li><a href='/b'>新闻</a></li></ul></body></html>",
    ],
)
def test_pages_without_main_text_give_none(html: str) -> None:
    assert extract_article(html, "https://example.com/") is None
