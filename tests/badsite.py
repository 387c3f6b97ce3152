"""A local news site full of bad inputs, for crawl tests (a helper, not a test module).

    site = BadSite()
    with site.serve() as base:            # http://127.0.0.1:PORT, no trailing slash
        ...crawl f"{base}/" with DOWNLOAD_TIMEOUT=2, DOWNLOAD_MAXSIZE=1000000...
    site.requests                         # request targets, in the order served

The homepage links every path below; robots.txt lists the four sitemaps; the homepage
advertises the malformed feed with ``<link rel="alternate">``. Article-like paths all live under
``/news/2026/01/07/`` so that a crawler's article-URL rules pick them up.

===============================================  ===============================================
path                                             behaviour
===============================================  ===============================================
``GOOD`` (3 articles)                            200, a real article page
``/news/2026/01/07/unavailable.html``            503 + ``Retry-After: 1`` once, then an article
``/news/2026/01/07/rate-limited.html``           429 + ``Retry-After: 1`` once, then an article
``/news/2026/01/07/redirect-loop.html``          302 to ``/loop/a``; ``/loop/a`` <-> ``/loop/b``
``/news/2026/01/07/not-found.html``              404
``/news/2026/01/07/server-error.html``           500
``/news/2026/01/07/slow.html``                   answers after ``slow_seconds`` (5 s), or never
                                                 if the server stops first
``/news/2026/01/07/photo.html``                  ``image/png`` bytes
``/news/2026/01/07/truncated.html``              Content-Length larger than the bytes sent
``/news/2026/01/07/wrong-charset.html``          GBK bytes declared UTF-8 (header and meta)
``/news/2026/01/07/no-charset.html``             GBK bytes, no charset anywhere
``/news/2026/01/07/oversized.html``              3 MB (a crawl sets DOWNLOAD_MAXSIZE=1000000)
``/sitemap.xml``                                 a valid sitemap of the three GOOD articles
``/sitemap-bad.xml``                             broken XML
``/sitemap-xxe.xml``                             external entities: file:///etc/passwd and a
                                                 parameter entity fetching ``/xxe-probe.dtd``
``/sitemap-bomb.xml``                            billion laughs (nested entities)
``/feed-bad.xml``                                a malformed RSS 2.0 feed
``/robots.txt``                                  lists the four sitemaps
===============================================  ===============================================

A safe XML parser never requests ``PROBE`` (``/xxe-probe.dtd``): check ``site.requests``.
"""

from __future__ import annotations

import html
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

NEWS = "/news/2026/01/07"
PROBE = "/xxe-probe.dtd"


@dataclass(frozen=True)
class BadArticle:
    path: str
    title: str
    published: str
    paragraphs: tuple[str, ...]

    @property
    def phrases(self) -> tuple[str, str]:
        """Two sentences an archived copy must contain: the first and the last."""
        return (self.paragraphs[0].split("，")[0], self.paragraphs[-1].rstrip("。"))


