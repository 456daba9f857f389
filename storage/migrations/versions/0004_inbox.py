"""inbox: every Telegram/Bale update stored before it is acknowledged

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:00:00

The webhook answered 200 and polling confirmed the offset before anything was written, so a
crash lost what was in memory. Updates are now unique by (bot, update_id); handled_at is set
in the transaction that acted on one, which is also how a replay is recognised.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("handled_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bot", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("bot", "update_id", name="uq_inbox_bot_update"),
    )
    op.create_index(
        "ix_inbox_pending", "inbox", ["bot", "id"],
        postgresql_where=PENDING, sqlite_where=PENDING,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_inbox_pending", table_name="inbox")
    op.drop_table("inbox")
