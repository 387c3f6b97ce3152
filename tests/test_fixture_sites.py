"""The local fixture sites crawl tests run against: MirrorSite, the committed mirrors, BadSite."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from email.utils import formatdate, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree

from crawler.demo.mirror import MirrorSite, content_type_for, from_mirror, to_mirror
from tests.badsite import BadSite

MIRRORS = Path(__file__).resolve().parent / "fixtures" / "mirrors"
REGENERATE = "python tests/fixtures/mirrors/make_mirrors.py"


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET", timeout=10):
    """(status, headers, body) without raising on 4xx/5xx and without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.canonical: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
        if tag == "link" and values.get("rel") == "canonical":
            self.canonical = values.get("href")


def parse_links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def visible(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    text = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", "", html.unescape(text))


# --- MirrorSite on a small tree ---------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    files = {
        "www.example.com/news/a.html": "<html><body>article a</body></html>",
        "www.example.com/news/index.html": "<html><body>news index</body></html>",
        "www.example.com/legacy.html": "旧页面".encode("gbk"),
        "www.example.com/sitemap.xml": "<urlset/>",
        "www.example.com/sitemap.xml.gz": b"\x1f\x8b\x08\x00",
        "www.example.com/feed.js": "data_callback([])",
        "www.example.com/list.json": "[]",
        "www.example.com/robots.txt": "User-agent: *\n",
        "m.example.com/a.html": "mobile",
        "ARTICLES.json": "{}",
    }
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())
    headers = {
        "www.example.com/legacy.html": {
            "Content-Type": "text/html; charset=GBK",
            "Last-Modified": "Mon, 15 Jun 2009 00:40:00 GMT",
        }
    }
    (root / "_headers.json").write_text(json.dumps(headers), encoding="utf-8")
    return root


@pytest.fixture
def mirror(tree: Path):
    site = MirrorSite(tree)
    with site.serve() as base:
        yield site, base


