"""A bundled demo news site for the demo crawl and the tests.

Four page styles modelled on real sources (NetEase 网易号, 齐鲁壹点, a county portal and English
translations), with the clutter those pages carry, list pages, RSS, sitemaps and robots.txt.
Run it with ``python -m crawler.demo serve``; in tests use ``DemoSite().serve()``.
"""

from crawler.demo.content import ARTICLES, CLUTTER_PHRASES, PRIVATE_PATH, DemoArticle
from crawler.demo.server import DemoSite

__all__ = ["ARTICLES", "CLUTTER_PHRASES", "PRIVATE_PATH", "DemoArticle", "DemoSite"]
