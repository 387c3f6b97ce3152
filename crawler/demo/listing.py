"""Homepage and section list pages, with the pagination links crawlers follow."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.demo.content import PRIVATE_PATH
from crawler.demo.model import DemoArticle
from crawler.demo.templates import SiteView, esc, fill

HOME_LATEST = 10


@dataclass(frozen=True)
class Section:
    """A paginated list of articles of some styles."""

    root: str
    styles: tuple[str, ...]
    per_page: int
    lang: str
    heading: str
    crumb: str

    def page_path(self, page: int) -> str:
        """The path of page ``page`` (1-based)."""
        if page == 1:
            return self.root
        if self.lang == "en":
            return f"{self.root}page/{page}/"
        return f"{self.root}index_{page}.html"

    def page_of(self, path: str, view: SiteView) -> int | None:
        """The page number that ``path`` names in this section, or None."""
        if path in (self.root, self.root + "index.html"):
            return 1
        for page in range(2, self.page_count(view) + 1):
            if path == self.page_path(page):
                return page
        return None

    def page_count(self, view: SiteView) -> int:
        """How many pages the section has now (at least one)."""
        return max(1, -(-len(view.of_style(*self.styles)) // self.per_page))


SECTIONS = (
    Section("/news/", ("netease", "qilu", "county"), 8, "zh-CN", "新闻中心", "首页 > 新闻中心"),
    Section("/xwzx/", ("county",), 8, "zh-CN", "本地新闻", "首页 > 新闻中心 > 本地新闻"),
    Section("/en/", ("english",), 6, "en", "Latest news in English", "Home > News"),
)


def render_home(view: SiteView) -> str:
    """The homepage: the latest articles and the way into every section."""
    latest = "\n".join(_item(article, "zh-CN") for article in view.articles[:HOME_LATEST])
    return fill("home.html", latest=latest, private_path=PRIVATE_PATH)


def render_section(section: Section, page: int, view: SiteView) -> str:
    """One page of a section list."""
    articles = view.of_style(*section.styles)
    shown = articles[(page - 1) * section.per_page : page * section.per_page]
    pages = section.page_count(view)
    previous = section.page_path(page - 1) if page > 1 else None
    following = section.page_path(page + 1) if page < pages else None
    head = []
    if previous:
        head.append(f'<link rel="prev" href="{previous}">')
    if following:
        head.append(f'<link rel="next" href="{following}">')
    english = section.lang == "en"
    return fill(
        "listing.html",
        lang=section.lang,
        title=esc(_title(section, page)),
        head_links="\n".join(head),
        home_label="Home" if english else "首页",
        crumb=esc(section.crumb),
        heading=esc(section.heading),
        items="\n".join(_item(article, section.lang) for article in shown),
        pager=_pager(section, page, pages, previous, following),
    )


def _title(section: Section, page: int) -> str:
    if page == 1:
        return section.heading
    return (
        f"{section.heading} - page {page}"
        if section.lang == "en"
        else f"{section.heading}_第{page}页"
    )


def _item(article: DemoArticle, lang: str) -> str:
    when = f"{article.when:%b %d, %Y}" if lang == "en" else article.stamp_minutes
    source = f'<span class="source">{esc(article.source)}</span>' if article.source else ""
    return (
        f'      <li><a href="{esc(article.path)}">{esc(article.title)}</a>'
        f'<span class="time">{when}</span>{source}</li>'
    )


def _pager(
    section: Section, page: int, pages: int, previous: str | None, following: str | None
) -> str:
    if section.lang == "en":
        parts = [f'<a class="prev" rel="prev" href="{previous}">« Previous</a>'] if previous else []
        parts.append(f'<span class="current">Page {page} of {pages}</span>')
        if following:
            parts.append(f'<a class="next" rel="next" href="{following}">Next »</a>')
        return "    " + " ".join(parts)
    parts = [f'<a href="{section.page_path(1)}">首页</a>']
    if previous:
        parts.append(f'<a rel="prev" href="{previous}">上一页</a>')
    for number in range(1, pages + 1):
        if number == page:
            parts.append(f'<span class="current">{number}</span>')
        else:
            parts.append(f'<a href="{section.page_path(number)}">{number}</a>')
    if following:
        parts.append(f'<a rel="next" href="{following}">下一页</a>')
    parts.append(f'<a href="{section.page_path(pages)}">尾页</a>')
    parts.append(f"<span>共{pages}页</span>")
    return "    " + " ".join(parts)
