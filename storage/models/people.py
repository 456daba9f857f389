"""The registry: households, nationals, their contact identities and announcement choices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigId, utcnow


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_number: Mapped[str] = mapped_column(String(32), unique=True)
    members: Mapped[list[National]] = relationship(back_populates="household")


class National(Base):
    """One foreign national as the registry knows them (imported from CSV)."""

    __tablename__ = "nationals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    unique_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    is_head: Mapped[bool] = mapped_column(default=False)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    father_name: Mapped[str] = mapped_column(String(80), default="")
    birth_year: Mapped[int]
    gender: Mapped[str] = mapped_column(String(1))  # M / F
    nationality: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166 alpha-2
    province: Mapped[str] = mapped_column(String(64), index=True)
    city: Mapped[str] = mapped_column(String(64), default="")
    mobile: Mapped[str | None] = mapped_column(String(11), index=True)  # canonical 09xxxxxxxxx
    card_round: Mapped[int | None]
    card_expiry: Mapped[date]
    transit_sheet_expiry: Mapped[date | None]
    language: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Contact(Base):
    """A way to reach someone: a Telegram/Bale chat or a mobile number."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    national_id: Mapped[int | None] = mapped_column(ForeignKey("nationals.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # telegram | sms
    address: Mapped[str] = mapped_column(String(64))  # chat id or 09xxxxxxxxx
    verified: Mapped[bool] = mapped_column(default=False)
    reachable: Mapped[bool] = mapped_column(default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Subscription(Base):
    """Announcement choice of a national or of a bare mobile/chat (opt-out wins)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    national_id: Mapped[int | None] = mapped_column(ForeignKey("nationals.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    subscribed: Mapped[bool] = mapped_column(default=True)
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
