"""``newsarchive`` search filters, show --versions/--raw, stats per day, runs, sql, Datasette.

Each test runs the console script on a real archive (SQLite; PostgreSQL where the feature is
SQL-dialect-specific), with real WARC files behind it.
"""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage.archive import (
    ArticleRecord,
    FetchedPage,
    ensure_site,
    finish_run,
    record_capture,
    start_run,
    store_article,
)
from storage.database import open_archive
from tests.test_cli import NEWSARCHIVE, ok_json, one_line_error, run, run_all

CST = timezone(timedelta(hours=8))
ZH_URL = "https://www.ql1d.com/general/31248730.html"
EN_URL = "https://www.example.com/en/county-schools.html"
OLD = "岱岳区推进城乡学校结对共建。\n全区共有38所学校参与。\n今年新增学位3600个。"
NEW = "岱岳区推进城乡学校结对共建。\n全区共有41所学校参与。\n今年新增学位3600个。\n教育局表示将继续推进。"
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]


@dataclass(frozen=True)
class Built:
    url: str
    warc_dir: Path
    zh: int
    en: int


def page(url: str, text: str, day: int) -> FetchedPage:
    body = f"<html><body><p>{text}</p></body></html>".encode()
    return FetchedPage(url, 200, HEADERS, body, datetime(2026, 1, day, 2, 0, tzinfo=UTC))


def build_archive(url: str, warc_dir: Path) -> Built:
    """Two sites, a Chinese article with two versions (its last capture a WARC revisit), an
    English article, and one finished crawl run."""
    archive = open_archive(url, warc_dir=warc_dir)
    with archive.transaction() as session:
        qilu = ensure_site(session, "qilu")
        county = ensure_site(session, "county-news")
        run_id = start_run(session, "qilu", site_id=qilu)
        zh = ArticleRecord(
            canonical_url=ZH_URL,
            title="岱岳区推进城乡学校结对共建",
            text=OLD,
            extractor_version="test",
            authors=("王小明",),
            source="齐鲁晚报·齐鲁壹点",
            published=datetime(2026, 1, 7, 9, 30, tzinfo=CST),
            language="zh-cn",
        )
        for text, day in ((OLD, 7), (NEW, 8), (NEW, 9)):  # the third fetch: unchanged
            capture = record_capture(
                session, archive.warc, page(ZH_URL, text, day), site_id=qilu, run_id=run_id
            )
            from dataclasses import replace

            zh_id = store_article(
                session, replace(zh, text=text), site_id=qilu, capture_id=capture.id
            ).article_id
        en_capture = record_capture(session, archive.warc, page(EN_URL, "County schools", 9))
        en_id = store_article(
            session,
            ArticleRecord(
                canonical_url=EN_URL,
                title="County schools win national recognition",
                text="County schools are recognised for balancing urban and rural education.",
                extractor_version="test",
                authors=("Liu Tong",),
                source="Xinhua",
                published=datetime(2025, 12, 1, 8, 0, tzinfo=UTC),
                language="en",
            ),
            site_id=county,
            capture_id=en_capture.id,
        ).article_id
        finish_run(
            session,
            run_id,
            "finished",
            {"response_received_count": 3, "archive/article/new": 1, "archive/article/changed": 1},
        )
    archive.close()
    return Built(url, warc_dir, zh_id, en_id)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    directory = tmp_path_factory.mktemp("more")
    return build_archive(f"sqlite:///{directory / 'archive.db'}", directory / "archive-warc")


def test_search_by_author_and_source(built: Built, tmp_path: Path, subtests) -> None:
    db = ["--db", built.url]
    cases = {
        ("教育",): {built.zh, built.en} - {built.en},  # 教育 is only in the Chinese text
        ("schools", "--author", "Liu Tong"): {built.en},
        ("schools", "--author", "Liu"): set(),  # an author is matched whole
        ("学校", "--author", "王小明"): {built.zh},
        ("学校", "--source", "齐鲁晚报"): {built.zh},  # part of 齐鲁晚报·齐鲁壹点
        ("学校", "--source", "Xinhua"): set(),
        ("schools", "--source", "Xinhua", "--lang", "en"): {built.en},
    }
    results = run_all([["search", *args, *db] for args in cases], tmp_path)
    for (args, expected), result in zip(cases.items(), results, strict=True):
        with subtests.test(" ".join(args)):
            assert {hit["id"] for hit in ok_json(result)} == expected


