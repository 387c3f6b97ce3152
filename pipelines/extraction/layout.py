"""Turn layout tables and lists into plain blocks so that boilerplate detection can see inside.

Pages built before CSS layouts (2000s Chinese portals, forums, blogs) put the whole page into
nested <table>s. Trafilatura keeps a table whole, so the article comes out wrapped in navigation
cells ("| 首页 | 滚动 | 国内 |"). A table that holds prose or other tables is a layout grid, not
data: rewriting its cells as <div>s lets the usual link-density and node-class rules apply to
each cell, while real data tables (short cells) stay tables.

Lists get the same treatment: `<ul class="two-coloum"><li class="left-main">` holding a whole
article (https://www.guancha.cn/...) would otherwise come out as one "- " list item.

The same pages write paragraphs as bare text separated by `<br><br>` inside a cell. Trafilatura
reads such a block line by line and puts an inline link on a line of its own ("市\n电力\n部门表示",
news.163.com, 2009); so when a block holds no other block but has such inline elements, each
run of text between its paragraph breaks (two <br>s) becomes a <p>. Blocks of plain text and
<br>s are left alone: trafilatura reads them right, and single <br>s are often hard line wraps.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

from .document import squash

_LONG_CELL = 200  # characters of text in one cell: prose, not a data value
_LONG_PARAGRAPH = 80  # characters of a block (p, div) inside a cell
_BLOCKS_IN_CELL = ("p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "table", "blockquote")
_TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "td", "th", "caption")
# elements that make a block more than a run of text lines
_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
)
_MIN_BREAKS = 2  # <br>s in a block before its lines are taken for paragraphs


def unwrap_layout(tree: HtmlElement) -> int:
    """Rewrite the layout tables and lists of `tree` as <div>s, in place; returns how many."""
    count = 0
    # outermost first: a grid around a data table is unwrapped, the data table is judged alone
    for table in list(tree.iter("table")):
        if table.tag == "table" and _is_layout(table):
            _unwrap(table)
            count += 1
    for block in list(tree.iter("div", "td", "font", "center")):
        if _is_text_with_breaks(block):
            _paragraphs_from_breaks(block)
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


def _is_text_with_breaks(block: HtmlElement) -> bool:
    """Prose written as text and <br><br>s, with no block element inside."""
    breaks = 0
    chars = len((block.text or "").strip())
    previous_break = False
    linked = False  # an inline element with words in it is what trafilatura splits off
    for child in block:
        if not isinstance(child.tag, str) or child.tag in _BLOCK_TAGS:
            return False
        is_break = child.tag == "br"
        linked = linked or (not is_break and bool((child.text or "").strip()))
        # a paragraph break is two <br>s in a row, with nothing but blanks between them
        breaks += is_break and previous_break
        previous_break = is_break and not (child.tail or "").strip()
        chars += len((child.tail or "").strip())
    return linked and breaks >= _MIN_BREAKS and chars >= _LONG_PARAGRAPH


def _paragraphs_from_breaks(block: HtmlElement) -> None:
    """Rebuild `block` as one <p> per run of text between paragraph breaks (<br><br>)."""
    items: list[str | HtmlElement] = [block.text or ""]
    for child in list(block):
        tail, child.tail = child.tail, None
        block.remove(child)
        items.extend((child, tail or ""))
    block.text = None
    runs: list[list[str | HtmlElement]] = [[]]
    for index, item in enumerate(items):
        if _is_paragraph_break(items, index):
            runs.append([])
        elif not (isinstance(item, str) and not item.strip() and _is_break(items, index - 1)):
            runs[-1].append(item)
    for run in runs:
        while run and _is_break(run, len(run) - 1):
            run.pop()  # a single <br> left at the end of a paragraph
        if not any(not isinstance(item, str) or item.strip() for item in run):
            continue
        paragraph = etree.SubElement(block, "p")
        for item in run:
            if isinstance(item, str):
                if len(paragraph):
                    paragraph[-1].tail = (paragraph[-1].tail or "") + item
                else:
                    paragraph.text = (paragraph.text or "") + item
            else:
                paragraph.append(item)


def _is_break(items: list[str | HtmlElement], index: int) -> bool:
    item = items[index] if 0 <= index < len(items) else None
    return item is not None and not isinstance(item, str) and item.tag == "br"


def _is_paragraph_break(items: list[str | HtmlElement], index: int) -> bool:
    """A <br> that follows another <br> (blank text between them allowed)."""
    if not _is_break(items, index):
        return False
    before = index - 1
    if before >= 0 and isinstance(items[before], str) and not str(items[before]).strip():
        before -= 1
    return _is_break(items, before)
