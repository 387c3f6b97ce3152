"""Batched writes: many writes, one transaction, in one writer thread.

A crawl writes a few rows per page; committing each page on its own costs a disk sync per page
and holds the database's write lock as often. :class:`BatchWriter` runs every write it is given
in its own thread, in order, and commits them together: a batch closes when it holds
``batch_size`` writes or ``interval`` seconds after its first write, whichever comes first, and
at :meth:`close`. A write's future is resolved only after its batch commits, so whatever a
caller reports as stored is in the database: a crash loses only writes not yet reported.

Writes are functions of the session (:meth:`BatchWriter.submit`) or items (``submit_item``):
consecutive items of a batch are written by one call of ``write_items(session, items)``, which
can write them together (``storage.bulk``: one statement per table, not per item).

On SQLite, a thread of its own copies the write-ahead log into the database file after each
batch (a passive checkpoint: it neither waits for nor blocks the writer or readers), work that
SQLite would otherwise do in the writer's commit.

If a batch fails, it is rolled back and each of its writes is run again in a transaction of its
own, so one bad write fails alone and the others are kept. Writes therefore must be safe to run
twice (the archive's are: ``INSERT … ON CONFLICT``; a WARC record written twice is one that no
row points to, which is harmless).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from storage.database import Archive

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_BATCH_SIZE = 500
DEFAULT_INTERVAL = 0.5  # seconds


@dataclass
class _Write:
    function: Callable[[Session], Any] | None  # None: an item, for ``write_items``
    item: Any = None
    future: Future[Any] = field(default_factory=Future)


_CLOSE = object()
_FLUSH = object()


class BatchWriter:
    """Runs ``function(session)`` calls in batches, one transaction per batch."""

    def __init__(
        self,
        archive: Archive,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL,
        on_rollback: Callable[[], None] | None = None,
        write_items: Callable[[Session, list[Any]], list[Any]] | None = None,
    ) -> None:
        self.archive = archive
        self.batch_size = max(1, batch_size)
        self.interval = max(0.0, interval)
        # called in the writer thread after a batch rolled back (to drop cached row ids)
        self.on_rollback = on_rollback
        # writes consecutive items of a batch, returns one result per item
        self.write_items = write_items
        self.batches = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._checkpoints = _Checkpoints(archive) if archive.dialect == "sqlite" else None
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self._thread.start()

    def submit(self, function: Callable[[Session], T]) -> Future[T]:
        """Queue a write; its future holds the function's result once its batch commits."""
        if self._closed:
            raise RuntimeError("the batch writer is closed")
        write = _Write(function)
        self._queue.put(write)
        return write.future

    def submit_item(self, item: Any) -> Future[Any]:
        """Queue an item for ``write_items``; its future holds its result once committed."""
        if self.write_items is None:
            raise RuntimeError("the batch writer has no write_items")
        if self._closed:
            raise RuntimeError("the batch writer is closed")
        write = _Write(None, item)
        self._queue.put(write)
        return write.future

    def flush(self) -> None:
        """Close the current batch now rather than when it is full or its time is up."""
        self._queue.put(_FLUSH)

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(_CLOSE)
            self._thread.join()
            if self._checkpoints is not None:
                self._checkpoints.close()

    def _run(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is _CLOSE:
                break
            if first is _FLUSH:
                continue
            assert isinstance(first, _Write)
            batch = [first]
            deadline = time.monotonic() + self.interval
            while len(batch) < self.batch_size:
                try:
                    more = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if more is _CLOSE:
                    closing = True
                    break
                if more is _FLUSH:
                    break
                assert isinstance(more, _Write)
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[_Write]) -> None:
        try:
            with self.archive.transaction() as session:
                results = self._write(session, batch)
        except Exception as exc:
            if len(batch) == 1:
                self._rolled_back()
                _resolve(batch[0], exception=exc)
                return
            logger.warning(
                "a batch of %s writes failed (%s); writing them one by one", len(batch), exc
            )
            self._rolled_back()
            for write in batch:
                self._commit([write])
            return
        self.batches += 1
        if self._checkpoints is not None:
            self._checkpoints.wanted.set()
        for write, result in zip(batch, results, strict=True):
            _resolve(write, result=result)

    def _write(self, session: Session, batch: list[_Write]) -> list[Any]:
        results: list[Any] = []
        items: list[Any] = []
        for write in batch:
            if write.function is None:
                items.append(write.item)
                continue
            if items:
                results += self._write_items(session, items)
                items = []
            results.append(write.function(session))
        if items:
            results += self._write_items(session, items)
        return results

    def _write_items(self, session: Session, items: list[Any]) -> list[Any]:
        assert self.write_items is not None
        results = self.write_items(session, items)
        if len(results) != len(items):
            raise RuntimeError(f"write_items gave {len(results)} results for {len(items)} items")
        return results

    def _rolled_back(self) -> None:
        if self.on_rollback is not None:
            self.on_rollback()


class _Checkpoints:
    """Passive checkpoints of a SQLite archive, run on request in a thread and connection of
    their own. One that fails is only logged: the next one, or the writer's own commit once the
    log is long (``storage.database.WAL_AUTOCHECKPOINT``), does the work."""

    def __init__(self, archive: Archive) -> None:
        self.wanted = threading.Event()
        self._connection = archive.engine.raw_connection()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="archive-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self.wanted.set()
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self._closed:
                return
            cursor = self._connection.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.fetchall()
            except sqlite3.Error as exc:
                logger.debug("checkpoint failed: %s", exc)
            finally:
                cursor.close()


def _resolve(write: _Write, *, result: Any = None, exception: BaseException | None = None) -> None:
    if not write.future.set_running_or_notify_cancel():
        return  # the caller gave up waiting; the write is done or undone all the same
    if exception is not None:
        write.future.set_exception(exception)
    else:
        write.future.set_result(result)
