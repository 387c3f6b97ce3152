"""Orchestration: parse once, read page facts, remove clutter, run trafilatura, post-process.

Order matters: everything that reads metadata (dates, bylines, title) looks at the intact tree,
because furniture removal drops the very blocks that state them (163's `creative_statement`
holds 责任编辑). Clutter removal then edits the same tree in place, and trafilatura gets that
tree rather than the markup, so the page is parsed once.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy

import trafilatura
from lxml import etree
from lxml.html import Element, HtmlElement
from trafilatura.settings import Document

from .bylines import header_texts, markup_authors, read_provenance, structured_authors
from .clutter import drop_never_text, remove_clutter
from .datelines import visible_published
from .dates import find_modified, first_datetime, page_timezone, published_candidates
from .document import PageFacts, is_chinese, parse_html, squash
from .images import article_images
from .layout import unwrap_layout
from .model import Extraction, SiteRules
from .title import find_title
from .trimming import normal_line, trim_text

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "2026.11.2"

_MIN_TEXT_CHARS = 25  # less is a menu or a caption, not an article ("首页\n新闻")
_RESCUE_CHARS = 250  # a fast extraction shorter than this gets the full cascade
_MENU_LINE = 20  # characters: a shorter line without punctuation is a menu item or a label
_MENU_SHARE = 0.2  # a text with more of its characters in such lines may be a page dump
_PROSE = re.compile(r"[。，！？；,.!?;]")


def extract_article(html: str, url: str, *, rules: SiteRules | None = None) -> Extraction | None:
    """None when the page has no main text (not an article)."""
    rules = rules or SiteRules()
    tree = parse_html(html)
    if tree is None:
        logger.info("unparseable page: %s", url)
        return None
    facts = PageFacts(tree, url)
    title, title_node = find_title(tree, facts, rules.title_xpath)
    drop_never_text(tree)
    header = header_texts(tree, title_node)
    stated_dates = published_candidates(tree, facts, header, rules.date_xpath)
    body = tree.find("body")
    # what a reader sees of the page, before furniture goes
    page_text = squash((body if body is not None else tree).text_content())
    declared_authors = [*_ld_author_names(facts), facts.first_meta("author", "article:author")]
    # bylines in markup are the last resort, read only when nothing declares an author
    marked_authors = [] if any(declared_authors) else markup_authors(tree)
    if rules.body_xpath:
        tree = _isolate_body(tree, rules.body_xpath, url)
    main = remove_clutter(tree, rules.noise_xpaths)
    unwrap_layout(tree)
    raw_text = _run_trafilatura(tree, url)
    if not raw_text:
        logger.info("no main text extracted: %s", url)
        return None
    images = article_images(main, facts, url)
    # the headline goes before trimming (furniture under it is then at the edge) and after
    trimmed, credits = trim_text(_without_headline(raw_text, title))
    text = _without_headline(trimmed, title)
    if len(text) < _MIN_TEXT_CHARS:
        logger.info("no main text left after trimming: %s", url)
        return None

    chinese = is_chinese(text) or (facts.html_lang or "").lower().startswith("zh")
    tz = page_timezone(rules.timezone, chinese)
    published = first_datetime(stated_dates, tz) or visible_published(
        page_text, text, title, url, tz
    )
    lines = text.split("\n")
    found = read_provenance([*header, *credits], lines) if chinese else None
    site_name = facts.site_name
    authors = (
        found.authors
        if found and found.authors
        else structured_authors(
            [*declared_authors, *marked_authors],
            site_name,
        )
    )
    return Extraction(
        title=title,
        original_title=found.original_title if found else None,
        description=facts.first_meta("description", "og:description", "twitter:description"),
        authors=tuple(authors),
        correspondents=tuple(found.correspondents) if found else (),
        editor=found.editor if found else None,
        source=found.source if found else None,
        published=published,
        modified=find_modified(facts, tz),
        text=text,
        images=images,
        tags=facts.tags(),
        canonical_url=facts.canonical_url,
        html_lang=facts.html_lang,
        site_name=site_name,
    )


def _run_trafilatura(tree: HtmlElement, url: str) -> str:
    """Trafilatura's main text of the cleaned tree (it copies the tree rather than parse again).

    Metadata is ours (it reads the intact tree), so trafilatura runs without it: htmldate and
    dateparser would cost more than all the rest. The fast cascade is enough once furniture is
    gone; the full one, with readability and jusText as rescuers, runs only when the fast one
    finds next to nothing.
    """
    text = _trafilatura_text(tree, url, fast=True)
    if len(text) < _RESCUE_CHARS:
        return max(text, _trafilatura_text(tree, url, fast=False), key=len)
    if _menu_share(text) > _MENU_SHARE:
        # the fast cascade fell back to the whole page (a short story among menus)
        full = _trafilatura_text(tree, url, fast=False)
        if len(full) >= _RESCUE_CHARS and _menu_share(full) < _menu_share(text):
            return full
    return text


def _menu_share(text: str) -> float:
    """Share of the characters in short unpunctuated lines: menus, tags, counters."""
    lines = text.split("\n")
    short = sum(len(line) for line in lines if len(line) < _MENU_LINE and not _PROSE.search(line))
    return short / max(1, sum(len(line) for line in lines))


def _trafilatura_text(tree: HtmlElement, url: str, *, fast: bool) -> str:
    doc = trafilatura.bare_extraction(
        tree, url=url or None, fast=fast, with_metadata=False, include_comments=False
    )
    return (doc.text or "") if isinstance(doc, Document) else ""


def _without_headline(text: str, title: str | None) -> str:
    """The text minus a first line that repeats the headline (it is in `title` already)."""
    first, _, rest = text.partition("\n")
    if title and rest and _compact(normal_line(first)) == _compact(title):
        return rest
    return text


def _compact(text: str) -> str:
    return squash(text).replace(" ", "")


def _isolate_body(tree: HtmlElement, body_xpath: str, url: str) -> HtmlElement:
    """A copy of the page whose <body> holds only the site's article node(s)."""
    nodes = [n for n in tree.xpath(body_xpath) if isinstance(n, HtmlElement)]
    if not nodes:
        logger.info("site body xpath matched nothing, using the whole page: %s", url)
        return tree
    page = Element("html")
    head = tree.find("head")
    if head is not None:
        page.append(_copy(head))
    body = etree.SubElement(page, "body")
    for node in nodes:
        body.append(_copy(node))
    return page


def _copy(node: HtmlElement) -> HtmlElement:
    clone = deepcopy(node)
    clone.tail = None
    return clone


def _ld_author_names(facts: PageFacts) -> list[str]:
    names: list[str] = []
    for value in facts.ld_values("author"):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
            elif isinstance(item, str):
                names.append(item)
    return ["; ".join(names)] if names else []
