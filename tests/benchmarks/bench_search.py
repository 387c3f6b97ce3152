"""`make bench-search`: search latency on an archive of a million articles, SQLite and PostgreSQL.

Builds an archive of N articles (default 1,000,000) from the corpus's text: the ``body`` of every
zh and en page truth in ../shared/corpus/dev (read in place, never copied), cut into paragraphs
and recombined, 6-22 paragraphs per Chinese article and 5-15 per English one, over 20 sites (12
Chinese, 8 English) and three years of publish dates. Words keep the frequencies they have in
real news text: 教育 is in about a fifth of the Chinese articles, "education" in one English
article of a hundred.

The rows are exactly those ``storage.archive.store_article`` writes (an article, its first
version, its URL, its search-index entry from ``storage.search``), loaded in bulk: executemany
in large transactions on SQLite, COPY on PostgreSQL, secondary indexes built after loading. A
check stores the first articles through ``store_article`` into a scratch archive and compares
every row, so the bulk path cannot drift from the real one.

Then it times ``storage.queries.search`` (the function the CLI and the web reader call) for a
two-character word, a phrase and an English word, with and without filters, by relevance and
newest first, limit 20: p50 and p95 over 30 runs after a warm-up, against the targets p50 < 50
ms and p95 < 200 ms.

Usage: python tests/benchmarks/bench_search.py [--articles N] [--backend both|sqlite|postgresql]
[--runs 30] [--dir DIR] [--postgres URL] [--keep]. PostgreSQL is the server of
``ARCHIVE_TEST_POSTGRES_URL`` (else postgresql+psycopg://postgres@127.0.0.1:5432/postgres); a
database is created for the run and dropped after it, and the run skips PostgreSQL with the
reason when the server is unreachable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storage.archive import (  # noqa: E402
    ArticleRecord,
    ensure_site,
    normalize_text,
    store_article,
)
from storage.database import open_archive  # noqa: E402
from storage.models import Article, ArticleUrl, ArticleVersion  # noqa: E402
from storage.queries import search  # noqa: E402
from storage.search import (  # noqa: E402
    facets,
    fts5_expression,
    parse_query,
    pg_facets,
    segment,
    tokens,
    tsquery_expression,
    tsvector_of_tokens,
)
from storage.types import offset_minutes  # noqa: E402

DEV = REPO.parent / "shared" / "corpus" / "dev"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SITES = [f"zh-news-{i:02d}" for i in range(1, 13)] + [f"en-news-{i:02d}" for i in range(1, 9)]
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400
CST = timezone(timedelta(hours=8))
EXTRACTOR = "bench"
CHUNK = 5000
CHECKED = 60  # articles stored through store_article and compared row by row
QUERIES = ["教育", "高质量发展", "education"]
P50_TARGET, P95_TARGET = 50.0, 200.0


# --- the articles -------------------------------------------------------------------------


@dataclass
class Corpus:
    """Paragraphs per language, each with its tokens (tokens of a text joined by newlines are
    the tokens of its paragraphs, one after the other: ``check`` confirms it on real rows)."""

    paragraphs: dict[str, list[str]]
    tokens: dict[str, list[list[str]]]
    segmented: dict[str, list[str]]
    normalized: dict[str, list[str]]


_CORPUS: Corpus | None = None


def load_corpus(corpus: Path) -> Corpus:
    paragraphs: dict[str, list[str]] = {"zh": [], "en": []}
    for truth in sorted(corpus.glob("*/truth.json")):
        page = json.loads(truth.read_text(encoding="utf-8"))
        language = page.get("lang")
        if language in paragraphs and page.get("body"):
            found = [p.strip() for p in page["body"].split("\n")]
            paragraphs[language].extend(p for p in found if p)
    found_tokens = {k: [tokens(p) for p in v] for k, v in paragraphs.items()}
    normalized = {k: [normalize_text(p) for p in v] for k, v in paragraphs.items()}
    for value in (p for v in normalized.values() for p in v):
        # Then normalize_text of paragraphs joined by newlines is theirs joined by spaces.
        assert value and unicodedata.combining(value[0]) == 0, value
    return Corpus(
        paragraphs,
        found_tokens,
        {k: [" ".join(t) for t in v] for k, v in found_tokens.items()},
        normalized,
    )


def fast_content_hash(corpus: Corpus, site: int, picked: list[int]) -> str:
    """``content_hash`` of the article's text, from its paragraphs' normalized text."""
    normalized = corpus.normalized["zh" if site < 12 else "en"]
    joined = " ".join(normalized[p] for p in picked)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _title(paragraph: str, language: str) -> str:
    first = re.split(r"(?<=[。！？!?.])\s*", paragraph, maxsplit=1)[0]
    return first[:30] if language == "zh" else " ".join(first.split()[:14])


def article(corpus: Corpus, i: int) -> tuple[ArticleRecord, int, list[int]]:
    """Article ``i`` (0-based, deterministic): its record, site index and paragraph indexes."""
    rng = random.Random(i)
    site = i % len(SITES)
    language = "zh" if site < 12 else "en"
    pool = corpus.paragraphs[language]
    count = rng.randint(6, 22) if language == "zh" else rng.randint(5, 15)
    picked = [rng.randrange(len(pool)) for _ in range(count)]
    published: datetime | None = None
    if rng.random() >= 0.01:  # one article in a hundred has no date
        moment = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        published = moment.astimezone(CST) if language == "zh" else moment
    url = f"https://www.{SITES[site]}.example/news/{i + 1}.html"
    record = ArticleRecord(
        canonical_url=url,
        text="\n".join(pool[p] for p in picked),
        extractor_version=EXTRACTOR,
        title=_title(pool[picked[0]], language),
        published=published,
        language="zh-cn" if language == "zh" else "en",
    )
    return record, site, picked


def rows(start: int, stop: int, backend: str, sites: list[int]) -> list[tuple[Any, ...]]:
    """Rows of articles ``start``..``stop``: (article, version, url, search entry) values."""
    assert _CORPUS is not None
    out = []
    for i in range(start, stop):
        record, site, picked = article(_CORPUS, i)
        language = "zh" if site < 12 else "en"
        body = [t for p in picked for t in _CORPUS.tokens[language][p]]
        title = tokens(record.title or "")
        found = facets(sites[site], record.language, record.published)
        entry = (
            (" ".join(title), " ".join(body), " ".join(found))
            if backend == "sqlite"
            else (tsvector_of_tokens(title, body) + " " + pg_facets(found),)
        )
        out.append((i + 1, site, record, fast_content_hash(_CORPUS, site, picked), entry))
    return out


def _init_worker(corpus: Path) -> None:
    global _CORPUS
    _CORPUS = load_corpus(corpus)


def generate(
    corpus: Path, n: int, backend: str, sites: list[int]
) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of rows, made by two processes while this one writes."""
    chunks = [(s, min(s + CHUNK, n), backend, sites) for s in range(0, n, CHUNK)]
    with ProcessPoolExecutor(2, initializer=_init_worker, initargs=(corpus,)) as pool:
        yield from pool.map(_rows_star, chunks, chunksize=1)


