"""article health: each article's extraction health in a narrow row, for the sites page

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The sites page charts, per site and day, the median text length and the share of articles with
no date, no author, or clutter left in the text. Computed from the articles themselves that means
reading every article's text (seconds for a few months of a large archive); kept in
``article_health`` as the articles are written, it is a scan of small rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.health import CLUTTER_MARKERS

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_health",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text_length", sa.Integer(), nullable=False),
        sa.Column("no_date", sa.Boolean(), nullable=False),
        sa.Column("no_author", sa.Boolean(), nullable=False),
        sa.Column("clutter", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("article_id"),
    )
    with op.batch_alter_table("article_health", schema=None) as batch_op:
        batch_op.create_index("ix_article_health_day_site", ["day", "site_id"], unique=False)
    bind = op.get_bind()
    markers = {f"m{i}": marker for i, marker in enumerate(CLUTTER_MARKERS)}
    if bind.dialect.name == "sqlite":
        day = "date(coalesce(published_at, first_seen))"
        authors = "coalesce(json_array_length(authors), 0)"
        found = " OR ".join(f"instr(text, :{k}) > 0" for k in markers)
    else:
        day = "CAST(timezone('UTC', coalesce(published_at, first_seen)) AS date)"
        authors = "coalesce(jsonb_array_length(authors), 0)"
        found = " OR ".join(f"strpos(text, :{k}) > 0" for k in markers)
    bind.execute(
        sa.text(
            "INSERT INTO article_health "
            "(article_id, site_id, day, text_length, no_date, no_author, clutter) "
            f"SELECT id, site_id, {day}, length(text), published_at IS NULL, {authors} = 0, "
            f"({found}) FROM articles"
        ),
        markers,
    )


def downgrade() -> None:
    op.drop_table("article_health")