def test_search_formats_and_highlight(built: Built, tmp_path: Path, subtests) -> None:
    db = ["--db", built.url]
    csv_result, jsonl_result, table_result, unknown = run_all(
        [
            ["search", "学位", "--format", "csv", *db],
            ["search", "学位", "--format", "jsonl", *db],
            ["search", "学位", "--format", "table", *db],
            ["search", "学位", "--site", "nosuch", *db],
        ],
        tmp_path,
    )
    with subtests.test("csv"):
        header, row, *rest = csv_result.stdout.splitlines()
        assert header == "id,site,url,title,published,language,authors,source,score,snippet"
        assert row.startswith(
            f'{built.zh},qilu,{ZH_URL},岱岳区推进城乡学校结对共建,2026-01-07T09:30:00+08:00,zh-cn,"[""王小明""]",齐鲁晚报·齐鲁壹点,'
        )
        assert row.endswith("今年新增[学位]3600个。 教育局表示将继续推进。")
        assert rest == []
    with subtests.test("jsonl"):
        assert [line.count("\n") for line in jsonl_result.stdout.splitlines(True)] == [1]
    with subtests.test("table, piped: [brackets]"):
        assert "今年新增[学位]360…" in table_result.stdout
        assert "\x1b[" not in table_result.stdout
    with subtests.test("unknown site"):
        assert (
            one_line_error(unknown, 1)
            == "Error: unknown site 'nosuch' (the archive has: county-news, qilu)"
        )

    with subtests.test("table on a terminal: reverse video"):
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "ARCHIVE_DATABASE_URL"}
        process = subprocess.run(
            [str(NEWSARCHIVE), "search", "学位", "--format", "table", *db],
            stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60, check=False,
        )  # fmt: skip
        os.close(follower)
        shown = os.read(leader, 65536).decode("utf-8")
        os.close(leader)
        assert process.returncode == 0, process.stderr
        assert "新增\x1b[1;7m学位\x1b[0m3600…" in shown
        assert "[学位]" not in shown


def test_show_versions_as_a_diff(built: Built, tmp_path: Path) -> None:
    text, data = run_all(
        [
            ["show", str(built.zh), "--versions", "--db", built.url],
            ["show", ZH_URL, "--versions", "--format", "json", "--db", built.url],
        ],
        tmp_path,
    )
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("+++ version 1  2026-")
    assert lines[1] == "(the first version)"
    assert lines[3].startswith("--- version 1") and lines[4].startswith("+++ version 2")
    assert lines[5:] == [
        " 岱岳区推进城乡学校结对共建。",
        "-全区共有[-38-]所学校参与。",
        "+全区共有{+41+}所学校参与。",
        " 今年新增学位3600个。",
        "+教育局表示将继续推进。",
    ]
    versions = ok_json(data)
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["diff"] == []
    assert versions[1]["diff"] == lines[5:]


def test_show_raw_reads_the_warc_record(built: Built, tmp_path: Path, subtests) -> None:
    db = ["--db", built.url]
    body, with_headers, missing, mixed = (
        subprocess.run([str(NEWSARCHIVE), *args, *db], capture_output=True, timeout=60, check=False)
        for args in (
            ["show", str(built.zh), "--raw"],
            ["show", ZH_URL, "--raw", "--headers"],
            ["show", str(built.zh), "--raw", "--warc-dir", str(tmp_path)],
            ["show", str(built.zh), "--raw", "--versions"],
        )
    )
    expected = f"<html><body><p>{NEW}</p></body></html>".encode()
    with subtests.test("body: the capture of the current text"):
        assert (body.returncode, body.stderr) == (0, b"")
        assert body.stdout == expected
    with subtests.test("--headers"):
        head, _, rest = with_headers.stdout.partition(b"\r\n\r\n")
        assert rest == expected
        assert head.decode().split("\r\n") == [
            "HTTP/1.1 200 OK",
            "Content-Type: text/html; charset=utf-8",
            "X-Archive-Orig-Content-Encoding: gzip",
            f"Content-Length: {len(expected)}",
        ]
    with subtests.test("the WARC file is not there"):
        assert missing.returncode == 1 and missing.stdout == b""
        assert missing.stderr.decode().startswith("Error: WARC file not found: ")
        assert len(missing.stderr.splitlines()) == 1
    with subtests.test("--raw with --versions"):
        assert mixed.returncode == 2 and b"Traceback" not in mixed.stderr


def test_stats_per_day_and_language(built: Built, tmp_path: Path) -> None:
    full, by_language, by_day, table, bad = run_all(
        [
            ["stats", "--since", "2025-11-01", "--db", built.url],
            [
                "stats",
                "--format",
                "csv",
                "--by",
                "language",
                "--since",
                "2025-11-01",
                "--db",
                built.url,
            ],
            ["stats", "--format", "jsonl", "--by", "day", "--db", built.url],
            ["stats", "--format", "table", "--db", built.url],
            ["stats", "--until", "January", "--db", built.url],
        ],
        tmp_path,
    )
    report = ok_json(full)
    assert report["window"] == {"since": "2025-11-01", "until": "2026-01-07"}
    assert report["days"] == [
        {"day": "2025-12-01", "site": "county-news", "language": "en", "articles": 1},
        {"day": "2026-01-07", "site": "qilu", "language": "zh-cn", "articles": 1},
    ]
    assert by_language.stdout.splitlines() == ["language,articles", "en,1", "zh-cn,1"]
    # By default the last 30 days up to the newest: the English article is older.
    assert by_day.stdout.splitlines() == ['{"day": "2026-01-07", "articles": 1}']
    assert "2026-01-07  qilu" in table.stdout
    assert "'January'" in one_line_error(bad, 2)