def _rows_star(args: tuple[int, int, str, list[int]]) -> list[tuple[Any, ...]]:
    return rows(*args)


def values(
    record: ArticleRecord, article_id: int, site_id: int, digest: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The article, version and URL rows ``store_article`` writes for a new article."""
    article_row = {
        "id": article_id,
        "site_id": site_id,
        "canonical_url": record.canonical_url,
        "title": record.title,
        "original_title": None,
        "description": None,
        "authors": [],
        "correspondents": [],
        "editor": None,
        "source": None,
        "published_at": record.published,
        "published_offset": offset_minutes(record.published),
        "modified_at": None,
        "modified_offset": None,
        "language": record.language,
        "text": record.text,
        "content_hash": digest,
        "images": [],
        "tags": [],
        "first_seen": now,
        "last_fetched": now,
        "last_changed": now,
        "version_count": 1,
        "extractor_version": record.extractor_version,
        "capture_id": None,
        "etag": None,
        "http_last_modified": None,
        "duplicate_of_id": None,
    }
    version = {
        "id": article_id,
        "article_id": article_id,
        "number": 1,
        "content_hash": digest,
        "title": record.title,
        "text": record.text,
        "metadata": record.metadata(),
        "extractor_version": record.extractor_version,
        "capture_id": None,
        "created_at": now,
    }
    url = {
        "id": article_id,
        "article_id": article_id,
        "url": record.canonical_url,
        "first_seen": now,
    }
    return article_row, version, url


# --- building -----------------------------------------------------------------------------

TABLES = [Article.__table__, ArticleVersion.__table__, ArticleUrl.__table__]


@dataclass
class Built:
    url: str
    seconds: float
    size: int
    cleanup: Callable[[], None]


def site_ids(url: str) -> list[int]:
    archive = open_archive(url)
    with archive.transaction() as session:
        ids = [ensure_site(session, name) for name in SITES]
    archive.close()
    return ids


def build_sqlite(path: Path, corpus: Path, n: int) -> Built:
    """Articles, versions and URLs are written here while another process builds the search
    index in a file of its own; its FTS5 tables are then copied in (FTS5 insertion is the
    slowest part, and this way it has a core to itself)."""
    started = time.perf_counter()
    url = f"sqlite:///{path}"
    sites = site_ids(url)
    db = sqlite3.connect(path, isolation_level=None)
    create_fts = db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'article_search'"
    ).fetchone()[0]
    fts_path = path.with_name("search-index.db")
    indexer = multiprocessing.get_context("fork").Process(
        target=_build_fts, args=(fts_path, create_fts, corpus, n, sites)
    )
    indexer.start()
    dialect = sqlite_dialect.dialect()
    processors = [
        [(c.name, c.type._cached_bind_processor(dialect)) for c in table.columns]  # type: ignore[attr-defined]
        for table in TABLES
    ]
    inserts = [
        f"INSERT INTO {t.name} ({', '.join(c.name for c in t.columns)}) "
        f"VALUES ({', '.join('?' for _ in t.columns)})"
        for t in TABLES
    ]
    _pragmas_for_loading(db)
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('articles', 'article_versions', 'article_urls')"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    data = load_corpus(corpus)
    seen: dict[str, int] = {}
    now = datetime.now(UTC)
    db.execute("BEGIN")
    for start in range(0, n, CHUNK):
        batches: list[list[tuple[Any, ...]]] = [[], [], []]
        for i in range(start, min(start + CHUNK, n)):
            record, site, picked = article(data, i)
            digest = fast_content_hash(data, site, picked)
            made = values(record, i + 1, sites[site], digest, now)
            original = seen.setdefault(digest, i + 1)
            made[0]["duplicate_of_id"] = None if original == i + 1 else original
            for k, row in enumerate(made):
                batches[k].append(
                    tuple(
                        p(row[c]) if p and row[c] is not None else row[c] for c, p in processors[k]
                    )
                )
        for sql, batch in zip(inserts, batches, strict=True):
            db.executemany(sql, batch)
        if (start + CHUNK) % 100_000 == 0:
            db.execute("COMMIT")
            progress("sqlite", start + CHUNK, n, started)
            db.execute("BEGIN")
    db.execute("COMMIT")
    for _, sql in indexes:
        db.execute(sql)
    indexer.join()
    if indexer.exitcode != 0:
        raise SystemExit("bench-search: building the SQLite search index failed")
    db.execute("ATTACH DATABASE ? AS built", (str(fts_path),))
    db.execute("BEGIN")
    for shadow in ("data", "idx", "content", "docsize", "config"):
        db.execute(f"DELETE FROM main.article_search_{shadow}")
        db.execute(
            f"INSERT INTO main.article_search_{shadow} SELECT * FROM built.article_search_{shadow}"
        )
    db.execute("COMMIT")
    db.execute("DETACH DATABASE built")
    fts_path.unlink()
    if n <= 100_000:
        db.execute("INSERT INTO article_search (article_search) VALUES ('integrity-check')")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    print(file=sys.stderr)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return Built(url, time.perf_counter() - started, size, lambda: None)


def _pragmas_for_loading(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")


def _build_fts(path: Path, create: str, corpus: Path, n: int, sites: list[int]) -> None:
    data = load_corpus(corpus)
    db = sqlite3.connect(path, isolation_level=None)
    _pragmas_for_loading(db)
    db.execute(create)
    # FTS5 flushes its in-memory index every 1 MB by default; 64 MB halves the load time. The
    # setting is removed afterwards, so the archive is configured as any other.
    db.execute("INSERT INTO article_search (article_search, rank) VALUES ('hashsize', 67108864)")
    db.execute("BEGIN")
    for start in range(0, n, CHUNK):
        batch = []
        for i in range(start, min(start + CHUNK, n)):
            record, site, picked = article(data, i)
            language = "zh" if site < 12 else "en"
            body = " ".join(filter(None, (data.segmented[language][p] for p in picked)))
            found = facets(sites[site], record.language, record.published)
            batch.append((i + 1, segment(record.title or ""), body, " ".join(found)))
        db.executemany(
            "INSERT INTO article_search (rowid, title, body, facets) VALUES (?, ?, ?, ?)", batch
        )
        if (start + CHUNK) % 100_000 == 0:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    db.execute("DELETE FROM article_search_config WHERE k = 'hashsize'")
    db.close()


def postgres_database(server: str) -> tuple[str, Callable[[], None]] | str:
    """A new database on ``server`` and its dropper, or why there is none."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"newsarchive_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        return str(exc).strip().splitlines()[0]

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def build_postgres(url: str, drop: Callable[[], None], corpus: Path, n: int) -> Built:
    import psycopg

    started = time.perf_counter()
    sites = site_ids(url)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as db:
        tables = "('articles', 'article_versions', 'article_urls', 'article_search')"
        foreign = db.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            f"FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN {tables}"
        ).fetchall()
        indexes = db.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            f"AND i.tablename IN {tables} AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        ).fetchall()
        for table, name, _ in foreign:
            db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        seen: dict[str, int] = {}
        now = datetime.now(UTC)
        columns = [[c.name for c in t.columns] for t in TABLES]
        json_columns = {"authors", "correspondents", "images", "tags", "metadata"}
        copies = [
            f"COPY {t.name} ({', '.join(cols)}) FROM STDIN"
            for t, cols in zip(TABLES, columns, strict=True)
        ]
        done = 0
        for chunk in generate(corpus, n, "postgresql", sites):
            batches: list[list[tuple[Any, ...]]] = [[], [], []]
            search_rows = []
            for article_id, site, record, digest, entry in chunk:
                made = values(record, article_id, sites[site], digest, now)
                original = seen.setdefault(digest, article_id)
                made[0]["duplicate_of_id"] = None if original == article_id else original
                for k, row in enumerate(made):
                    batches[k].append(
                        tuple(
                            json.dumps(row[c]) if c in json_columns else row[c] for c in columns[k]
                        )
                    )
                search_rows.append((article_id, entry[0]))
            with db.transaction(), db.cursor() as cursor:
                for sql, batch in zip(copies, batches, strict=True):
                    with cursor.copy(sql) as copy:
                        for row in batch:
                            copy.write_row(row)
                with cursor.copy("COPY article_search (article_id, document) FROM STDIN") as copy:
                    for row in search_rows:
                        copy.write_row(row)
            done = chunk[-1][0]
            if done % 100_000 < CHUNK:
                progress("postgresql", done, n, started)
        print(file=sys.stderr)
        db.execute("SET maintenance_work_mem = '2GB'")
        db.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in indexes:
            step = time.perf_counter()
            db.execute(definition)
            print(f"  index {name}: {time.perf_counter() - step:.0f} s", file=sys.stderr)
        for table, name, definition in foreign:
            db.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in ("articles", "article_versions", "article_urls"):
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        db.execute("VACUUM ANALYZE")  # what autovacuum does to a freshly loaded table
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return Built(url, time.perf_counter() - started, size, drop)


