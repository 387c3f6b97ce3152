"""``newsarchive export``: a selection of articles as JSON Lines, CSV or a WARC file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import click

from storage.export import Progress, Selection, count, records, write_csv, write_jsonl, write_warc
from storage.queries import Filters
from storage.report import check_site
from storage.search import QueryError


@contextmanager
def _progress(stack: ExitStack, total: Any, label: str) -> Iterator[Progress]:
    """A progress bar on stderr when it is a terminal; nothing when it is piped."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    bar = stack.enter_context(
        click.progressbar(length=total(), label=label, file=sys.stderr, show_pos=True)
    )
    yield bar.update


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "warc"]),
    default="jsonl",
    show_default=True,
    help="jsonl and csv: one article record per row; warc: the captures of the articles.",
)
@click.option("--query", "query", help="Only articles matching this search query.")
@click.option("--site", help="Only this site's articles.")
@click.option("--lang", help="Only this language: en, zh (zh-cn and zh-tw), zh-cn, …")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Published before this date (YYYY-MM-DD, UTC).")
@click.option("--author", help="Only articles with this author, exactly as archived.")
@click.option("--source", help="Only articles whose source (来源) contains this.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the archive's WARC files are (default: as the crawler writes them).",
)
@click.option("--db", metavar="URL", envvar="ARCHIVE_DATABASE_URL", help="The archive.")
def export_command(
    fmt: str,
    query: str | None,
    site: str | None,
    lang: str | None,
    since: str | None,
    until: str | None,
    author: str | None,
    source: str | None,
    output: Path | None,
    warc_dir: Path | None,
    db: str | None,
) -> None:
    """Export articles: every field of each as JSON Lines or CSV, or the raw responses they
    were archived from as one WARC file (gzipped; a revisit is written as the response it
    repeats, so the file stands alone).

    Rows are streamed in id order, so an export of millions of articles runs in constant
    memory. On a terminal, a progress bar shows on stderr.

    \b
    Example:
        newsarchive export --site netease --since 2026-01-01 -o netease.jsonl
        newsarchive export --query 教育 --lang zh --format csv > education.csv
        newsarchive export --site qilu --format warc -o qilu.warc.gz && warcio check qilu.warc.gz
    """
    from crawler.cli import opened, parse_day

    if fmt == "warc" and output is None and sys.stdout.isatty():
        raise click.UsageError("a WARC file is binary: use -o FILE or redirect stdout")
    filters = Filters(
        site=site,
        language=lang,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        author=author,
        source=source,
    )
    selection = Selection(filters, query)
    with opened(db, warc_dir) as archive, archive.session() as session, ExitStack() as stack:
        check_site(session, site)
        try:
            if query:  # a malformed query fails here, before any output is written
                count(session, Selection(query=query), "jsonl")
            label = "captures" if fmt == "warc" else "articles"
            progress = stack.enter_context(
                _progress(stack, lambda: count(session, selection, fmt), label)  # type: ignore[arg-type]
            )
            if fmt == "warc":
                binary: IO[bytes] = (
                    stack.enter_context(output.open("wb")) if output else sys.stdout.buffer
                )
                write_warc(session, archive.warc, selection, binary, progress)
                binary.flush()
                return
            out: IO[str] = (
                stack.enter_context(output.open("w", encoding="utf-8", newline=""))
                if output
                else sys.stdout
            )
            write = write_jsonl if fmt == "jsonl" else write_csv
            write(records(session, selection), out, progress)
            out.flush()
        except QueryError as exc:
            raise click.ClickException(f"bad query: {exc}") from exc
        except BrokenPipeError:
            raise
        except (LookupError, OSError) as exc:  # a WARC file gone missing
            raise click.ClickException(str(exc)) from exc
