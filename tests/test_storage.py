"""The storage layer on a real database: SQLite, and PostgreSQL where configured."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.archive import (
    ArticleRecord,
    FetchedPage,
    Outcome,
    content_hash,
    ensure_site,
    finish_run,
    record_capture,
    record_failure,
    start_run,
    store_article,
)
from storage.database import (
    SCHEMA_REVISION,
    Archive,
    ArchiveError,
    current_revision,
    head_revision,
    open_archive,
)
from storage.models import Article, ArticleVersion, Capture, CrawlRun
from storage.queries import article_record, get_article, search, stats
from storage.search import QueryError, parse_query, segment, tokens

CST = timezone(timedelta(hours=8))


def record(url: str, text: str, **fields: object) -> ArticleRecord:
    return ArticleRecord(canonical_url=url, text=text, extractor_version="test", **fields)  # type: ignore[arg-type]


def fill(archive: Archive) -> dict[str, int]:
    """Three articles on two sites, in two languages."""
    ids = {}
    with archive.transaction() as session:
        qilu = ensure_site(session, "qilu")
        en = ensure_site(session, "english")
        ids["huaiyin"] = store_article(
            session,
            record(
                "https://www.ql1d.com/general/1.html",
                "槐荫区义务教育优质均衡发展，新增学位3.6万余个。\n教师交流轮岗比例达32%。",
                title="济南槐荫：深耕优质均衡发展",
                published=datetime(2026, 1, 7, 15, 34, tzinfo=CST),
                language="zh-cn",
                authors=("王贝艺",),
            ),
            site_id=qilu,
        ).article_id
        ids["garlic"] = store_article(
            session,
            record(
                "https://www.ql1d.com/general/2.html",
                "金乡大蒜出口量创新高，冷库储量达到两百万吨。",
                title="金乡大蒜出口创新高",
                published=datetime(2026, 1, 9, 8, 0, tzinfo=CST),
                language="zh-cn",
            ),
            site_id=qilu,
        ).article_id
        ids["english"] = store_article(
            session,
            record(
                "https://en.example.com/2026/01/schools.html",
                "Compulsory education in Leling reached balanced development.",
                title="Leling schools recognised",
                published=datetime(2026, 1, 8, 10, 0, tzinfo=UTC),
                language="en",
            ),
            site_id=en,
        ).article_id
    return ids


def test_new_archive_is_created_at_the_latest_revision(archive: Archive) -> None:
    assert current_revision(archive.engine) == head_revision() == SCHEMA_REVISION


def test_reopening_an_archive_keeps_its_contents(archive_url: str, tmp_path: Path) -> None:
    first = open_archive(archive_url, warc_dir=tmp_path / "w")
    fill(first)
    first.close()
    again = open_archive(archive_url, warc_dir=tmp_path / "w")
    with again.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
    again.close()


def test_an_old_schema_is_not_upgraded_behind_the_users_back(
    sqlite_url: str, tmp_path: Path
) -> None:
    archive = open_archive(sqlite_url, warc_dir=tmp_path / "w")
    with archive.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    archive.close()
    with pytest.raises(ArchiveError, match="newsarchive db upgrade"):
        open_archive(sqlite_url)


def test_unreachable_and_malformed_urls_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not a database URL"):
        open_archive("not a url")
    with pytest.raises(ArchiveError, match="unknown database type 'nonsense'"):
        open_archive("nonsense://")
    with pytest.raises(ArchiveError, match="no such directory"):
        open_archive(f"sqlite:///{tmp_path}/missing/archive.db")
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        open_archive("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_storing_is_idempotent_and_versions_only_on_text_change(archive: Archive) -> None:
    text = "第一段。\n第二段。"
    with archive.transaction() as session:
        site = ensure_site(session, "demo")
        first = store_article(session, record("https://a/1", text, title="T"), site_id=site)
        again = store_article(session, record("https://a/1", text, title="T"), site_id=site)
        spaced = store_article(
            session, record("https://a/1", "第一段。  \n\n第二段。 ", title="T"), site_id=site
        )
        changed = store_article(
            session, record("https://a/1", text + "\n更正：第三段。", title="T2"), site_id=site
        )
    assert (first.outcome, again.outcome, spaced.outcome, changed.outcome) == (
        Outcome.NEW, Outcome.UNCHANGED, Outcome.UNCHANGED, Outcome.CHANGED,
    )  # fmt: skip
    assert first.article_id == changed.article_id
    with archive.session() as session:
        article = session.get(Article, first.article_id)
        assert article is not None
        assert (article.version_count, article.title) == (2, "T2")
        versions = session.scalars(select(ArticleVersion).order_by(ArticleVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].text == text and "第三段" in versions[1].text
        assert versions[1].content_hash == content_hash(text + "\n更正：第三段。")


def test_the_publishers_offset_survives_storage(archive: Archive) -> None:
    ids = fill(archive)
    with archive.session() as session:
        shown = article_record(session.get(Article, ids["huaiyin"]))  # type: ignore[arg-type]
    assert shown["published"] == "2026-01-07T15:34:00+08:00"
    assert shown["authors"] == ["王贝艺"]


def test_article_found_by_any_url_it_was_seen_under(archive: Archive) -> None:
    with archive.transaction() as session:
        site = ensure_site(session, "demo")
        stored = store_article(
            session,
            record("https://a/2", "正文", seen_urls=("https://m.a/2?f=post2020", "https://a/2")),
            site_id=site,
        )
    with archive.session() as session:
        assert get_article(session, "https://m.a/2?f=post2020").id == stored.article_id  # type: ignore[union-attr]
        assert get_article(session, str(stored.article_id)).id == stored.article_id  # type: ignore[union-attr]
        assert get_article(session, "https://nowhere/") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("教育", {"huaiyin"}),  # two characters: below the trigram tokenizer's reach
        ("学位", {"huaiyin"}),
        ("优质均衡", {"huaiyin"}),  # a phrase of bigrams
        ("教", {"huaiyin"}),  # one character
        ("大蒜", {"garlic"}),
        ("education", {"english"}),
        ("EDUCATION", {"english"}),
        ('"balanced development"', {"english"}),
        ('"development balanced"', set()),
        ("教育 大蒜", set()),  # every term must match
        ("金乡 出口", {"garlic"}),
    ],
)
def test_search_finds_chinese_and_english_words(
    archive: Archive, query: str, expected: set[str]
) -> None:
    ids = fill(archive)
    names = {v: k for k, v in ids.items()}
    with archive.session() as session:
        found = {names[hit.article.id] for hit in search(session, query)}
    assert found == expected


def test_search_filters_and_orders(archive: Archive) -> None:
    ids = fill(archive)
    with archive.session() as session:

        def found(query: str, **filters: object) -> list[int]:
            return [h.article.id for h in search(session, query, **filters)]  # type: ignore[arg-type]

        assert found("优质", language="zh") == [ids["huaiyin"]]
        assert found("优质", language="en") == []
        assert found("education", site="english") == [ids["english"]]
        assert found("education", site="qilu") == []
        since = datetime(2026, 1, 8, tzinfo=UTC)
        assert found("金乡", since=since) == [ids["garlic"]]
        assert found("教育", since=since) == []
        assert found("教育", until=since) == [ids["huaiyin"]]
        hits = search(session, "教育")
        assert "[教育]" in hits[0].snippet


def test_search_sorts_newest_first(archive: Archive) -> None:
    with archive.transaction() as session:
        site = ensure_site(session, "demo")
        for day in (3, 1, 2):
            store_article(
                session,
                record(
                    f"https://a/{day}",
                    f"教育新闻第{day}篇",
                    published=datetime(2026, 1, day, tzinfo=CST),
                ),
                site_id=site,
            )
    with archive.session() as session:
        hits = search(session, "教育", sort="newest")
    assert [h.article.canonical_url for h in hits] == ["https://a/3", "https://a/2", "https://a/1"]


@pytest.mark.parametrize("query", ['"unbalanced', "", "   ", "!!! ???", '""'])
def test_malformed_queries_are_clear_errors(archive: Archive, query: str) -> None:
    with archive.session() as session, pytest.raises(QueryError):
        search(session, query)


def test_search_syntax_cannot_be_injected(archive: Archive) -> None:
    fill(archive)
    with archive.session() as session:
        for query in [
            "NEAR(教育 学位)",
            "title:教育",
            "教育*",
            "教育) OR (1",
            "'; DROP TABLE articles; --",
        ]:
            search(session, query)  # no exception, no effect
        assert session.scalar(select(func.count()).select_from(Article)) == 3


def test_segmentation() -> None:
    assert tokens("优质均衡 Education，ＡＢＣ") == [
        "优质",
        "质均",
        "均衡",
        "衡",
        "education",
        "abc",
    ]
    assert segment("教育") == "教育 育"
    assert tokens("Brand™ Ⅻ") == ["brandtm", "xii"]
    # accents and tone marks go, precomposed or combining; other characters stay
    assert tokens("Tiếng Việt Café cafe\u0301 naïve Ἀθῆναι") == [
        "tieng", "viet", "cafe", "cafe", "naive", "αθηναι",
    ]  # fmt: skip
    # kana lose their voicing marks too (が -> か), in the index and in queries alike
    assert tokens("한국어 ひらがな") == ["한국어", "ひら", "らか", "かな", "な"]
    assert [t.tokens for t in parse_query('教育 "balanced development" 教')] == [
        ("教育",), ("balanced", "development"), ("教",),
    ]  # fmt: skip


def test_text_of_the_blocks_that_hold_no_marks_skips_the_search_for_them() -> None:
    import unicodedata

    from storage.search import _DROP_MARKS, _NO_MARKS, normalize

    for first, last in _NO_MARKS:
        marks = [c for c in range(first, last + 1) if unicodedata.category(chr(c)) == "Mn"]
        assert marks == [], f"U+{first:04X}-U+{last:04X} holds marks: {marks[:5]}"
    # The same folding either way, on text with and without marks.
    for value in ("优质均衡 Education，ＡＢＣ", "Café naïve", "がぎ ｶﾞ", "〪x", "Ἀθῆναι 教育"):
        decomposed = unicodedata.normalize("NFKD", value).casefold()
        slow = unicodedata.normalize("NFC", decomposed.translate(_DROP_MARKS))
        assert normalize(value) == slow


def test_captures_are_valid_warc_and_identical_payloads_become_revisits(
    archive: Archive, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    body = "<html><body><p>教育新闻</p></body></html>".encode("gbk")
    headers = [
        ("Content-Type", "text/html; charset=GBK"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", "9"),
    ]
    page = FetchedPage("https://a/gbk.html", 200, headers, body, now)
    with archive.transaction() as session:
        site = ensure_site(session, "demo")
        first = record_capture(session, archive.warc, page, site_id=site)
        second = record_capture(session, archive.warc, page, site_id=site)
        changed = FetchedPage("https://a/gbk.html", 200, headers, body + b"<!-- -->", now)
        third = record_capture(session, archive.warc, changed, site_id=site)
    assert [c.warc_record_type for c in (first, second, third)] == [
        "response",
        "revisit",
        "response",
    ]
    raw = archive.warc.read(first.warc_file, first.warc_offset)  # type: ignore[arg-type]
    assert raw.body == body and raw.status == 200
    assert ("Content-Type", "text/html; charset=GBK") in raw.headers
    archive.close()
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert files
    check = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_warc_files_rotate_by_size(tmp_path: Path) -> None:
    from storage.warc import WarcStore

    store = WarcStore(tmp_path, max_file_size=2000)
    now = datetime.now(UTC)
    locations = [
        store.write_response(f"https://a/{i}", 200, [], os.urandom(3000), now) for i in range(3)
    ]
    store.close()
    assert len({loc.filename for loc in locations}) == 3
    for i, loc in enumerate(locations):
        assert WarcStore(tmp_path).read(loc.filename, loc.offset).url == f"https://a/{i}"


def test_crawl_runs_and_failures_are_recorded(archive: Archive) -> None:
    with archive.transaction() as session:
        site = ensure_site(session, "demo")
        run = start_run(session, "news", site_id=site)
        record_failure(
            session, "https://a/missing", "HTTP 404", status=404, site_id=site, run_id=run
        )
        finish_run(
            session, run, "finished", {"response_received_count": 7, "archive/article/new": 3}
        )
    with archive.session() as session:
        crawl = session.get(CrawlRun, run)
        assert crawl is not None
        assert (crawl.outcome, crawl.pages_fetched, crawl.new_articles, crawl.failures) == (
            "finished",
            7,
            3,
            1,
        )
        assert crawl.finished_at is not None
        failure = session.scalars(select(Capture).where(Capture.kind == "failure")).one()
        assert (failure.status, failure.error) == (404, "HTTP 404")
        report = stats(session)
    assert report["failures"] == 1 and report["crawl_runs"] == 1


def test_stats_counts_sites_and_languages(archive: Archive) -> None:
    fill(archive)
    with archive.session() as session:
        report = stats(session)
    assert report["articles"] == 3
    assert {s["site"]: s["articles"] for s in report["sites"]} == {"qilu": 2, "english": 1}
    assert {lang["language"]: lang["articles"] for lang in report["languages"]} == {
        "zh-cn": 2,
        "en": 1,
    }


def test_migrations_create_exactly_the_models(archive: Archive) -> None:
    """Autogenerate finds nothing to do: the migrations and storage.models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    def include(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        return not (type_ == "table" and name is not None and name.startswith("article_search"))

    with archive.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []


def test_an_archive_at_an_older_revision_upgrades(sqlite_url: str, tmp_path: Path) -> None:
    from storage.database import create_archive_engine, upgrade

    engine = create_archive_engine(sqlite_url)
    upgrade(engine, "0001")
    engine.dispose()
    with pytest.raises(ArchiveError, match="db upgrade"):
        open_archive(sqlite_url)
    engine = create_archive_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    archive = open_archive(sqlite_url, warc_dir=tmp_path / "w")
    assert current_revision(archive.engine) == SCHEMA_REVISION
    fill(archive)
    archive.close()


def test_copies_on_other_sites_link_to_the_earliest(archive: Archive) -> None:
    from pipelines.dedup import band_keys
    from storage.duplicates import copies

    story = "".join(
        f"第{i}段：槐荫区推进义务教育优质均衡发展，新建改扩建学校{i}所，新增学位{i * 300}个，教师交流轮岗比例持续提高。"
        for i in range(1, 12)
    )
    syndicated = "齐鲁晚报·齐鲁壹点记者 王贝艺\n" + story + "\n（来源：齐鲁晚报）"
    other = "金乡县大蒜出口量创历史新高，冷库储量达到两百万吨，" * 20
    with archive.transaction() as session:
        first, second, third = (
            ensure_site(session, name) for name in ("qilu", "netease", "county")
        )
        original = store_article(
            session, record("https://qilu/1", story, band_keys=band_keys(story)), site_id=first
        )
        copy = store_article(
            session,
            record("https://163/1", syndicated, band_keys=band_keys(syndicated)),
            site_id=second,
        )
        exact = store_article(session, record("https://county/1", story), site_id=third)
        unrelated = store_article(
            session, record("https://county/2", other, band_keys=band_keys(other)), site_id=third
        )
    with archive.session() as session:
        links = {a.id: a.duplicate_of_id for a in session.scalars(select(Article))}
        assert links[copy.article_id] == original.article_id  # near-duplicate
        assert links[exact.article_id] == original.article_id  # same text, no keys needed
        assert links[original.article_id] is None and links[unrelated.article_id] is None
        assert [a.id for a in copies(session, original.article_id)] == [
            copy.article_id,
            exact.article_id,
        ]
        assert [a.id for a in copies(session, copy.article_id)] == [
            original.article_id,
            exact.article_id,
        ]
        assert copies(session, unrelated.article_id) == []


@pytest.mark.postgres
def test_crawlers_starting_together_create_one_schema(postgres_url: str) -> None:
    """Processes opening one empty PostgreSQL database at once: one creates, all open it."""
    code = (
        "import sys; from storage.database import open_archive; "
        "open_archive(sys.argv[1]).close(); print('ok')"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, postgres_url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in starts]
    assert outputs == ["ok"] * 4
    assert [p.returncode for p in starts] == [0] * 4


def _story(topic: str, paragraphs: int = 12) -> str:
    return "\n".join(
        f"Paragraph {i} on {topic}: the county council met on Tuesday and agreed a budget of "
        f"{i * 37} million for schools, roads and the new library by the river."
        for i in range(paragraphs)
    )


def _batch_scenario() -> tuple[
    list[tuple[str, str]], list[tuple[FetchedPage, ArticleRecord | None]]
]:
    """What is archived before the batch, then a batch with every case the bulk path handles."""
    from pipelines.dedup import band_keys
    from storage.warc import prepare_response

    now = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)

    def article(url: str, text: str, **fields: object) -> ArticleRecord:
        return record(url, text, band_keys=band_keys(text), language="en", title=url, **fields)  # type: ignore[arg-type]

    def page(url: str, body: bytes, kind: str = "article", **fields: object) -> FetchedPage:
        return FetchedPage(url, 200, [("Content-Type", "text/html")], body, now, kind, **fields)  # type: ignore[arg-type]

    a, b, c, f = _story("roads"), _story("budgets"), _story("floods"), _story("libraries")
    before = [("https://s/a", a), ("https://s/b", b), ("https://s/c", c)]
    listing = page("https://s/list", b"<html>list</html>", "listing")
    prepared = prepare_response("https://s/bad", 200, [("Content-Type", "text/html")], b"x", now)
    batch: list[tuple[FetchedPage, ArticleRecord | None]] = [
        (page("https://s/d", b"d"), article("https://s/d", "Breaking.\n" + a)),  # near A
        (page("https://s/e", b"e"), article("https://s/e", a)),  # same text as A
        (page("https://s/b", b"b2"), article("https://s/b", b + "\nCorrection.")),  # changed
        (page("https://s/f", b"f"), article("https://s/f", f, published=now)),
        (page("https://s/g", b"g"), article("https://s/g", f)),  # same text as F, in the batch
        (page("https://s/h", b"h"), article("https://s/h", "Update.\n" + f)),  # near F
        (page("https://s/c", b"c"), article("https://s/c", c)),  # unchanged, same body: revisit
        (
            page("https://s/i", b"i"),
            article("https://s/i", _story("trains"), seen_urls=("https://s/d", "https://s/i?x")),
        ),
        (page("https://s/d", b"d2"), article("https://s/d", "Later.\n" + a)),  # D again
        (listing, None),
        (page("https://s/bad", b"x", warc_record=prepared, error="no main text"), None),
        (listing, None),  # the same listing again: a revisit of the one in this batch
        (
            page("https://s/j", b"j"),
            article(
                "https://s/j", "short", text_hash=content_hash("short"), segmented_text="short"
            ),
        ),
    ]
    return before, batch


