"""The headline: the page's <h1> when it agrees with og:title or <title>, else a cleaned title.

<title> and og:title carry site suffixes (" - 网易新闻", "_网易订阅", "_新浪网", "|kw1|kw2" keyword
tails) and 163's og:title is sometimes cut at the first ASCII quote, so an <h1> that matches
them is the better headline. A page can have several h1s (logo, sidebar); the one matching the
title wins.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .document import PageFacts, squash

# separators between headline and site name / keyword tails: "标题_网易新闻", "Title | Site"
_SEPARATORS = re.compile(r"\s+[-–—|·»]\s+|\s*[|｜_]\s*|\s+::\s+")
_MAX_H1 = 200  # an "h1" longer than this is a layout block, not a headline


def find_title(
    tree: HtmlElement, facts: PageFacts, title_xpath: str | None = None
) -> tuple[str | None, HtmlElement | None]:
    """(headline, the element that shows it on the page if one does)."""
    if title_xpath:
        for found in tree.xpath(title_xpath):
            if isinstance(found, str) and squash(found):
                return squash(found), None
            if isinstance(found, HtmlElement) and (text := squash(found.text_content())):
                return text, found
    og_title = facts.first_meta("og:title", "twitter:title")
    declared = [title for title in (og_title, _ld_headline(facts), _title_tag(tree)) if title]
    headings = [
        (text, node)
        for node in tree.iter("h1")
        if (text := squash(node.text_content())) and len(text) <= _MAX_H1
    ]
    for text, node in headings:
        if any(_agrees(text, title) for title in declared):
            return text, node
    if declared:
        return clean_title(declared[0]), headings[0][1] if len(headings) == 1 else None
    if headings:
        return headings[0]
    # old pages put the headline in <h2>/<h3> or a styled cell; the <title> is all there is
    return None, None


def clean_title(title: str) -> str:
    """Drop site-name and keyword segments: keep the longest segment of the title."""
    parts = [part.strip() for part in _SEPARATORS.split(title) if part.strip()]
    if len(parts) <= 1:
        return title.strip()
    return max(parts, key=len)


def _agrees(heading: str, title: str) -> bool:
    """The heading is the title, or the title with a suffix, or a cut-off title's full form."""
    heading, title = _normal(heading), _normal(title)
    if not heading or not title:
        return False
    if heading in title or (len(title) >= 8 and title in heading):
        return len(heading) >= 0.3 * len(title)
    return _normal(clean_title(title)) == heading


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _title_tag(tree: HtmlElement) -> str | None:
    node = tree.find(".//title")
    return squash(node.text_content()) or None if node is not None else None


def _ld_headline(facts: PageFacts) -> str | None:
    for value in facts.ld_values("headline"):
        if isinstance(value, str) and value.strip():
            return squash(value)
    return None
