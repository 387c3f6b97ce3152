"""fetch validators: the ETag and Last-Modified of an article's last fetch

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

A revisit sends them back (If-None-Match, If-Modified-Since), so an unchanged article costs a
304 instead of a download.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etag", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("http_last_modified", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("http_last_modified")
        batch_op.drop_column("etag")
