"""The ``newsarchive`` command: a thin layer over ``storage``.

Each command opens the archive, calls one library function and prints the result: JSON by
default, ``--format table`` for people. A user's mistake is one line on stderr and exit code 1
(2 for a malformed command line), never a traceback.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

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
from storage.duplicates import copies
from storage.queries import article_record, article_summary, get_article, search, stats
from storage.search import QueryError

F = TypeVar("F", bound=Callable[..., Any])


def db_option(function: F) -> F:
    return click.option(
        "--db",
        "db",
        metavar="URL",
        envvar="ARCHIVE_DATABASE_URL",
        help="SQLAlchemy URL of the archive (default: $ARCHIVE_DATABASE_URL, else sqlite:///archive.db).",
    )(function)


def format_option(function: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["json", "table"]),
        default="json",
        show_default=True,
        help="Output format.",
    )(function)


@contextmanager
def opened(db: str | None) -> Iterator[Archive]:
    try:
        archive = open_archive(db)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield archive
    finally:
        archive.close()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def _fit(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    out = ""
    for char in text:
        if _width(out + char) > width:
            return out[:-1] + "…" if out else ""
        out += char
    return out + " " * (width - _width(out))


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, int]]) -> None:
    """Rows as fixed-width columns; East Asian wide characters count as two."""
    click.echo("  ".join(_fit(name, width) for name, width in columns).rstrip())
    for row in rows:
        click.echo("  ".join(_fit(row.get(name), width) for name, width in columns).rstrip())


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
@click.option(
    "--sort", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@format_option
@db_option
def search_command(
    query: str,
    site: str | None,
    lang: str | None,
    since: str | None,
    until: str | None,
    sort: str,
    limit: int,
    offset: int,
    fmt: str,
    db: str | None,
) -> None:
    """Full-text search, Chinese and English.

    \b
    Example:
        newsarchive search 教育 --lang zh --since 2026-01-01 --format table
        newsarchive search '"balanced development"' --sort newest
    """
    with opened(db) as archive, archive.session() as session:
        try:
            hits = search(
                session,
                query,
                site=site,
                language=lang,
                since=parse_day(since, "--since"),
                until=parse_day(until, "--until"),
                sort=sort,  # type: ignore[arg-type]
                limit=limit,
                offset=offset,
            )
        except QueryError as exc:
            raise click.ClickException(f"bad query: {exc}") from exc
        rows = [
            {**article_summary(h.article), "score": h.score, "snippet": h.snippet} for h in hits
        ]
    if fmt == "json":
        emit_json(rows)
    else:
        emit_table(
            rows, [("id", 6), ("published", 25), ("site", 14), ("title", 40), ("snippet", 60)]
        )


@cli.command("show")
@click.argument("ref", metavar="ID|URL")
@format_option
@db_option
def show_command(ref: str, fmt: str, db: str | None) -> None:
    """One article: metadata and text, by id or by any URL it was seen under.

    \b
    Example:
        newsarchive show 12
        newsarchive show https://www.163.com/dy/article/J22CN60P0514R9KQ.html --format table
    """
    with opened(db) as archive, archive.session() as session:
        article = get_article(session, ref)
        if article is None:
            raise click.ClickException(f"no article with id or URL {ref!r}")
        record = article_record(article)
        record["copies"] = [article_summary(copy) for copy in copies(session, article.id)]
    if fmt == "json":
        emit_json(record)
        return
    for key, value in record.items():
        if key == "copies":
            value = [f"{c['id']} {c['site']} {c['url']}" for c in value]
        if key != "text":
            shown = ", ".join(value) if isinstance(value, list) else value
            click.echo(f"{key + ':':<18} {'' if shown is None else shown}")
    click.echo("")
    click.echo(record["text"])


@cli.command("stats")
@format_option
@db_option
def stats_command(fmt: str, db: str | None) -> None:
    """What the archive holds: articles per site and per language.

    \b
    Example:
        newsarchive stats --format table
    """
    with opened(db) as archive, archive.session() as session:
        report = stats(session)
    if fmt == "json":
        emit_json(report)
        return
    for key in ("articles", "versions", "captures", "failures", "crawl_runs"):
        click.echo(f"{key + ':':<12} {report[key]}")
    click.echo("")
    emit_table(
        report["sites"],
        [("site", 24), ("articles", 9), ("first_published", 26), ("last_published", 26)],
    )
    click.echo("")
    emit_table(report["languages"], [("language", 10), ("articles", 9)])


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
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


from crawler.extract_command import extract_command  # noqa: E402  (the command imports no storage)

cli.add_command(extract_command)

from crawler.sites_command import sites_command  # noqa: E402

cli.add_command(sites_command)

from crawler.reextract_command import reextract_command  # noqa: E402

cli.add_command(reextract_command)

from crawler.web.command import serve_command  # noqa: E402  (imports the web framework lazily)

cli.add_command(serve_command)
