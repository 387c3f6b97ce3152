"""The items spiders yield. They are defined with the pipelines that fill them in."""

from pipelines.page import FetchFailure, Page

__all__ = ["FetchFailure", "Page"]