def test_serves_host_paths_and_ignores_the_query(mirror):
    site, base = mirror
    status, headers, body = fetch(f"{base}/www.example.com/news/a.html?f=post2020_dy_recommends")
    assert (status, body) == (200, b"<html><body>article a</body></html>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert fetch(f"{base}/m.example.com/a.html")[2] == b"mobile"
    assert site.requests[0] == "/www.example.com/news/a.html?f=post2020_dy_recommends"


def test_a_slash_serves_index_html_and_a_bare_directory_redirects(mirror):
    _, base = mirror
    assert fetch(f"{base}/www.example.com/news/")[2] == b"<html><body>news index</body></html>"
    status, headers, _ = fetch(f"{base}/www.example.com/news")
    assert status == 301
    assert headers["Location"] == "/www.example.com/news/"
    assert fetch(f"{base}/www.example.com")[1]["Location"] == "/www.example.com/"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("www.example.com/sitemap.xml", "application/xml"),
        ("www.example.com/sitemap.xml.gz", "application/x-gzip"),
        ("www.example.com/feed.js", "application/javascript; charset=utf-8"),
        ("www.example.com/list.json", "application/json"),
        ("www.example.com/robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_type_follows_the_extension(mirror, name, expected):
    _, base = mirror
    status, headers, _ = fetch(f"{base}/{name}")
    assert (status, headers["Content-Type"]) == (200, expected)
    assert content_type_for(name) == expected


def test_headers_json_sets_content_type_and_last_modified(mirror):
    _, base = mirror
    status, headers, body = fetch(f"{base}/www.example.com/legacy.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=GBK"
    assert headers["Last-Modified"] == "Mon, 15 Jun 2009 00:40:00 GMT"
    assert body.decode("gbk") == "旧页面"


def test_validators_and_conditional_requests(mirror, tree):
    _, base = mirror
    url = f"{base}/www.example.com/news/a.html"
    _, headers, _ = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    mtime = int((tree / "www.example.com/news/a.html").stat().st_mtime)
    assert parsedate_to_datetime(last_modified).timestamp() == mtime
    assert fetch(url)[1]["ETag"] == etag  # stable

    status, headers, body = fetch(url, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag
    assert fetch(url, {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert fetch(url, {"If-None-Match": "*"})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(url, {"If-Modified-Since": formatdate(mtime - 60, usegmt=True)})[0] == 200
    assert fetch(url, {"If-Modified-Since": "not a date"})[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": last_modified})[0] == 200


def test_replace_is_an_overlay_with_new_validators(mirror, tree):
    site, base = mirror
    url = f"{base}/www.example.com/legacy.html"
    _, before, _ = fetch(url)
    site.replace("www.example.com/legacy.html", "新页面".encode("gbk"))
    status, after, body = fetch(url)
    assert (status, body.decode("gbk")) == (200, "新页面")
    assert after["Content-Type"] == "text/html; charset=GBK"  # headers.json still applies
    assert after["ETag"] != before["ETag"]
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(
        before["Last-Modified"]
    )
    assert fetch(url, {"If-None-Match": before["ETag"]})[0] == 200
    assert fetch(url, {"If-None-Match": after["ETag"]})[0] == 304
    assert (tree / "www.example.com/legacy.html").read_bytes().decode("gbk") == "旧页面"

    # A second replace in the same second still moves Last-Modified forward.
    site.replace("/www.example.com/legacy.html", b"third")
    third = fetch(url)[1]
    assert parsedate_to_datetime(third["Last-Modified"]) > parsedate_to_datetime(
        after["Last-Modified"]
    )
    site.replace("www.example.com/news/", b"new index")
    assert fetch(f"{base}/www.example.com/news/")[2] == b"new index"

    site.restore()
    assert fetch(url)[2].decode("gbk") == "旧页面"


def test_remove_and_not_found(mirror):
    site, base = mirror
    site.remove("www.example.com/news/a.html")
    assert fetch(f"{base}/www.example.com/news/a.html")[0] == 404
    for path in (
        "/www.example.com/missing.html",
        "/nohost.example.com/a.html",
        "/_headers.json",
        "/ARTICLES.json",
        "/www.example.com/../_headers.json",
        "/www.example.com/%2e%2e/ARTICLES.json",
        "/www.example.com/news/a.html/",
    ):
        status, headers, _ = fetch(f"{base}{path}")
        assert status == 404, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_head_answers_headers_only(mirror):
    _, base = mirror
    status, headers, body = fetch(f"{base}/www.example.com/news/a.html", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0
    assert "ETag" in headers


def test_root_lists_hosts(mirror):
    site, base = mirror
    assert site.hosts == ["m.example.com", "www.example.com"]
    body = fetch(f"{base}/")[2].decode()
    assert 'href="/www.example.com/"' in body


def test_broken_headers_file_is_a_clear_error(tmp_path):
    (tmp_path / "_headers.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"_headers\.json"):
        MirrorSite(tmp_path)
    (tmp_path / "_headers.json").write_text('{"a/b.html": {"Last-Modified": "soon"}}')
    with pytest.raises(ValueError, match="Last-Modified"):
        MirrorSite(tmp_path)
    with pytest.raises(ValueError, match="not a directory"):
        MirrorSite(tmp_path / "missing")


def test_url_mapping_round_trips():
    base = "http://127.0.0.1:8766"
    real = "https://www.163.com/dy/article/KK3B6T9E0530WJTO.html?f=post2020_dy_recommends"
    mirrored = to_mirror(real, base)
    assert (
        mirrored == f"{base}/www.163.com/dy/article/KK3B6T9E0530WJTO.html?f=post2020_dy_recommends"
    )
    assert from_mirror(mirrored, base) == real
    assert (
        from_mirror(f"{base}/news.qlwb.com.cn", base, scheme="http") == "http://news.qlwb.com.cn/"
    )
    with pytest.raises(ValueError):
        from_mirror("http://elsewhere/www.163.com/", base)


# --- the committed mirrors --------------------------------------------------------------------


def load_index(site: str) -> dict:
    return json.loads((MIRRORS / site / "ARTICLES.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["netease", "qilu"])
def fixture_mirror(request):
    site = MirrorSite(MIRRORS / request.param)
    with site.serve() as base:
        yield request.param, site, base, load_index(request.param)


def mirror_get(base: str, url: str):
    return fetch(to_mirror(url, base))


def decode(headers, body: bytes) -> str:
    return body.decode(headers.get_content_charset() or "utf-8")


def test_index_schema(fixture_mirror):
    name, _, _, index = fixture_mirror
    assert index["site"] == name
    assert 8 <= len(index["articles"]) <= 14
    keys = {
        "url",
        "mirror_path",
        "pages",
        "aliases",
        "title",
        "published",
        "authors",
        "correspondents",
        "byline",
        "editor",
        "source",
        "section",
        "encoding",
        "must_contain",
        "must_not_contain",
    }
    for article in index["articles"]:
        assert set(article) == keys, article["url"]
        assert article["published"].endswith("+08:00")
        assert article["must_contain"] and article["must_not_contain"]
    urls = [article["url"] for article in index["articles"]]
    assert len(set(urls)) == len(urls)


def test_every_article_page_carries_its_phrases(fixture_mirror):
    _, _, base, index = fixture_mirror
    for article in index["articles"]:
        scheme = urlsplit(article["url"]).scheme
        text = ""
        for path in article["pages"]:
            status, headers, body = mirror_get(base, f"{scheme}://{path}")
            assert status == 200, f"{path}: regenerate with {REGENERATE}"
            assert headers.get_content_charset() == (
                "gbk" if article["encoding"] == "gbk" else "utf-8"
            )
            text += visible(decode(headers, body))
        for phrase in article["must_contain"]:
            assert re.sub(r"\s+", "", phrase) in text, (article["url"], phrase)
        # must_not_contain is clutter the page really shows, so the check means something.
        for phrase in article["must_not_contain"]:
            assert re.sub(r"\s+", "", phrase) in text, (article["url"], phrase)


def test_aliases_serve_the_article_and_name_the_canonical(fixture_mirror):
    _, _, base, index = fixture_mirror
    for article in index["articles"]:
        for alias in article["aliases"]:
            status, headers, body = mirror_get(base, alias)
            assert status == 200, alias
            page = decode(headers, body)
            assert parse_links(page).canonical == article["url"], alias
            assert article["title"] in page


def _extract_urls(url: str, headers, body: bytes) -> list[str]:
    """Every URL a crawler could take from an entry point or page, resolved against ``url``."""
    path = urlsplit(url).path
    text = decode(headers, body)
    if text.startswith("data_callback("):
        payload = text.strip().removeprefix("data_callback(").removesuffix(")")
        payload = re.sub(r",\s*\]$", "]", payload)  # the trailing comma the live feed has
        return [item["docurl"] for item in json.loads(payload)]
    if path.endswith(".xml"):
        root = ET.fromstring(body)
        return [
            el.text for el in root.iter() if el.tag.split("}")[-1] in ("loc", "link") and el.text
        ]
    if path.endswith("robots.txt"):
        return re.findall(r"(?m)^Sitemap:\s*(\S+)", text)
    return [urljoin(url, href) for href in parse_links(text).hrefs]


def test_entry_points_reach_every_article_and_article_links_resolve(fixture_mirror):
    _, site, base, index = fixture_mirror
    article_url = re.compile(
        r"/(?:[a-z]+/article/[0-9A-Z]{16}(?:_\w+)?\.html|\d{2}/\d{4}/\d{2}/[0-9A-Z]{16}\.html"
        r"|general/\d{8}\.html|Articel\w+\.htm|\d{4}/\d{4}/\d+\.shtml)$"
    )
    list_url = re.compile(r"/special/|/channel_id/|PageArticleIndexLB|/news/$|^https?://[^/]+/$")
    hosts = set(site.hosts)
    queue = deque(index["entry_points"])
    seen: set[str] = set()
    reached: set[str] = set()
    while queue:
        url = queue.popleft()
        key = url.split("#")[0]
        if key in seen:
            continue
        seen.add(key)
        status, headers, body = mirror_get(base, key)
        is_article = bool(article_url.search(urlsplit(key).path))
        assert status == 200 or not is_article, f"article link does not resolve: {key}"
        if status != 200:
            continue
        if is_article:
            parts = urlsplit(key)
            reached.add(f"{parts.hostname}{parts.path}")
        for found in _extract_urls(key, headers, body):
            parts = urlsplit(found)
            if parts.hostname in hosts and (
                article_url.search(parts.path) or list_url.search(found)
            ):
                queue.append(found)
    for article in index["articles"]:
        for path in article["pages"]:
            assert path in reached, f"no entry point leads to {path}"


def test_committed_mirrors_match_their_generator(monkeypatch):
    monkeypatch.syspath_prepend(str(MIRRORS))
    make_mirrors = __import__("make_mirrors")
    for name, build in make_mirrors.MIRRORS:
        expected, _ = make_mirrors.render_mirror(name, build)
        root = MIRRORS / name
        committed = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file()
        }
        assert committed.keys() == expected.keys(), f"stale {name} mirror: run {REGENERATE}"
        for path, data in expected.items():
            assert committed[path] == data, f"{name}/{path} differs: run {REGENERATE}"


def test_netease_specifics():
    index = load_index("netease")
    articles = {a["url"]: a for a in index["articles"]}
    site = MirrorSite(MIRRORS / "netease")
    with site.serve() as base:
        jsonp = fetch(f"{base}/news.163.com/special/cm_yaowen20200213/?callback=data_callback")
        assert jsonp[1]["Content-Type"] == "application/javascript; charset=utf-8"
        feed = jsonp[2].decode()
        assert feed.startswith("data_callback([") and re.search(r",\s*\]\)$", feed)
        with pytest.raises(json.JSONDecodeError):
            json.loads(feed.removeprefix("data_callback(").removesuffix(")"))
        assert re.search(r'"time": "\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}"', feed)

        legacy = next(a for a in articles.values() if a["encoding"] == "gbk")
        _, headers, body = mirror_get(base, legacy["url"])
        assert headers["Content-Type"] == "text/html; charset=GBK"
        assert b"charset=gb2312" in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert legacy["title"] in body.decode("gbk")

        multi = next(a for a in articles.values() if len(a["pages"]) > 1)
        first = mirror_get(base, multi["url"])[2].decode()
        assert 'class="post_page"' in first
        assert re.search(r'<a class="next" href="[^"]+_2\.html">下一页</a>', first)

        robots = fetch(f"{base}/www.163.com/robots.txt")[2].decode()
        assert "Sitemap: https://www.163.com/sitemap_news.xml" in robots
        sitemap = ET.fromstring(fetch(f"{base}/www.163.com/sitemap_news.xml")[2])
        news = "{http://www.google.com/schemas/sitemap-news/0.9}"
        dates = [el.text for el in sitemap.iter(f"{news}publication_date")]
        assert dates and all(d.endswith("+08:00") for d in dates)


# --- BadSite --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad():
    site = BadSite()
    with site.serve() as base:
        yield site, base


def test_bad_site_homepage_links_everything(bad):
    _, base = bad
    status, _, body = fetch(f"{base}/")
    assert status == 200
    hrefs = set(parse_links(body.decode()).hrefs)
    expected = {a.path for a in (*BadSite.GOOD, *BadSite.RETRIED, *BadSite.MISDECLARED)}
    expected |= {path for path in BadSite.FAILURES if path.startswith("/news/")}
    assert expected <= hrefs
    assert 'href="/feed-bad.xml"' in body.decode()


def test_bad_site_good_articles(bad):
    _, base = bad
    for article in BadSite.GOOD:
        status, _, body = fetch(f"{base}{article.path}")
        page = body.decode()
        assert status == 200
        assert len(visible(page)) > 300
        for phrase in article.phrases:
            assert phrase in page


@pytest.mark.parametrize(("index", "code"), [(0, 503), (1, 429)])
def test_bad_site_retry_after_then_success(bad, index, code):
    site, base = bad
    article = BadSite.RETRIED[index]
    status, headers, _ = fetch(f"{base}{article.path}")
    assert (status, headers["Retry-After"]) == (code, "1")
    status, _, body = fetch(f"{base}{article.path}")
    assert status == 200 and article.title in body.decode()
    assert site.hits(article.path) == 2


def test_bad_site_redirect_loop(bad):
    _, base = bad
    status, headers, _ = fetch(f"{base}/news/2026/01/07/redirect-loop.html")
    assert (status, headers["Location"]) == (302, f"{base}/loop/a")
    assert fetch(f"{base}/loop/a")[1]["Location"] == f"{base}/loop/b"
    assert fetch(f"{base}/loop/b")[1]["Location"] == f"{base}/loop/a"
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(f"{base}/loop/a", timeout=5)


def test_bad_site_errors(bad):
    _, base = bad
    assert fetch(f"{base}/news/2026/01/07/not-found.html")[0] == 404
    assert fetch(f"{base}/news/2026/01/07/server-error.html")[0] == 500


def test_bad_site_binary_truncated_and_oversized(bad):
    _, base = bad
    status, headers, body = fetch(f"{base}/news/2026/01/07/photo.html")
    assert headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG\r\n\x1a\n")

    netloc = urlsplit(base).netloc
    connection = http.client.HTTPConnection(netloc, timeout=5)
    connection.request("GET", "/news/2026/01/07/truncated.html")
    response = connection.getresponse()
    assert int(response.headers["Content-Length"]) > 10_000
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    connection.close()

    status, headers, body = fetch(f"{base}/news/2026/01/07/oversized.html")
    assert status == 200 and int(headers["Content-Length"]) == len(body) >= 3 * 1024 * 1024


def test_bad_site_charsets(bad):
    _, base = bad
    wrong, missing = BadSite.MISDECLARED
    _, headers, body = fetch(f"{base}{wrong.path}")
    assert headers.get_content_charset() == "utf-8" and b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert wrong.title in body.decode("gbk")

    _, headers, body = fetch(f"{base}{missing.path}")
    assert headers["Content-Type"] == "text/html" and b"charset" not in body
    assert missing.title in body.decode("gbk")


def test_bad_site_sitemaps_and_feed(bad):
    site, base = bad
    robots = fetch(f"{base}/robots.txt")[2].decode()
    assert re.findall(r"(?m)^Sitemap: (\S+)$", robots) == [
        f"{base}{path}" for path in BadSite.SITEMAPS
    ]
    good = ET.fromstring(fetch(f"{base}/sitemap.xml")[2])
    locs = [el.text for el in good.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs == [f"{base}{a.path}" for a in BadSite.GOOD]
    for path in ("/sitemap-bad.xml", "/feed-bad.xml"):
        with pytest.raises(ET.ParseError):
            ET.fromstring(fetch(f"{base}{path}")[2])

    xxe = fetch(f"{base}/sitemap-xxe.xml")[2]
    assert b'SYSTEM "file:///etc/passwd"' in xxe and BadSite.PROBE.encode() in xxe
    safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    root = etree.fromstring(xxe, safe)
    assert b"root:" not in etree.tostring(root)
    assert BadSite.PROBE not in [urlsplit(target).path for target in site.requests]

    bomb = fetch(f"{base}/sitemap-bomb.xml")[2].decode()
    assert bomb.count("<!ENTITY") == 10 and "&lol9;" in bomb
    try:  # libxml2 either refuses the amplification or leaves the entities unexpanded
        root = etree.fromstring(bomb.encode(), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        assert "amplification" in str(error)
    else:
        assert len(etree.tostring(root)) < 10_000


def test_bad_site_slow_page_times_out_and_shutdown_interrupts_it():
    site = BadSite(slow_seconds=30)
    started = time.monotonic()
    with site.serve() as base, pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(f"{base}/news/2026/01/07/slow.html", timeout=0.5)
    assert site.slow_interrupted.wait(2), "the slow page kept sleeping after shutdown"
    assert time.monotonic() - started < 5
    assert site.hits("/news/2026/01/07/slow.html") == 1


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_mirror_subcommand_serves_until_sigterm():
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "crawler.demo", "mirror", str(MIRRORS / "qilu"), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline()
            match = re.fullmatch(r"mirror of .+ \((.+)\) on (http://127\.0\.0\.1:\d+)/\n", line)
            assert match, line
            assert "www.ql1d.com" in match.group(1)
            status, _, body = fetch(f"{match.group(2)}/www.ql1d.com/")
            assert status == 200 and "齐鲁壹点" in body.decode()
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
