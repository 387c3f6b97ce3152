"""Search with facets and its two plans (every match, or a window / an index walk), on both
backends: whatever plan a search takes, it finds what a plain scan of the articles finds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import storage.queries
from storage.archive import ArticleRecord, ensure_site, reextracted, store_article
from storage.database import Archive, _alembic_config, open_archive, upgrade
from storage.models import Article
from storage.queries import search
from storage.search import date_cover, facets, language_facets

CST = timezone(timedelta(hours=8))
SITES = ["qilu", "netease", "english"]
WORDS = ["教育", "医疗", "高质量发展", "education", "garlic"]


def test_date_cover_uses_the_fewest_whole_years_months_and_days() -> None:
    def d(*args: int) -> datetime:
        return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]

    assert date_cover(d(2025, 1, 1), d(2025, 7, 1)) == [f"m20250{m}" for m in range(1, 7)]
    assert date_cover(d(2024, 1, 1), d(2026, 1, 1)) == ["y2024", "y2025"]
    assert date_cover(d(2024, 12, 30, 16), d(2025, 3, 2)) == [
        "d20241230",
        "d20241231",
        "m202501",
        "m202502",
        "d20250301",
    ]
    # A bound in another offset is a UTC instant: 2025-03-01 00:00 +08:00 is 02-28 16:00 UTC,
    # so the cover ends with February (its last day partly covered, so included whole).
    assert date_cover(None, datetime(2025, 3, 1, tzinfo=CST))[-2:] == ["m202501", "m202502"]
    assert date_cover(None, d(1901, 1, 1)) == ["y1900"]
    assert date_cover(d(2025, 5, 1), d(2025, 5, 1)) == []


def test_facets_of_an_article() -> None:
    assert language_facets("zh-CN") == ["langzh", "langzhcn"]
    published = datetime(2026, 1, 1, 2, 0, tzinfo=CST)  # still 2025-12-31 in UTC
    assert facets(7, "zh-cn", published) == [
        "site7",
        "langzh",
        "langzhcn",
        "y2025",
        "m202512",
        "d20251231",
    ]
    assert facets(7, None, None) == ["site7"]


def _fill(archive: Archive, n: int = 90) -> list[dict[str, Any]]:
    """``n`` articles over three sites, two years and two languages; a few without a date."""
    rng = random.Random(5)
    made = []
    with archive.transaction() as session:
        sites = {name: ensure_site(session, name) for name in SITES}
        for i in range(n):
            site = SITES[i % 3]
            english = site == "english"
            words = rng.sample(WORDS[3:] if english else WORDS[:3], k=rng.randint(1, 2))
            published = None
            if i % 11:
                published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
                    hours=rng.randrange(2 * 365 * 24)
                )
                published = published.astimezone(UTC if english else CST)
            body = ("Some news about " if english else "本报讯 ") + " ".join(words) + f" {i}"
            stored = store_article(
                session,
                ArticleRecord(
                    canonical_url=f"https://{site}.example/{i}",
                    text=body,
                    extractor_version="test",
                    title=f"title {i}",
                    published=published,
                    language="en" if english else rng.choice(["zh", "zh-cn"]),
                ),
                site_id=sites[site],
            )
            made.append(
                {
                    "id": stored.article_id,
                    "site": site,
                    "words": words,
                    "published": published,
                    "language": "en" if english else None,
                }
            )
    with archive.session() as session:
        for row in made:
            article = session.get(Article, row["id"])
            assert article is not None
            row["language"] = article.language
    return made


def _expected(made: list[dict[str, Any]], word: str, **filters: Any) -> list[dict[str, Any]]:
    out = []
    for row in made:
        language = row["language"]
        if word not in row["words"]:
            continue
        if filters.get("site") and row["site"] != filters["site"]:
            continue
        wanted = filters.get("language")
        if wanted and not (language == wanted or language.startswith(wanted + "-")):
            continue
        since, until = filters.get("since"), filters.get("until")
        if (since or until) and row["published"] is None:
            continue
        if since and row["published"] < since:
            continue
        if until and row["published"] >= until:
            continue
        out.append(row)
    return out


FILTERS: list[dict[str, Any]] = [
    {},
    {"site": "qilu"},
    {"language": "zh"},
    {"language": "zh-cn"},
    {"since": datetime(2024, 3, 15, 6, tzinfo=CST), "until": datetime(2025, 2, 1, tzinfo=UTC)},
    {"until": datetime(2024, 9, 1, tzinfo=UTC)},
    {"since": datetime(2025, 6, 1, tzinfo=UTC)},
    {"site": "netease", "language": "zh", "since": datetime(2024, 6, 1, tzinfo=UTC)},
]


@pytest.mark.parametrize("rank_limit", [5000, 2], ids=["every-match", "window-and-walk"])
def test_every_plan_finds_what_a_scan_finds(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, rank_limit: int
) -> None:
    made = _fill(archive)
    monkeypatch.setattr(storage.queries, "RANK_LIMIT", rank_limit)
    monkeypatch.setattr(storage.queries, "PG_RANK_LIMIT", rank_limit)
    with archive.session() as session:
        for word in ["教育", "高质量发展", "education"]:
            for filters in FILTERS:
                expected = _expected(made, word, **filters)
                newest = sorted(
                    expected,
                    key=lambda r: (r["published"] is not None, r["published"] or 0, r["id"]),
                    reverse=True,
                )
                hits = search(session, word, sort="newest", limit=100, **filters)
                assert [h.article.id for h in hits] == [r["id"] for r in newest], (word, filters)
                # Pages are slices of the same order.
                page = search(session, word, sort="newest", limit=3, offset=2, **filters)
                assert [h.article.id for h in page] == [r["id"] for r in newest][2:5]
                ranked = search(session, word, limit=100, **filters)
                ids = {h.article.id for h in ranked}
                if rank_limit >= len(made):
                    assert ids == {r["id"] for r in expected}, (word, filters)
                else:
                    # The window: the most recently archived matches (SQLite) or the most
                    # recently published (PostgreSQL), filters applied within.
                    assert ids <= {r["id"] for r in expected}
                    if expected and not filters and archive.dialect == "sqlite":
                        assert max(r["id"] for r in expected) in ids
                    elif newest and not filters:
                        assert newest[0]["id"] in ids
                scores = [h.score for h in ranked]
                best_first = scores if archive.dialect == "sqlite" else [-s for s in scores]
                assert best_first == sorted(best_first)


def test_unknown_site_or_empty_range_finds_nothing(archive: Archive) -> None:
    _fill(archive, 12)
    with archive.session() as session:
        assert search(session, "教育", site="nowhere") == []
        day = datetime(2024, 5, 1, tzinfo=UTC)
        assert search(session, "教育", since=day, until=day) == []
        assert search(session, "教育", language="--") == []


def test_reextraction_moves_an_article_between_facets(archive: Archive) -> None:
    with archive.transaction() as session:
        site = ensure_site(session, "qilu")
        stored = store_article(
            session,
            ArticleRecord("https://q/1", "教育新闻", "test", title="旧标题"),
            site_id=site,
        )
    day = datetime(2025, 1, 2, 3, tzinfo=UTC)
    with archive.transaction() as session:
        reextracted(
            session,
            stored.article_id,
            ArticleRecord("https://q/1", "教育新闻", "test", title="新标题", published=day),
        )
    with archive.session() as session:
        assert [h.article.id for h in search(session, "教育", since=day)] == [stored.article_id]
        assert [h.article.id for h in search(session, "新标题")] == [stored.article_id]
        assert search(session, "旧标题") == []


def test_migration_0004_adds_facets_to_existing_entries(archive: Archive) -> None:
    made = _fill(archive, 12)
    from alembic import command

    command.downgrade(_alembic_config(archive.engine), "0003")
    with archive.engine.begin() as connection:
        # At 0003 the index has no facets: a filtered search could not use them.
        if archive.dialect == "sqlite":
            columns = [r[1] for r in connection.execute(text("PRAGMA table_info(article_search)"))]
            assert columns == ["title", "body"]
        else:
            assert not connection.scalar(
                text("SELECT count(*) FROM article_search WHERE document @@ '#site1'::tsquery")
            )
    upgrade(archive.engine)
    with archive.session() as session:
        for filters in FILTERS[:3]:
            found = {h.article.id for h in search(session, "教育", limit=100, **filters)}
            assert found == {r["id"] for r in _expected(made, "教育", **filters)}


def test_migration_0006_finds_what_0005_found(archive: Archive) -> None:
    """The index rebuilt with the ``ascii`` tokenizer answers every query as before: Chinese
    words and phrases, a single character (a prefix), folded Latin words, and filters."""
    made = _fill(archive, 30)
    with archive.transaction() as session:
        site = ensure_site(session, "accents")
        store_article(
            session,
            ArticleRecord(
                "https://accents.example/1", "Ｃafé Zürich 优质均衡", "test", title="Ｔitle"
            ),
            site_id=site,
        )
    queries = ["教育", "优质均衡", "教", "cafe", "ZÜRICH", "café zurich", "title", "some news"]

    def answers() -> list[list[int]]:
        with archive.session() as session:
            found = [[h.article.id for h in search(session, q, limit=100)] for q in queries]
            found += [
                [h.article.id for h in search(session, "教育", limit=100, **filters)]
                for filters in FILTERS[:3]
            ]
        return found

    from alembic import command

    command.downgrade(_alembic_config(archive.engine), "0005")
    before = answers()
    upgrade(archive.engine)
    assert answers() == before
    assert all(before[:6]) and len(before[7]) == len([m for m in made if m["language"] == "en"])
    if archive.dialect == "sqlite":
        with archive.engine.connect() as connection:
            sql = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'article_search'")
            )
        assert "'ascii'" in sql


def test_migration_0007_buffers_4_mb_of_a_transactions_index_entries(
    sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite's index keeps 4 MB of new entries in memory before writing a segment (FTS5's
    ``hashsize``, 1 MB by default); the downgrade puts back the default. Answers are the same.
    (PostgreSQL's index has no such buffer: the migration leaves it alone.)"""
    from alembic import command

    archive = open_archive(sqlite_url, warc_dir=tmp_path / "warc")
    _fill(archive, 30)

    def hashsize() -> int | None:
        with archive.engine.connect() as connection:
            return connection.scalar(
                text("SELECT v FROM article_search_config WHERE k = 'hashsize'")
            )

    def answers() -> list[int]:
        with archive.session() as session:
            return [h.article.id for h in search(session, "教育", limit=100)]

    found = answers()
    assert found and hashsize() == 4 * 1024 * 1024
    command.downgrade(_alembic_config(archive.engine), "0006")
    assert hashsize() == 1024 * 1024 and answers() == found
    upgrade(archive.engine)
    assert hashsize() == 4 * 1024 * 1024 and answers() == found
    archive.close()
