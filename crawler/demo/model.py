"""The record behind each demo page: what the page shows and what an archive should keep."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

STYLES = ("netease", "qilu", "county", "english")
ENCODINGS = ("utf-8", "gbk")

_PATH_RULES = {
    "netease": re.compile(r"/dy/article/[0-9A-Z]{16}\.html"),
    "qilu": re.compile(r"/general/\d{8}\.html"),
    "county": re.compile(r"/xwzx/\d{6}/t\d{8}_\d+\.html"),
    "english": re.compile(r"/en/\d{4}/\d{2}/[a-z0-9-]+\.html"),
}


@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo site.

    ``paragraphs`` is the text an archive should keep, paragraph by paragraph: body text,
    subheadings, image captions, end credits such as "文/孟燕", and bylines written into a
    sentence. A byline on a line of its own ("齐鲁晚报·齐鲁壹点记者 王贝艺 通讯员 徐华") is
    not in ``paragraphs``: it is ``byline``, and its names are ``authors``. ``caption`` names
    the paragraph that an image is drawn above; a caption that is no longer among the
    paragraphs (a test replaced them) just drops the image.
    """

    path: str
    style: str
    title: str
    published: str
    language: str
    authors: tuple[str, ...]
    source: str | None
    paragraphs: tuple[str, ...]
    encoding: str = "utf-8"
    byline: str = ""
    editor: str | None = None
    caption: str | None = None
    summary: str = ""
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}: {self.path}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {self.encoding!r}: {self.path}")
        if not _PATH_RULES[self.style].fullmatch(self.path):
            raise ValueError(f"path does not fit style {self.style!r}: {self.path}")
        if self.when.utcoffset() is None:
            raise ValueError(f"published time has no UTC offset: {self.path}")

    @property
    def when(self) -> datetime:
        """The publish time as an aware datetime."""
        return datetime.fromisoformat(self.published)

    @property
    def text(self) -> str:
        """The paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)

    @property
    def stamp(self) -> str:
        """The publish time as Chinese pages print it, to the second: 2026-01-07 15:34:12."""
        return self.when.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def stamp_minutes(self) -> str:
        """The publish time to the minute: 2026-01-07 15:34."""
        return self.when.strftime("%Y-%m-%d %H:%M")
