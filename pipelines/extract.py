"""Stage 2: the article out of the page (text, metadata, canonical URL, language).

The work itself is ``pipelines.process.process_html`` (extraction, then language detection and
the canonical URL), the same function ``newsarchive extract`` runs: a pure function of the HTML
and the URL, run off the reactor thread here, and movable to a process pool unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.utils.asyncio import run_in_thread

from pipelines.extraction import Extraction
from pipelines.page import Page
from pipelines.process import process_html, process_page
from pipelines.stage import Stage

logger = logging.getLogger(__name__)


class ExtractPipeline(Stage):
    """Sets ``page.extraction``, ``page.canonical_url`` and ``page.language``.

    A page with no main text gets ``page.problem`` instead.
    """

    async def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending or item.html is None:
            return item
        processed = await run_in_thread(
            process_html, item.html, item.url, encoding=item.encoding, rules=item.rules
        )
        if processed.extraction is None:
            logger.info("no main text extracted: %s", item.url)
            self.stats.inc_value("extraction/empty")
            item.problem = processed.problem
            return item
        self.stats.inc_value("extraction/ok")
        item.extraction = processed.extraction
        if item.parts:
            item.extraction = await run_in_thread(stitch, item)
            self.stats.inc_value("extraction/multipage")
        # A site profile's canonical URL (set by the spider) wins over the page's own.
        item.canonical_url = item.canonical_url or processed.canonical_url
        item.language = processed.language
        return item


def stitch(page: Page) -> Extraction:
    """One article from a multi-page one: page 1's metadata, every page's text in order.

    A later page's lines that repeat earlier ones (a repeated lead or byline) are left out.
    """
    first = page.extraction
    assert first is not None
    lines = first.text.split("\n")
    images = list(first.images)
    for part in page.parts:
        processed = process_page(
            part.body, part.url, content_type=part.header("content-type"), rules=page.rules
        )
        if processed.extraction is None:
            logger.info("no text on page %s of %s", part.url, page.url)
            continue
        seen = set(lines)
        lines += [line for line in processed.extraction.text.split("\n") if line not in seen]
        images += [image for image in processed.extraction.images if image not in images]
    return replace(first, text="\n".join(lines), images=tuple(images))
