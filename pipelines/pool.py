"""The CPU-heavy stages in worker processes: decode, extract, language, near-duplicate keys,
and the archive's share: the gzipped WARC record, the text's hash and search segmentation.

One page's work is :func:`work`, a pure function of picklable values (bytes, strings, frozen
dataclasses), so it runs the same in a worker process, a thread or a test.
``pipelines.workers.WorkerPool`` runs it on worker processes, one per core, awaited from the
reactor, never blocking it; the workers fork from a server that imported this module once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from pipelines.dedup import band_keys
from pipelines.extraction import Extraction, SiteRules
from pipelines.process import ProcessedPage, process_html, process_page
from pipelines.workers import WorkerCrashed, WorkerError, WorkerPool
from storage.archive import content_hash
from storage.search import segment
from storage.warc import PreparedRecord, prepare_response

__all__ = ["Done", "Fetch", "Job", "Part", "WorkerCrashed", "WorkerError", "WorkerPool", "work"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    """Page 2, 3, … of a multi-page article."""

    url: str
    body: bytes
    content_type: str | None


@dataclass(frozen=True)
class Fetch:
    """How the page was fetched: what its WARC record needs besides the URL and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    fetched_at: datetime


@dataclass(frozen=True)
class Job:
    """One article page to work on: its raw body, or its text if already decoded.

    With ``fetch``, the work includes what the archive needs of the page, so that the crawler's
    own process does not: its WARC record, built and gzipped, and the text's hash and search
    segmentation. Without it (``make bench-crawl``'s extraction-only limit), extraction alone.
    """

    url: str
    body: bytes
    content_type: str | None = None
    rules: SiteRules | None = None
    html: str | None = None
    encoding: str | None = None
    parts: tuple[Part, ...] = ()
    fetch: Fetch | None = None


@dataclass(frozen=True)
class Done:
    """What a worker hands back: never the page itself, only what the archive keeps."""

    processed: ProcessedPage
    band_keys: tuple[int, ...] = ()
    stitched: bool = False
    warc_record: PreparedRecord | None = None
    text_hash: str | None = None
    segmented_text: str | None = None


def work(job: Job) -> Done:
    """Decode, extract, detect the language, stitch the parts and fingerprint one article;
    with ``job.fetch``, its WARC record, text hash and search segmentation too."""
    record = None
    if job.fetch is not None and job.body:
        fetch = job.fetch
        record = prepare_response(
            job.url, fetch.status, list(fetch.headers), job.body, fetch.fetched_at
        )
    done = _extract(job)
    if record is None:
        return done
    extraction = done.processed.extraction
    if extraction is None:
        return replace(done, warc_record=record)
    return replace(
        done,
        warc_record=record,
        text_hash=content_hash(extraction.text),
        segmented_text=segment(extraction.text),
    )


def _extract(job: Job) -> Done:
    if job.html is not None:
        processed = process_html(job.html, job.url, encoding=job.encoding, rules=job.rules)
    else:
        processed = process_page(job.body, job.url, content_type=job.content_type, rules=job.rules)
    extraction = processed.extraction
    if extraction is None:
        return Done(processed)
    if job.parts:
        extraction = stitch(extraction, job.parts, job.url, job.rules)
        processed = replace(processed, extraction=extraction)
    return Done(processed, band_keys(extraction.text), stitched=bool(job.parts))


def stitch(
    first: Extraction, parts: tuple[Part, ...], url: str, rules: SiteRules | None
) -> Extraction:
    """One article from a multi-page one: page 1's metadata, every page's text in order.

    A later page's lines that repeat earlier ones (a repeated lead or byline) are left out.
    """
    lines = first.text.split("\n")
    images = list(first.images)
    for part in parts:
        processed = process_page(part.body, part.url, content_type=part.content_type, rules=rules)
        if processed.extraction is None:
            logger.info("no text on page %s of %s", part.url, url)
            continue
        seen = set(lines)
        lines += [line for line in processed.extraction.text.split("\n") if line not in seen]
        images += [image for image in processed.extraction.images if image not in images]
    return replace(first, text="\n".join(lines), images=tuple(images))
