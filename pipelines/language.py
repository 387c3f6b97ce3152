"""Stage 3: the language of the article text (langdetect, seeded so results repeat).

zh-cn and zh-tw are kept apart, as langdetect reports them. Very short texts give unreliable
guesses, so below a threshold ``<html lang>`` decides; a page whose title is Chinese but whose
body is English is English, because only the body is looked at.
"""

from __future__ import annotations

import logging
import re
from typing import Self

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from pipelines.page import Page

logger = logging.getLogger(__name__)

DetectorFactory.seed = (
    0  # langdetect is random by default; seeded, the same text gives the same answer
)

# Fewer letters than this and langdetect guesses; trust the page's own declaration instead.
MIN_LETTERS = 20
# The first few thousand characters decide; more only costs time.
SAMPLE_SIZE = 3000
_LETTER_RE = re.compile(r"[^\W\d_]")
_HANGUL_RE = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA_RE = re.compile("[\u3040-\u30ff]")
_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def normalize_html_lang(value: str | None) -> str | None:
    """``<html lang>`` in langdetect's codes: zh-CN -> zh-cn, zh-Hant -> zh-tw, en-US -> en."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-")
    if not code:
        return None
    if code.startswith("zh"):
        return "zh-tw" if code.startswith(_TRADITIONAL) else "zh-cn"
    return code.split("-")[0]


def detect_language(text: str, html_lang: str | None = None) -> str | None:
    """The language of ``text``; ``html_lang`` for very short or undecidable text."""
    sample = text[:SAMPLE_SIZE]
    if len(_LETTER_RE.findall(sample)) < MIN_LETTERS:
        return normalize_html_lang(html_lang)
    try:
        candidates = detect_langs(sample)
    except LangDetectException:
        logger.debug("language not detected, using <html lang>=%s", html_lang)
        return normalize_html_lang(html_lang)
    # langdetect sometimes takes traditional Chinese for Korean or Japanese; a text with no
    # Hangul is not Korean, and one with no kana is not Japanese.
    for candidate in candidates:
        if candidate.lang == "ko" and not _HANGUL_RE.search(sample):
            continue
        if candidate.lang == "ja" and not _KANA_RE.search(sample):
            continue
        return str(candidate.lang)
    return normalize_html_lang(html_lang)


class LanguagePipeline:
    """Sets ``page.language`` from the extracted text."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending or item.extraction is None:
            return item
        item.language = detect_language(item.extraction.text, item.extraction.html_lang)
        self.stats.inc_value(f"language/{item.language or 'unknown'}")
        return item
