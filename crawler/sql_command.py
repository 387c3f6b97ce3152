"""``newsarchive sql``: read-only SQL over the archive, for everything else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from crawler.output import format_option
from storage.sql import SQLError, read_only_query


@click.command("sql")
@click.argument("statement", metavar="QUERY")
@format_option("json", "table", "csv", "jsonl")
@click.option("--db", metavar="URL", envvar="ARCHIVE_DATABASE_URL", help="The archive.")
def sql_command(statement: str, fmt: str, db: str | None) -> None:
    """Run one read-only SQL statement and print its rows.

    The connection cannot write (SQLite's query_only, a PostgreSQL read-only transaction):
    INSERT, UPDATE, DELETE or CREATE is refused with the database's reason. The tables are
    described in README.md; JSON columns (authors, tags, …) print as JSON text.

    \b
    Example:
        newsarchive sql 'SELECT language, count(*) AS n FROM articles GROUP BY language'
        newsarchive sql "SELECT id, title FROM articles WHERE source LIKE '%新华社%'" --format csv
    """
    from crawler.cli import emit_rows, opened

    with opened(db) as archive:
        try:
            with read_only_query(archive.engine, statement) as result:

                def rows() -> Iterator[dict[str, Any]]:
                    for row in result.rows:
                        yield dict(zip(result.columns, row, strict=True))

                emit_rows(rows(), fmt)
        except SQLError as exc:
            raise click.ClickException(f"sql: {exc}") from exc
