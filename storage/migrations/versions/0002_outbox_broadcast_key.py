"""outbox: a broadcast copy is unique by (broadcast, national) instead of by its text key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:30:00

A million-copy broadcast paid for two indexes per copy (the 160-character key and
broadcast_id); one compact (broadcast_id, national_id) index now does both jobs for
copies, and the key stays unique for every other message.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_BROADCAST = sa.text("broadcast_id IS NULL")
BROADCAST = sa.text("broadcast_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_key", type_="unique")
        batch_op.drop_index("ix_outbox_broadcast_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "uq_outbox_key", ["key"], unique=True,
            postgresql_where=NOT_BROADCAST, sqlite_where=NOT_BROADCAST,
        )  # fmt: skip
        batch_op.create_index(
            "uq_outbox_broadcast", ["broadcast_id", "national_id"], unique=True,
            postgresql_where=BROADCAST, sqlite_where=BROADCAST,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("uq_outbox_broadcast")
        batch_op.drop_index("uq_outbox_key")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_outbox_key", ["key"])
        batch_op.create_index("ix_outbox_broadcast_id", ["broadcast_id"], unique=False)
