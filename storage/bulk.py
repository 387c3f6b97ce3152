"""Writing a batch of pages at once: the same rows as ``storage.archive``, far fewer statements.

A crawl archives hundreds of pages per transaction (``storage.writer``). Written one by one, each
costs a dozen statements; here each table gets one multi-row statement per batch, and the
lookups that decide what to write (earlier captures of the same URLs, articles already archived,
copies to link to) are one query per batch each, against the archive as it was before the batch.
The batch's own earlier pages are accounted for in memory, so the outcome is the one that
storing the pages in order, one by one, would give: a new article, a new version or an
unchanged one, with its search entry and health row; a ``revisit`` for a payload identical to
the last capture of the URL; copies linked to the earliest article they repeat. An article
already archived (or seen twice in the batch) goes through ``storage.archive.store_article``
itself, in its place in the order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, func, select, text
from sqlalchemy.orm import Session

from storage.archive import (
    ArticleRecord,
    FetchedPage,
    Outcome,
    Stored,
    _article_values,
    _insert,
    content_hash,
    store_article,
    write_record,
)
from storage.duplicates import MIN_SHARED_BANDS
from storage.health import health_values, upsert_health
from storage.models import Article, ArticleBand, ArticleUrl, ArticleVersion, Capture
from storage.search import IndexEntry, facets, index_articles, segment
from storage.types import utcnow
from storage.warc import Revisit, WarcStore, payload_digest

T = TypeVar("T")
# Values bound in one IN (…) list: well below SQLite's and PostgreSQL's limits.
_CHUNK = 500
# Runs each batch's search-index statement beside the rest of the batch's work.
_BACKGROUND = ThreadPoolExecutor(thread_name_prefix="archive-index")


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@dataclass(frozen=True)
class CaptureRow:
    """A capture written by :func:`record_captures`."""

    id: int
    record_type: str


def record_captures(
    session: Session,
    warc: WarcStore,
    pages: Sequence[FetchedPage],
    *,
    site_ids: Sequence[int | None],
    run_id: int | None = None,
) -> list[CaptureRow]:
    """``record_capture`` for every page, in order: WARC records first, then the rows."""
    if not pages:
        return []
    urls = list(dict.fromkeys(page.url for page in pages))
    last: dict[str, tuple[str | None, datetime]] = {}
    for chunk in _chunks(urls):
        found = session.execute(
            select(Capture.url, Capture.payload_digest, Capture.fetched_at).where(
                Capture.url.in_(chunk), Capture.warc_record_type == "response"
            )
        )
        for url, digest, fetched_at in found:
            if url not in last or fetched_at > last[url][1]:
                last[url] = (digest, fetched_at)
    rows = []
    kinds = []
    for page, site_id in zip(pages, site_ids, strict=True):
        if page.warc_record is not None:
            digest = page.warc_record.payload_digest
        else:
            digest = payload_digest(page.body)
        previous = last.get(page.url)
        revisit = None
        if previous is not None and previous[0] == digest:
            revisit = Revisit(url=page.url, fetched_at=previous[1])
        where = write_record(warc, page, revisit)
        if where.record_type == "response" and (previous is None or page.fetched_at >= previous[1]):
            last[page.url] = (where.payload_digest, page.fetched_at)
        kinds.append(where.record_type)
        rows.append(
            {
                "url": page.url,
                "site_id": site_id,
                "crawl_run_id": run_id,
                "fetched_at": page.fetched_at,
                "kind": page.kind,
                "status": page.status,
                "content_type": page.content_type,
                "payload_length": len(page.body),
                "payload_digest": where.payload_digest,
                "warc_file": where.filename,
                "warc_offset": where.offset,
                "warc_length": where.length,
                "warc_record_type": where.record_type,
                "error": page.error[:2000] if page.error else None,
            }
        )
    ids = _insert_ids(session, _table(Capture), rows, check="url")
    return [CaptureRow(id, kind) for id, kind in zip(ids, kinds, strict=True)]


def _insert_ids(
    session: Session, table: Table, rows: list[dict[str, Any]], *, check: str
) -> list[int]:
    """Insert ``rows``; the ids they were given, in order.

    SQLite cannot tell which row of an ``INSERT … RETURNING`` belongs to which parameter set, so
    SQLAlchemy asked for ordered ids runs one statement per row there. Instead the rows are
    inserted one after another by one ``executemany``, holding the write lock: SQLite gives
    each new row the table's largest id plus one, so theirs are the ``len(rows)`` ids that end
    at ``last_insert_rowid()``. The first and last rows' ``check`` column is compared with what
    those ids hold all the same.
    """
    if session.get_bind().dialect.name != "sqlite":
        returning = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(returning, rows))
    _insert_rows(session, table.insert(), rows)
    last = session.scalars(select(func.last_insert_rowid())).one()
    ids = list(range(last - len(rows) + 1, last + 1))
    ends = {
        id: value
        for id, value in session.execute(
            select(table.c.id, table.c[check]).where(table.c.id.in_((ids[0], last)))
        )
    }
    if ends != {ids[0]: rows[0][check], last: rows[-1][check]}:
        raise RuntimeError(f"{table.name}: the ids of a batch's rows are not consecutive")
    return ids


def store_articles(
    session: Session,
    records: Sequence[ArticleRecord],
    *,
    site_ids: Sequence[int],
    capture_ids: Sequence[int | None],
) -> list[Stored]:
    """``store_article`` for every record, in order, with the same outcome."""
    archived: set[str] = set()
    urls = list(dict.fromkeys(record.canonical_url for record in records))
    for chunk in _chunks(urls):
        archived.update(
            session.scalars(select(Article.canonical_url).where(Article.canonical_url.in_(chunk)))
        )
    results: dict[int, Stored] = {}
    run: list[int] = []  # new articles in a row, each URL once: stored together
    run_urls: set[str] = set()

    def flush() -> None:
        if run:
            results.update(_store_new(session, records, site_ids, capture_ids, run))
            archived.update(run_urls)
            run.clear()
            run_urls.clear()

    for i, record in enumerate(records):
        url = record.canonical_url
        if url in run_urls:
            flush()
        if url in archived:
            flush()
            results[i] = store_article(
                session, record, site_id=site_ids[i], capture_id=capture_ids[i]
            )
        else:
            run.append(i)
            run_urls.add(url)
    flush()
    return [results[i] for i in range(len(records))]


def _store_new(
    session: Session,
    records: Sequence[ArticleRecord],
    site_ids: Sequence[int],
    capture_ids: Sequence[int | None],
    run: list[int],
) -> dict[int, Stored]:
    """Articles not archived yet, under distinct URLs, in order."""
    now = utcnow()
    digests = {i: records[i].text_hash or content_hash(records[i].text) for i in run}
    # Copies link to an archived article, set in the row, or to an earlier one of this run,
    # updated once its id is known (rewriting a row costs as much as writing it).
    archived, in_run = _Copies(session, [(digests[i], records[i].band_keys) for i in run]).resolve()
    table = _table(Article)
    rows = [
        {
            "site_id": site_ids[i],
            "canonical_url": records[i].canonical_url,
            "content_hash": digests[i],
            "first_seen": now,
            "last_fetched": now,
            "last_changed": now,
            "version_count": 1,
            "capture_id": capture_ids[i],
            "duplicate_of_id": original,
            **_article_values(records[i]),
        }
        for i, original in zip(run, archived, strict=True)
    ]
    if session.get_bind().dialect.name == "sqlite":
        # The batch holds SQLite's write lock since its first write, so no other writer can
        # have archived these URLs since they were looked up: a plain insert (and should one
        # conflict after all, the batch fails and is written page by page).
        ids_in_order = _insert_ids(session, table, rows, check="canonical_url")
        inserted = {row["canonical_url"]: id for row, id in zip(rows, ids_in_order, strict=True)}
    else:
        insert = _insert(session, table).on_conflict_do_nothing(index_elements=["canonical_url"])
        returned = session.execute(insert.returning(table.c.canonical_url, table.c.id), rows)
        inserted = {url: id for url, id in returned}
    results: dict[int, Stored] = {}
    stored: list[int] = []
    for i in run:
        if records[i].canonical_url in inserted:
            stored.append(i)
    ids = {i: inserted[records[i].canonical_url] for i in stored}
    entries = [
        IndexEntry(
            ids[i],
            segment(records[i].title or ""),
            _segmented(records[i]),
            facets(site_ids[i], records[i].language, records[i].published),
        )
        for i in stored
    ]
    # The search index is most of a batch's database time, spent in the driver with the GIL
    # released: it runs in a thread of its own while this one builds the other tables' rows,
    # and nothing else uses the session until it is done.
    connection = session.connection()
    url_insert = _insert(session, _table(ArticleUrl)).on_conflict_do_nothing(index_elements=["url"])
    indexing = _BACKGROUND.submit(index_articles, session, entries, new=True)
    try:
        versions = _prepare_insert(
            connection,
            _table(ArticleVersion).insert(),
            [
                {
                    "article_id": ids[i],
                    "number": 1,
                    "content_hash": digests[i],
                    "title": records[i].title,
                    "text": records[i].text,
                    "metadata": records[i].metadata(),
                    "extractor_version": records[i].extractor_version,
                    "capture_id": capture_ids[i],
                    "created_at": now,
                }
                for i in stored
            ],
        )
        url_rows = [
            {"article_id": ids[i], "url": url, "first_seen": now}
            for i in stored
            for url in sorted({records[i].canonical_url, *records[i].seen_urls})
        ]
        urls = _prepare_insert(connection, url_insert, url_rows)
        health = [
            health_values(
                ids[i],
                site_ids[i],
                records[i].published,
                now,
                list(records[i].authors),
                records[i].text,
            )
            for i in stored
        ]
        band_rows = [
            (ids[i], band, key) for i in stored for band, key in enumerate(records[i].band_keys)
        ]
    finally:
        indexing.result()
    versions()
    urls()
    for chunk in _chunks(health):
        upsert_health(session, list(chunk))
    _insert_plain(session, _table(ArticleBand), ("article_id", "band", "key"), band_rows)
    links = [
        {"row_id": ids[i], "original": ids[run[position]]}
        for i, position in zip(run, in_run, strict=True)
        if i in ids and position is not None and run[position] in ids
    ]
    if links:
        session.execute(
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values(duplicate_of_id=bindparam("original")),
            links,
        )
    for i in stored:
        results[i] = Stored(ids[i], Outcome.NEW, 1)
    for i in run:  # another writer archived the URL meanwhile: the one-by-one path
        if i not in ids:
            results[i] = store_article(
                session, records[i], site_id=site_ids[i], capture_id=capture_ids[i]
            )
    return results


def _insert_plain(
    session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """``INSERT`` rows of plain values (none that a column type converts) with one
    ``executemany`` of the driver: SQLAlchemy's processing of each row's parameters costs more
    than SQLite's insert of a narrow row."""
    if not rows:
        return
    connection = session.connection()
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=list(columns))
    if compiled.positional:
        assert compiled.positiontup is not None
        order = [columns.index(name) for name in compiled.positiontup]
        if order != list(range(len(columns))):
            rows = [tuple(row[i] for i in order) for row in rows]
        connection.exec_driver_sql(compiled.string, rows)
    else:
        connection.exec_driver_sql(
            compiled.string, [dict(zip(columns, row, strict=True)) for row in rows]
        )


