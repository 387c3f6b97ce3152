"""``newsarchive show``: one article, its versions as a diff, or its raw archived response."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from storage.archive import raw_capture
from storage.duplicates import copies
from storage.queries import article_record, article_summary, get_article
from storage.reader import DiffLine, VersionChange, version_changes
from storage.warc import RawResponse, reason_phrase

# Changed characters inside an edited paragraph: colour on a terminal, wdiff marks otherwise.
_MARKS = {"removed": ("[-", "-]"), "added": ("{+", "+}")}
_COLOURS = {"removed": "red", "added": "green"}
_PREFIX = {"same": " ", "removed": "-", "added": "+"}


def _diff_line(line: DiffLine, colour: bool) -> str:
    if line.kind == "gap":
        return f"@@ {line.pieces[0][0]} unchanged paragraph(s) @@"
    text = ""
    for piece, changed in line.pieces:
        if not changed or line.kind == "same":
            text += piece
        elif colour:
            text += click.style(piece, fg=_COLOURS[line.kind], bold=True, reverse=True)
        else:
            text += _MARKS[line.kind][0] + piece + _MARKS[line.kind][1]
    prefix = _PREFIX[line.kind]
    return click.style(prefix + text, fg=_COLOURS.get(line.kind)) if colour else prefix + text


def _heading(change: VersionChange) -> list[str]:
    new = change.version
    describe = "version {0.number}  {0.created_at:%Y-%m-%d %H:%M:%S} UTC  ({0.extractor_version})"
    if change.previous is None:
        return [f"+++ {describe.format(new)}", "(the first version)"]
    lines = [f"--- {describe.format(change.previous)}", f"+++ {describe.format(new)}"]
    if change.previous.title != new.title:
        lines += [f"-title: {change.previous.title}", f"+title: {new.title}"]
    return lines


def versions_as_text(changes: list[VersionChange], colour: bool) -> str:
    """Oldest first: each version against the one before, as a unified paragraph diff."""
    out: list[str] = []
    for change in changes:
        out += _heading(change)
        out += [_diff_line(line, colour) for line in change.diff]
        out.append("")
    return "\n".join(out)


def versions_as_data(changes: list[VersionChange]) -> list[dict[str, object]]:
    return [
        {
            "number": c.version.number,
            "created": c.version.created_at.isoformat(),
            "title": c.version.title,
            "extractor_version": c.version.extractor_version,
            "capture_id": c.version.capture_id,
            "diff": [_diff_line(line, False) for line in c.diff],
        }
        for c in changes
    ]


def _status_and_headers(raw: RawResponse) -> bytes:
    lines = [f"HTTP/1.1 {raw.status} {reason_phrase(raw.status)}"]
    lines += [f"{name}: {value}" for name, value in raw.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


@click.command("show")
@click.argument("ref", metavar="ID|URL")
@click.option("--versions", is_flag=True, help="Every version, each as a diff from the one before.")
@click.option("--raw", is_flag=True, help="The archived response body, as bytes, from its WARC.")
@click.option("--headers", is_flag=True, help="With --raw: the status line and headers first.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table", "text"]),
    help="json (the default), or table/text for people (the default with --versions).",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the WARC files are (default: as the crawler writes them, e.g. archive-warc/).",
)
@click.option("--db", metavar="URL", envvar="ARCHIVE_DATABASE_URL", help="The archive.")
def show_command(
    ref: str,
    versions: bool,
    raw: bool,
    headers: bool,
    fmt: str | None,
    warc_dir: Path | None,
    db: str | None,
) -> None:
    """One article, by id or by any URL it was seen under: metadata, text and copies.

    --versions shows how its text changed: each version against the one before, "-" for a
    removed paragraph, "+" for an added one, changed characters as [-old-]{+new+} (in colour
    on a terminal). --raw writes the response it was last archived from, as bytes.

    \b
    Example:
        newsarchive show 12
        newsarchive show https://www.163.com/dy/article/J22CN60P0514R9KQ.html --format table
        newsarchive show 12 --versions
        newsarchive show 12 --raw --headers > page.http
    """
    from crawler.cli import emit_json, opened

    if headers and not raw:
        raise click.UsageError("--headers goes with --raw")
    if raw and versions:
        raise click.UsageError("--raw and --versions do not go together")
    with opened(db, warc_dir) as archive, archive.session() as session:
        article = get_article(session, ref)
        if article is None:
            raise click.ClickException(f"no article with id or URL {ref!r}")
        if raw:
            if article.capture_id is None:
                raise click.ClickException(f"article {article.id} has no raw capture")
            try:
                response = raw_capture(session, archive.warc, article.capture_id)
            except (LookupError, OSError, ValueError) as exc:
                raise click.ClickException(str(exc)) from exc
            out = sys.stdout.buffer
            if headers:
                out.write(_status_and_headers(response))
            out.write(response.body)
            out.flush()
            return
        if versions:
            changes = version_changes(session, article.id, limit=article.version_count)[::-1]
            if fmt == "json":
                emit_json(versions_as_data(changes))
            else:
                click.echo(versions_as_text(changes, colour=sys.stdout.isatty()), nl=False)
            return
        record = article_record(article)
        record["copies"] = [article_summary(copy) for copy in copies(session, article.id)]
    if fmt in (None, "json"):
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