def _dump(archive: Archive) -> dict[str, list[tuple[object, ...]]]:
    """Every row the scenario writes, ids replaced by URLs and times left out."""
    from sqlalchemy import text

    from storage.models import ArticleBand, ArticleUrl

    with archive.session() as session:
        url_of = {a.id: a.canonical_url for a in session.scalars(select(Article))}
        captures = {c.id: c for c in session.scalars(select(Capture))}

        def capture(capture_id: int | None) -> object:
            found = captures.get(capture_id) if capture_id is not None else None
            return (found.url, found.payload_length) if found else None

        if session.get_bind().dialect.name == "sqlite":
            query = "SELECT rowid, title, body, facets FROM article_search"
        else:
            query = "SELECT article_id, CAST(document AS text) FROM article_search"
        return {
            "articles": sorted(
                (
                    a.canonical_url,
                    a.content_hash,
                    a.title,
                    a.text,
                    a.language,
                    a.published_at,
                    a.version_count,
                    capture(a.capture_id),
                    url_of.get(a.duplicate_of_id) if a.duplicate_of_id else None,
                )
                for a in session.scalars(select(Article))
            ),
            "versions": sorted(
                (
                    url_of[v.article_id],
                    v.number,
                    v.content_hash,
                    v.text,
                    str(v.metadata_),
                    capture(v.capture_id),
                )
                for v in session.scalars(select(ArticleVersion))
            ),
            "urls": sorted(
                (url_of[u.article_id], u.url) for u in session.scalars(select(ArticleUrl))
            ),
            "bands": sorted(
                (url_of[b.article_id], b.band, b.key) for b in session.scalars(select(ArticleBand))
            ),
            "health": sorted(
                (url_of[row.article_id], *(v for k, v in row._mapping.items() if k != "article_id"))
                for row in session.execute(text("SELECT * FROM article_health"))
            ),
            "search": sorted((url_of[row[0]], *row[1:]) for row in session.execute(text(query))),
            "captures": sorted(
                (
                    c.url,
                    c.kind,
                    c.status,
                    c.payload_length,
                    c.payload_digest,
                    c.warc_record_type,
                    c.error,
                    c.site_id is not None,
                )
                for c in captures.values()
            ),
        }


