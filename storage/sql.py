"""Read-only SQL over the archive, for the questions the other commands do not answer.

The statement runs on a connection that cannot write: SQLite's ``query_only`` pragma, and on
PostgreSQL a read-only session whose transaction is also declared ``READ ONLY`` before the
statement runs. One statement per call (SQLite refuses a second one; on PostgreSQL the statement
is prepared, which allows only one), passed to the driver as it is, so nothing in it is taken
for a bind parameter.

This guards the archive against mistakes, not against an adversary: on PostgreSQL, give people
who are not trusted a role without write privileges.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from storage.reader import make_read_only

_FETCH = 500


class SQLError(Exception):
    """The database refused the statement (the message is the database's reason)."""


@dataclass
class QueryResult:
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


def _deny_attach(action: int, *_args: Any) -> int:
    # ATTACH would create a database file, which query_only does not prevent.
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@contextmanager
def read_only_query(engine: Engine, statement: str) -> Iterator[QueryResult]:
    """Run ``statement`` read-only; its rows are fetched as they are iterated.

    Raises :class:`SQLError` when the database refuses it (a write, a syntax error, …).
    """
    make_read_only(engine)
    errors: tuple[type[Exception], ...] = (engine.dialect.loaded_dbapi.Error,)
    with engine.connect() as connection:
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        if engine.dialect.name == "sqlite":
            dbapi.set_authorizer(_deny_attach)
        else:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        cursor = dbapi.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute(statement)
            else:  # prepared: one statement only, so no COMMIT; SET … READ WRITE; INSERT …
                cursor.execute(statement, prepare=True)  # type: ignore[call-arg]
        except errors as exc:
            raise SQLError(_reason(exc)) from exc
        columns = [d[0] for d in cursor.description or ()]

        def rows() -> Iterator[tuple[Any, ...]]:
            if cursor.description is None:  # a statement that returns no rows
                return
            try:
                while batch := cursor.fetchmany(_FETCH):
                    yield from (tuple(row) for row in batch)
            except errors as exc:
                raise SQLError(_reason(exc)) from exc

        try:
            yield QueryResult(columns, rows())
        finally:
            cursor.close()
            connection.rollback()