GOOD = (
    BadArticle(
        path=f"{NEWS}/heating-subsidy.html",
        title="商河县发放农村清洁取暖补贴 两万余户受益",
        published="2026-01-07T09:30:00+08:00",
        paragraphs=(
            "商河县近日启动今冬农村清洁取暖补贴发放工作，全县已完成“煤改电”“煤改气”改造的两万余户农户将陆续收到补贴资金。",
            "按照县里的政策，每户采暖期内可享受最高800元的运行补贴，补贴资金通过社保卡直接发放到户。",
            "在玉皇庙镇的一户农家，空气源热泵正在院子里运转，屋里的温度保持在20摄氏度左右。",
            "村民王玉兰说，过去烧煤炉子又脏又怕中毒，现在用上电采暖，每个月电费加上补贴后和烧煤差不多。",
            "县能源部门表示，将组织技术人员入户巡检，帮助农户排查设备故障，确保整个采暖季用得上、用得起。",
        ),
    ),
    BadArticle(
        path=f"{NEWS}/library-night.html",
        title="县图书馆延长冬季开放时间 自习室晚上十点闭馆",
        published="2026-01-07T10:15:00+08:00",
        paragraphs=(
            "为方便寒假期间学生和上班族学习，县图书馆从1月8日起延长开放时间，二楼自习室每天开放到晚上十点。",
            "图书馆今年新增了80个带台灯和充电插座的自习座位，读者可以通过公众号提前一天预约。",
            "少儿阅览区在周末增设了绘本故事会和手工课，由志愿者带着孩子们一起阅读。",
            "馆长介绍，去年图书馆接待读者18万人次，外借图书超过9万册，其中文学和历史类图书最受欢迎。",
            "图书馆还提醒读者，寒假期间借阅的图书可以延长归还期限至开学后一周。",
        ),
    ),
    BadArticle(
        path=f"{NEWS}/vegetable-greenhouse.html",
        title="蔬菜大棚里的“智能管家” 手机一点就能卷帘放风",
        published="2026-01-07T11:05:00+08:00",
        paragraphs=(
            "清晨七点，种植户李建国打开手机上的应用程序，轻轻一点，大棚上的保温被便缓缓卷起，阳光洒进棚内。",
            "这是县农业农村局今年推广的智能大棚控制系统，能够根据棚内温度和湿度自动开关风口和保温被。",
            "李建国说，以前每天天不亮就得到棚里忙活，现在坐在家里就能看到棚里的温度曲线，省下不少力气。",
            "目前全县已有600多个蔬菜大棚装上了这套系统，主要种植黄瓜、西红柿和彩椒。",
            "农技人员表示，智能控制让棚内温度更稳定，今年冬季黄瓜的亩产比去年提高了一成左右。",
        ),
    ),
)
UNAVAILABLE = BadArticle(
    path=f"{NEWS}/unavailable.html",
    title="乡村客运班线实现“村村通” 最远的山村也通上了公交",
    published="2026-01-07T14:20:00+08:00",
    paragraphs=(
        "随着最后三个山区村的客运线路开通，全县所有行政村都实现了客运班车直达。",
        "新开通的线路每天早中晚各发一班车，票价统一为两元，老年人持卡可以免费乘坐。",
        "家住山顶村的张大娘说，以前去镇上赶集要走一个多小时山路，现在在村口就能坐上车。",
        "县交通运输局表示，下一步将根据村民出行需求调整发车时间，并在学生放假时增开临时班次。",
    ),
)
RATE_LIMITED = BadArticle(
    path=f"{NEWS}/rate-limited.html",
    title="县医院开通远程会诊中心 乡镇患者在家门口看专家",
    published="2026-01-07T15:40:00+08:00",
    paragraphs=(
        "县人民医院远程会诊中心近日投入使用，全县18个乡镇卫生院都可以通过视频连线请县医院专家会诊。",
        "会诊中心配备了高清视频终端和影像传输系统，乡镇医生上传的心电图和影像资料几分钟内就能到达专家手中。",
        "开通第一周，会诊中心就完成了40多例远程会诊，其中有6名患者根据专家意见及时转诊。",
        "医院负责人介绍，今年还将与省城三家医院建立远程协作，让基层患者少跑路。",
    ),
)
WRONG_CHARSET = BadArticle(
    path=f"{NEWS}/wrong-charset.html",
    title="城区新增三处便民停车场 提供停车泊位460个",
    published="2026-01-07T16:10:00+08:00",
    paragraphs=(
        "为缓解老城区停车难，县城管局利用闲置地块新建了三处便民停车场，近日正式投入使用。",
        "三处停车场共提供停车泊位460个，首小时免费，之后每小时收费一元，夜间包月价格为每月60元。",
        "停车场安装了车牌识别系统和电子支付设备，车主离场时扫码即可缴费，不用排队等候。",
        "城管部门表示，停车场投用后，周边道路乱停乱放的现象明显减少。",
    ),
)
NO_CHARSET = BadArticle(
    path=f"{NEWS}/no-charset.html",
    title="冬季消防安全检查启动 重点排查“小散乱”场所",
    published="2026-01-07T16:45:00+08:00",
    paragraphs=(
        "县消防救援大队近日启动冬季消防安全专项检查，重点检查沿街商铺、出租屋和小作坊等场所。",
        "检查人员逐一查看灭火器是否在有效期内，电线是否私拉乱接，安全出口是否畅通。",
        "对检查中发现的问题，消防部门当场下达整改通知，并将在一周后上门复查。",
        "消防员提醒，冬季使用电暖器等取暖设备时要远离可燃物，人走断电，不要给电动自行车在室内充电。",
    ),
)
# Served once they are asked again: a crawl that honours Retry-After archives them.
RETRIED = (UNAVAILABLE, RATE_LIMITED)
# GBK pages with a wrong or no charset: decodable by sniffing, garbage if the label is trusted.
MISDECLARED = (WRONG_CHARSET, NO_CHARSET)
_FILLER = BadArticle(
    path="",
    title="县城主干道完成路灯节能改造",
    published="2026-01-07T08:00:00+08:00",
    paragraphs=(
        "县城六条主干道的路灯近日全部更换为节能灯具，夜间照明亮度提高，耗电量下降四成。",
        "施工单位利用夜间车流较少的时段分段作业，改造期间没有影响道路通行。",
        "路灯管理所表示，新灯具可以根据时段自动调节亮度，后半夜车辆稀少时会降低功率运行。",
        "市民反映，改造后路面更亮了，晚上散步和骑车都更加安心。",
    ),
)

