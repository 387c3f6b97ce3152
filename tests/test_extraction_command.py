"""`process_page`, the seam the crawl and `newsarchive extract` share, and the command itself."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipelines.extraction import SiteRules
from pipelines.process import EMPTY_RESPONSE, NO_MAIN_TEXT, ProcessedPage, process_page

NEWSARCHIVE = Path(sys.executable).with_name("newsarchive")
BEIJING = timezone(timedelta(hours=8))
URL = "https://www.163.com/dy/article/KJ1B2C3D0514R9KQ.html"

PARAGRAPHS = [
    "新年伊始，教育部公布2025年第一批义务教育优质均衡发展县名单，槐荫区成功入选，这是该区又一次获得国字号荣誉。",
    "槐荫区以顶层设计破题，将义务教育优质均衡发展作为区域核心战略，开展全域调研，锁定资源配置不均等痛点问题。",
    "2021年以来全区新建改扩建20所中小学，新增学位3.6万余个，推动13个教育集团全覆盖，形成名校带新校格局。",
]
PAGE = f"""<html><head><meta charset="gbk">
<title>济南槐荫：深耕优质均衡发展_网易订阅</title>
<link rel="canonical" href="{URL}?f=post2020_dy_recommends">
</head><body>
<h1>济南槐荫：深耕优质均衡发展</h1>
<div class="post_info">2026-01-20 20:07:00　来源: 齐鲁壹点</div>
<div class="post_body"><p>齐鲁晚报·齐鲁壹点 王贝艺 通讯员 徐华</p>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
<p>责任编辑：李曦_NN2587</p></div>
<div class="post_recommends"><h3>相关推荐</h3><ul><li><a href="/a">叙利亚领导人宣布达成协议</a></li></ul></div>
</body></html>"""
GBK_BODY = PAGE.encode("gbk")


def test_process_page_decodes_extracts_and_detects_the_language() -> None:
    page = process_page(GBK_BODY, URL, content_type="text/html; charset=GB2312")
    assert page.problem is None
    assert page.encoding == "gb18030"
    assert page.language == "zh-cn"
    assert page.canonical_url == URL  # tracking parameter dropped
    found = page.extraction
    assert found is not None
    assert PARAGRAPHS[1] in found.text
    assert "相关推荐" not in found.text and "责任编辑" not in found.text
    assert found.title == "济南槐荫：深耕优质均衡发展"
    assert found.authors == ("王贝艺",) and found.correspondents == ("徐华",)
    assert (found.editor, found.source) == ("李曦", "齐鲁壹点")
    assert found.published == datetime(2026, 1, 20, 20, 7, tzinfo=BEIJING)


def test_process_page_input_and_output_pickle() -> None:
    # a later issue runs it in a process pool
    arguments = (GBK_BODY, URL, "text/html", SiteRules(noise_xpaths=("//div[@id='x']",)))
    assert pickle.loads(pickle.dumps(arguments)) == arguments
    page = process_page(GBK_BODY, URL, content_type="text/html", rules=arguments[3])
    assert pickle.loads(pickle.dumps(page)) == page


@pytest.mark.parametrize(
    ("body", "problem", "encoding"),
    [
        (b"  \n", EMPTY_RESPONSE, None),
        (b"<html><body><a href='/'>Home</a></body></html>", NO_MAIN_TEXT, "utf-8"),
    ],
    ids=["empty", "no-article"],
)
def test_process_page_says_why_there_is_no_article(
    body: bytes, problem: str, encoding: str | None
) -> None:
    page = process_page(body, "https://example.com/a?utm_source=x")
    assert page == ProcessedPage(encoding, None, None, "https://example.com/a", problem)


def test_process_page_without_a_url_uses_the_declared_canonical() -> None:
    assert process_page(GBK_BODY, "").canonical_url == URL


# The command, run as a user runs it


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NEWSARCHIVE), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_extract_prints_one_json_object_per_file_and_reports_missing_ones(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(GBK_BODY)
    (tmp_path / "b.html").write_bytes(PAGE.replace('charset="gbk"', 'charset="utf-8"').encode())
    (tmp_path / "manifest.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"path": "a.html", "url": URL}),
                json.dumps({"path": "gone.html", "url": URL}),
                "not json",
                json.dumps({"path": "b.html"}),
            ]
        )
    )
    result = run("extract", "--manifest", "manifest.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("Error: cannot read ") and "gone.html" in errors[0]
    assert "not a JSON object" in errors[1]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["path"]).name for r in records] == ["a.html", "b.html"]
    first, second = records
    assert first["url"] == URL and second["url"] is None
    assert first["encoding"] == "gb18030" and second["encoding"] == "utf-8"
    assert first["published"] == "2026-01-20T20:07:00+08:00"
    assert first["modified"] is None
    for record in records:
        assert record["title"] == "济南槐荫：深耕优质均衡发展"
        assert (record["authors"], record["correspondents"]) == (["王贝艺"], ["徐华"])
        assert (record["editor"], record["source"]) == ("李曦", "齐鲁壹点")
        assert record["language"] == "zh-cn"
        assert record["canonical_url"] == URL
        assert PARAGRAPHS[2] in record["text"] and "相关推荐" not in record["text"]
        assert {"original_title", "description", "images", "tags"} <= record.keys()


def test_extract_files_and_user_errors(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(GBK_BODY)
    one = run("extract", "a.html", "--url", URL, cwd=tmp_path)
    assert (one.returncode, one.stderr) == (0, "")
    assert json.loads(one.stdout)["url"] == URL
    both = run("extract", "a.html", "a.html", "--url", URL, cwd=tmp_path)
    assert both.returncode == 2 and "--url goes with exactly one FILE" in both.stderr
    nothing = run("extract", cwd=tmp_path)
    assert nothing.returncode == 2 and "--manifest" in nothing.stderr
    assert "Traceback" not in both.stderr + nothing.stderr
