"""storage.reader on SQLite and PostgreSQL: per-day site health, copies, version diffs, read-only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from storage.archive import ArticleRecord, ensure_site, store_article
from storage.database import Archive
from storage.health import CLUTTER_MARKERS, record_health
from storage.models import Article
from storage.reader import (
    choices,
    copies,
    diff_texts,
    latest_day,
    make_read_only,
    site_days,
    version_changes,
)

CST = timezone(timedelta(hours=8))


def record(url: str, body: str, **fields: object) -> ArticleRecord:
    return ArticleRecord(canonical_url=url, text=body, extractor_version="test", **fields)  # type: ignore[arg-type]


def fill_health(archive: Archive) -> None:
    """qilu: a good day (7 Jan, Beijing time) and a broken one (9 Jan); netease: one article."""
    with archive.transaction() as session:
        qilu = ensure_site(session, "qilu")
        netease = ensure_site(session, "netease")
        good = datetime(2026, 1, 7, 9, 0, tzinfo=CST)
        for n, length in enumerate([100, 300, 200, 400]):  # median 250
            store_article(
                session,
                record(
                    f"https://q/{n}",
                    f"{n}" + "好" * (length - 1),
                    published=good,
                    authors=("王明",),
                ),
                site_id=qilu,
            )
        # 7:30 on the 10th in Beijing is still the 9th in UTC.
        broken = datetime(2026, 1, 10, 7, 30, tzinfo=CST)
        store_article(
            session,
            record("https://q/b1", "短文。\n特别声明：以上内容不代表本站观点。", published=broken),
            site_id=qilu,
        )
        store_article(
            session, record("https://q/b2", "另一篇短文。\n- END -", published=broken), site_id=qilu
        )
        store_article(
            session,
            record("https://n/1", "网易的文章。", published=good, authors=("李华",)),
            site_id=netease,
        )
        undated = store_article(
            session, record("https://q/undated", "没有日期的文章。"), site_id=qilu
        )
        session.execute(
            update(Article)
            .where(Article.id == undated.article_id)
            .values(first_seen=datetime(2026, 1, 9, 12, 0, tzinfo=UTC))
        )
        # Written behind the archive's back: its derived health row is refreshed by hand.
        record_health(session, undated.article_id, "没有日期的文章。")


def test_site_days_count_articles_and_measure_extraction_health(archive: Archive) -> None:
    fill_health(archive)
    with archive.session() as session:
        assert latest_day(session) == date(2026, 1, 9)
        rows = {(r.site, r.day.isoformat()): r for r in site_days(session)}
    assert set(rows) == {("qilu", "2026-01-07"), ("qilu", "2026-01-09"), ("netease", "2026-01-07")}
    good = rows["qilu", "2026-01-07"]
    assert (good.articles, good.median_length, good.no_date, good.no_author, good.clutter) == (
        4, 250.0, 0, 0, 0,
    )  # fmt: skip
    broken = rows["qilu", "2026-01-09"]
    # Two dated articles without authors, both with clutter; the undated one counts on the day
    # it was first archived.
    assert (broken.articles, broken.no_date, broken.no_author, broken.clutter) == (3, 1, 3, 2)
    assert broken.median_length == len("另一篇短文。\n- END -")
    assert broken.as_dict()["no_author_share"] == 1.0
    assert broken.as_dict()["no_date_share"] == round(1 / 3, 4)
    assert rows["netease", "2026-01-07"].median_length == len("网易的文章。")


def test_site_days_window_and_site_filter(archive: Archive) -> None:
    fill_health(archive)
    with archive.session() as session:
        assert {r.day for r in site_days(session, days=1)} == {date(2026, 1, 9)}
        only = site_days(session, since=date(2026, 1, 1), until=date(2026, 1, 8), site="qilu")
        assert [(r.site, r.day) for r in only] == [("qilu", date(2026, 1, 7))]
        assert site_days(session, since=date(2025, 1, 1), until=date(2025, 1, 2)) == []


def test_site_days_of_an_empty_archive(archive: Archive) -> None:
    with archive.session() as session:
        assert latest_day(session) is None
        assert site_days(session) == []


def test_choices_list_sites_and_languages(archive: Archive) -> None:
    with archive.transaction() as session:
        store_article(
            session,
            record("https://a/1", "一", language="zh-cn"),
            site_id=ensure_site(session, "qilu"),
        )
        store_article(
            session,
            record("https://a/2", "two", language="en"),
            site_id=ensure_site(session, "county"),
        )
        store_article(session, record("https://a/3", "三"), site_id=ensure_site(session, "county"))
        ensure_site(session, "empty")
    with archive.session() as session:
        assert choices(session) == (["county", "empty", "qilu"], ["en", "zh-cn"])


def test_every_clutter_marker_is_counted(archive: Archive) -> None:
    with archive.transaction() as session:
        site = ensure_site(session, "s")
        for n, marker in enumerate(CLUTTER_MARKERS):
            store_article(
                session,
                record(
                    f"https://s/{n}",
                    f"正文{n}。\n{marker}",
                    published=datetime(2026, 1, 1, tzinfo=UTC),
                ),
                site_id=site,
            )
        store_article(
            session,
            record("https://s/100%", "100% clean_text", published=datetime(2026, 1, 1, tzinfo=UTC)),
            site_id=site,
        )
    with archive.session() as session:
        (row,) = site_days(session)
    assert (row.articles, row.clutter) == (len(CLUTTER_MARKERS) + 1, len(CLUTTER_MARKERS))


def test_copies_name_the_original_its_copies_and_fellow_copies(archive: Archive) -> None:
    story = "县域义务教育优质均衡发展，新增学位三千个。"
    with archive.transaction() as session:
        ids = [
            store_article(
                session, record(f"https://{name}/1", story), site_id=ensure_site(session, name)
            ).article_id
            for name in ("qilu", "netease", "county")
        ]
        alone = store_article(
            session,
            record("https://county/2", "另一个故事。"),
            site_id=ensure_site(session, "county"),
        ).article_id
    original, first_copy, second_copy = ids
    with archive.session() as session:

        def related(article_id: int, **page: int) -> list[tuple[str, int]]:
            article = session.get(Article, article_id)
            assert article is not None
            return [(relation, other.id) for relation, other in copies(session, article, **page)]

        assert related(original) == [("copy", first_copy), ("copy", second_copy)]
        assert related(first_copy) == [("original", original), ("sibling", second_copy)]
        assert related(first_copy, limit=1, offset=1) == [("sibling", second_copy)]
        assert related(alone) == []


def test_version_changes_newest_first_with_diffs(archive: Archive) -> None:
    texts = [
        "第一段。\n第二段，原来的说法。\n第三段。",
        "第一段。\n第二段，更正后的说法。\n第三段。",
        "第一段。\n第三段。\n新增的结尾。",
    ]
    with archive.transaction() as session:
        site = ensure_site(session, "qilu")
        for n, body in enumerate(texts):
            stored = store_article(
                session, record("https://q/1", body, title=f"标题{n}"), site_id=site
            )
    with archive.session() as session:
        changes = version_changes(session, stored.article_id)
        assert [c.version.number for c in changes] == [3, 2, 1]
        assert [c.previous.number if c.previous else None for c in changes] == [2, 1, None]
        assert changes[2].diff == []
        kinds = [(line.kind, "".join(t for t, _ in line.pieces)) for line in changes[0].diff]
        assert ("removed", "第二段，更正后的说法。") in kinds and ("added", "新增的结尾。") in kinds
        page = version_changes(session, stored.article_id, limit=1, offset=1)
        assert [(c.version.number, c.previous.number if c.previous else None) for c in page] == [
            (2, 1)
        ]


def test_diff_marks_the_changed_characters_and_folds_unchanged_paragraphs() -> None:
    old = "\n".join(f"段落{n}。" for n in range(10))
    new = old.replace("段落5。", "段落五。")
    diff = diff_texts(old, new)
    assert [line.kind for line in diff] == ["gap", "same", "removed", "added", "same", "gap"]
    assert diff[0].pieces == (("4", False),) and diff[-1].pieces == (("3", False),)
    assert diff[2].pieces == (("段落", False), ("5", True), ("。", False))
    assert diff[3].pieces == (("段落", False), ("五", True), ("。", False))
    assert diff_texts("一样。", "一样。") == []


def test_a_read_only_engine_refuses_writes(archive: Archive) -> None:
    make_read_only(archive.engine)
    with archive.session() as session:
        assert session.execute(text("SELECT count(*) FROM articles")).scalar() == 0
    with pytest.raises(DBAPIError), archive.transaction() as session:
        ensure_site(session, "nope")


def test_migration_0005_derives_health_rows_of_existing_articles(archive: Archive) -> None:
    from alembic import command

    from storage.database import _alembic_config, upgrade

    fill_health(archive)
    with archive.session() as session:
        written = [r.as_dict() for r in site_days(session)]
    command.downgrade(_alembic_config(archive.engine), "0004")
    upgrade(archive.engine)
    with archive.session() as session:
        assert [r.as_dict() for r in site_days(session)] == written
