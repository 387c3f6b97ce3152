"""``newsarchive runs``: the crawl runs and how each ended."""

from __future__ import annotations

import click

from crawler.output import format_option
from storage.report import crawl_runs

COLUMNS = [
    ("id", 5),
    ("site", 14),
    ("spider", 10),
    ("started", 25),
    ("finished", 25),
    ("outcome", 10),
    ("pages", 6),
    ("new_articles", 12),
    ("new_versions", 12),
    ("failures", 8),
]


@click.command("runs")
@click.option("--site", help="Only this site's crawls.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@format_option("json", "table", "csv", "jsonl")
@click.option("--db", metavar="URL", envvar="ARCHIVE_DATABASE_URL", help="The archive.")
def runs_command(site: str | None, limit: int, fmt: str, db: str | None) -> None:
    """The crawl runs, newest first: site, spider, start, end, outcome (finished, shutdown,
    running for a crawl still going or killed), pages fetched, new articles, new versions and
    failures.

    \b
    Example:
        newsarchive runs --format table
        newsarchive runs --site netease --limit 5
    """
    from crawler.cli import emit_rows, opened

    with opened(db) as archive, archive.session() as session:
        rows = crawl_runs(session, site=site, limit=limit)
    emit_rows(rows, fmt, COLUMNS if fmt in ("table", "csv") else None)
