"""The staff console's own state: sign-in sessions and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, utcnow


class StaffSession(Base):
    """One browser's sign-in; the cookie holds a random token, this row only its SHA-256.

    stage: 'factor' (password right, second factor due), 'enrol' (TOTP being set up), 'ok'.
    Revoking (sign-out, an admin, `staff remove`) sets revoked_at; idleness is last_seen_at.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(8), default="factor")
    code_hash: Mapped[str | None] = mapped_column(String(160))  # the SMS code, hashed
    code_sent_at: Mapped[datetime | None]
    pending_secret: Mapped[str | None] = mapped_column(String(64))  # TOTP during enrolment
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class SignInAttempt(Base):
    """Each failed password or code: counted per account and per address for the lockout."""

    __tablename__ = "staff_signin_attempts"
    __table_args__ = (
        Index("ix_staff_signin_attempts_username_at", "username", "at"),
        Index("ix_staff_signin_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
