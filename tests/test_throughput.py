"""The parts that make a crawl fast: the extraction pool and batched archive writes.

Speed itself is measured by ``make bench-crawl``, never in a test; these check behaviour: a
bounded pool, every answer to its own call, a worker crash recorded and survived by the pages on
other workers, one transaction per batch, nothing reported stored before its batch commits, and
one bad write never losing the others.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from pipelines.extract import WORKER_CRASHED, ExtractPipeline
from pipelines.page import Page
from pipelines.pool import Fetch, Job, WorkerCrashed, WorkerError, WorkerPool, work
from storage.archive import ensure_site
from storage.database import Archive, open_archive
from storage.models import Site
from storage.writer import BatchWriter

ARTICLE = (
    "<html lang='en'><head><title>Schools open</title></head><body><article>"
    + "".join(
        f"<p>Paragraph {i} of the story about the county schools opening again.</p>"
        for i in range(12)
    )
    + "</article></body></html>"
).encode()


def crash(job: Job) -> None:
    """A worker that dies as a segfault would: no exception, no result."""
    os._exit(70)


def fail(number: int) -> None:
    raise ValueError(f"no page {number}")


def frozen(_: object) -> int:
    return gc.get_freeze_count()


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def echo(job: tuple[int, bytes]) -> tuple[int, int, bytes, int]:
    """Large arguments and results, to fill the pipes."""
    number, body = job
    return number, len(body), bytes([number % 251]) * (number * 3001), os.getpid()


def lock(_: object) -> threading.Lock:
    return threading.Lock()


class Unpicklable(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")


def fail_oddly(_: object) -> None:
    raise Unpicklable(500, "server error")


def test_work_extracts_and_fingerprints_a_page() -> None:
    done = work(Job("https://example.com/a/12345678.html", ARTICLE, "text/html; charset=utf-8"))
    assert done.processed.extraction is not None
    assert "Paragraph 3" in done.processed.extraction.text
    assert done.processed.encoding == "utf-8" and done.processed.language == "en"
    assert len(done.band_keys) == 16


def test_the_pool_holds_at_most_max_pending_pages() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def slow(_: object) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    async def main() -> None:
        pool = WorkerPool(0, 3)
        await asyncio.gather(*(pool.run(slow, n) for n in range(20)))

    asyncio.run(main())
    assert peak == 3


def test_a_dead_worker_fails_its_page_and_the_pool_goes_on() -> None:
    async def main() -> None:
        pool = WorkerPool(1, 2)
        await pool.start()
        try:
            with pytest.raises(WorkerCrashed):
                await pool.run(crash, Job("https://example.com/x.html", b""))
            done = await pool.run(work, Job("https://example.com/a/12345678.html", ARTICLE))
            assert done.processed.extraction is not None
        finally:
            pool.close()

    asyncio.run(main())


def test_an_exception_in_a_worker_reaches_the_caller() -> None:
    async def main() -> None:
        pool = WorkerPool(1, 2)
        try:
            with pytest.raises(ValueError, match="no page 7") as raised:
                await pool.run(fail, 7)
            assert "in fail" in str(raised.value.__cause__)  # the worker's traceback
            assert await pool.run(nap, 0) in pool.pids  # the same worker goes on
        finally:
            pool.close()

    asyncio.run(main())


def test_a_crash_leaves_the_pages_on_other_workers_alone() -> None:
    async def main() -> None:
        pool = WorkerPool(2, 4)
        await pool.start()
        first = pool.pids
        try:
            slow = asyncio.ensure_future(pool.run(nap, 1.0))  # on one worker
            await asyncio.sleep(0.1)
            with pytest.raises(WorkerCrashed):  # on the other, then on its replacement
                await pool.run(crash, Job("https://example.com/x.html", b""))
            survivor = await slow
            assert survivor in first and survivor in pool.pids and len(pool.pids) == 2
            assert not (set(first) - {survivor}) & set(pool.pids)  # the one that died is gone
        finally:
            pool.close()

    asyncio.run(main())


def test_every_caller_gets_its_own_result() -> None:
    bodies = [bytes(range(256)) * (n * 23) for n in range(200)]  # up to 1.2 MB: past the pipe

    async def main() -> list[tuple[int, int, bytes, int]]:
        pool = WorkerPool(2, 200)
        try:
            return await asyncio.gather(*(pool.run(echo, (n, bodies[n])) for n in range(200)))
        finally:
            pool.close()

    results = asyncio.run(main())
    for n, (number, size, payload, _) in enumerate(results):
        assert (number, size, payload) == (n, len(bodies[n]), bytes([n % 251]) * (n * 3001))
    assert len({pid for *_, pid in results}) == 2


def test_a_worker_freezes_what_it_started_with_after_its_first_page() -> None:
    async def main() -> list[int]:
        pool = WorkerPool(1, 2)
        try:
            return [await pool.run(frozen, None) for _ in range(2)]
        finally:
            pool.close()

    first, second = asyncio.run(main())
    assert first == 0 and second > 10_000  # the modules the fork server imported, and more


def test_the_crawler_freezes_its_start_up_objects_when_the_spider_opens() -> None:
    from crawler.extensions import CRAWL_GC_THRESHOLDS, FreezeStartupObjects

    crawler = get_crawler(settings_dict={"EXTENSIONS": {FreezeStartupObjects: 0}})
    FreezeStartupObjects.from_crawler(crawler)
    gc.unfreeze()  # an earlier crawl in this process may have frozen them
    before = gc.get_threshold()
    try:
        crawler.signals.send_catch_log(signal=signals.spider_opened, spider=None)
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == CRAWL_GC_THRESHOLDS != before
        crawler.signals.send_catch_log(signal=signals.spider_closed, spider=None, reason="done")
        assert gc.get_threshold() == before  # the process's own, once the spider is done
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_closing_with_calls_pending_does_not_wait_for_them() -> None:
    async def main() -> None:
        pool = WorkerPool(1, 10)
        await pool.start()
        calls = [asyncio.ensure_future(pool.run(nap, 30)) for _ in range(5)]
        await asyncio.sleep(0.2)
        started = time.monotonic()
        pool.close()
        assert time.monotonic() - started < 5 and pool.pids == []
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            assert isinstance(outcome, RuntimeError)

    asyncio.run(main())


def test_what_does_not_pickle_fails_its_call_clearly() -> None:
    async def main() -> None:
        pool = WorkerPool(1, 2)
        await pool.start()
        try:
            with pytest.raises(WorkerError, match=r"result of lock\(\) does not pickle"):
                await pool.run(lock, None)
            with pytest.raises(WorkerError, match=r"Unpicklable.*500.*does not pickle"):
                await pool.run(fail_oddly, None)
            with pytest.raises(AttributeError):  # a local function: refused before it leaves
                await pool.run(lambda x: x, 1)
            assert await pool.run(nap, 0) in pool.pids
        finally:
            pool.close()

    asyncio.run(main())


def test_the_extract_stage_records_a_crash_as_the_page_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipelines.extract.work", crash)
    crawler = get_crawler(settings_dict={"EXTRACT_WORKERS": 1})
    stage = ExtractPipeline.from_crawler(crawler)
    page = Page("https://example.com/a/1.html", 200, [], ARTICLE, datetime.now(UTC), site="t")

    async def main() -> object:
        await stage.open_spider()
        try:
            return await stage.process_item(page)
        finally:
            await stage.close_spider()

    assert asyncio.run(main()) is page
    assert page.problem == WORKER_CRASHED and page.extraction is None
    assert crawler.stats is not None and crawler.stats.get_value("extraction/crashed") == 1


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> Any:
    archive = open_archive(f"sqlite:///{tmp_path / 'archive.db'}", warc_dir=tmp_path / "warc")
    yield archive
    archive.close()


def _add_site(name: str) -> Any:
    def write(session: Session) -> int:
        return ensure_site(session, name)

    return write


def test_writes_are_committed_in_batches(sqlite_archive: Archive) -> None:
    writer = BatchWriter(sqlite_archive, batch_size=50, interval=5.0)
    futures = [writer.submit(_add_site(f"site{n}")) for n in range(120)]
    ids = [future.result(timeout=30) for future in futures[:100]]  # two full batches
    assert len(set(ids)) == 100 and writer.batches == 2
    assert not futures[-1].done()  # the third batch waits for its time or the close
    writer.close()
    assert all(future.done() for future in futures) and writer.batches == 3
    with sqlite_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 120


def test_a_batch_closes_on_its_timer(sqlite_archive: Archive) -> None:
    writer = BatchWriter(sqlite_archive, batch_size=1000, interval=0.05)
    assert isinstance(writer.submit(_add_site("a")).result(timeout=10), int)
    writer.close()


def test_nothing_is_reported_before_its_batch_commits(sqlite_archive: Archive) -> None:
    writer = BatchWriter(sqlite_archive, batch_size=1000, interval=0.3)
    future = writer.submit(_add_site("pending"))
    time.sleep(0.1)
    with sqlite_archive.session() as session:  # another connection sees nothing yet
        assert session.scalar(select(func.count()).select_from(Site)) == 0
    assert not future.done()
    future.result(timeout=10)
    with sqlite_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 1
    writer.close()


def test_one_bad_write_does_not_lose_the_others(sqlite_archive: Archive) -> None:
    rollbacks = []
    writer = BatchWriter(
        sqlite_archive, batch_size=10, interval=5.0, on_rollback=lambda: rollbacks.append(1)
    )

    def bad(session: Session) -> None:
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))

    futures = [writer.submit(_add_site(f"s{n}")) for n in range(4)]
    failing = writer.submit(bad)
    futures += [writer.submit(_add_site(f"t{n}")) for n in range(5)]
    for future in futures:
        assert isinstance(future.result(timeout=30), int)
    with pytest.raises(Exception, match="no_such_table"):
        failing.result(timeout=30)
    writer.close()
    assert rollbacks  # cached ids from the failed batch are dropped
    with sqlite_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 9


def test_the_log_is_copied_into_the_database_after_each_batch(sqlite_archive: Archive) -> None:
    """On SQLite, a thread of the writer's checkpoints the write-ahead log after a batch: the
    database file grows while the writer is open, long before the log reaches the size at
    which a commit would do it."""
    database = Path(str(sqlite_archive.engine.url.database))
    size = database.stat().st_size
    writer = BatchWriter(sqlite_archive, batch_size=1000, interval=5.0)
    futures = [writer.submit(_add_site(f"{n:04d}" + "x" * 200)) for n in range(1000)]
    for future in futures:
        future.result(timeout=30)
    deadline = time.monotonic() + 10
    while database.stat().st_size <= size and time.monotonic() < deadline:
        time.sleep(0.05)
    grown = database.stat().st_size
    writer.close()
    assert grown > size + 100_000
    with sqlite_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 1000


def test_consecutive_items_are_written_together(sqlite_archive: Archive) -> None:
    calls: list[list[str]] = []

    def write_items(session: Session, items: list[str]) -> list[int]:
        calls.append(list(items))
        return [ensure_site(session, name) for name in items]

    writer = BatchWriter(sqlite_archive, batch_size=100, interval=5.0, write_items=write_items)
    futures = [writer.submit_item(f"a{n}") for n in range(3)]
    futures.append(writer.submit(_add_site("between")))  # a function keeps its place
    futures += [writer.submit_item(f"b{n}") for n in range(2)]
    writer.close()
    assert calls == [["a0", "a1", "a2"], ["b0", "b1"]] and writer.batches == 1
    assert len({future.result() for future in futures}) == 6


def test_a_failing_batch_of_items_is_written_item_by_item(sqlite_archive: Archive) -> None:
    def write_items(session: Session, items: list[str]) -> list[int]:
        if "bad" in items:
            raise ValueError("bad item")
        return [ensure_site(session, name) for name in items]

    writer = BatchWriter(sqlite_archive, batch_size=100, interval=5.0, write_items=write_items)
    good = [writer.submit_item(name) for name in ("x", "y")]
    bad = writer.submit_item("bad")
    good.append(writer.submit_item("z"))
    writer.close()
    assert all(isinstance(future.result(), int) for future in good)
    with pytest.raises(ValueError, match="bad item"):
        bad.result()
    with sqlite_archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 3


def test_the_worker_prepares_what_the_archive_needs() -> None:
    from storage.archive import content_hash
    from storage.search import segment

    fetched = datetime(2026, 1, 7, tzinfo=UTC)
    job = Job(
        "https://example.com/a/1.html",
        ARTICLE,
        "text/html",
        fetch=Fetch(200, (("Content-Type", "text/html"),), fetched),
    )
    done = work(job)
    assert done.processed.extraction is not None and done.warc_record is not None
    text = done.processed.extraction.text
    assert done.text_hash == content_hash(text) and done.segmented_text == segment(text)
    assert work(Job(job.url, ARTICLE, "text/html")).warc_record is None  # extraction only


def test_a_prepared_warc_record_reads_back(tmp_path: Path) -> None:
    from storage.warc import WarcStore, prepare_response

    store = WarcStore(tmp_path)
    fetched = datetime(2026, 1, 7, tzinfo=UTC)
    record = prepare_response(
        "https://example.com/a", 200, [("Content-Type", "text/html")], ARTICLE, fetched
    )
    where = store.append(record)
    again = store.write_response("https://example.com/b", 200, [], b"other", fetched)
    store.close()
    raw = store.read(where.filename, where.offset)
    assert raw.body == ARTICLE and raw.url == "https://example.com/a" and raw.status == 200
    assert where.payload_digest == record.payload_digest and where.record_type == "response"
    assert store.read(again.filename, again.offset).body == b"other"