def _clear(archive: Archive) -> None:
    from sqlalchemy import text

    with archive.transaction() as session:
        tables = ("article_search", "article_health", "article_bands", "article_urls")
        for table in (*tables, "article_versions"):
            session.execute(text(f"DELETE FROM {table}"))
        session.execute(text("DELETE FROM articles"))
        session.execute(text("DELETE FROM captures"))


def test_a_batch_writes_the_rows_that_page_by_page_writes(archive: Archive) -> None:
    from pipelines.dedup import band_keys
    from storage.bulk import record_captures, store_articles

    before, batch = _batch_scenario()
    results = []
    for bulk in (False, True):
        _clear(archive)
        with archive.transaction() as session:
            site = ensure_site(session, "s")
            for url, text in before:
                body = url[-1].encode()  # the batch fetches C again with this body: a revisit
                page = FetchedPage(url, 200, [], body, datetime.now(UTC))
                capture = record_capture(session, archive.warc, page, site_id=site)
                article = record(url, text, band_keys=band_keys(text), language="en", title=url)
                store_article(session, article, site_id=site, capture_id=capture.id)
        with archive.transaction() as session:
            if bulk:
                rows = record_captures(
                    session, archive.warc, [p for p, _ in batch], site_ids=[site] * len(batch)
                )
                kinds = [row.record_type for row in rows]
                articles = [(rec, rows[k].id) for k, (_, rec) in enumerate(batch) if rec]
                stored = store_articles(
                    session,
                    [rec for rec, _ in articles],
                    site_ids=[site] * len(articles),
                    capture_ids=[capture_id for _, capture_id in articles],
                )
            else:
                kinds, stored = [], []
                for fetched, rec in batch:
                    capture = record_capture(session, archive.warc, fetched, site_id=site)
                    kinds.append(capture.warc_record_type)
                    if rec is not None:
                        stored.append(
                            store_article(session, rec, site_id=site, capture_id=capture.id)
                        )
        outcomes = [(s.outcome, s.version) for s in stored]
        results.append((kinds, outcomes, _dump(archive)))
    (kinds, outcomes, rows), bulk_result = results
    assert bulk_result == results[0]
    assert kinds.count("revisit") == 2
    assert outcomes[2] == (Outcome.CHANGED, 2) and outcomes[6] == (Outcome.UNCHANGED, 1)
    assert outcomes[8] == (Outcome.CHANGED, 2)
    links = {row[0]: row[-1] for row in rows["articles"]}
    assert links["https://s/e"] == links["https://s/d"] == "https://s/a"
    assert links["https://s/g"] == links["https://s/h"] == "https://s/f"
    assert ("https://s/d", "https://s/d") in rows["urls"]  # not taken over by I
    assert ("https://s/i", "https://s/i?x") in rows["urls"]


