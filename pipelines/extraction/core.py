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

from .bylines import header_texts, read_provenance, structured_authors
from .clutter import remove_clutter
from .dates import (
    find_dateline,
    find_modified,
    first_datetime,
    page_timezone,
    parse_datetime,
    published_candidates,
)
from .document import PageFacts, is_chinese, parse_html, squash
from .images import article_images
from .layout import unwrap_layout
from .model import Extraction, SiteRules
from .title import find_title
from .trimming import trim_text

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "2026.11.1"

_MIN_TEXT_CHARS = 25  # less is a menu or a caption, not an article ("首页\n新闻")


def extract_article(html: str, url: str, *, rules: SiteRules | None = None) -> Extraction | None:
    """None when the page has no main text (not an article)."""
    rules = rules or SiteRules()
    tree = parse_html(html)
    if tree is None:
        logger.info("unparseable page: %s", url)
        return None
    facts = PageFacts(tree, url)
    title, title_node = find_title(tree, facts, rules.title_xpath)
    header = header_texts(tree, title_node)
    stated_dates = published_candidates(tree, facts, header, rules.date_xpath)
    if rules.body_xpath:
        tree = _isolate_body(tree, rules.body_xpath, url)
    main = remove_clutter(tree, rules.noise_xpaths)
    unwrap_layout(tree)
    doc = _run_trafilatura(tree, url)
    if doc is None or not doc.text:
        logger.info("no main text extracted: %s", url)
        return None
    images = article_images(main, facts, url)
    text = _without_headline(trim_text(doc.text), title)
    if len(text) < _MIN_TEXT_CHARS:
        logger.info("no main text left after trimming: %s", url)
        return None

    chinese = is_chinese(text) or (facts.html_lang or "").lower().startswith("zh")
    tz = page_timezone(rules.timezone, chinese)
    published = first_datetime(stated_dates, tz)
    if published is None:
        page_text = squash(tree.text_content())
        published = find_dateline(page_text, text, tz)
    if published is None and doc.date and not doc.date.endswith("-01-01"):
        # htmldate's guess (date only) from URL and text; January 1st is a bare year filled in
        published = parse_datetime(doc.date, tz)

    lines = text.split("\n")
    found = read_provenance(header, lines) if chinese else None
    authors = (
        found.authors
        if found and found.authors
        else structured_authors(
            [*_ld_author_names(facts), facts.first_meta("author", "article:author"), doc.author],
            facts.site_name or _plausible_site_name(doc.sitename),
        )
    )
    return Extraction(
        title=title or doc.title,
        original_title=found.original_title if found else None,
        description=facts.first_meta("description", "og:description") or doc.description,
        authors=tuple(authors),
        correspondents=tuple(found.correspondents) if found else (),
        editor=found.editor if found else None,
        source=found.source if found else None,
        published=published,
        modified=find_modified(facts, tz),
        text=text,
        images=images,
        tags=tuple(_tags(facts, doc)),
        canonical_url=facts.canonical_url,
        html_lang=facts.html_lang,
        site_name=facts.site_name or _plausible_site_name(doc.sitename),
    )


def _run_trafilatura(tree: HtmlElement, url: str) -> Document | None:
    """Trafilatura's extraction of the cleaned tree; it copies the tree rather than parse again."""
    doc = trafilatura.bare_extraction(
        tree, url=url or None, with_metadata=True, include_comments=False
    )
    return doc if isinstance(doc, Document) else None


def _without_headline(text: str, title: str | None) -> str:
    """The text minus a first line that repeats the headline (it is in `title` already)."""
    first, _, rest = text.partition("\n")
    if title and rest and squash(first).replace(" ", "") == squash(title).replace(" ", ""):
        return rest
    return text


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


def _plausible_site_name(name: str | None) -> str | None:
    """Trafilatura's guess, unless it is a copyright line ("网易版权所有")."""
    if not name or re.search(r"版权|copyright|©|all rights", name, re.IGNORECASE):
        return None
    return name


def _ld_author_names(facts: PageFacts) -> list[str]:
    names: list[str] = []
    for value in facts.ld_values("author"):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
            elif isinstance(item, str):
                names.append(item)
    return ["; ".join(names)] if names else []


def _tags(facts: PageFacts, doc: Document) -> list[str]:
    raw = [*(doc.tags or []), *(doc.categories or [])]
    if not raw and (keywords := facts.first_meta("keywords", "news_keywords")):
        raw = [keywords]
    tags: list[str] = []
    for entry in raw:
        for tag in str(entry).replace("，", ",").replace("、", ",").split(","):
            if (tag := squash(tag)) and tag not in tags:
                tags.append(tag)
    return tags
