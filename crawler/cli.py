"""The ``newsarchive`` command: a thin layer over ``storage``.

Each command opens the archive, calls one library function and prints the result: JSON by
default, ``--format table`` for people. A user's mistake is one line on stderr and exit code 1
(2 for a malformed command line), never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.output import (
    PLAIN_MARK,
    TERMINAL_MARK,
    emit_json,
    emit_rows,
    emit_table,
    stdout_is_terminal,
)
from crawler.output import format_option as formats
from storage.database import (
    Archive,
    ArchiveError,
    create_archive_engine,
    current_revision,
    database_url,
    display_url,
    head_revision,
    open_archive,
    upgrade,
)
from storage.queries import article_summary, search
from storage.report import UnknownSite, breakdown, check_site, report
from storage.search import QueryError

__all__ = ["cli", "db_option", "emit_json", "emit_rows", "emit_table", "main", "opened"]

F = TypeVar("F", bound=Callable[..., Any])


def db_option(function: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        envvar="ARCHIVE_DATABASE_URL",
        help="SQLAlchemy URL of the archive (default: $ARCHIVE_DATABASE_URL, else sqlite:///archive.db).",
    )(function)


def warc_dir_option(function: F) -> F:
    return click.option(
        "--warc-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where the WARC files are (default: as the crawler writes them, e.g. archive-warc/).",
    )(function)


format_option = formats("json", "table")


@contextmanager
def opened(db: str | None, warc_dir: Path | None = None) -> Iterator[Archive]:
    """The archive, with its user-fixable problems (and an unknown site) as one-line errors."""
    try:
        archive = open_archive(db, warc_dir=warc_dir)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield archive
    except UnknownSite as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    finally:
        archive.close()


def parse_day(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}", param_hint=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def cli() -> None:
    """Archive news pages and find them again.

    Crawling is Scrapy's: `scrapy crawl news -a url=URL`. This command reads the archive.
    """


@cli.command("search")
@click.argument("query")
@click.option("--site", help="Only this site (its name in `newsarchive stats`).")
@click.option("--lang", help="Only this language: en, zh (zh-cn and zh-tw), zh-cn, …")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Published before this date (YYYY-MM-DD, UTC).")
@click.option("--author", help="Only articles with this author (记者), exactly as archived.")
@click.option("--source", help="Only articles whose source (来源) contains this.")
@click.option(
    "--sort", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@formats("json", "table", "csv", "jsonl")
@db_option
def search_command(
    query: str,
    site: str | None,
    lang: str | None,
    since: str | None,
    until: str | None,
    author: str | None,
    source: str | None,
    sort: str,
    limit: int,
    offset: int,
    fmt: str,
    db: str | None,
) -> None:
    """Full-text search, Chinese and English.

    Every word must match; "…" makes a phrase. The table shows a snippet with the matches
    highlighted (in reverse video on a terminal, in [brackets] otherwise).

    \b
    Example:
        newsarchive search 教育 --lang zh --since 2026-01-01 --format table
        newsarchive search '"balanced development"' --sort newest
        newsarchive search 教育 --author 王小明 --source 齐鲁晚报 --format csv
    """
    mark = TERMINAL_MARK if fmt == "table" and stdout_is_terminal() else PLAIN_MARK
    with opened(db) as archive, archive.session() as session:
        check_site(session, site)
        try:
            hits = search(
                session,
                query,
                site=site,
                language=lang,
                since=parse_day(since, "--since"),
                until=parse_day(until, "--until"),
                author=author,
                source=source,
                sort=sort,  # type: ignore[arg-type]
                limit=limit,
                offset=offset,
                mark=mark,
            )
        except QueryError as exc:
            raise click.ClickException(f"bad query: {exc}") from exc
        rows = [
            {**article_summary(h.article), "score": h.score, "snippet": h.snippet} for h in hits
        ]
    columns = [("id", 6), ("published", 25), ("site", 14), ("title", 40), ("snippet", 60)]
    emit_rows(rows, fmt, columns if fmt == "table" else None)


@cli.command("stats")
@click.option("--site", help="Per-day counts of this site only.")
@click.option("--since", help="Per-day counts from this day (YYYY-MM-DD, UTC).")
@click.option("--until", help="Per-day counts up to this day, inclusive (default: the newest).")
@click.option(
    "--days",
    type=click.IntRange(1),
    default=30,
    show_default=True,
    help="Days shown without --since.",
)
@click.option(
    "--by",
    type=click.Choice(["site", "day", "language"]),
    help="csv and jsonl: a row per site, day or language (default: per day, site, language).",
)
@formats("json", "table", "csv", "jsonl")
@db_option
def stats_command(
    site: str | None,
    since: str | None,
    until: str | None,
    days: int,
    by: str | None,
    fmt: str,
    db: str | None,
) -> None:
    """What the archive holds: articles per site, per language and per day.

    Days are UTC publication dates (for undated articles, the day they were first archived):
    by default the last 30 days up to the newest.

    \b
    Example:
        newsarchive stats --format table
        newsarchive stats --since 2026-01-01 --until 2026-01-31 --by day --format csv
    """
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    with opened(db) as archive, archive.session() as session:
        found = report(
            session,
            since=first.date() if first else None,
            until=last.date() if last else None,
            days=days,
            site=site,
        )
    if fmt in ("csv", "jsonl"):
        rows = breakdown(found["days"], by) if by else found["days"]  # type: ignore[arg-type]
        emit_rows(rows, fmt)
        return
    if by:
        raise click.UsageError("--by is for --format csv or jsonl")
    if fmt == "json":
        emit_json(found)
        return
    for key in ("articles", "versions", "captures", "failures", "crawl_runs"):
        click.echo(f"{key + ':':<12} {found[key]}")
    click.echo("")
    emit_table(
        found["sites"],
        [("site", 24), ("articles", 9), ("first_published", 26), ("last_published", 26)],
    )
    click.echo("")
    emit_table(found["languages"], [("language", 10), ("articles", 9)])
    click.echo("")
    emit_table(found["days"], [("day", 10), ("site", 24), ("language", 10), ("articles", 9)])


@cli.group("db")
def db_group() -> None:
    """The archive's schema."""


