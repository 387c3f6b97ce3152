"""Every site profile, crawled with `scrapy crawl PROFILE -a mirror=…` against its fixture mirror.

The mirrors and their ARTICLES.json (what each must archive) are made by
``python tests/fixtures/mirrors/make_mirrors.py``; a failure below names what to regenerate.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from sqlalchemy import func, select

from crawler.demo.mirror import MirrorSite
from crawler.sites_command import profiles
from storage.database import open_archive
from storage.models import Article, ArticleVersion, CrawlRun
from storage.queries import article_record

PROJECT = Path(__file__).resolve().parents[1]
MIRRORS = PROJECT / "tests" / "fixtures" / "mirrors"
PROFILES = [profile.name for profile in profiles()]
REGENERATE = "regenerate the fixtures with `python tests/fixtures/mirrors/make_mirrors.py`"
# The fixture mirrors' pages are dated 2026-01-07; the e-paper entry point is for that day.
ARGS = {"qilu": ["-a", "day=2026-01-07"]}


def expected(profile: str) -> dict[str, Any]:
    """ARTICLES.json, with each URL as the profile archives it (163.com: by docid)."""
    data = json.loads((MIRRORS / profile / "ARTICLES.json").read_text(encoding="utf-8"))
    spider = SpiderLoader.from_settings(get_project_settings()).load(profile)
    for article in data["articles"]:
        article["url"] = spider.profile.canonical_url(article["url"])
    return data


def crawl(profile: str, mirror: str, db_url: str, tmp: Path, *extra: str) -> str:
    env = {**os.environ, "ARCHIVE_DATABASE_URL": db_url, "ARCHIVE_WARC_DIR": str(tmp / "warc")}
    command = [
        sys.executable, "-m", "scrapy", "crawl", profile, "-a", f"mirror={mirror}",
        *ARGS.get(profile, []), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *extra,
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stderr


def archived(db_url: str, tmp: Path) -> dict[str, dict[str, Any]]:
    archive = open_archive(db_url, warc_dir=tmp / "warc")
    try:
        with archive.session() as session:
            return {a.canonical_url: article_record(a) for a in session.scalars(select(Article))}
    finally:
        archive.close()


@pytest.fixture(params=PROFILES)
def mirrored(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    site = MirrorSite(MIRRORS / request.param)
    with site.serve("127.0.0.1", 0) as base:
        yield request.param, site, base


def test_a_profile_archives_its_sites_articles_once_and_clean(
    mirrored: Any, tmp_path: Path
) -> None:
    profile, _site, base = mirrored
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    log = crawl(profile, base, db_url, tmp_path)
    found = archived(db_url, tmp_path)
    truth = expected(profile)["articles"]
    assert sorted(found) == sorted(a["url"] for a in truth), (
        f"{profile}: wrong set of articles ({REGENERATE} if the fixtures changed)"
    )
    problems = []
    for article in truth:
        record = found[article["url"]]
        for field in ("title", "published"):
            if record[field] != article[field]:
                problems.append(
                    f"{article['url']}: {field} {record[field]!r} != {article[field]!r}"
                )
        if article["authors"] and not set(article["authors"]) <= set(record["authors"]):
            problems.append(
                f"{article['url']}: authors {record['authors']} lack {article['authors']}"
            )
        for phrase in article["must_contain"]:
            if phrase not in record["text"]:
                problems.append(f"{article['url']}: missing {phrase[:30]!r}")
        for phrase in article["must_not_contain"]:
            if phrase in record["text"]:
                problems.append(f"{article['url']}: clutter {phrase!r} left in the text")
    assert not problems, f"{profile} ({REGENERATE} if the fixtures are wrong):\n" + "\n".join(
        problems
    )
    assert "'incremental/new'" in log


def test_a_second_crawl_fetches_only_entry_points_and_a_changed_article_gets_one_version(
    mirrored: Any, tmp_path: Path
) -> None:
    profile, site, base = mirrored
    db_url = f"sqlite:///{tmp_path / 'archive.db'}"
    truth = expected(profile)["articles"]
    crawl(profile, base, db_url, tmp_path)
    before = len(site.requests)
    log = crawl(profile, base, db_url, tmp_path)
    fetched = [path.split("?")[0] for path in site.requests[before:]]
    pages = {page for article in truth for page in article["pages"]}
    assert not [p for p in fetched if p.lstrip("/") in pages], f"articles fetched again: {fetched}"
    assert "'incremental/new'" not in log
    archive = open_archive(db_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == len(truth)
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [r.new_articles for r in runs] == [len(truth), 0]
    archive.close()

    # Change one article's text on the site; revisit everything with conditional requests.
    target = truth[0]
    page = (MIRRORS / profile / target["mirror_path"]).read_bytes()
    sentence = target["must_contain"][0].encode(target["encoding"])
    site.replace(
        target["mirror_path"],
        page.replace(sentence, sentence + "（本文已更新）".encode(target["encoding"])),
    )
    revisit = ("-s", "ARCHIVE_REVISIT_DAYS=100000", "-s", "ARCHIVE_REVISIT_AFTER_HOURS=0")
    log = crawl(profile, base, db_url, tmp_path, *revisit)
    assert re.search(r"'incremental/not_modified': \d+", log), "unchanged pages should answer 304"
    archive = open_archive(db_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        changed = session.scalars(select(ArticleVersion).where(ArticleVersion.number == 2)).all()
        assert [v.article.canonical_url for v in changed] == [target["url"]]
        assert "（本文已更新）" in changed[0].text
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == len(truth) + 1
    archive.close()