# What each failing path should count as (the names are descriptive, not stats keys).
FAILURES = {
    f"{NEWS}/redirect-loop.html": "redirect loop",
    "/loop/a": "redirect loop",
    "/loop/b": "redirect loop",
    f"{NEWS}/not-found.html": "http 404",
    f"{NEWS}/server-error.html": "http 500",
    f"{NEWS}/slow.html": "timeout",
    f"{NEWS}/photo.html": "not html",
    f"{NEWS}/truncated.html": "truncated",
    f"{NEWS}/oversized.html": "too large",
    "/sitemap-bad.xml": "malformed sitemap",
    "/sitemap-xxe.xml": "external entities",
    "/sitemap-bomb.xml": "entity expansion",
    "/feed-bad.xml": "malformed feed",
}
SITEMAPS = ("/sitemap.xml", "/sitemap-bad.xml", "/sitemap-xxe.xml", "/sitemap-bomb.xml")
OVERSIZED_BYTES = 3 * 1024 * 1024
TRUNCATED_DECLARED = 20_000

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta}<title>{title}_县融媒体中心</title>
<meta property="article:published_time" content="{published}">
<link rel="alternate" type="application/rss+xml" title="县融媒体中心" href="/feed-bad.xml">
</head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/">本地新闻</a> <a href="/">政务公开</a> <a href="/">便民服务</a></div>
<div class="article">
  <h1>{title}</h1>
  <div class="info">发布时间：{stamp}　来源：县融媒体中心</div>
  <div class="article-content">
{body}
  </div>
  <div class="editor">责任编辑：韩梅</div>
</div>
<div class="footer">县融媒体中心 版权所有 未经授权禁止转载</div>
{padding}</body>
</html>
"""


def render_article(
    article: BadArticle, meta: str = '<meta charset="utf-8">\n', padding: str = ""
) -> str:
    body = "\n".join(f"    <p>{html.escape(p)}</p>" for p in article.paragraphs)
    stamp = article.published[:16].replace("T", " ")
    return _PAGE.format(
        meta=meta,
        title=html.escape(article.title),
        published=article.published,
        stamp=stamp,
        body=body,
        padding=padding,
    )


def _png() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


class BadSite:
    """The bad-input site. ``requests`` lists request targets in the order they were served."""

    GOOD = GOOD
    RETRIED = RETRIED
    MISDECLARED = MISDECLARED
    FAILURES = FAILURES
    SITEMAPS = SITEMAPS
    PROBE = PROBE

    def __init__(self, slow_seconds: float = 5.0) -> None:
        self.slow_seconds = slow_seconds
        self.requests: list[str] = []
        self._hits: Counter[str] = Counter()
        # Set when a slow page gave up its sleep because the server stopped.
        self.slow_interrupted = threading.Event()
        self._lock = threading.Lock()

    def hits(self, path: str) -> int:
        """How many times ``path`` was requested (any query string)."""
        with self._lock:
            return self._hits[path]

    def _record(self, target: str) -> int:
        path = urlsplit(target).path
        with self._lock:
            self.requests.append(target)
            self._hits[path] += 1
            return self._hits[path]

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve from a daemon thread; yields the base URL. Stopping wakes the slow page."""
        server = _Server((host, port), self)
        # A short poll interval: leaving ``serve()`` (shutdown) takes at most this long.
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="bad-site", daemon=True
        )
        thread.start()
        try:
            yield f"http://{host}:{server.server_port}"
        finally:
            server.stopping.set()
            server.shutdown()
            server.server_close()
            thread.join()


