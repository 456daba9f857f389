"""The outbox every outbound message goes through, broadcasts, one-time codes, inbound SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, utcnow

_DIRECT = "state = 'queued' AND broadcast_id IS NULL"
_NOT_BROADCAST = "broadcast_id IS NULL"
_BROADCAST = "broadcast_id IS NOT NULL"
# Bytewise on PostgreSQL: a broadcast checks a million keys, and the locale's collation costs
# several times more per comparison; "C" also lets LIKE 'prefix%' use the unique index.
_KEY = String(160).with_variant(String(160, collation="C"), "postgresql")


class Outbox(Base):
    """One message to one address. `key` makes a cause yield at most one message."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "channel", "due_at"),
        # Direct messages (not broadcast copies) waiting: senders take these first, so a notice
        # never waits behind a million queued broadcast copies.
        Index(
            "ix_outbox_direct",
            "channel",
            "due_at",
            postgresql_where=text(_DIRECT),
            sqlite_where=text(_DIRECT),
        ),
        # Partial: a broadcast inserts a million rows with neither set yet; skipping them in
        # these two indexes makes that insert markedly cheaper. Lookups by value still use them.
        Index("ix_outbox_provider_ref", "provider_ref",
              postgresql_where=text("provider_ref IS NOT NULL"),
              sqlite_where=text("provider_ref IS NOT NULL")),
        Index("ix_outbox_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL"),
              sqlite_where=text("sent_at IS NOT NULL")),
        # A cause yields one message: its key, or for a broadcast copy (broadcast, national),
        # one compact index that also finds a broadcast's copies. A million-copy broadcast
        # then updates one index fewer, and none on a 160-character text.
        Index("uq_outbox_key", "key", unique=True, postgresql_where=text(_NOT_BROADCAST),
              sqlite_where=text(_NOT_BROADCAST)),
        Index("uq_outbox_broadcast", "broadcast_id", "national_id", unique=True,
              postgresql_where=text(_BROADCAST), sqlite_where=text(_BROADCAST)),
        # Broadcast copies are found by broadcast_id; on PostgreSQL they stay out of this one
        # (a reminder's lookup goes through the "C"-collated key's LIKE prefix instead).
        Index("ix_outbox_national_id", "national_id",
              postgresql_where=text("broadcast_id IS NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(_KEY)
    national_id: Mapped[int | None]
    broadcast_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))  # reply|notice|reminder|broadcast|otp
    channel: Mapped[str] = mapped_column(String(16))  # telegram | sms
    address: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(3), default="fa")
    text: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # reply_markup, photo, otp...
    urgent: Mapped[bool] = mapped_column(default=False)  # ignores quiet hours
    # queued | held (paused broadcast) | sending | sent | delivered | failed | cancelled
    state: Mapped[str] = mapped_column(String(12), default="queued")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    fell_back: Mapped[bool] = mapped_column(default=False)
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    sms_parts: Mapped[int | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # lang -> text
    sms_text: Mapped[str | None] = mapped_column(Text)
    # draft | scheduled | running | paused | cancelled | done
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    scheduled_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The console's composer puts a fresh token in its confirm form: a double click or a
    # reload of that form finds the broadcast already made instead of making a second one.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class OtpCode(Base):
    """A hashed one-time code sent by SMS to prove a mobile."""

    __tablename__ = "otp_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    national_id: Mapped[int | None] = mapped_column(ForeignKey("nationals.id"))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InboundSms(Base):
    """Every SMS received, once per provider message id."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(20), index=True)
    line: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