def progress(backend: str, done: int, n: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(f"\r  {backend}: {done:,}/{n:,} articles, {elapsed:.0f} s", end="", file=sys.stderr)


# --- the check ----------------------------------------------------------------------------

VOLATILE = {"first_seen", "last_fetched", "last_changed", "created_at"}


def snapshot(url: str, count: int) -> dict[str, list[tuple[Any, ...]]]:
    """The first ``count`` rows of each table written per article, build times left out."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as connection:
        for table in TABLES:
            cols = [c for c in table.columns if c.name not in VOLATILE]
            query = table.select().with_only_columns(*cols).where(table.c.id <= count)
            out[table.name] = [tuple(r) for r in connection.execute(query.order_by(table.c.id))]
        if engine.dialect.name == "sqlite":
            search_sql = (
                "SELECT rowid, title, body, facets FROM article_search WHERE rowid <= :n "
                "ORDER BY rowid"
            )
        else:
            search_sql = (
                "SELECT article_id, document::text FROM article_search "
                "WHERE article_id <= :n ORDER BY article_id"
            )
        out["article_search"] = [
            tuple(r) for r in connection.execute(text(search_sql), {"n": count})
        ]
    engine.dispose()
    return out


def check(built_url: str, reference_url: str, corpus: Path) -> None:
    """Store the first articles through ``store_article`` and compare with the bulk rows."""
    data = load_corpus(corpus)
    sites = site_ids(reference_url)
    archive = open_archive(reference_url, warc_dir=Path(tempfile.gettempdir()) / "unused-warc")
    with archive.transaction() as session:
        for i in range(CHECKED):
            record, site, _ = article(data, i)
            store_article(session, record, site_id=sites[site])
    archive.close()
    expected, got = snapshot(reference_url, CHECKED), snapshot(built_url, CHECKED)
    for table, want in expected.items():
        if got[table] != want:
            bad = next(k for k, (a, b) in enumerate(zip(got[table], want, strict=False)) if a != b)
            raise SystemExit(
                f"bench-search: bulk rows differ from store_article in {table}, row {bad + 1}"
            )


# --- measuring ----------------------------------------------------------------------------


def cases(sites: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    since, until = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    zh_site, en_site = sites[0], sites[12]
    out = []
    for query in QUERIES:
        site = en_site if query.isascii() else zh_site
        language = "en" if query.isascii() else "zh"
        for label, filters in [
            ("-", {}),
            (f"site={site}", {"site": site}),
            (f"lang={language}", {"language": language}),
            ("2025-01..06", {"since": since, "until": until}),
            (
                "site+lang+dates",
                {"site": site, "language": language, "since": since, "until": until},
            ),
        ]:
            out.append((query, label, filters))
    return out


def measure(url: str, runs: int, budget: float) -> list[tuple[Any, ...]]:
    archive = open_archive(url, create=False)
    results = []
    for query, label, filters in cases(SITES):
        for sort in ("relevance", "newest"):

            def once(
                query: str = query, sort: str = sort, filters: dict[str, Any] = filters
            ) -> tuple[float, int]:
                started = time.perf_counter()
                with archive.session() as session:
                    hits = search(session, query, sort=sort, limit=20, **filters)  # type: ignore[arg-type]
                return 1000 * (time.perf_counter() - started), len(hits)

            once()  # warm-up
            timings: list[float] = []
            deadline = time.perf_counter() + budget
            while len(timings) < runs and (len(timings) < 3 or time.perf_counter() < deadline):
                elapsed, count = once()
                timings.append(elapsed)
            timings.sort()
            p50 = statistics.median(timings)
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            results.append((query, label, sort, count, len(timings), p50, p95))
            print(f"  {query} {label} {sort}: p50 {p50:.1f} ms", file=sys.stderr)
    archive.close()
    return results


def match_counts(url: str) -> dict[str, int]:
    """How many articles each query matches, unfiltered."""
    engine = create_engine(url)
    out = {}
    with engine.connect() as connection:
        for query in QUERIES:
            terms = parse_query(query)
            if engine.dialect.name == "sqlite":
                sql = "SELECT count(*) FROM article_search WHERE article_search MATCH :q"
                expression = fts5_expression(terms)
            else:
                sql = "SELECT count(*) FROM article_search WHERE document @@ CAST(:q AS tsquery)"
                expression = tsquery_expression(terms)
            out[query] = connection.execute(text(sql), {"q": expression}).scalar_one()
    engine.dispose()
    return out


def report(
    backend: str, n: int, built: Built, results: list[tuple[Any, ...]], counts: dict[str, int]
) -> None:
    print(
        f"\n{backend}: {n:,} articles, built in {built.seconds:.0f} s, {built.size / 2**30:.2f} GiB"
    )
    print("matches: " + ", ".join(f"{q} {c:,}" for q, c in counts.items()))
    print(
        f"| backend | query | filters | sort | hits | runs | p50 ms | p95 ms | target (p50<{P50_TARGET:.0f}, p95<{P95_TARGET:.0f}) |"
    )
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |")
    for query, label, sort, hits, count, p50, p95 in results:
        ok = p50 < P50_TARGET and p95 < P95_TARGET
        print(
            f"| {backend} | {query} | {label} | {sort} | {hits} | {count} | {p50:.1f} | {p95:.1f} "
            f"| {'meets' if ok else 'MISSES'} |"
        )
    met = sum(1 for r in results if r[5] < P50_TARGET and r[6] < P95_TARGET)
    print(f"{backend}: {met} of {len(results)} cases meet the targets")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per case at most")
    parser.add_argument(
        "--dir", type=Path, help="where the SQLite archive goes (default: a temp dir)"
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("ARCHIVE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--corpus", type=Path, default=DEV)
    parser.add_argument(
        "--keep", action="store_true", help="keep the archives for a look afterwards"
    )
    parser.add_argument("--sqlite-archive", type=Path, help="measure this archive, do not build")
    parser.add_argument("--postgres-archive", help="measure this archive, do not build")
    args = parser.parse_args(argv)
    if not any(args.corpus.glob("*/truth.json")):
        print(f"bench-search: no corpus at {args.corpus} (expected */truth.json)")
        return 1
    n = args.articles
    reports = []
    for backend, given in (("sqlite", args.sqlite_archive), ("postgresql", args.postgres_archive)):
        if given:
            url = f"sqlite:///{given}" if backend == "sqlite" else given
            built = Built(url, 0.0, 0, lambda: None)
            report(backend, n, built, measure(url, args.runs, args.budget), match_counts(url))
    if args.sqlite_archive or args.postgres_archive:
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.dir))
    try:
        if args.backend in ("both", "sqlite"):
            print(f"sqlite: building {n:,} articles in {work}", file=sys.stderr)
            built = build_sqlite(work / "archive.db", args.corpus, n)
            check(built.url, f"sqlite:///{work / 'reference.db'}", args.corpus)
            counts = match_counts(built.url)
            reports.append(("sqlite", built, measure(built.url, args.runs, args.budget), counts))
            report("sqlite", n, built, reports[-1][2], counts)
        if args.backend in ("both", "postgresql"):
            made = postgres_database(args.postgres)
            if isinstance(made, str):
                print(
                    f"\npostgresql: skipped, the server at {args.postgres} is unreachable: {made}"
                )
            else:
                url, drop = made
                reference = postgres_database(args.postgres)
                assert not isinstance(reference, str)
                try:
                    print(f"postgresql: building {n:,} articles", file=sys.stderr)
                    built = build_postgres(url, drop, args.corpus, n)
                    check(built.url, reference[0], args.corpus)
                    counts = match_counts(built.url)
                    reports.append(
                        ("postgresql", built, measure(built.url, args.runs, args.budget), counts)
                    )
                    report("postgresql", n, built, reports[-1][2], counts)
                finally:
                    reference[1]()
                    if args.keep:
                        print(f"kept: {url}")
                    else:
                        drop()
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if len(reports) > 1:
        print("\nall backends:")
        for backend, built, results, counts in reports:
            report(backend, n, built, results, counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