def homepage() -> str:
    paths = [a.path for a in (*GOOD, *RETRIED, *MISDECLARED)]
    paths += [path for path in FAILURES if path.startswith(NEWS)]
    items = "\n".join(f'  <li><a href="{path}">{path.rsplit("/", 1)[1]}</a></li>' for path in paths)
    items += '\n  <li><a href="/calendar/">日历</a></li>\n  <li><a href="/archive/">往期</a></li>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>县融媒体中心</title>
<link rel="alternate" type="application/rss+xml" title="县融媒体中心" href="/feed-bad.xml">
</head>
<body>
<h1>县融媒体中心</h1>
<ul class="news-list">
{items}
</ul>
</body>
</html>
"""


def endless_list(section: str, target: str) -> str:
    """Traps: pagination that never ends. /calendar/ offers a new article on every page;
    /archive/ offers the same GOOD articles on every page."""
    query = urlsplit(target).query
    page = int(query.removeprefix("page=")) if query.startswith("page=") else 1
    if section == "/calendar/":
        links = f'<li><a href="{NEWS}/calendar-{page}.html">第{page}期</a></li>'
    else:
        links = "".join(f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>' for a in GOOD)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>列表</title></head>'
        f'<body><ul>{links}</ul><a href="{section}?page={page + 1}">下一页</a></body></html>'
    )


def sitemap(base: str) -> str:
    urls = "\n".join(
        f"  <url><loc>{base}{a.path}</loc><lastmod>{a.published}</lastmod></url>" for a in GOOD
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


def broken_sitemap(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"  <url><loc>{base}{GOOD[0].path}</loc>\n"
        f"  <url><loc>{base}{GOOD[1].path}</lo\n"
        "  <<url>>>\n"
    ).encode() + b"\x00\xff\xfe garbage \x00"


def xxe_sitemap(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE urlset [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY % remote SYSTEM "{base}{PROBE}">
  %remote;
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}{GOOD[0].path}</loc></url>
  <url><loc>{base}{NEWS}/&xxe;</loc></url>
  <url><loc>{base}{NEWS}/&probe;.html</loc></url>
</urlset>
"""


