"""campaigns: the late-comers' route (جاماندگان); applications lose a redundant index

The unique (national_id, campaign_id) index already finds a national's cases; the separate
national_id index only cost every case opened (a campaign's bulk opening writes a million).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_route", sa.String(length=300), nullable=True))
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_national_id")


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_national_id", ["national_id"], unique=False)
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("late_route")
