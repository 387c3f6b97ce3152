"""Turn layout tables and lists into plain blocks so that boilerplate detection can see inside.

Pages built before CSS layouts (2000s Chinese portals, forums, blogs) put the whole page into
nested <table>s. Trafilatura keeps a table whole, so the article comes out wrapped in navigation
cells ("| 首页 | 滚动 | 国内 |"). A table that holds prose or other tables is a layout grid, not
data: rewriting its cells as <div>s lets the usual link-density and node-class rules apply to
each cell, while real data tables (short cells) stay tables.

Lists get the same treatment: `<ul class="two-coloum"><li class="left-main">` holding a whole
article (https://www.guancha.cn/...) would otherwise come out as one "- " list item.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from .document import squash

_LONG_CELL = 200  # characters of text in one cell: prose, not a data value
_LONG_PARAGRAPH = 80  # characters of a block (p, div) inside a cell
_BLOCKS_IN_CELL = ("p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "table", "blockquote")
_TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "td", "th", "caption")


def unwrap_layout(tree: HtmlElement) -> int:
    """Rewrite the layout tables and lists of `tree` as <div>s, in place; returns how many."""
    count = 0
    # outermost first: a grid around a data table is unwrapped, the data table is judged alone
    for table in list(tree.iter("table")):
        if table.tag == "table" and _is_layout(table):
            _unwrap(table)
            count += 1
    for listing in list(tree.iter("ul", "ol")):
        items = [item for item in listing if item.tag == "li"]
        if any(_holds_prose(item) for item in items):
            listing.tag = "div"
            for item in items:
                item.tag = "div"
            count += 1
    return count


def _holds_prose(item: HtmlElement) -> bool:
    """A list item carrying paragraphs of its own is a column, not a bullet."""
    long_blocks = 0
    for block in item.iter("p", "div"):
        if block is not item and len(squash(block.text_content())) >= _LONG_PARAGRAPH:
            long_blocks += 1
            if long_blocks >= 2:
                return True
    return False


def _is_layout(table: HtmlElement) -> bool:
    for cell in _own_cells(table):
        if cell.find(".//table") is not None:
            return True
        text = squash(cell.text_content())
        if len(text) >= _LONG_CELL:
            return True
        for block in cell.iter(*_BLOCKS_IN_CELL):
            if block is not cell and len(squash(block.text_content())) >= _LONG_PARAGRAPH:
                return True
    return False


def _own_cells(table: HtmlElement) -> list[HtmlElement]:
    """Cells of this table, not of tables nested in it."""
    cells: list[HtmlElement] = []
    for row in table.iter("tr"):
        if _owning_table(row) is table:
            cells.extend(child for child in row if child.tag in ("td", "th"))
    return cells


def _owning_table(node: HtmlElement) -> HtmlElement | None:
    for ancestor in node.iterancestors("table"):
        return ancestor
    return None


def _unwrap(table: HtmlElement) -> None:
    parts = [node for node in table.iter(*_TABLE_PARTS) if _owning_table(node) is table]
    for node in parts:
        node.tag = "div"
        for attribute in ("colspan", "rowspan", "width", "height", "valign", "align"):
            node.attrib.pop(attribute, None)
    table.tag = "div"
