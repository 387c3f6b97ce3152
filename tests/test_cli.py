"""The ``newsarchive`` command, run as a user runs it: the console script, a real SQLite archive.

Each run starts a new Python process, which is slow, so a test that needs several runs starts
them together and checks each in its own subtest.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import pytest

from crawler.cli import cli
from storage.archive import ArticleRecord, ensure_site, record_failure, start_run, store_article
from storage.database import head_revision, open_archive

NEWSARCHIVE = Path(sys.executable).with_name("newsarchive")
CST = timezone(timedelta(hours=8))
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"

ARTICLE_163 = "https://www.163.com/dy/article/J22CN60P0514R9KQ.html"
SEEN_163 = f"{ARTICLE_163}?f=post2020_dy_recommends"
Result = subprocess.CompletedProcess[str]
ZH_TEXT = "近年来，我县坚持把教育摆在优先发展的战略地位，推动义务教育优质均衡发展。"


@dataclass(frozen=True)
class Filled:
    url: str
    ids: dict[str, int]  # zh, en, tw


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    """An archive with three articles: Chinese, English (with a Chinese title), traditional."""
    directory = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{directory / 'archive.db'}"
    archive = open_archive(url, warc_dir=directory / "warc")
    with archive.transaction() as session:
        netease = ensure_site(session, "netease")
        county = ensure_site(session, "county-news")
        taiwan = ensure_site(session, "taiwan-news")
        zh_record = ArticleRecord(
            canonical_url=ARTICLE_163,
            title="县域义务教育优质均衡发展",
            text="旧的文本。",
            extractor_version="test",
            published=datetime(2026, 1, 7, 9, 30, tzinfo=CST),
            language="zh-cn",
            seen_urls=(SEEN_163,),
        )
        zh = store_article(session, zh_record, site_id=netease).article_id
        # A second version of the same article: one article, two versions.
        store_article(session, replace(zh_record, text=ZH_TEXT), site_id=netease)
        en = store_article(
            session,
            ArticleRecord(
                canonical_url="https://www.example.com/en/2025/12/county-schools-win-national-recognition.html",
                title="县教育局: County schools win national recognition",
                text="County schools are recognised for balancing urban and rural education.",
                extractor_version="test",
                published=datetime(2025, 12, 1, 8, 0, tzinfo=UTC),
                language="en",
            ),
            site_id=county,
        ).article_id
        tw = store_article(
            session,
            ArticleRecord(
                canonical_url="https://www.example.com.tw/2026/02/01/bilingual.html",
                title="教育部推動雙語教育",
                text="臺灣的學校在今年開學時面臨許多挑戰。教育部表示，將會繼續推動雙語教育政策。",
                extractor_version="test",
                published=datetime(2026, 2, 1, 10, 0, tzinfo=CST),
                language="zh-tw",
            ),
            site_id=taiwan,
        ).article_id
        run_id = start_run(session, "news", site_id=netease)
        record_failure(session, "https://www.163.com/gone.html", "404", status=404, run_id=run_id)
    archive.close()
    return Filled(url=url, ids={"zh": zh, "en": en, "tw": tw})


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """``newsarchive ARGS`` in a new process; whatever happens, never a traceback."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("ARCHIVE_DATABASE_URL", "ARCHIVE_WARC_DIR")
    }
    result = subprocess.run(
        [str(NEWSARCHIVE), *args],
        capture_output=True,
        encoding="utf-8",
        cwd=cwd,
        env={**environment, **(env or {})},
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def run_all(commands: Sequence[Sequence[str]], cwd: Path) -> list[Result]:
    """Several runs at once (each pays Python, SQLAlchemy and Alembic start-up)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda args: run(*args, cwd=cwd), commands))


def ok_json(result: Result) -> Any:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def one_line_error(result: Result, exit_code: int) -> str:
    assert (result.returncode, result.stdout) == (exit_code, ""), result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


SEARCHES = {
    "教育": {"zh", "en", "tw"},  # the English article has 教育 in its title
    "教育 --lang en": {"en"},
    "教育 --lang zh": {"zh", "tw"},  # zh-cn and zh-tw
    "教育 --site netease": {"zh"},
    "教育 --since 2026-01-01 --until 2026-01-31": {"zh"},
}


def test_search(filled: Filled, tmp_path: Path, subtests: pytest.Subtests) -> None:
    table = ["search", "教育", "--until", "2026-01-31", "--format", "table", "--db", filled.url]
    commands = [["search", *shlex.split(line), "--db", filled.url] for line in SEARCHES]
    *results, table_result = run_all([*commands, table], tmp_path)
    names = {id_: name for name, id_ in filled.ids.items()}
    for (line, expected), result in zip(SEARCHES.items(), results, strict=True):
        with subtests.test(line):
            assert {names[hit["id"]] for hit in ok_json(result)} == expected

    with subtests.test("the Chinese article"):
        hit = next(hit for hit in ok_json(results[0]) if hit["id"] == filled.ids["zh"])
        assert isinstance(hit.pop("score"), float)
        assert hit == {
            "id": filled.ids["zh"],
            "site": "netease",
            "url": ARTICLE_163,
            "title": "县域义务教育优质均衡发展",
            "published": "2026-01-07T09:30:00+08:00",
            "language": "zh-cn",
            "authors": [],
            "source": None,
            "snippet": "近年来，我县坚持把[教育]摆在优先发展的战略地位，推动义务[教育]优质均衡发展。",
        }

    with subtests.test("--format table"):
        assert table_result.returncode == 0, table_result.stderr
        header, *rows = table_result.stdout.splitlines()
        assert header.split() == ["id", "published", "site", "title", "snippet"]
        assert sorted(row.split()[:3] for row in rows) == [
            [str(filled.ids["zh"]), "2026-01-07T09:30:00+08:00", "netease"],
            [str(filled.ids["en"]), "2025-12-01T08:00:00+00:00", "county-news"],
        ]
        assert "县域义务教育优质均衡发展" in table_result.stdout


def test_show_by_id_and_by_any_url(
    filled: Filled, tmp_path: Path, subtests: pytest.Subtests
) -> None:
    refs = [str(filled.ids["zh"]), ARTICLE_163, SEEN_163]
    results = run_all([["show", ref, "--db", filled.url] for ref in refs], tmp_path)
    for ref, result in zip(refs, results, strict=True):
        with subtests.test(ref):
            record = ok_json(result)
            assert record["id"] == filled.ids["zh"]
            assert record["url"] == ARTICLE_163
            assert record["published"] == "2026-01-07T09:30:00+08:00"
            assert record["title"] == "县域义务教育优质均衡发展"
            assert record["text"] == ZH_TEXT
            assert record["urls"] == [ARTICLE_163, SEEN_163]
            assert record["versions"] == 2


def test_stats_with_the_database_from_the_environment(filled: Filled, tmp_path: Path) -> None:
    report = ok_json(run("stats", cwd=tmp_path, env={"ARCHIVE_DATABASE_URL": filled.url}))
    assert not (tmp_path / "archive.db").exists()  # not the default archive
    breakdowns = ("sites", "languages", "window", "days")
    assert {k: v for k, v in report.items() if k not in breakdowns} == {
        "articles": 3,
        "versions": 4,
        "captures": 1,
        "failures": 1,
        "crawl_runs": 1,
    }
    assert report["sites"] == [
        {
            "site": "county-news",
            "articles": 1,
            "first_published": "2025-12-01T08:00:00+00:00",
            "last_published": "2025-12-01T08:00:00+00:00",
        },
        {
            "site": "netease",
            "articles": 1,
            "first_published": "2026-01-07T01:30:00+00:00",
            "last_published": "2026-01-07T01:30:00+00:00",
        },
        {
            "site": "taiwan-news",
            "articles": 1,
            "first_published": "2026-02-01T02:00:00+00:00",
            "last_published": "2026-02-01T02:00:00+00:00",
        },
    ]
    # The last 30 days up to the newest publication day.
    assert report["window"] == {"since": "2026-01-03", "until": "2026-02-01"}
    assert report["days"] == [
        {"day": "2026-01-07", "site": "netease", "language": "zh-cn", "articles": 1},
        {"day": "2026-02-01", "site": "taiwan-news", "language": "zh-tw", "articles": 1},
    ]
    assert sorted(report["languages"], key=lambda row: row["language"]) == [
        {"language": "en", "articles": 1},
        {"language": "zh-cn", "articles": 1},
        {"language": "zh-tw", "articles": 1},
    ]


def test_user_errors_are_one_line(
    filled: Filled, tmp_path: Path, subtests: pytest.Subtests
) -> None:
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'archive.db'}"
    db = ["--db", filled.url]
    cases: list[tuple[list[str], int, str]] = [
        (["show", "999", *db], 1, "Error: no article with id or URL '999'"),
        (["search", '"unbalanced', *db], 1, "Error: bad query: unbalanced quote in the query"),
        (["search", "--since", "notadate", "x", *db], 2, "'notadate'"),
        (["search", "x", "--bogus", *db], 2, "--bogus"),
        (["stats", "--db", UNREACHABLE], 1, "cannot open the archive at " + UNREACHABLE),
        (["stats", "--db", missing], 1, "no such directory for the SQLite archive"),
    ]
    results = run_all([args for args, _, _ in cases], tmp_path)
    for (args, exit_code, phrase), result in zip(cases, results, strict=True):
        with subtests.test(" ".join(args[:3])):
            assert phrase in one_line_error(result, exit_code)
    assert not (tmp_path / "no").exists()


def test_db_upgrade_creates_then_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    head = head_revision()
    first = run("db", "upgrade", "--db", url, cwd=tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == f"{url}: schema none -> {head}\n"
    again = run("db", "upgrade", "--db", url, cwd=tmp_path)
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == f"{url}: schema {head} -> {head}\n"


def _leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_command_help_has_an_example(tmp_path: Path, subtests: pytest.Subtests) -> None:
    commands = sorted(_leaf_commands(cli))
    assert {"search", "show", "stats", "db upgrade"} <= {" ".join(c) for c in commands}
    results = run_all([[*command, "--help"] for command in commands], tmp_path)
    for command, result in zip(commands, results, strict=True):
        with subtests.test(" ".join(command)):
            assert (result.returncode, result.stderr) == (0, "")
            assert "Example" in result.stdout
            assert f"newsarchive {' '.join(command)}" in result.stdout
