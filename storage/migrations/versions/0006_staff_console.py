"""staff console: usernames, passwords and second factors; sessions; the searches' indexes

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01 21:00:00

Sessions live in the database so they can be revoked. The name search compares a key with
ZWNJ and spaces removed ("گل‌احمد" = "گل احمد" = "گلاحمد"); PostgreSQL finds a prefix of it
through text_pattern_ops expression indexes (see storage/console_search.py, same expression).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FULL_KEY = "replace(replace(first_name || last_name, '\u200c', ''), ' ', '')"
LAST_KEY = "replace(replace(last_name, '\u200c', ''), ' ', '')"


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mobile", sa.String(length=11), nullable=True))
        batch_op.add_column(
            sa.Column("second_factor", sa.String(length=8), nullable=False, server_default="totp")
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_step", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint("uq_staff_username", ["username"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=160), nullable=True),
        sa.Column("code_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_secret", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_sessions_staff_id_staff"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "staff_signin_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_signin_attempts"),
    )
    op.create_index(
        "ix_staff_signin_attempts_username_at", "staff_signin_attempts", ["username", "at"]
    )
    op.create_index(
        "ix_staff_signin_attempts_address_at", "staff_signin_attempts", ["address", "at"]
    )
    # The lists page sorts cases by last change, optionally within one status.
    op.create_index("ix_applications_status_updated_at", "applications", ["status", "updated_at"])
    op.create_index("ix_applications_updated_at", "applications", ["updated_at"])
    # The complaints inbox: one state, soonest due first.
    op.create_index("ix_complaints_state_due_at", "complaints", ["state", "due_at"])
    ops = " text_pattern_ops" if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"CREATE INDEX ix_nationals_full_key ON nationals (({FULL_KEY}){ops})")
    op.execute(f"CREATE INDEX ix_nationals_last_key ON nationals (({LAST_KEY}){ops})")


def downgrade() -> None:
    op.drop_index("ix_nationals_last_key", table_name="nationals")
    op.drop_index("ix_nationals_full_key", table_name="nationals")
    op.drop_index("ix_complaints_state_due_at", table_name="complaints")
    op.drop_index("ix_applications_updated_at", table_name="applications")
    op.drop_index("ix_applications_status_updated_at", table_name="applications")
    op.drop_table("staff_signin_attempts")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_username", type_="unique")
        for col in (
            "totp_step",
            "totp_secret",
            "second_factor",
            "mobile",
            "password_hash",
            "username",
        ):
            batch_op.drop_column(col)
