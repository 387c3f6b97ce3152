"""Stage 3: the language of the article text (langdetect, seeded so results repeat).

zh-cn and zh-tw are kept apart, as langdetect reports them. Very short texts give unreliable
guesses, so below a threshold ``<html lang>`` decides; a page whose title is Chinese but whose
body is English is English, because only the body is looked at. Chinese prose full of code or
English terms is still Chinese: when Han characters outnumber Latin words, the text is Chinese
whatever langdetect's letter statistics say (it calls such text English, and traditional
Chinese sometimes Korean).
"""

from __future__ import annotations

import logging
import re
import threading

from langdetect import DetectorFactory, detect_langs
from langdetect.detector_factory import init_factory
from langdetect.lang_detect_exception import LangDetectException

from pipelines.page import Page
from pipelines.stage import Stage

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
_PROFILES_LOCK = threading.Lock()
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]+")
_MIN_HAN = 50  # Han characters: fewer, and a Chinese title over an English body stays English
# frequent characters written differently in the two scripts, pairwise
_TRADITIONAL_ONLY = "這們個為說時國會來對學發經還過後與無開關見長門問間"
_SIMPLIFIED_ONLY = "这们个为说时国会来对学发经还过后与无开关见长门问间"


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
    _load_profiles()
    try:
        candidates = detect_langs(sample)
    except LangDetectException:
        logger.debug("language not detected, using <html lang>=%s", html_lang)
        return normalize_html_lang(html_lang)
    # langdetect sometimes takes traditional Chinese for Korean or Japanese; a text with no
    # Hangul is not Korean, and one with no kana is not Japanese.
    hangul, kana = bool(_HANGUL_RE.search(sample)), bool(_KANA_RE.search(sample))
    # Chinese prose with code or English terms in it ("Golang 里面有一个关键词叫做defer"):
    # langdetect counts letters, so count words instead, a Han character being one word.
    han = len(_HAN_RE.findall(sample))
    if han >= _MIN_HAN and han >= len(_LATIN_WORD_RE.findall(sample)) and not (hangul or kana):
        return _chinese_variant(sample, [str(c.lang) for c in candidates])
    for candidate in candidates:
        if candidate.lang == "ko" and not hangul:
            continue
        if candidate.lang == "ja" and not kana:
            continue
        return str(candidate.lang)
    if han >= _MIN_HAN and not (hangul or kana):
        return _chinese_variant(sample, [])
    return normalize_html_lang(html_lang)


def _load_profiles() -> None:
    """Load langdetect's profiles once: its lazy loader is not thread-safe, and a detection
    that runs while another thread is still loading gets a half-filled language list."""
    with _PROFILES_LOCK:
        init_factory()


def _chinese_variant(sample: str, guesses: list[str]) -> str:
    """zh-cn or zh-tw: langdetect's guess if it made one, else the script's telltale characters.

    langdetect sometimes calls traditional Chinese Korean; then characters that exist only in
    one script decide (這/这, 們/们, …).
    """
    for guess in guesses:
        if guess in ("zh-cn", "zh-tw"):
            return guess
    traditional = sum(sample.count(char) for char in _TRADITIONAL_ONLY)
    simplified = sum(sample.count(char) for char in _SIMPLIFIED_ONLY)
    return "zh-tw" if traditional > simplified else "zh-cn"


class LanguagePipeline(Stage):
    """Sets ``page.language`` from the extracted text, unless extraction has already."""

    def process_item(self, item: object) -> object:
        if not isinstance(item, Page) or not item.pending or item.extraction is None:
            return item
        if item.language is None:
            item.language = detect_language(item.extraction.text, item.extraction.html_lang)
        self.stats.inc_value(f"language/{item.language or 'unknown'}")
        return item
