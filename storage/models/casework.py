"""Campaigns and the cases they create: applications, receipts, appointments, complaints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, utcnow


class Campaign(Base):
    """One round of the census (e.g. Amayesh 19) in some provinces, inside a window."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="renewal")  # renewal|replacement|issuance
    eligible_rounds: Mapped[list[int]] = mapped_column(JSON, default=list)
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # Cards expired longer than this before the start are out (None: no rule).
    max_days_expired: Mapped[int | None]
    fee_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {name, rials}
    bank_account: Mapped[str] = mapped_column(String(32), default="")
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    offices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {name,address,city}
    # What a case that missed the window can still do (the جاماندگان route), in plain words.
    late_route: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def fee_total(self) -> int:
        return sum(int(item["rials"]) for item in self.fee_items)


class Application(Base):
    """A national's case in one campaign; status follows storage.statuses."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("national_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No index of its own: the unique (national_id, campaign_id) index serves national_id.
    national_id: Mapped[int] = mapped_column(ForeignKey("nationals.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # No index of its own: ix_applications_status_updated_at (migration 0006) leads with status.
    status: Mapped[str] = mapped_column(String(24), default="registered")
    exemption_body: Mapped[str | None] = mapped_column(String(64))
    exemption_certificate: Mapped[str | None] = mapped_column(String(64))
    identity_checked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The statuses a case opened in bulk passed through at created_at ("registered" or
    # "registered,awaiting_payment"), kept here instead of as status_events rows: for a
    # million cases those rows and their foreign-key checks were half of the opening's time
    # (bench/README). storage.status_history.history reads them back as the case's first events.
    opened_steps: Mapped[str | None] = mapped_column(String(64))


class StatusEvent(Base):
    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64), default="system")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Receipt(Base):
    """A deposit slip a national uploaded, waiting for (or past) staff review."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    national_id: Mapped[int] = mapped_column(ForeignKey("nationals.id"), index=True)
    bank_tracking: Mapped[str] = mapped_column(String(40), index=True)
    amount_rials: Mapped[int]
    file_path: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(64))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reviewed_at: Mapped[datetime | None]


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    national_id: Mapped[int] = mapped_column(ForeignKey("nationals.id"), index=True)
    office: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    attendees: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")
    # booked | confirmed | cannot_come | cancelled | missed | attended
    state: Mapped[str] = mapped_column(String(16), default="booked", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Complaint(Base):
    """Every complaint gets a tracking code (the SLA's receipt) and an SLA clock."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    national_id: Mapped[int | None] = mapped_column(ForeignKey("nationals.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    photo_path: Mapped[str | None] = mapped_column(String(300))
    # open | answered | closed
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
