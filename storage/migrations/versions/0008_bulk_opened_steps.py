"""applications: the opening steps of bulk-opened cases kept on the case; one index fewer

A campaign's bulk opening (`amayesh campaign open-cases`) wrote two status_events rows per case
(registered, awaiting_payment) at the case's own created_at. For 1,000,000 cases those rows and
their foreign-key checks were half of the statement's time (bench/README), so the case now keeps
its opening steps in `opened_steps` and storage.status_history.history shows them as its first events.

`ix_applications_status` is dropped: `ix_applications_status_updated_at` (0006) leads with
status and serves every lookup by status, and each index costs a bulk insert an entry a row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_steps", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_applications_status")


def downgrade() -> None:
    # The kept steps become events again, so the history reads the same without the column.
    for step in ("registered", "awaiting_payment"):
        op.execute(
            "INSERT INTO status_events (application_id, status, note, actor, at) "
            f"SELECT id, '{step}', '', 'system', created_at FROM applications "
            f"WHERE opened_steps = '{step}' OR opened_steps LIKE '%,{step}' "
            f"OR opened_steps LIKE '{step},%'"
        )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_status", ["status"], unique=False)
        batch_op.drop_column("opened_steps")
