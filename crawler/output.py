"""How the ``newsarchive`` commands print: JSON, JSON Lines, CSV, or a table for people.

Tables count East Asian wide characters as two columns and ANSI styles (the highlighted
matches of a search on a terminal) as none.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Columns = Sequence[tuple[str, int]]
# Bold and reverse video for a match on a terminal; [brackets] anywhere else.
TERMINAL_MARK = ("\x1b[1;7m", "\x1b[0m")
PLAIN_MARK = ("[", "]")
_ANSI_OR_CHAR = re.compile(r"\x1b\[[0-9;]*m|.", re.S)


def format_option(*choices: str, default: str | None = "json") -> Callable[[F], F]:
    """``--format`` with ``choices`` (default: json and table)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices or ("json", "table"))),
        default=default,
        show_default=default is not None,
        help="Output format.",
    )


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def _fit(value: Any, width: int) -> str:
    """``value`` padded or cut to ``width`` columns (cut ends in "…"); ANSI styles kept."""
    text = "" if value is None else str(value).replace("\n", " ")
    out: list[str] = []
    used, styled = 0, False
    for piece in _ANSI_OR_CHAR.findall(text):
        if piece.startswith("\x1b["):
            out.append(piece)
            styled = piece != TERMINAL_MARK[1]
            continue
        if used + _width(piece) > width:
            while out and out[-1].startswith("\x1b["):
                out.pop()
            if out:
                used -= _width(out.pop())
            end = TERMINAL_MARK[1] if styled else ""
            return "".join(out) + end + "…" + " " * max(0, width - used - 1)
        out.append(piece)
        used += _width(piece)
    return "".join(out) + " " * (width - used)


def emit_table(rows: Iterable[dict[str, Any]], columns: Columns) -> None:
    """Rows as fixed-width columns; East Asian wide characters count as two."""
    click.echo("  ".join(_fit(name, width) for name, width in columns).rstrip())
    for row in rows:
        click.echo("  ".join(_fit(row.get(name), width) for name, width in columns).rstrip())


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def emit_rows(rows: Iterable[dict[str, Any]], fmt: str, columns: Columns | None = None) -> None:
    """Rows of data in ``fmt``: json (one array), jsonl, csv (lists as JSON), or table.

    JSON Lines and CSV are written row by row, as the rows come.
    """
    if fmt == "json":
        emit_json(list(rows))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer: Any = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(
                    sys.stdout, [name for name, _ in columns or []] or list(row)
                )
                writer.writeheader()
            writer.writerow({key: _cell(row.get(key)) for key in writer.fieldnames})
        if writer is None and columns:
            csv.writer(sys.stdout).writerow([name for name, _ in columns])
    else:
        listed = list(rows)
        if columns is None:
            names = list(listed[0]) if listed else []
            columns = [
                (n, min(40, max(_width(n), *(_width(str(_cell(r[n]))) for r in listed))))
                for n in names
            ]
        emit_table(listed, columns)