def bomb_sitemap() -> str:
    entities = ['  <!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(f'  <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    declared = "\n".join(entities)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE urlset [
{declared}
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>&lol9;</loc></url>
</urlset>
"""


def broken_feed(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>县融媒体中心 & 本地新闻</title>
  <link>{base}/</link>
  <item>
    <title>{GOOD[2].title}
    <link>{base}{GOOD[2].path}</link>
  <item><title>未闭合的条目</title><link>{base}{GOOD[0].path}
</channel>
"""


def robots(base: str) -> str:
    lines = ["User-agent: *", "Disallow: /private/", ""]
    lines += [f"Sitemap: {base}{path}" for path in SITEMAPS]
    return "\n".join(lines) + "\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: BadSite) -> None:
        self.site = site
        self.stopping = threading.Event()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (a timeout, a size limit) are this site's point, not errors."""


class _Handler(BaseHTTPRequestHandler):
    server_version = "badsite/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``BadSite.requests``."""

    @property
    def _server(self) -> _Server:
        return cast(_Server, self.server)

    def _base(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self._server.server_port}"
        return f"http://{host}"

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        site = self._server.site
        count = site._record(self.path)
        path = urlsplit(self.path).path
        base = self._base()
        articles = {a.path: a for a in (*GOOD, *RETRIED)}
        if path == "/":
            self._send(200, homepage().encode())
        elif path in ("/calendar/", "/archive/"):
            self._send(200, endless_list(path, self.path).encode())
        elif path.startswith(f"{NEWS}/calendar-"):
            day = path.rsplit("-", 1)[1].removesuffix(".html")
            filler = replace(_FILLER, path=path, title=f"{_FILLER.title}（{day}）")
            self._send(200, render_article(filler).encode())
        elif path in articles:
            article = articles[path]
            if path == UNAVAILABLE.path and count == 1:
                self._send(503, b"<h1>503 Service Unavailable</h1>", headers={"Retry-After": "1"})
            elif path == RATE_LIMITED.path and count == 1:
                self._send(429, b"<h1>429 Too Many Requests</h1>", headers={"Retry-After": "1"})
            else:
                self._send(200, render_article(article).encode())
        elif path == f"{NEWS}/redirect-loop.html":
            self._send(302, b"", headers={"Location": f"{base}/loop/a"})
        elif path in ("/loop/a", "/loop/b"):
            target = "/loop/b" if path == "/loop/a" else "/loop/a"
            self._send(302, b"", headers={"Location": f"{base}{target}"})
        elif path == f"{NEWS}/server-error.html":
            self._send(500, b"<h1>500 Internal Server Error</h1>")
        elif path == f"{NEWS}/slow.html":
            self._slow()
        elif path == f"{NEWS}/photo.html":
            self._send(200, PNG, "image/png")
        elif path == f"{NEWS}/truncated.html":
            self._truncated()
        elif path == WRONG_CHARSET.path:
            page = render_article(WRONG_CHARSET)
            self._send(200, page.encode("gbk"), "text/html; charset=utf-8")
        elif path == NO_CHARSET.path:
            self._send(200, render_article(NO_CHARSET, meta="").encode("gbk"), "text/html")
        elif path == f"{NEWS}/oversized.html":
            self._oversized()
        elif path == "/robots.txt":
            self._send(200, robots(base).encode(), "text/plain; charset=utf-8")
        elif path == "/sitemap.xml":
            self._send(200, sitemap(base).encode(), "application/xml")
        elif path == "/sitemap-bad.xml":
            self._send(200, broken_sitemap(base), "application/xml")
        elif path == "/sitemap-xxe.xml":
            self._send(200, xxe_sitemap(base).encode(), "application/xml")
        elif path == "/sitemap-bomb.xml":
            self._send(200, bomb_sitemap().encode(), "application/xml")
        elif path == "/feed-bad.xml":
            self._send(200, broken_feed(base).encode(), "application/rss+xml; charset=utf-8")
        elif path == PROBE:
            self._send(200, b'<!ENTITY probe "xxe-fetched">', "application/xml-dtd")
        else:
            self._send(404, b"<h1>404 Not Found</h1>")

    def _slow(self) -> None:
        if self._server.stopping.wait(self._server.site.slow_seconds):
            self._server.site.slow_interrupted.set()
            self.close_connection = True
            return
        self._send(200, render_article(_FILLER).encode())

    def _truncated(self) -> None:
        page = render_article(_FILLER).encode()
        self._send(200, page[: len(page) // 2], length=TRUNCATED_DECLARED)
        self.close_connection = True

    def _oversized(self) -> None:
        row = "<li>县城主干道完成路灯节能改造，夜间照明亮度提高，耗电量下降四成。</li>\n"
        page = render_article(_FILLER, padding='<ul class="archive">\n@ROWS@</ul>\n')
        missing = OVERSIZED_BYTES - len(page.encode()) + len("@ROWS@")
        rows = row * (missing // len(row.encode()) + 1)
        self._send(200, page.replace("@ROWS@", rows).encode())
