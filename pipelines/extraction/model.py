"""The values the extraction library takes and returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SiteRules:
    """Per-publisher overrides of the generic extraction; site profiles fill these."""

    body_xpath: str | None = None
    noise_xpaths: tuple[str, ...] = ()
    title_xpath: str | None = None
    date_xpath: str | None = None
    timezone: str | None = None  # IANA name, e.g. "Asia/Shanghai", for naive local times


@dataclass(frozen=True)
class Extraction:
    """What one article page says about itself."""

    title: str | None
    original_title: str | None  # 原标题: the headline at the outlet that first ran the story
    description: str | None
    authors: tuple[str, ...]  # reporters, bylines; never commenters, platforms, copyright lines
    correspondents: tuple[str, ...]  # 通讯员
    editor: str | None  # 责任编辑, without internal codes such as _NN2587
    source: str | None  # 来源: the outlet, e.g. 齐鲁晚报·齐鲁壹点
    published: datetime | None  # always timezone-aware
    modified: datetime | None  # only when the page states it
    text: str  # the article text, one paragraph per line
    images: tuple[str, ...]
    tags: tuple[str, ...]
    canonical_url: str | None  # absolute, from <link rel=canonical> or og:url
    html_lang: str | None
    site_name: str | None