@db_group.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Create the archive, or migrate it to the schema this version needs.

    \b
    Example:
        newsarchive db upgrade --db postgresql+psycopg://archive@localhost/news
    """
    url = database_url(db)
    try:
        engine = create_archive_engine(url)
        before = current_revision(engine)
        upgrade(engine)
        engine.dispose()
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # unreachable server, permissions: one line, not a traceback
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"cannot upgrade {display_url(url)}: {reason}") from exc
    click.echo(f"{display_url(url)}: schema {before or 'none'} -> {head_revision()}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: click's errors as one line each."""
    try:
        cli.main(args=argv, prog_name="newsarchive", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # `newsarchive export | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


from crawler.show_command import show_command  # noqa: E402

cli.add_command(show_command)

from crawler.extract_command import extract_command  # noqa: E402  (the command imports no storage)

cli.add_command(extract_command)

from crawler.sites_command import sites_command  # noqa: E402

cli.add_command(sites_command)

from crawler.reextract_command import reextract_command  # noqa: E402

cli.add_command(reextract_command)

from crawler.web.command import serve_command  # noqa: E402  (imports the web framework lazily)

cli.add_command(serve_command)

from crawler.export_command import export_command  # noqa: E402

cli.add_command(export_command)

from crawler.runs_command import runs_command  # noqa: E402

cli.add_command(runs_command)

from crawler.sql_command import sql_command  # noqa: E402

cli.add_command(sql_command)

from crawler.schedule_command import schedule_command  # noqa: E402

cli.add_command(schedule_command)
