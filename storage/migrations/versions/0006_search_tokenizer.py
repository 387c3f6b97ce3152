"""search tokenizer: SQLite's index splits its tokens with FTS5's ``ascii`` tokenizer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

The index holds segmented text (``storage.search.segment``): tokens already folded for case,
width and accents, separated by single spaces. ``unicode61`` looked up the Unicode category of
every character to find those spaces and folded what was already folded; ``ascii`` splits on
the same spaces and gives the same tokens, for a twentieth less of a crawl's archive writes
(``make bench-crawl``, the storage step). The entries are copied into a new table, tokenized
once more (the old table stays until the new one is whole, so the upgrade needs room for both);
PostgreSQL's index is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _retokenize(tokenizer: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE article_search_new USING fts5("
        f"title, body, facets, tokenize = '{tokenizer}')"
    )
    op.execute(
        "INSERT INTO article_search_new (rowid, title, body, facets) "
        "SELECT rowid, title, body, facets FROM article_search"
    )
    op.execute("DROP TABLE article_search")
    op.execute("ALTER TABLE article_search_new RENAME TO article_search")


def upgrade() -> None:
    _retokenize("ascii")


def downgrade() -> None:
    _retokenize("unicode61 remove_diacritics 2")
