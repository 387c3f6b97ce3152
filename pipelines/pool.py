"""The CPU-heavy stages in worker processes: decode, extract, language, near-duplicate keys,
and the archive's share: the gzipped WARC record, the text's hash and search segmentation.

One page's work is :func:`work`, a pure function of picklable values (bytes, strings, frozen
dataclasses), so it runs the same in a worker process, a thread or a test. :class:`WorkerPool`
runs it on a process pool sized to the machine, awaited from the reactor, never blocking it.

Workers start from a fork server that imported the extraction code once, never as copies of the
crawler with its threads and sockets. The pool holds at most ``max_pending`` pages (queued or
running); a page beyond that waits for a free place, and with it Scrapy's scraper, which stops
downloading once the responses it holds pass ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``: memory stays
bounded when extraction is slower than downloading. A worker that dies (a segfault in a parser,
the OOM killer) breaks the whole pool; a fresh pool replaces it, and a page whose work broke
the pool twice raises :class:`WorkerCrashed` for the caller to record.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from scrapy.utils.asyncio import run_in_thread

from pipelines.dedup import band_keys
from pipelines.extraction import Extraction, SiteRules
from pipelines.process import ProcessedPage, process_html, process_page
from storage.archive import content_hash
from storage.search import segment
from storage.warc import PreparedRecord, prepare_response

logger = logging.getLogger(__name__)

T = TypeVar("T")
# What a worker imports before it forks: everything a page's work needs.
_PRELOAD = ["pipelines.pool"]


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


class WorkerCrashed(Exception):
    """A worker process died working on this page, on a fresh pool too."""


def _ready() -> int:
    return os.getpid()


class WorkerPool:
    """``workers`` processes (0: one thread of this process), at most ``max_pending`` pages in."""

    def __init__(self, workers: int, max_pending: int) -> None:
        self.workers = workers
        self.max_pending = max(1, max_pending)
        self._slots = asyncio.Semaphore(self.max_pending)
        self._executor: Executor | None = None

    def _new_executor(self) -> Executor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return ProcessPoolExecutor(self.workers, mp_context=context)

    async def start(self) -> None:
        """Start every worker now, so that the first pages do not wait for start-up."""
        if self.workers == 0 or self._executor is not None:
            return
        self._executor = self._new_executor()
        futures = [self._executor.submit(_ready) for _ in range(self.workers)]
        pids = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        logger.info("extraction pool: %s worker processes %s", self.workers, sorted(set(pids)))

    async def run(self, function: Callable[[Any], T], argument: Any) -> T:
        """``function(argument)`` in a worker, once a place in the pool is free."""
        async with self._slots:
            if self.workers == 0:
                return await run_in_thread(function, argument)
            for attempt in (1, 2):
                if self._executor is None:
                    self._executor = self._new_executor()
                executor = self._executor
                try:
                    return await asyncio.wrap_future(executor.submit(function, argument))
                except BrokenProcessPool:
                    self._replace(executor)
                    if attempt == 2:
                        raise WorkerCrashed("a worker process died on this page twice") from None
            raise AssertionError("unreachable")

    def _replace(self, broken: Executor) -> None:
        """A fresh pool for a broken one (once, however many pages saw it break)."""
        if self._executor is broken:
            logger.error("an extraction worker died; starting a fresh pool")
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