def test_a_batch_of_captures_whose_ids_sqlite_scattered_is_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A batch's capture ids on SQLite are worked out, not returned (``storage.bulk``): once
    the table's largest id is taken, SQLite picks ids at random, and the batch must fail (to be
    written page by page) rather than point rows at the wrong captures."""
    from storage.bulk import record_captures

    archive = open_archive(sqlite_url, warc_dir=tmp_path / "warc")
    pages = [
        FetchedPage(f"https://s/{n}", 200, [], b"body %d" % n, datetime.now(UTC)) for n in range(3)
    ]
    try:
        with archive.transaction() as session:
            session.add(Capture(id=2**63 - 1, url="https://s/last", kind="article"))
        with pytest.raises(RuntimeError, match="not consecutive"), archive.transaction() as session:
            record_captures(session, archive.warc, pages, site_ids=[None] * 3)
        for page in pages:  # one at a time, the id is the one SQLite gave
            with archive.transaction() as session:
                (row,) = record_captures(session, archive.warc, [page], site_ids=[None])
                assert session.get(Capture, row.id).url == page.url
    finally:
        archive.close()


def test_a_batch_larger_than_one_index_statement_is_found_whole(archive: Archive) -> None:
    """The search index takes a batch's entries a few hundred per statement, in a thread of
    its own (``storage.bulk``): every article of a larger batch is found, in either language."""
    from storage.bulk import store_articles
    from storage.search import _INDEX_ROWS

    count = _INDEX_ROWS + 7
    with archive.transaction() as session:
        site = ensure_site(session, "s")
        words = [
            f"Report number{n} about county{n % 3} roads. 第{n}号报告：乡村道路。"
            for n in range(count)
        ]
        stored = store_articles(
            session,
            [record(f"https://s/{n}", text, language="en") for n, text in enumerate(words)],
            site_ids=[site] * count,
            capture_ids=[None] * count,
        )
    assert len({result.article_id for result in stored}) == count
    with archive.session() as session:
        for n in (0, _INDEX_ROWS - 1, _INDEX_ROWS, count - 1):
            found = search(session, f"number{n}")
            assert [hit.article.canonical_url for hit in found] == [f"https://s/{n}"]
        assert len(search(session, "county2", limit=count)) == len(range(2, count, 3))
        assert len(search(session, "乡村道路", limit=count)) == count


def test_a_search_index_that_fails_fails_its_batch_and_keeps_nothing_of_it(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.bulk
    from storage.bulk import store_articles

    with archive.transaction() as session:
        site = ensure_site(session, "s")
        store_article(session, record("https://s/kept", "Kept before."), site_id=site)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the index is broken")

    monkeypatch.setattr(storage.bulk, "index_articles", broken)
    with pytest.raises(RuntimeError, match="the index is broken"), archive.transaction() as session:
        store_articles(
            session,
            [record(f"https://s/{n}", f"Lost text {n}.") for n in range(3)],
            site_ids=[site] * 3,
            capture_ids=[None] * 3,
        )
    monkeypatch.undo()
    with archive.session() as session:
        assert session.scalars(select(Article.canonical_url)).all() == ["https://s/kept"]
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1
        assert [hit.article.canonical_url for hit in search(session, "kept")] == ["https://s/kept"]
