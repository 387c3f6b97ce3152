"""``newsarchive extract``: what the pipeline would archive from saved HTML files.

A thin layer over ``pipelines.process.process_page``, the function the crawl's stages run, so
the JSON printed here is what a crawl would store. One JSON object per file (JSON lines); a
file that cannot be read is one line on stderr, the others still print, and the exit code is 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pipelines.process import ProcessedPage


@dataclass(frozen=True)
class Job:
    """One file to extract, with what the manifest (or the command line) says about it."""

    path: str
    url: str | None
    content_type: str | None = None


class ManifestError(Exception):
    """A manifest line that names no file."""


def read_manifest(manifest: Path) -> Iterator[Job | ManifestError]:
    """Jobs from JSON lines ``{"path": …, "url": …}``; relative paths are from the manifest."""
    with manifest.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                yield ManifestError(f"{manifest}:{number}: not a JSON object")
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                yield ManifestError(f'{manifest}:{number}: no "path"')
                continue
            url, content_type = entry.get("url"), entry.get("content_type")
            yield Job(
                path=str(manifest.parent / entry["path"]),
                url=url if isinstance(url, str) and url else None,
                content_type=content_type if isinstance(content_type, str) else None,
            )


def page_record(job: Job, page: ProcessedPage) -> dict[str, Any]:
    """The JSON object printed for one file: the fields an archived article gets."""
    from pipelines.extraction import EXTRACTOR_VERSION

    found = page.extraction
    return {
        "path": job.path,
        "url": job.url,
        "canonical_url": page.canonical_url,
        "encoding": page.encoding,
        "language": page.language,
        "title": found.title if found else None,
        "original_title": found.original_title if found else None,
        "description": found.description if found else None,
        "published": _iso(found.published) if found else None,
        "modified": _iso(found.modified) if found else None,
        "authors": list(found.authors) if found else [],
        "correspondents": list(found.correspondents) if found else [],
        "editor": found.editor if found else None,
        "source": found.source if found else None,
        "site_name": found.site_name if found else None,
        "images": list(found.images) if found else [],
        "tags": list(found.tags) if found else [],
        "text": found.text if found else "",
        "extractor_version": EXTRACTOR_VERSION,
        "problem": page.problem,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@click.command("extract")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="The URL the page was fetched from (one FILE only).")
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON lines of {"path": …, "url": …}: many files in one run.',
)
def extract_command(files: tuple[Path, ...], url: str | None, manifest: Path | None) -> None:
    """Print what the pipeline would archive from saved HTML files, one JSON object per line.

    Each object has path, url, canonical_url, encoding, language, title, original_title,
    description, published and modified (ISO 8601 with offset), authors, correspondents,
    editor, source, images, tags and text. A page without an article has "problem" set.

    \b
    Example:
        newsarchive extract page.html --url https://www.163.com/dy/article/KJ1B2C3D0514R9KQ.html
        newsarchive extract saved/*.html | jq -r .title
        newsarchive extract --manifest pages.jsonl > extracted.jsonl
    """
    if not files and manifest is None:
        raise click.UsageError("give one or more FILEs, or --manifest")
    # imported here, so that the archive's other commands start without loading the extractor
    from pipelines.process import process_page

    if url is not None and len(files) != 1:
        raise click.UsageError("--url goes with exactly one FILE")
    jobs: list[Job | ManifestError] = [Job(str(path), url) for path in files]
    if manifest is not None:
        jobs.extend(read_manifest(manifest))
    failed = 0
    for job in jobs:
        if isinstance(job, ManifestError):
            click.echo(f"Error: {job}", err=True)
            failed += 1
            continue
        try:
            body = Path(job.path).read_bytes()
        except OSError as exc:
            click.echo(f"Error: cannot read {job.path}: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        page = process_page(body, job.url or "", content_type=job.content_type)
        click.echo(json.dumps(page_record(job, page), ensure_ascii=False))
    if failed:
        # SystemExit, not click's Exit: `newsarchive` runs click with standalone_mode=False,
        # which turns Exit into a return value
        raise SystemExit(1)
