"""One fetched page to what the archive keeps: decode -> extract -> language -> canonical URL.

This is the seam that the Scrapy stages (``decode``, ``extract``, ``language``) and
``newsarchive extract`` share, so the command prints exactly what a crawl would archive. It is a
pure function of picklable values (bytes, strings, frozen dataclasses), so it can run in a
thread or a process pool unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipelines.decode import decode_html
from pipelines.extraction import Extraction, SiteRules, extract_article
from pipelines.language import detect_language
from pipelines.urls import canonical_url

logger = logging.getLogger(__name__)

EMPTY_RESPONSE = "empty response"
NO_MAIN_TEXT = "no main text"


@dataclass(frozen=True)
class ProcessedPage:
    """The result of :func:`process_page`; ``problem`` says why there is no article."""

    encoding: str | None
    extraction: Extraction | None
    language: str | None
    canonical_url: str | None  # None only for a file read without a URL that declares none
    problem: str | None = None


def process_page(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    rules: SiteRules | None = None,
) -> ProcessedPage:
    """Decode, extract, detect the language and settle the canonical URL of one page."""
    if not body.strip():
        return ProcessedPage(None, None, None, _canonical(url, None), EMPTY_RESPONSE)
    html, encoding = decode_html(body, content_type)
    return process_html(html, url, encoding=encoding, rules=rules)


def process_html(
    html: str, url: str, *, encoding: str | None = None, rules: SiteRules | None = None
) -> ProcessedPage:
    """The stages after decoding, for text that is already decoded."""
    extraction = extract_article(html, url, rules=rules)
    if extraction is None:
        return ProcessedPage(encoding, None, None, _canonical(url, None), NO_MAIN_TEXT)
    return ProcessedPage(
        encoding=encoding,
        extraction=extraction,
        language=detect_language(extraction.text, extraction.html_lang),
        canonical_url=_canonical(url, extraction.canonical_url),
    )


def _canonical(url: str, declared: str | None) -> str | None:
    if url:
        return canonical_url(url, declared)
    return canonical_url(declared, declared) if declared else None
