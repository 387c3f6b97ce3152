"""search index buffer: SQLite's index gathers 4 MB of new entries before writing them out

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

FTS5 keeps a transaction's new index entries in memory and writes them out as a new segment of
the index whenever they pass its ``hashsize`` (1 MB by default), and at commit; segments are
merged into larger ones as they pile up. With 4 MB, a batch of 500 articles (about 10 MB of
segmented text) makes a few large segments instead of a dozen small ones, and the merges that
follow rewrite less: the storage step of ``make bench-crawl`` writes a tenth more articles per
second. The setting is kept in the index itself (``article_search_config``), so no rebuild;
PostgreSQL's index is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASHSIZE = 4 * 1024 * 1024


def _set_hashsize(size: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"INSERT INTO article_search (article_search, rank) VALUES ('hashsize', {size})")


def upgrade() -> None:
    _set_hashsize(HASHSIZE)


def downgrade() -> None:
    _set_hashsize(1024 * 1024)  # FTS5's default
