"""All tables; import from here so Alembic and the app see one metadata."""

from storage.models.base import Base, utcnow
from storage.models.casework import (
    Application,
    Appointment,
    Campaign,
    Complaint,
    Receipt,
    StatusEvent,
)
from storage.models.console import SignInAttempt, StaffSession
from storage.models.inbox import InboxUpdate
from storage.models.messaging import Broadcast, InboundSms, OtpCode, Outbox
from storage.models.ops import Activity, AuditLog, Conversation, Outage, Staff
from storage.models.people import Contact, Household, National, Subscription

__all__ = [
    "Activity",
    "Application",
    "Appointment",
    "AuditLog",
    "Base",
    "Broadcast",
    "Campaign",
    "Complaint",
    "Contact",
    "Conversation",
    "Household",
    "InboundSms",
    "InboxUpdate",
    "National",
    "OtpCode",
    "Outage",
    "Outbox",
    "Receipt",
    "SignInAttempt",
    "Staff",
    "StaffSession",
    "StatusEvent",
    "Subscription",
    "utcnow",
]
