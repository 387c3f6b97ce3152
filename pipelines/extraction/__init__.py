"""Article extraction: the main text and metadata of one news page, without Scrapy."""

from .core import EXTRACTOR_VERSION, extract_article
from .model import Extraction, SiteRules

__all__ = ["EXTRACTOR_VERSION", "Extraction", "SiteRules", "extract_article"]