def test_runs(built: Built, tmp_path: Path) -> None:
    listed, table, other_site, unknown = run_all(
        [
            ["runs", "--db", built.url],
            ["runs", "--format", "table", "--db", built.url],
            ["runs", "--site", "county-news", "--db", built.url],
            ["runs", "--site", "nosuch", "--limit", "1", "--db", built.url],
        ],
        tmp_path,
    )
    (runs,) = ok_json(listed)
    assert runs["started"].endswith("+00:00") and runs["finished"].endswith("+00:00")
    del runs["started"], runs["finished"], runs["id"]
    assert runs == {
        "site": "qilu",
        "spider": "qilu",
        "outcome": "finished",
        "pages": 3,
        "new_articles": 1,
        "new_versions": 1,
        "failures": 0,
    }
    assert table.stdout.split("\n")[0].split() == [
        "id", "site", "spider", "started", "finished", "outcome", "pages", "new_articles",
        "new_versions", "failures",
    ]  # fmt: skip
    assert ok_json(other_site) == []
    assert "unknown site 'nosuch'" in one_line_error(unknown, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Built:
    if request.param == "sqlite":
        return build_archive(f"sqlite:///{tmp_path / 'archive.db'}", tmp_path / "warc")
    return build_archive(request.getfixturevalue("postgres_url"), tmp_path / "warc")


def test_sql_is_read_only(any_archive: Built, tmp_path: Path, subtests) -> None:
    db = ["--db", any_archive.url]
    query = "SELECT language, count(*) AS n, '100%' AS p FROM articles GROUP BY language ORDER BY language"
    writes = [
        "DELETE FROM articles",
        "UPDATE sites SET name = 'x'",
        "CREATE TABLE t (x INTEGER)",
        "SELECT 1; DELETE FROM articles",
    ]
    results = run_all(
        [
            ["sql", query, *db],
            ["sql", query, "--format", "csv", *db],
            ["sql", query, "--format", "jsonl", *db],
            ["sql", query, "--format", "table", *db],
            ["sql", "SELEC 1", *db],
            *(["sql", write, *db] for write in writes),
        ],
        tmp_path,
    )
    as_json, as_csv, as_jsonl, as_table, typo, *refused = results
    assert ok_json(as_json) == [
        {"language": "en", "n": 1, "p": "100%"},
        {"language": "zh-cn", "n": 1, "p": "100%"},
    ]
    assert as_csv.stdout.splitlines() == ["language,n,p", "en,1,100%", "zh-cn,1,100%"]
    assert as_jsonl.stdout.splitlines() == [
        '{"language": "en", "n": 1, "p": "100%"}',
        '{"language": "zh-cn", "n": 1, "p": "100%"}',
    ]
    assert [line.split() for line in as_table.stdout.splitlines()] == [
        ["language", "n", "p"], ["en", "1", "100%"], ["zh-cn", "1", "100%"],
    ]  # fmt: skip
    assert one_line_error(typo, 1).startswith("Error: sql: ")
    for write, result in zip(writes, refused, strict=True):
        with subtests.test(write):
            line = one_line_error(result, 1)
            assert line.startswith("Error: sql: ")
            assert any(
                reason in line
                for reason in (
                    "readonly database",  # SQLite's query_only
                    "read-only transaction",  # PostgreSQL
                    "one statement at a time",  # SQLite
                    "multiple commands",  # PostgreSQL, prepared
                )
            ), line
    count = run("sql", "SELECT count(*) AS n FROM articles", *db, cwd=tmp_path)
    assert ok_json(count) == [{"n": 2}]


def test_the_archive_opens_in_datasette(built: Built) -> None:
    """The README's Datasette recipe: full-text search through the segmented index."""
    datasette_app = pytest.importorskip("datasette.app", reason="datasette is not installed")
    metadata = Path(__file__).resolve().parents[1] / "datasette-metadata.json"
    import json

    database = built.url.removeprefix("sqlite:///")
    ds = datasette_app.Datasette([database], metadata=json.loads(metadata.read_text()))

    async def get(path: str) -> object:
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    async def queries() -> list[object]:
        return [
            await get("/archive/articles.json?_search=学位&_shape=array&_col=title"),
            await get("/archive/articles.json?_search=schools&_shape=array&_col=title"),
            await get("/archive/search.json?q=%22推进+进城+城乡%22&_shape=array"),
            await get("/archive.json?sql=select+count(*)+as+n+from+articles&_shape=array"),
        ]

    by_word, english, phrase, count = asyncio.run(queries())
    assert by_word == [{"id": built.zh, "title": "岱岳区推进城乡学校结对共建"}]
    assert english == [{"id": built.en, "title": "County schools win national recognition"}]
    assert [row["id"] for row in phrase] == [built.zh]  # type: ignore[index]
    assert count == [{"n": 2}]