def _insert_rows(session: Session, statement: Any, rows: list[dict[str, Any]]) -> None:
    """``session.execute(statement, rows)`` for an ``INSERT`` without ``RETURNING``.

    On SQLite, through one ``executemany`` of the driver, each value converted by its column's
    type as SQLAlchemy would convert it: SQLAlchemy's own handling of each row's parameters
    costs a writer about as much as SQLite's insert of the row. Elsewhere, or if the statement
    binds anything besides the rows' columns (a column default), SQLAlchemy's way.
    """
    _prepare_insert(session.connection(), statement, rows)()


def _prepare_insert(
    connection: Connection, statement: Any, rows: list[dict[str, Any]]
) -> Callable[[], Any]:
    """:func:`_insert_rows` in two steps: the rows are converted now, without touching the
    connection; the statement runs when the returned function is called."""
    if not rows:
        return lambda: None
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    order = compiled.positiontup
    if dialect.name != "sqlite" or order is None or sorted(order) != sorted(keys):
        return partial(connection.execute, statement, rows)
    columns = statement.table.c
    convert = [columns[key].type.dialect_impl(dialect).bind_processor(dialect) for key in order]
    plain = [key for key, process in zip(order, convert, strict=True) if process is None]
    typed = [(key, process) for key, process in zip(order, convert, strict=True) if process]
    if not typed:
        parameters = [tuple(row[key] for key in order) for row in rows]
    else:
        position = {key: i for i, key in enumerate(order)}
        # A batch's rows share values (the time it was written): a column converts each object
        # once. The caches hold the objects, so that no id is reused meanwhile.
        converting: list[tuple[int, Callable[[Any], Any], dict[int, tuple[Any, Any]]]] = [
            (position[key], process, {}) for key, process in typed
        ]
        parameters = []
        for row in rows:
            values = [None] * len(order)
            for key in plain:
                values[position[key]] = row[key]
            for (key, _), (at, process, done) in zip(typed, converting, strict=True):
                value = row[key]
                cached = done.get(id(value))
                if cached is None:
                    cached = done[id(value)] = (value, process(value))
                values[at] = cached[1]
            parameters.append(tuple(values))
    return partial(connection.exec_driver_sql, compiled.string, parameters)


