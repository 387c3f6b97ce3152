"""RSS feed, sitemaps and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime

from crawler.demo.templates import SiteView, describe

RSS_ITEMS = 15
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
DC_NS = "http://purl.org/dc/elements/1.1/"
ARTICLE_SITEMAP = "/sitemap-articles.xml"

ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)
ET.register_namespace("dc", DC_NS)


def _text(parent: ET.Element, tag: str, text: str, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _serialize(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def render_rss(view: SiteView) -> bytes:
    """RSS 2.0 with the latest articles; pubDate in RFC 822 form with a +0800 offset."""
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", "齐鲁新闻演示站")
    _text(channel, "link", view.url("/"))
    _text(channel, "description", "newsarchive 演示站的最新文章")
    _text(channel, "language", "zh-cn")
    if view.articles:
        _text(channel, "lastBuildDate", format_datetime(view.articles[0].when))
    for article in view.articles[:RSS_ITEMS]:
        item = ET.SubElement(channel, "item")
        _text(item, "title", article.title)
        _text(item, "link", view.url(article.path))
        _text(item, "guid", view.url(article.path), isPermaLink="true")
        _text(item, "pubDate", format_datetime(article.when))
        _text(item, "description", describe(article))
        for author in article.authors:
            _text(item, f"{{{DC_NS}}}creator", author)
    return _serialize(rss)


def render_sitemap_index(view: SiteView) -> bytes:
    """The sitemap index, pointing at the article sitemap."""
    index = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    sitemap = ET.SubElement(index, f"{{{SITEMAP_NS}}}sitemap")
    _text(sitemap, f"{{{SITEMAP_NS}}}loc", view.url(ARTICLE_SITEMAP))
    if view.articles:
        _text(sitemap, f"{{{SITEMAP_NS}}}lastmod", view.articles[0].published)
    return _serialize(index)


def render_article_sitemap(view: SiteView) -> bytes:
    """Every article with lastmod and a Google News block (publication date, title)."""
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for article in view.articles:
        url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        _text(url, f"{{{SITEMAP_NS}}}loc", view.url(article.path))
        _text(url, f"{{{SITEMAP_NS}}}lastmod", article.published)
        news = ET.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        _text(publication, f"{{{NEWS_NS}}}name", article.source or "齐鲁新闻演示站")
        _text(publication, f"{{{NEWS_NS}}}language", "en" if article.language == "en" else "zh-cn")
        _text(news, f"{{{NEWS_NS}}}publication_date", article.published)
        _text(news, f"{{{NEWS_NS}}}title", article.title)
    return _serialize(urlset)


def render_robots(view: SiteView) -> str:
    """robots.txt: everything but /private/, and where the sitemap is."""
    return f"User-agent: *\nDisallow: /private/\n\nSitemap: {view.url('/sitemap.xml')}\n"
