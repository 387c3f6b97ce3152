"""`newsarchive reextract` over an archive filled by the real pipeline stages."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from crawler.demo.content import ARTICLES
from storage.database import open_archive
from storage.models import Article, ArticleVersion
from tests.test_pipelines import Chain, fetch

NEWSARCHIVE = str(Path(sys.executable).with_name("newsarchive"))


def test_reextract_adds_a_version_only_where_the_result_changed(
    demo_site: tuple[Any, str], sqlite_url: str, tmp_path: Path
) -> None:
    _, base_url = demo_site
    chain = Chain(sqlite_url, tmp_path / "warc")
    asyncio.run(chain.run(*(fetch(base_url, a.path) for a in ARTICLES[:3])))
    archive = open_archive(sqlite_url, warc_dir=tmp_path / "warc")
    with archive.transaction() as session:
        # As if an older extractor had left clutter in one text and missed another's title.
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
        session.execute(
            update(Article)
            .where(Article.id == ids[0])
            .values(text="旧版本的正文，含有相关推荐", content_hash="old", extractor_version="old")
        )
        session.execute(
            update(Article).where(Article.id == ids[1]).values(title=None, extractor_version="old")
        )
    archive.close()

    env_db = ["--db", sqlite_url]
    result = subprocess.run(
        [NEWSARCHIVE, "reextract", "--outdated", *env_db],
        capture_output=True, text=True, check=False, env={"ARCHIVE_WARC_DIR": str(tmp_path / "warc"), "PATH": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert (counts.get("changed"), counts.get("unchanged")) == (1, 1)

    archive = open_archive(sqlite_url, warc_dir=tmp_path / "warc")
    with archive.session() as session:
        articles = {a.id: a for a in session.scalars(select(Article))}
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.number == 2)).all()
    archive.close()
    assert [v.article_id for v in versions] == [ids[0]]
    assert ARTICLES[0].paragraphs[0] in articles[ids[0]].text
    assert articles[ids[1]].title == ARTICLES[1].title and articles[ids[1]].version_count == 1
    assert {a.extractor_version for a in articles.values()} != {"old"}