def _segmented(record: ArticleRecord) -> str:
    if record.segmented_text is not None:
        return record.segmented_text
    return segment(record.text)


class _Copies:
    """The article each of a run of new articles repeats, by ``storage.duplicates``' rules: the
    earliest with the same text, else the earliest sharing ``MIN_SHARED_BANDS`` keys, then its
    original. The archive is asked before the run is written; the run's own earlier articles,
    always later than any archived one, are matched in memory."""

    def __init__(self, session: Session, texts: list[tuple[str, tuple[int, ...]]]) -> None:
        self.session = session
        self.texts = texts
        self.exact: dict[str, int] = {}  # content hash -> earliest archived article with it
        hashes = list(dict.fromkeys(digest for digest, _ in texts))
        for chunk in _chunks(hashes):
            first = (
                select(Article.content_hash, func.min(Article.first_seen).label("first"))
                .where(Article.content_hash.in_(chunk))
                .group_by(Article.content_hash)
                .subquery()
            )
            earliest = (
                select(Article.content_hash, func.min(Article.id))
                .join(
                    first,
                    (Article.content_hash == first.c.content_hash)
                    & (Article.first_seen == first.c.first),
                )
                .group_by(Article.content_hash)
            )
            self.exact.update((digest, id) for digest, id in session.execute(earliest))
        self.near = self._near_in_archive()

    def _near_in_archive(self) -> dict[int, int]:
        """Position in the run -> the earliest archived article sharing enough keys, for the
        articles with no exact copy in the archive or earlier in the run."""
        seen: set[str] = set()
        need = []
        for position, (digest, keys) in enumerate(self.texts):
            if keys and digest not in self.exact and digest not in seen:
                need.append(position)
            seen.add(digest)
        if not need:
            return {}
        owners: dict[tuple[int, int], list[int]] = {}
        holding, key_list = _band_holders(self.session)
        for band in range(max(len(self.texts[p][1]) for p in need)):
            wanted = list({self.texts[p][1][band] for p in need if band < len(self.texts[p][1])})
            if not wanted:
                continue
            found = self.session.execute(holding, {"band": band, "keys": key_list(wanted)})
            for article_id, key in found:
                owners.setdefault((band, key), []).append(article_id)
        candidates: dict[int, list[int]] = {}
        for position in need:
            if matches := _sharing(self.texts[position][1], owners):
                candidates[position] = matches
        first_seen: dict[int, datetime] = {}
        everyone = list({owner for matches in candidates.values() for owner in matches})
        for chunk in _chunks(everyone):
            times = self.session.execute(
                select(Article.id, Article.first_seen).where(Article.id.in_(chunk))
            )
            first_seen.update((id, seen) for id, seen in times)
        return {
            position: min(matches, key=lambda owner: (first_seen[owner], owner))
            for position, matches in candidates.items()
        }

    def _roots(self, ids: set[int]) -> dict[int, int]:
        """Each article's original, following ``duplicate_of_id`` as ``_original`` does."""
        parent: dict[int, int | None] = {}
        todo = list(ids)
        while todo:
            for chunk in _chunks(todo):
                found = self.session.execute(
                    select(Article.id, Article.duplicate_of_id).where(Article.id.in_(chunk))
                )
                parent.update((id, up) for id, up in found)
            todo = [p for p in set(parent.values()) if p is not None and p not in parent]
        roots = {}
        for start in ids:
            article_id, seen = start, set()
            while article_id not in seen:
                seen.add(article_id)
                up = parent.get(article_id)
                if up is None:
                    break
                article_id = up
            roots[start] = article_id
        return roots

    def resolve(self) -> tuple[list[int | None], list[int | None]]:
        """The original of each article of the run: an archived article's id, or the position
        in the run of an earlier article of the run (one list each)."""
        roots = self._roots(set(self.exact.values()) | set(self.near.values()))
        archived: list[int | None] = []
        in_run: list[int | None] = []
        first_with: dict[str, int] = {}  # content hash -> first position in the run
        holders: dict[tuple[int, int], list[int]] = {}  # (band, key) -> positions in the run

        def link_to(position: int) -> None:  # to an earlier article of the run, or its original
            archived.append(archived[position])
            in_run.append(in_run[position] if archived[position] is None else None)
            if archived[position] is None and in_run[position] is None:
                in_run[-1] = position

        for position, (digest, keys) in enumerate(self.texts):
            if digest in self.exact:
                archived.append(roots[self.exact[digest]])
                in_run.append(None)
            elif digest in first_with:
                link_to(first_with[digest])
            elif position in self.near:
                archived.append(roots[self.near[position]])
                in_run.append(None)
            else:
                if matches := _sharing(keys, holders):
                    link_to(min(matches))
                else:
                    archived.append(None)
                    in_run.append(None)
            first_with.setdefault(digest, position)
            for pair in enumerate(keys):
                holders.setdefault(pair, []).append(position)
        return archived, in_run


