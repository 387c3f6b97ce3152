"""search facets: site, language and publish date in the search index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

A search's filters become index lookups intersected with its words (see ``storage.search``), so
a common word with a filter costs what its filtered matches cost, not what all its matches do.
SQLite's FTS5 table gets a third column, ``facets``; PostgreSQL's tsvectors get ``#``-prefixed
lexemes. Existing entries are rewritten with their article's facets, in batches.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from storage.search import facets, pg_facets

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _articles(bind: sa.Connection, after: int) -> list[sa.Row[tuple[int, int, str, object]]]:
    return list(
        bind.execute(
            sa.text(
                "SELECT id, site_id, language, published_at FROM articles "
                "WHERE id > :after ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": BATCH},
        )
    )


def _facets_of(row: sa.Row[tuple[int, int, str, object]]) -> list[str]:
    published = row.published_at
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    assert published is None or isinstance(published, datetime)
    return facets(row.site_id, row.language, published)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_search_new USING fts5("
            "title, body, facets, tokenize = 'unicode61 remove_diacritics 2')"
        )
        after = 0
        while rows := _articles(bind, after):
            bind.execute(
                sa.text(
                    "INSERT INTO article_search_new (rowid, title, body, facets) "
                    "SELECT rowid, title, body, :facets FROM article_search WHERE rowid = :id"
                ),
                [{"id": row.id, "facets": " ".join(_facets_of(row))} for row in rows],
            )
            after = rows[-1].id
        op.execute("DROP TABLE article_search")
        op.execute("ALTER TABLE article_search_new RENAME TO article_search")
    else:
        after = 0
        while rows := _articles(bind, after):
            bind.execute(
                sa.text(
                    "UPDATE article_search SET document = document || CAST(:facets AS tsvector) "
                    "WHERE article_id = :id"
                ),
                [{"id": row.id, "facets": pg_facets(_facets_of(row))} for row in rows],
            )
            after = rows[-1].id


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_search_old USING fts5("
            "title, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO article_search_old (rowid, title, body) "
            "SELECT rowid, title, body FROM article_search"
        )
        op.execute("DROP TABLE article_search")
        op.execute("ALTER TABLE article_search_old RENAME TO article_search")
    else:
        # tsvector has no "delete lexemes by prefix"; rebuild each without its '#' lexemes.
        op.execute(
            "UPDATE article_search SET document = ts_delete(document, ARRAY("
            "SELECT lexeme FROM unnest(document) WHERE lexeme LIKE '#%'))"
        )