def _band_holders(session: Session) -> tuple[Any, Callable[[list[int]], Any]]:
    """The articles holding any of a list of keys in one band: the statement, and how it takes
    the list. One parameter for the whole list (a JSON array that SQLite reads with
    ``json_each``, an array in PostgreSQL), where a bound value per key costs more to build
    than the look-up itself; the ``(band, key)`` index serves both."""
    convert: Callable[[list[int]], Any]
    if session.get_bind().dialect.name == "sqlite":
        keys, convert = "IN (SELECT value FROM json_each(:keys))", json.dumps
    else:
        keys, convert = "= ANY(CAST(:keys AS BIGINT[]))", list
    statement = text(f"SELECT article_id, key FROM article_bands WHERE band = :band AND key {keys}")
    return statement, convert


def _sharing(keys: tuple[int, ...], holders: dict[tuple[int, int], list[int]]) -> list[int]:
    """Those that hold at least ``MIN_SHARED_BANDS`` of ``keys`` (``holders``: each (band, key)
    pair's holders)."""
    held = [found for pair in enumerate(keys) if (found := holders.get(pair))]
    if len(held) < MIN_SHARED_BANDS:  # fewer bands held by anyone: nobody holds enough
        return []
    counts = Counter(chain.from_iterable(held))
    return [holder for holder, count in counts.items() if count >= MIN_SHARED_BANDS]
